// The result table model: rows kept exactly as the server orders them,
// updated from snapshots and versioned deltas (the algorithm of the kernel's
// ApplyDelta), plus a client-side sort. Rendering code reads view() and
// takeChanges(); nothing here touches the DOM.

import type { Cell, ChangedRow, Column, LiveResult, ResultDelta, ResultMessage, ResultTable } from '../protocol';

/** Default client-side bound on rows held; the server bounds first (Zeppelin's 1000 by default). */
export const DEFAULT_MAX_ROWS = 10_000;

/** 2^32: a result sequence is epoch * EPOCH + table version. */
export const EPOCH = 2 ** 32;

/** A row as the views see it. */
export interface ViewRow {
  id: string;
  values: Cell[];
}

export interface SortState {
  col: number;
  dir: 1 | -1;
}

/** What changed in one row since the last takeChanges(): 'new' or the changed column indexes. */
export type RowChange = 'new' | number[];

/** Outcome of applying a delta. */
export type DeltaOutcome = 'applied' | 'skipped' | 'gap';

const numericTypes = /^(TINYINT|SMALLINT|INT|INTEGER|BIGINT|FLOAT|DOUBLE|DECIMAL|NUMERIC|REAL|DEC|NUMBER)\b/i;

/** isNumericType tells whether a column type holds numbers (Flink SQL types or "number"). */
export function isNumericType(type: string): boolean {
  return numericTypes.test(type.trim());
}

/** How a column's values order: exactly by their type, as Flink prints them. */
export type SortKind = 'integer' | 'decimal' | 'float' | 'number' | 'text';

/** sortKindOf maps a column type (Flink SQL, or "number" for Zeppelin's text) to how its values order. */
export function sortKindOf(type: string): SortKind {
  const t = type.trim().toUpperCase();
  if (/^(TINYINT|SMALLINT|INT|INTEGER|BIGINT)\b/.test(t)) return 'integer';
  if (/^(DECIMAL|NUMERIC|DEC)\b/.test(t)) return 'decimal';
  if (/^(FLOAT|DOUBLE|REAL)\b/.test(t)) return 'float';
  if (t === 'NUMBER') return 'number';
  return 'text';
}

/** toNumber reads a cell as a number; null when it is not one. */
export function toNumber(c: Cell | undefined): number | null {
  if (typeof c === 'number') return Number.isFinite(c) ? c : null;
  if (typeof c === 'boolean') return c ? 1 : 0;
  if (typeof c !== 'string' || c.trim() === '') return null;
  const n = Number(c);
  return Number.isFinite(n) ? n : null;
}

export function cellText(c: Cell | undefined): string {
  if (c === null || c === undefined) return 'null';
  if (typeof c === 'object') return JSON.stringify(c);
  return String(c);
}

export class TableModel {
  columns: Column[] = [];
  mode = '';
  /** Result sequence held (epoch * 2^32 + version); -1 for nothing. */
  seq = -1;
  rowsReceived = 0;
  rowsHidden = 0;
  truncated = false;
  retractionsIgnored = 0;
  /** type=single: the template filled in. */
  rendered: string | undefined;
  /** Increases on every change; views use it to skip work. */
  version = 0;
  /** Server send time (ms) of the newest change not yet rendered; for latency measurements. */
  pendingSentAt: number | undefined;

  private list: ViewRow[] = [];
  private byId = new Map<string, ViewRow>();
  private sortState: SortState | null = null;
  private sorted: ViewRow[] | null = null;
  private changes = new Map<string, RowChange>();

  constructor(readonly maxRows = DEFAULT_MAX_ROWS) {}

  get size(): number {
    return this.list.length;
  }

  get sort(): SortState | null {
    return this.sortState;
  }

  /** tableVersion is the version of the table within its epoch. */
  get tableVersion(): number {
    return this.seq < 0 ? -1 : this.seq % EPOCH;
  }

  get epoch(): number {
    return this.seq < 0 ? -1 : Math.floor(this.seq / EPOCH);
  }

