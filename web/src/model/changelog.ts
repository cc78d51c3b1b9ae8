// The raw changelog of a paragraph's result, as GET
// /api/v1/notebook/{noteId}/paragraph/{paragraphId}/changelog serves it: the
// newest rows as Flink emitted them (+I, -U, +U, -D) and the base, the table
// just before the oldest of them. replay rebuilds the table at any kept
// point with the server's semantics (kernel.Replay); nothing here touches
// the DOM. Values are kept as the server sent them (strings or null for
// notebook queries) and never turned into numbers.

import type { Cell, Column } from '../protocol';
import { cellText } from './table';

/** Flink's short row kinds. */
export const KINDS = ['+I', '-U', '+U', '-D'] as const;

/** What each kind means, for tooltips. */
export const KIND_TITLES: Record<string, string> = {
  '+I': 'INSERT: a row is added',
  '-U': 'UPDATE_BEFORE: the old row of an update is removed',
  '+U': 'UPDATE_AFTER: the new row of an update is added',
  '-D': 'DELETE: a row is removed',
};

export interface ChangelogEntry {
  /** 1-based position in the result's changelog. */
  seq: number;
  kind: string;
  /** Arrival time, RFC 3339 with nanoseconds. */
  at: string;
  fields: Cell[];
}

export interface Changelog {
  columns: Column[];
  /** How many rows the server keeps. */
  capacity: number;
  /** Seq of the oldest kept row (lastSeq + 1 when none). */
  firstSeq: number;
  lastSeq: number;
  /** The table at firstSeq - 1, one field array per row. */
  base: Cell[][];
  /** False once the server had to drop rows from the base (it holds at most 10,000). */
  baseComplete: boolean;
  entries: ChangelogEntry[];
}

/** isRetraction tells whether a kind removes a row. */
export function isRetraction(kind: string): boolean {
  return kind === '-U' || kind === '-D';
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** parseChangelog checks the server's answer; an answer of another shape is an error. */
export function parseChangelog(raw: unknown): Changelog {
  const bad = (what: string): never => {
    throw new Error(`unexpected changelog from the server: ${what}`);
  };
  if (!isObj(raw)) return bad('not an object');
  const { columns, capacity, firstSeq, lastSeq, base, baseComplete, entries } = raw;
  if (!Array.isArray(columns) || !columns.every((c) => isObj(c) && typeof c['name'] === 'string')) return bad('columns');
  if (typeof capacity !== 'number' || typeof firstSeq !== 'number' || typeof lastSeq !== 'number') return bad('sequence numbers');
  if (!Array.isArray(base) || !base.every(Array.isArray)) return bad('base');
  if (!Array.isArray(entries)) return bad('entries');
  const out: ChangelogEntry[] = entries.map((e) => {
    if (!isObj(e) || typeof e['seq'] !== 'number' || typeof e['kind'] !== 'string' || typeof e['at'] !== 'string' || !Array.isArray(e['fields'])) return bad('an entry');
    return { seq: e['seq'], kind: e['kind'], at: e['at'], fields: e['fields'] as Cell[] };
  });
  return {
    columns: columns.map((c) => ({ name: String(c['name']), type: typeof c['type'] === 'string' ? c['type'] : '' })),
    capacity,
    firstSeq,
    lastSeq,
    base: base as Cell[][],
    baseComplete: baseComplete !== false,
    entries: out,
  };
}

/** rowKey is the identity of a row for retractions: equal fields, equal key. */
export function rowKey(fields: Cell[]): string {
  return JSON.stringify(fields);
}

/**
 * replay returns the table after changelog row upTo: the base with the kept
 * rows up to seq upTo applied (+I and +U add a row; -U and -D remove one
 * equal row, the earliest, and one matching nothing is ignored), in order of
 * first appearance. An upTo before firstSeq - 1 gives the base.
 */
export function replay(v: Pick<Changelog, 'base' | 'entries'>, upTo: number): Cell[][] {
  const rows: Cell[][] = [];
  const gone: boolean[] = [];
  const byKey = new Map<string, number[]>();
  const add = (fields: Cell[]): void => {
    const k = rowKey(fields);
    const ids = byKey.get(k);
    if (ids) ids.push(rows.length);
    else byKey.set(k, [rows.length]);
    rows.push(fields);
    gone.push(false);
  };
  for (const fields of v.base) add(fields);
  for (const e of v.entries) {
    if (e.seq > upTo) break;
    if (!isRetraction(e.kind)) {
      add(e.fields);
      continue;
    }
    const k = rowKey(e.fields);
    const ids = byKey.get(k);
    if (!ids || ids.length === 0) continue;
    gone[ids.shift()!] = true;
    if (ids.length === 0) byKey.delete(k);
  }
  return rows.filter((_, i) => !gone[i]);
}

/** A filter on the changelog: rows whose field (any field when column is -1) reads exactly value. */
export interface ChangelogFilter {
  column: number;
  value: string;
}

/** filterEntries keeps the entries the filter matches; an empty value keeps all. */
export function filterEntries(entries: ChangelogEntry[], f: ChangelogFilter): ChangelogEntry[] {
  const want = f.value.trim();
  if (want === '') return entries;
  const hit = (c: Cell | undefined): boolean => cellText(c) === want;
  return entries.filter((e) => (f.column < 0 ? e.fields.some(hit) : hit(e.fields[f.column])));
}

/** filterRows keeps the rows of a replayed table the filter matches. */
export function filterRows(rows: Cell[][], f: ChangelogFilter): Cell[][] {
  const want = f.value.trim();
  if (want === '') return rows;
  const hit = (c: Cell | undefined): boolean => cellText(c) === want;
  return rows.filter((r) => (f.column < 0 ? r.some(hit) : hit(r[f.column])));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** formatArrival renders an arrival time as local hh:mm:ss.SSS ("" for an unreadable one). */
export function formatArrival(at: string): string {
  const t = Date.parse(at);
  if (!Number.isFinite(t)) return '';
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** replayLabel says which table a replay point shows. */
export function replayLabel(v: Changelog, upTo: number): string {
  if (upTo < v.firstSeq || v.entries.length === 0) {
    const what = v.firstSeq > 1 ? `base: table before row #${v.firstSeq}` : 'base: empty table before the first row';
    return v.baseComplete ? what : `${what} (incomplete: rows were dropped past 10,000)`;
  }
  const e = v.entries.find((x) => x.seq === upTo) ?? v.entries[v.entries.length - 1]!;
  return `table as of row #${e.seq}, ${formatArrival(e.at)}`;
}

/** Counts of each kind among entries. */
export function kindCounts(entries: ChangelogEntry[]): Record<string, number> {
  const out: Record<string, number> = { '+I': 0, '-U': 0, '+U': 0, '-D': 0 };
  for (const e of entries) out[e.kind] = (out[e.kind] ?? 0) + 1;
  return out;
}
