// Notebook sessions and KPU capacity as the views show them: the capacity
// bar, the list of live sessions, and the parts of a refusal message (the
// notes that hold capacity, so the view can link to them). No DOM here.

import type { Session, SessionJob } from '../schema';

export type CapacityLevel = 'ok' | 'high' | 'full' | 'unknown';

export interface CapacityModel {
  inUse: number;
  capacity: number;
  free: number;
  /** Share of the capacity in use, 0…1 (1 when over capacity). */
  fraction: number;
  level: CapacityLevel;
  /** "3 / 8 KPUs in use" */
  text: string;
  /** "5 free" */
  freeText: string;
}

/** capacityModel describes the KPUs in use against the capacity. */
export function capacityModel(inUse: number | undefined, capacity: number | undefined): CapacityModel {
  const cap = finiteOr(capacity, 0);
  const used = Math.max(0, finiteOr(inUse, 0));
  if (cap <= 0) {
    return { inUse: used, capacity: 0, free: 0, fraction: 0, level: 'unknown', text: `${used} KPU${used === 1 ? '' : 's'} in use`, freeText: 'capacity unknown' };
  }
  const free = Math.max(0, cap - used);
  const fraction = Math.min(1, used / cap);
  const level: CapacityLevel = free === 0 ? 'full' : fraction >= 0.75 ? 'high' : 'ok';
  return { inUse: used, capacity: cap, free, fraction, level, text: `${used} / ${cap} KPUs in use`, freeText: free === 0 ? 'none free' : `${free} free` };
}

/** formatCost renders an estimated cost in dollars: "$0.0042", "$1.23". */
export function formatCost(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '—';
  if (usd === 0) return '$0.00';
  return '$' + (Math.abs(usd) < 1 ? usd.toFixed(4) : usd.toFixed(2));
}

/** formatKpuHours renders KPU-hours with three decimals: "0.012 KPU-h". */
export function formatKpuHours(h: number | undefined): string {
  if (h === undefined || !Number.isFinite(h)) return '—';
  return `${h.toFixed(3)} KPU-h`;
}

/** Job statuses that still hold KPUs. */
const ENDED_JOB = new Set(['FINISHED', 'FAILED', 'CANCELED', 'CANCELLED']);

/** runningJobs returns the jobs of a session that have not ended. */
export function runningJobs(s: Pick<Session, 'jobs'>): SessionJob[] {
  return (s.jobs ?? []).filter((j) => !ENDED_JOB.has((j.status ?? '').toUpperCase()));
}

/** canStop tells whether a session in this state can be stopped. */
export function canStop(state: string | undefined): boolean {
  const s = (state ?? '').toLowerCase();
  return s !== 'stopping' && s !== 'stopped';
}

export interface SessionRow {
  id: string;
  noteId: string;
  noteName: string;
  href: string;
  state: string;
  kpus: number;
  jobs: number;
  jobsText: string;
  cost: string;
  stoppable: boolean;
}

/** sessionRows orders sessions for the list: most KPUs first, then by note name. */
export function sessionRows(list: Session[] | null | undefined): SessionRow[] {
  return (list ?? [])
    .map((s) => {
      const jobs = runningJobs(s).length;
      const noteId = s.noteId ?? '';
      return {
        id: s.id ?? '',
        noteId,
        noteName: s.noteName || noteId,
        href: `/notebook/${encodeURIComponent(noteId)}`,
        state: (s.state || 'unknown').toLowerCase(),
        kpus: finiteOr(s.kpus, 0),
        jobs,
        jobsText: `${jobs} job${jobs === 1 ? '' : 's'}`,
        cost: formatCost(s.estimatedCost),
        stoppable: !!s.id && canStop(s.state),
      };
    })
    .sort((a, b) => b.kpus - a.kpus || a.noteName.localeCompare(b.noteName) || a.id.localeCompare(b.id));
}

/** stopConfirmText is what the stop dialog says before stopping a session. */
export function stopConfirmText(s: Pick<Session, 'noteName' | 'noteId' | 'kpus' | 'jobs'>): string {
  const jobs = runningJobs(s).length;
  const name = s.noteName || s.noteId || 'this note';
  const parts = [`The session of “${name}” ends`];
  parts.push(jobs > 0 ? `its ${jobs} running job${jobs === 1 ? ' is' : 's are'} cancelled` : 'no job is running');
  const kpus = finiteOr(s.kpus, 0);
  const freed = kpus > 0 ? `and its ${kpus} KPU${kpus === 1 ? '' : 's'} are freed.` : 'and its KPUs are freed.';
  return `${parts.join(': ')} ${freed} The next run starts a new session.`;
}

/** A part of a refusal message: text, or a note that holds capacity. */
export type RefusalPart = { text: string } | { text: string; noteId: string; noteName: string };

const HOLDER = /note "((?:[^"\\]|\\.)*)" \(([^()\s]+)\)/g;

/**
 * refusalParts splits a refusal message ("… note "A" (2ABC) holds 3. Stop a
 * session …") into text and the notes named in it, so a view can link them.
 * Joining the parts' text gives the message back unchanged.
 */
export function refusalParts(message: string): RefusalPart[] {
  const out: RefusalPart[] = [];
  let last = 0;
  for (const m of message.matchAll(HOLDER)) {
    const i = m.index ?? 0;
    if (i > last) out.push({ text: message.slice(last, i) });
    out.push({ text: m[0], noteId: m[2] ?? '', noteName: unquote(m[1] ?? '') });
    last = i + m[0].length;
  }
  if (last < message.length) out.push({ text: message.slice(last) });
  return out;
}

/** asSentence capitalises a server message and ends it with a full stop, for display. */
export function asSentence(message: string): string {
  const m = message.trim();
  if (!m) return m;
  const first = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?…)]$/.test(first) ? first : first + '.';
}

/** isCapacityRefusal tells whether a run error is the KPU admission refusing it. */
export function isCapacityRefusal(message: string): boolean {
  return /not enough KPUs/i.test(message);
}

function unquote(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s.replace(/\\(.)/g, '$1');
  }
}

function finiteOr(n: number | undefined, d: number): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : d;
}