  /**
   * applyResult folds a live result in. It returns false when the result
   * does not follow what is held (a gap): the caller must ask for a resync.
   */
  applyResult(r: LiveResult): boolean {
    if (r.rendered !== undefined) this.rendered = r.rendered;
    if (r.snapshot) {
      this.loadSnapshot(r.seq, r.snapshot);
      return true;
    }
    const deltas = r.deltas ?? [];
    if (deltas.length === 0) {
      if (r.rendered !== undefined) this.touch();
      return r.seq === this.seq;
    }
    if (this.seq < 0 || Math.floor(r.seq / EPOCH) !== this.epoch) return false;
    for (const d of deltas) {
      if (this.applyDelta(d) === 'gap') return false;
    }
    this.seq = r.seq;
    return true;
  }

  /** loadSnapshot replaces the whole table with the state at seq. */
  loadSnapshot(seq: number, t: ResultTable): void {
    const prev = this.byId;
    const columns = t.columns ?? []; // null before the query has described its columns
    const sameColumns = sameCols(this.columns, columns);
    this.columns = columns.map(copyColumn);
    this.mode = t.mode || this.mode;
    this.seq = seq;
    this.setCounts(t);
    this.list = [];
    this.byId = new Map();
    this.changes.clear();
    for (const r of t.rows ?? []) {
      const id = String(r.id);
      if (this.byId.has(id)) continue;
      const row = { id, values: (r.fields ?? []).slice() };
      this.list.push(row);
      this.byId.set(id, row);
      // A snapshot after a resync flashes only what differs from what was shown.
      if (sameColumns && prev.size > 0) {
        const old = prev.get(id);
        const diff = old ? changedCols(old.values, row.values) : 'new';
        if (diff === 'new' || diff.length > 0) this.changes.set(id, diff);
      }
    }
    this.enforceBound();
    this.touch();
  }

  /**
   * applyDelta brings the table to d.version: with reset start from no rows;
   * remove every row named in removed or upserts; set the cells of the rows
   * in changed; insert the upserts in ascending index order, each at its
   * index. A delta whose range does not include the held version is a gap,
   * and so is one that changes a row not held (nothing is applied then); one
   * already covered is skipped.
   */
  applyDelta(d: ResultDelta): DeltaOutcome {
    const have = this.tableVersion;
    if (d.version <= have) return 'skipped';
    if (d.fromVersion > have) return 'gap';
    // Changed rows carry their id as the distance from the previous one's.
    const changed: Array<[string, ChangedRow]> = [];
    let prevId = 0;
    for (const c of d.reset ? [] : (d.changed ?? [])) {
      prevId += Number(c[0]);
      const id = String(prevId);
      if (c.length % 2 !== 1 || !this.byId.has(id)) return 'gap';
      changed.push([id, c]);
    }
    for (const [id, c] of changed) {
      const row = this.byId.get(id)!;
      const values = row.values.slice();
      const cols: number[] = [];
      for (let i = 1; i < c.length; i += 2) {
        const col = Number(c[i]);
        values[col] = c[i + 1] as Cell;
        if (!cols.includes(col)) cols.push(col);
      }
      row.values = values;
      const prev = this.changes.get(id);
      if (prev !== 'new') this.changes.set(id, prev ? union(prev, cols) : cols);
    }
    const before = new Map<string, Cell[]>();
    if (d.reset) {
      this.list = [];
      this.byId.clear();
      this.changes.clear();
      if (d.columns) this.columns = d.columns.map(copyColumn);
    }
    const drop = new Set<string>();
    for (const id of d.removed ?? []) drop.add(String(id));
    const ups = (d.upserts ?? []).slice().sort((a, b) => a.index - b.index);
    for (const u of ups) {
      const id = String(u.id);
      drop.add(id);
      const old = this.byId.get(id);
      if (old) before.set(id, old.values);
    }
    if (drop.size > 0) {
      this.list = this.list.filter((r) => !drop.has(r.id));
      for (const id of drop) {
        this.byId.delete(id);
        if (!before.has(id)) this.changes.delete(id);
      }
    }
    for (const u of ups) {
      const id = String(u.id);
      const row = { id, values: (u.fields ?? []).slice() };
      const at = Math.min(Math.max(Math.trunc(u.index), 0), this.list.length);
      this.list.splice(at, 0, row);
      this.byId.set(id, row);
      const old = before.get(id);
      if (!old) this.changes.set(id, 'new');
      else {
        const diff = changedCols(old, row.values);
        const prev = this.changes.get(id);
        if (prev === 'new') continue;
        if (diff.length > 0) this.changes.set(id, prev ? union(prev, diff) : diff);
      }
    }
    this.setCounts(d);
    this.seq = this.epoch * EPOCH + d.version;
    this.enforceBound();
    this.touch();
    return 'applied';
  }

