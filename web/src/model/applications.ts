// Applications as the views show them: a status's badge and which actions
// it allows, the default name of an application built from a note, the
// deploy form's tags and figures read from their inputs, uptime and cost.
// The server decides every rule; the buttons only follow what it would
// accept (it answers 409 otherwise). No DOM here.

import type { Application, ApplicationStatus, BuildRefusal, OperatorCheck, PlanCheck, StateRefusal } from '../schema';

/** What a status allows. */
export interface Actions {
  start: boolean;
  /** Stop with a snapshot. */
  stop: boolean;
  /** Stop at once, without a snapshot. */
  forceStop: boolean;
  snapshot: boolean;
  delete: boolean;
  rebuild: boolean;
  /** Delete one of its snapshots. */
  deleteSnapshot: boolean;
  /** Change its parallelism: at once while it runs, for its next start while stopped. */
  rescale: boolean;
  /** Update it to a new version built from its note: at once while it runs, keeping its state; for its next start while stopped. */
  update: boolean;
}

const STOPPED: ReadonlySet<string> = new Set(['READY', 'FAILED']);

/** isStopped tells whether an application in this status holds no KPUs and may be started, rebuilt or deleted. */
export function isStopped(status: string): boolean {
  return STOPPED.has(status);
}

/** actionsFor returns the actions an application in this status allows. */
export function actionsFor(status: ApplicationStatus | string): Actions {
  const stopped = isStopped(status);
  return {
    start: stopped,
    stop: status === 'RUNNING',
    forceStop: status === 'RUNNING' || status === 'STARTING',
    snapshot: status === 'RUNNING',
    delete: stopped,
    rebuild: stopped,
    deleteSnapshot: status !== 'DELETING',
    rescale: stopped || status === 'RUNNING',
    update: stopped || status === 'RUNNING',
  };
}

export type StatusTone = 'idle' | 'busy' | 'ok' | 'warn' | 'err';

const TONES: Record<ApplicationStatus, StatusTone> = {
  READY: 'idle',
  STARTING: 'busy',
  RUNNING: 'ok',
  STOPPING: 'warn',
  FORCE_STOPPING: 'warn',
  UPDATING: 'busy',
  AUTOSCALING: 'busy',
  ROLLING_BACK: 'warn',
  DELETING: 'warn',
  FAILED: 'err',
};

/** statusTone is the colour family of a status's badge. */
export function statusTone(status: string): StatusTone {
  return TONES[status as ApplicationStatus] ?? 'idle';
}

/** statusLabel renders a status for people: FORCE_STOPPING → "Force stopping". */
export function statusLabel(status: string): string {
  const s = status.replace(/_/g, ' ').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * defaultAppName derives an application's name from its note's: lower case,
 * every character other than a–z, 0–9 and '-' made a '-', runs of '-'
 * collapsed and none at either end ("Orders (EU)" → "orders-eu").
 */
export function defaultAppName(noteName: string): string {
  const name = noteName
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
  return name || 'application';
}

/** A value read from a form input: the value, or what is wrong with it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** parseTags reads "key=value" lines; blank lines are skipped, a key may appear once. */
export function parseTags(text: string): Parsed<Record<string, string>> {
  const tags: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!key) return { ok: false, error: `Tag on line ${i + 1} is not key=value.` };
    if (Object.hasOwn(tags, key)) return { ok: false, error: `Tag “${key}” is given twice.` };
    tags[key] = line.slice(eq + 1).trim();
  }
  return { ok: true, value: tags };
}

/** parseWhole reads a whole number of at least min from an input. */
export function parseWhole(text: string, what: string, min: number): Parsed<number> {
  const t = text.trim();
  const n = Number(t);
  if (!t || !Number.isInteger(n)) return { ok: false, error: `${what} must be a whole number.` };
  if (n < min) return { ok: false, error: `${what} must be at least ${min}.` };
  return { ok: true, value: n };
}

/** formatDollars renders a cost with two decimals: "$0.00", "$12.35"; a cost
 * above zero but under a cent reads "< $0.01", so a metered run never looks free. */
export function formatDollars(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '—';
  if (usd > 0 && usd < 0.005) return '< $0.01';
  return '$' + usd.toFixed(2);
}

