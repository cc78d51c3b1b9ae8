// Notebook sessions and KPU capacity as the views show them: the capacity
// bar, the list of live sessions, and a refusal to start (what it needed,
// what was free, and the notes that hold the KPUs, so the view can link to
// them), read from the structured details the server sends. No DOM here.

import type { CapacityHolder, CapacityRefusal, Session, SessionJob } from '../schema';

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
  return s.jobs.filter((j) => !ENDED_JOB.has(j.status.toUpperCase()));
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
      const noteId = s.noteId;
      return {
        id: s.id,
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

/** A note whose session holds KPUs, or an application, as a refusal view lists it. */
export interface RefusalHolder {
  noteId: string;
  noteName: string;
  /** Set when the holder is an application (noteId and noteName are then its note's). */
  applicationId?: string;
  applicationName?: string;
  /** The holder's page: its note, or the application. */
  href: string;
  /** "3 KPUs" */
  kpusText: string;
}

/** What a view shows of a capacity refusal. */
export interface RefusalModel {
  /** "It needs 2 KPUs to start a notebook session; 0 of 3 are free." */
  summary: string;
  /** The notes holding KPUs, largest first (the server's order). */
  holders: RefusalHolder[];
  /** KPUs in use when the request was refused (capacity − free), and the capacity. */
  inUse: number;
  capacity: number;
  /** Set when the request can never be met on this cluster (a parallelism too large): there is nothing to stop. */
  never?: { title: string; hint: string };
}

/** refusalModel describes a refusal from its structured details. */
export function refusalModel(r: CapacityRefusal): RefusalModel {
  const what = r.what.trim();
  const free = Math.max(0, r.free);
  if (r.never) return neverModel(r, free);
  const summary = `It needs ${formatKpus(r.needed)}${what ? ' to ' + what : ''}; ${free} of ${r.capacity} ${free === 1 ? 'is' : 'are'} free.`;
  return {
    summary,
    holders: r.holders.map((x) => {
      const holder: RefusalHolder = { noteId: x.noteId, noteName: x.noteName || x.noteId, href: `/notebook/${encodeURIComponent(x.noteId)}`, kpusText: formatKpus(x.kpus) };
      if (x.applicationId) {
        holder.applicationId = x.applicationId;
        holder.applicationName = x.applicationName || x.applicationId;
        holder.href = `/applications/${encodeURIComponent(x.applicationId)}`;
      }
      return holder;
    }),
    inUse: Math.max(0, r.capacity - free),
    capacity: r.capacity,
  };
}

/**
 * neverModel describes a job whose parallelism needs more KPUs than the
 * cluster could ever give it: stopping sessions would not help, lowering
 * the parallelism does.
 */
function neverModel(r: CapacityRefusal, free: number): RefusalModel {
  const p = r.parallelism ?? 0;
  const max = r.maxParallelism ?? 0;
  const asked = p > 0 ? `Parallelism ${p}` : 'It';
  return {
    summary: `${asked} needs ${formatKpus(r.needed)}, the cluster offers ${r.capacity} in all (2 of them kept by this note’s session).`,
    holders: [],
    inUse: Math.max(0, r.capacity - free),
    capacity: r.capacity,
    never: {
      title: p > 0 ? `Not started: parallelism ${p} can never fit this cluster` : 'Not started: it can never fit this cluster',
      hint: max > 0 ? `Lower the parallelism to ${max} or less, then run again.` : 'No job fits beside a session: the cluster’s KPU capacity must grow.',
    },
  };
}

/**
 * parseCapacityRefusal returns the details of a capacity_exceeded error
 * when they have the documented shape, and undefined otherwise (the view
 * then shows the server's message alone).
 */
export function parseCapacityRefusal(v: unknown): CapacityRefusal | undefined {
  if (!isObject(v) || typeof v['what'] !== 'string' || !Array.isArray(v['holders'])) return undefined;
  const [needed, free, capacity] = [v['needed'], v['free'], v['capacity']];
  if (!isCount(needed) || !isCount(free) || !isCount(capacity)) return undefined;
  const holders: CapacityHolder[] = [];
  for (const x of v['holders'] as unknown[]) {
    if (!isObject(x) || typeof x['noteId'] !== 'string' || !isCount(x['kpus'])) return undefined;
    const holder: CapacityHolder = { noteId: x['noteId'], noteName: typeof x['noteName'] === 'string' ? x['noteName'] : '', sessionId: typeof x['sessionId'] === 'string' ? x['sessionId'] : '', kpus: x['kpus'] };
    if (typeof x['applicationId'] === 'string' && x['applicationId']) {
      holder.applicationId = x['applicationId'];
      holder.applicationName = typeof x['applicationName'] === 'string' ? x['applicationName'] : '';
    }
    holders.push(holder);
  }
  const out: CapacityRefusal = { what: v['what'], needed, free, capacity, holders };
  if (v['never'] === true) {
    out.never = true;
    if (isCount(v['parallelism'])) out.parallelism = v['parallelism'];
    if (isCount(v['maxParallelism'])) out.maxParallelism = v['maxParallelism'];
  }
  return out;
}

/** refusalOf returns the capacity refusal an API or websocket error carries, if it is one. */
export function refusalOf(e: unknown): CapacityRefusal | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, details } = e as Error & { code?: unknown; details?: CapacityRefusal };
  return code === 'capacity_exceeded' ? details : undefined;
}

/** formatKpus renders a number of KPUs: "1 KPU", "3 KPUs". */
export function formatKpus(n: number): string {
  return `${n} KPU${n === 1 ? '' : 's'}`;
}

/** asSentence capitalises a server message and ends it with a full stop, for display. */
export function asSentence(message: string): string {
  const m = message.trim();
  if (!m) return m;
  const first = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?…)]$/.test(first) ? first : first + '.';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function finiteOr(n: number | undefined, d: number): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : d;
}