  /** setSort orders the view by a column; null restores the server's order. */
  setSort(s: SortState | null): void {
    this.sortState = s;
    this.sorted = null;
    this.version++;
  }

  /** toggleSort cycles a column: ascending, descending, server order. */
  toggleSort(col: number): void {
    const s = this.sortState;
    if (!s || s.col !== col) this.setSort({ col, dir: 1 });
    else if (s.dir === 1) this.setSort({ col, dir: -1 });
    else this.setSort(null);
  }

  /** rows in server order. */
  rows(): readonly ViewRow[] {
    return this.list;
  }

  /** view returns the rows in display order (sorted if a sort is set). */
  view(): readonly ViewRow[] {
    const s = this.sortState;
    if (!s) return this.list;
    if (!this.sorted) {
      const kind = sortKindOf(this.columns[s.col]?.type ?? '');
      const pos = new Map<ViewRow, number>();
      this.list.forEach((r, i) => pos.set(r, i));
      const isNull = (c: Cell | undefined) => c === null || c === undefined;
      this.sorted = this.list.slice().sort((a, b) => {
        const x = a.values[s.col];
        const y = b.values[s.col];
        // Nulls stay last whichever the direction.
        if (isNull(x) !== isNull(y)) return isNull(x) ? 1 : -1;
        const c = compareCells(x, y, kind);
        return c !== 0 ? c * s.dir : (pos.get(a) ?? 0) - (pos.get(b) ?? 0);
      });
    }
    return this.sorted;
  }

  /** takeChanges returns and clears the rows changed since the last call (for flashing). */
  takeChanges(): Map<string, RowChange> {
    const out = this.changes;
    this.changes = new Map();
    return out;
  }

  private setCounts(c: { rowsReceived?: number; rowsHidden?: number; truncated?: boolean; retractionsIgnored?: number }): void {
    this.rowsReceived = c.rowsReceived ?? this.rowsReceived;
    this.rowsHidden = c.rowsHidden ?? this.rowsHidden;
    this.truncated = !!c.truncated;
    this.retractionsIgnored = c.retractionsIgnored ?? this.retractionsIgnored;
  }

  private enforceBound(): void {
    if (this.list.length <= this.maxRows) return;
    for (const r of this.list.splice(this.maxRows)) {
      this.byId.delete(r.id);
      this.changes.delete(r.id);
      this.rowsHidden++;
    }
    this.truncated = true;
  }

  private touch(): void {
    this.sorted = null;
    this.version++;
  }
}

/**
 * compareCells orders two cells of a column whose values sort as kind
 * (true: as numbers, false: as text). Nulls come last. Integers and
 * decimals compare exactly, digit by digit, whatever their size; floats as
 * Java orders doubles (-Infinity < numbers < Infinity < NaN).
 */
export function compareCells(a: Cell | undefined, b: Cell | undefined, kind: SortKind | boolean): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1; // nulls last
  const k = kind === true ? 'number' : kind === false ? 'text' : kind;
  if (k !== 'text') {
    const exact = k === 'float' ? null : compareDecimal(String(a), String(b));
    if (exact !== null) return exact;
    const x = floatOf(a);
    const y = floatOf(b);
    if (x !== null && y !== null) return compareFloat(x, y);
    if (x === null && y === null) return compareText(String(a), String(b));
    return x === null ? 1 : -1;
  }
  return compareText(cellText(a), cellText(b));
}

function compareText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** floatOf reads a number as Java prints a double too (NaN, Infinity, 1.0E20); null when it is none. */
function floatOf(c: Cell | undefined): number | null {
  if (typeof c === 'number') return c;
  if (typeof c === 'boolean') return c ? 1 : 0;
  if (typeof c !== 'string' || c.trim() === '') return null;
  const n = Number(c);
  return Number.isNaN(n) && c.trim() !== 'NaN' ? null : n;
}

