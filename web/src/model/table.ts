// The result table model: rows kept exactly as the server orders them,
// updated from snapshots and versioned deltas (the algorithm of the kernel's
// ApplyDelta), plus a client-side sort. Rendering code reads view() and
// takeChanges(); nothing here touches the DOM.

import type { Cell, Column, LiveResult, ResultDelta, ResultTable } from '../protocol';

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
    this.columns = columns.map((c) => ({ name: c.name, type: c.type }));
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
   * remove every row named in removed or upserts; insert the upserts in
   * ascending index order, each at its index. A delta whose range does not
   * include the held version is a gap; one already covered is skipped.
   */
  applyDelta(d: ResultDelta): DeltaOutcome {
    const have = this.tableVersion;
    if (d.version <= have) return 'skipped';
    if (d.fromVersion > have) return 'gap';
    const before = new Map<string, Cell[]>();
    if (d.reset) {
      this.list = [];
      this.byId.clear();
      this.changes.clear();
      if (d.columns) this.columns = d.columns.map((c) => ({ name: c.name, type: c.type }));
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
      const numeric = isNumericType(this.columns[s.col]?.type ?? '');
      const pos = new Map<ViewRow, number>();
      this.list.forEach((r, i) => pos.set(r, i));
      const isNull = (c: Cell | undefined) => c === null || c === undefined;
      this.sorted = this.list.slice().sort((a, b) => {
        const x = a.values[s.col];
        const y = b.values[s.col];
        // Nulls stay last whichever the direction.
        if (isNull(x) !== isNull(y)) return isNull(x) ? 1 : -1;
        const c = compareCells(x, y, numeric);
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

export function compareCells(a: Cell | undefined, b: Cell | undefined, numeric: boolean): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1; // nulls last
  if (numeric) {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x !== null && y !== null) return x - y;
    if (x === null && y === null) return 0;
    return x === null ? 1 : -1;
  }
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
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
  return a.length === b.length && a.every((c, i) => c.name === b[i]?.name && c.type === b[i]?.type);
}

/** staticTable builds a model from a persisted TABLE message. */
export function staticTable(data: string): { model: TableModel; comment: string } {
  const parsed = parseTableText(data);
  const model = new TableModel();
  model.loadSnapshot(0, {
    mode: 'saved',
    columns: parsed.columns,
    rows: parsed.rows.map((r) => ({ id: r.id, fields: r.values })),
    rowsReceived: parsed.rows.length,
    rowsHidden: 0,
    truncated: false,
    version: 0,
  });
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
 * <!--TABLE_COMMENT-->) a free-text comment. Cells that look numeric (not
 * with a leading zero or +, at most 16 characters) become numbers, much as
 * Zeppelin's frontend does; a column whose cells are all numbers gets the type "number".
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
      const v = zeppelinCell(raw);
      if (typeof v !== 'number' && raw !== 'null') numericCol[c] = false;
      return v;
    });
    return { id: 'r' + r, values };
  });
  const columns = names.map((name, c) => ({ name, type: rows.length > 0 && numericCol[c] ? 'number' : 'string' }));
  const comment = commentStart >= 0 ? lines.slice(commentStart).join('\n').trim() : '';
  return { columns, rows, comment };
}

function zeppelinCell(raw: string): Cell {
  if (raw === 'null') return null;
  if (raw.length > 0 && raw.length <= 16 && !/^(\+|-?0\d)/.test(raw) && /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw)) {
    const n = Number(raw);
    if (Number.isFinite(n)) return n;
  }
  return raw;
}