/** formatUptime renders a run's length: "45 s", "12 min 05 s", "3 h 02 min", "2 d 04 h". */
export function formatUptime(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${pad(m % 60)} min`;
  return `${Math.floor(h / 24)} d ${pad(h % 24)} h`;
}

/** uptimeOf is how long an application's current run has lasted at now, or undefined when it is not running. */
export function uptimeOf(app: Pick<Application, 'startedAt'>, now: number): number | undefined {
  if (!app.startedAt) return undefined;
  const t = Date.parse(app.startedAt);
  return Number.isNaN(t) ? undefined : Math.max(0, now - t);
}

/** formatInterval renders a checkpoint interval: "60 s", "2 min", "1.5 s". */
export function formatInterval(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  if (ms % 60_000 === 0 && ms >= 120_000) return `${ms / 60_000} min`;
  return `${+(ms / 1000).toFixed(3)} s`;
}

/** appHref is the application's page. */
export function appHref(id: string): string {
  return `/applications/${encodeURIComponent(id)}`;
}

/** noteHref is the page of the note an application came from. */
export function noteHref(noteId: string): string {
  return `/notebook/${encodeURIComponent(noteId)}`;
}

/** paragraphLabel names a paragraph of a build: "Paragraph 3 · Orders" (index is 0-based). */
export function paragraphLabel(p: { index: number; title?: string }): string {
  return p.index >= 0 ? `Paragraph ${p.index + 1}${p.title ? ' · ' + p.title : ''}` : p.title || 'The note';
}

/**
 * parseBuildRefusal returns the details of a refused build when they have
 * the documented shape, and undefined otherwise (the view then shows the
 * server's message alone).
 */
export function parseBuildRefusal(v: unknown): BuildRefusal | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o['reason'] !== 'string' || typeof o['index'] !== 'number' || !Number.isInteger(o['index'])) return undefined;
  const r: BuildRefusal = { index: o['index'], reason: o['reason'] };
  if (typeof o['paragraphId'] === 'string' && o['paragraphId']) r.paragraphId = o['paragraphId'];
  return r;
}

/**
 * parseStateRefusal returns the details of a deploy or update refused
 * because state would be lost, when they have the documented shape
 * ({"check": {"operators": [...], ...}}), and undefined otherwise.
 */
export function parseStateRefusal(v: unknown): StateRefusal | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const c = o['check'] as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null || !Array.isArray(c['operators']) || typeof c['compatible'] !== 'boolean') return undefined;
  const check: PlanCheck = { operators: c['operators'] as OperatorCheck[], added: Array.isArray(c['added']) ? (c['added'] as OperatorCheck[]) : [], compatible: c['compatible'] };
  const r: StateRefusal = { check };
  if (typeof o['diff'] === 'string') r.diff = o['diff'];
  return r;
}

/** What each stateful operator of a check comes to: restored, dropped, or new (starting empty). */
export interface CheckSummary {
  restored: number;
  lost: OperatorCheck[];
  added: number;
}

/** summarizeCheck counts what a state check restores, drops and adds. */
export function summarizeCheck(c: PlanCheck): CheckSummary {
  const lost = c.operators.filter((o) => !o.restorable);
  return { restored: c.operators.length - lost.length, lost, added: (c.added ?? []).length };
}

/** roleLabel names an operator's role for people. */
export function roleLabel(role: OperatorCheck['role']): string {
  return role === 'source' ? 'source' : role === 'sink' ? 'sink' : 'operator';
}

/** A line of a unified diff, with how it is shown. */
export interface DiffLine {
  kind: 'add' | 'del' | 'hunk' | 'file' | 'same';
  text: string;
}

/** diffLines classifies the lines of a unified diff: file headers, hunk headers, added, removed and context lines. */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((text) => {
    if (text.startsWith('+++ ') || text.startsWith('--- ')) return { kind: 'file', text };
    if (text.startsWith('@@')) return { kind: 'hunk', text };
    if (text.startsWith('+')) return { kind: 'add', text };
    if (text.startsWith('-')) return { kind: 'del', text };
    return { kind: 'same', text };
  });
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