function compareFloat(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? 0 : Number.isNaN(x) ? 1 : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

const plainDecimal = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * compareDecimal compares two plain decimal literals ("-12.50",
 * "9007199254740993") exactly; null when either is not one (an exponent,
 * NaN, text).
 */
export function compareDecimal(a: string, b: string): number | null {
  const x = plainDecimal.exec(a);
  const y = plainDecimal.exec(b);
  if (!x || !y || (x[2] === '' && !x[3]) || (y[2] === '' && !y[3])) return null;
  const norm = (m: RegExpExecArray) => {
    const int = (m[2] ?? '').replace(/^0+/, '');
    const frac = (m[3] ?? '').replace(/0+$/, '');
    const zero = int === '' && frac === '';
    return { neg: m[1] === '-' && !zero, int, frac };
  };
  const p = norm(x);
  const q = norm(y);
  if (p.neg !== q.neg) return p.neg ? -1 : 1;
  const sign = p.neg ? -1 : 1;
  if (p.int.length !== q.int.length) return sign * (p.int.length < q.int.length ? -1 : 1);
  if (p.int !== q.int) return sign * (p.int < q.int ? -1 : 1);
  const n = Math.max(p.frac.length, q.frac.length);
  const f = p.frac.padEnd(n, '0');
  const g = q.frac.padEnd(n, '0');
  return f === g ? 0 : sign * (f < g ? -1 : 1);
}

function changedCols(a: Cell[], b: Cell[]): number[] {
  const out: number[] = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

function union(a: number[], b: number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

function sameCols(a: Column[], b: Column[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i]?.name && c.type === b[i]?.type && c.zone === b[i]?.zone);
}

function copyColumn(c: Column): Column {
  return c.zone ? { name: c.name, type: c.type, zone: c.zone } : { name: c.name, type: c.type };
}

/**
 * staticTable builds a model from a persisted TABLE message: from its exact
 * table when Eddy saved one (types, nulls and values as they were shown
 * live), else from Zeppelin's text.
 */
export function staticTable(msg: ResultMessage): { model: TableModel; comment: string } {
  const parsed = parseTableText(msg.data);
  const columns = msg.table ? msg.table.columns : parsed.columns;
  const rows = msg.table ? msg.table.rows.map((fields, i) => ({ id: 'r' + i, fields })) : parsed.rows.map((r) => ({ id: r.id, fields: r.values }));
  const model = new TableModel();
  model.loadSnapshot(0, { mode: 'saved', columns, rows, rowsReceived: rows.length, rowsHidden: 0, truncated: false, version: 0 });
  return { model, comment: parsed.comment };
}

/** A parsed Zeppelin TABLE message. */
export interface ParsedTable {
  columns: Column[];
  rows: ViewRow[];
  comment: string;
}

/**
 * parseTableText reads Zeppelin's TABLE encoding: a header line of
 * tab-separated names, one line per row, and after a blank line (or
 * <!--TABLE_COMMENT-->) a free-text comment. Cells stay the text they are
 * ("null" is null), so no digit is lost; a column whose cells all look
 * numeric (not with a leading zero or +), as Zeppelin's frontend decides,
 * gets the type "number" and sorts and charts as numbers.
 */
export function parseTableText(data: string): ParsedTable {
  const lines = data.split('\n');
  let commentStart = -1;
  const body: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if ((line === '' && body.length > 0 && i < lines.length - 1) || line.trim() === '<!--TABLE_COMMENT-->') {
      commentStart = i + 1;
      break;
    }
    if (line === '') continue;
    body.push(line);
  }
  if (data.trim() === '') return { columns: [], rows: [], comment: '' };
  const names = (lines[0] ?? '').split('\t');
  const numericCol = names.map(() => true);
  const rows: ViewRow[] = body.map((line, r) => {
    const cells = line.split('\t');
    const values: Cell[] = names.map((_, c) => {
      const raw = cells[c] ?? '';
      if (raw !== 'null' && !looksNumeric(raw)) numericCol[c] = false;
      return raw === 'null' ? null : raw;
    });
    return { id: 'r' + r, values };
  });
  const columns = names.map((name, c) => ({ name, type: rows.length > 0 && numericCol[c] ? 'number' : 'string' }));
  const comment = commentStart >= 0 ? lines.slice(commentStart).join('\n').trim() : '';
  return { columns, rows, comment };
}

function looksNumeric(raw: string): boolean {
  return raw.length > 0 && !/^(\+|-?0\d)/.test(raw) && /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw);
}
