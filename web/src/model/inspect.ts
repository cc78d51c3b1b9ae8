// A job inspection as the server sends it (kernel/inspect.Inspection, in a
// paragraph's live state and from GET …/paragraph/{id}/inspect), and how its
// figures read: watermarks as UTC times, lags as human durations, rates,
// ratios. Keep the types in step with kernel/inspect/inspection.go.

import { formatCount, formatDuration } from './format';

/** Inspection is one look at a paragraph's job: its operators and what Eddy concludes. */
export interface Inspection {
  jobId: string;
  /** Flink's job state, e.g. RUNNING, FINISHED. */
  jobState: string;
  /** When the look was taken (RFC 3339). */
  sampledAt: string;
  /** How long the job has run, ms. */
  runningForMs: number;
  operators: Operator[] | null;
  checkpoint?: Checkpoint;
  diagnoses: Diagnosis[] | null;
}

/** Operator is one operator of the job graph, sources first. */
export interface Operator {
  name: string;
  vertexId: string;
  parallelism: number;
  source?: boolean;
  recordsIn: number;
  recordsOut: number;
  /** Records per second, summed over subtasks. */
  inRate: number;
  outRate: number;
  /** Lowest input watermark over the subtasks, epoch ms; absent while none has arrived. */
  inputWatermark?: number;
  /** How far the watermark is behind wall-clock time, ms. */
  watermarkLagMs?: number;
  /** How far the watermark is behind the largest event time the sources have seen, ms. */
  eventTimeLagMs?: number;
  /** Subtasks that hold the watermark back because they receive nothing. */
  idleSubtasks?: number[];
  /** Flink's backpressure level for the vertex: ok, low or high. */
  backpressure?: string;
  backpressureRatio: number;
  /** Highest subtask busy time, 0..1. */
  busyRatio: number;
  /** Flink's numLateRecordsDropped, for operators that drop late records. */
  lateRecordsDropped?: number;
}

/** Checkpoint is the job's checkpointing as the inspector saw it. */
export interface Checkpoint {
  /** 0: checkpointing is off. */
  intervalMs: number;
  mode?: string;
  completed: number;
  /** How long ago the latest checkpoint completed, ms; absent if none has. */
  lastAgeMs?: number;
  lastSizeBytes: number;
}

/** Diagnosis is one reason a job shows no (or suspicious) output, and what to change. */
export interface Diagnosis {
  /** Stable code, e.g. WATERMARK_NOT_ADVANCING (docs/inspector.md lists them). */
  code: string;
  message: string;
  operator?: string;
  /** SQL to paste into a paragraph. */
  suggestion: string;
}

/** The dash shown for a figure Flink has not reported. */
export const NONE = '—';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** formatUtc renders epoch ms as UTC "yyyy-MM-dd HH:mm:ss.SSS"; NONE when absent or not a date. */
export function formatUtc(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return NONE;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

const DAY = 86_400_000;
const YEAR = 365 * DAY;

/**
 * formatLag renders a lag in ms as a human duration: "850 ms", "12.3 s",
 * "4 min 05 s", "2 h 03 min", "3 d 04 h", "6 y 336 d"; a negative lag (the
 * watermark ahead of the clock) reads "5.0 s ahead"; NONE when absent.
 */
export function formatLag(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  if (ms < 0) return `${formatLag(-ms)} ahead`;
  if (ms < DAY) return formatDuration(ms);
  if (ms < YEAR) {
    const d = Math.floor(ms / DAY);
    return `${d} d ${pad(Math.floor((ms % DAY) / 3_600_000))} h`;
  }
  const y = Math.floor(ms / YEAR);
  return `${formatCount(y)} y ${Math.floor((ms % YEAR) / DAY)} d`;
}

/** formatRate renders records per second: "0/s", "4.8/s", "1,234/s". */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0/s';
  if (perSecond < 10) return `${perSecond.toFixed(1)}/s`;
  return `${formatCount(Math.round(perSecond))}/s`;
}

/** formatRecords renders a record count with its rate: "1,234 · 4.8/s". */
export function formatRecords(n: number, perSecond: number): string {
  return `${formatCount(n)} · ${formatRate(perSecond)}`;
}

/** formatPercent renders a 0..1 ratio as a whole percentage. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio < 0) return NONE;
  return `${Math.round(Math.min(1, ratio) * 100)}%`;
}

/** formatBytes renders a size: "512 B", "1.2 KB", "3.4 MB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return NONE;
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** formatIdle lists the subtasks that receive nothing: "subtask 1", "subtasks 0, 3"; NONE when none. */
export function formatIdle(subtasks: number[] | null | undefined): string {
  if (!subtasks || subtasks.length === 0) return NONE;
  return `${subtasks.length === 1 ? 'subtask' : 'subtasks'} ${subtasks.join(', ')}`;
}

/** backpressureLevel is the level to colour: ok, low, high, or '' when Flink gave none. */
export function backpressureLevel(op: Operator): 'ok' | 'low' | 'high' | '' {
  const l = (op.backpressure ?? '').toLowerCase();
  return l === 'ok' || l === 'low' || l === 'high' ? l : '';
}

/** checkpointLine says how the job checkpoints: interval and mode, how many completed, the last one's age and size. */
export function checkpointLine(c: Checkpoint | undefined): string {
  if (!c) return 'Checkpoints: not known yet';
  if (!(c.intervalMs > 0)) return 'Checkpoints: off';
  const parts = [`every ${formatDuration(c.intervalMs)}${c.mode ? ` (${c.mode.toLowerCase().replace(/_/g, ' ')})` : ''}`, `${formatCount(c.completed)} completed`];
  if (c.lastAgeMs !== undefined && c.lastAgeMs !== null) parts.push(`last ${formatLag(c.lastAgeMs)} ago`, formatBytes(c.lastSizeBytes));
  else parts.push('none yet');
  return `Checkpoints: ${parts.join(' · ')}`;
}

/** suggestionParagraph is the text of a new Flink SQL paragraph holding a diagnosis's suggestion. */
export function suggestionParagraph(d: Diagnosis): string {
  const sql = d.suggestion.trim();
  // A suggestion that names its interpreter already is a paragraph as it is.
  return sql.startsWith('%') ? sql : `%flink.ssql\n${sql}`;
}

/** diagnosesOf returns an inspection's diagnoses; none without one. */
export function diagnosesOf(i: Inspection | undefined): Diagnosis[] {
  return i?.diagnoses ?? [];
}

/** diagnosisTitle says in a few words what a code means. */
export function diagnosisTitle(code: string): string {
  return titles[code] ?? 'Worth a look';
}

const titles: Record<string, string> = {
  WATERMARK_NOT_ADVANCING: 'Event time is not moving forward',
  SOURCE_IDLE: 'A source has idle parts',
  NO_INPUT: 'No records are coming in',
  LATE_RECORDS_DROPPED: 'Late records are dropped',
  BACKPRESSURED: 'The job is backpressured',
  RESULTS_WAIT_FOR_CHECKPOINT: 'Results wait for a checkpoint',
  SKEWED: 'The work is unevenly spread',
};
