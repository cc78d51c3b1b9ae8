import { describe, expect, it } from 'vitest';
import type { Cell, DeltaRow, ResultDelta, ResultTable } from '../protocol';
import { EPOCH, TableModel, compareCells, isNumericType, parseTableText, sortKindOf, staticTable } from './table';

const cols = [
  { name: 'url', type: 'STRING' },
  { name: 'pv', type: 'BIGINT' },
];

function table(rows: Array<[number, string, number]>, version = 1): ResultTable {
  return { mode: 'update', columns: cols, rows: rows.map(([id, u, n]) => ({ id, fields: [u, n] })), rowsReceived: rows.length, rowsHidden: 0, truncated: false, version };
}

function delta(from: number, to: number, upserts: DeltaRow[], removed: number[] = [], extra: Partial<ResultDelta> = {}): ResultDelta {
  return { fromVersion: from, version: to, upserts, removed, rowsReceived: 0, rowsHidden: 0, truncated: false, ...extra };
}

const ids = (m: TableModel) => m.rows().map((r) => r.id);
const vals = (m: TableModel) => m.rows().map((r) => r.values);

describe('TableModel', () => {
  it('loads a snapshot with its sequence and counts', () => {
    const m = new TableModel();
    m.loadSnapshot(3 * EPOCH + 7, { ...table([[1, '/a', 1], [2, '/b', 2]], 7), rowsReceived: 42, rowsHidden: 5, truncated: true });
    expect(ids(m)).toEqual(['1', '2']);
    expect(m.seq).toBe(3 * EPOCH + 7);
    expect(m.epoch).toBe(3);
    expect(m.tableVersion).toBe(7);
    expect([m.rowsReceived, m.rowsHidden, m.truncated]).toEqual([42, 5, true]);
  });

  it('applies a delta as the kernel does: remove named rows, then insert upserts at their index', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH + 1, table([[1, '/a', 1], [2, '/b', 2], [3, '/c', 3]]));
    m.takeChanges();
    expect(m.applyDelta(delta(1, 2, [{ id: 4, index: 0, fields: ['/d', 9] }, { id: 2, index: 2, fields: ['/b', 5] }], [3]))).toBe('applied');
    expect(ids(m)).toEqual(['4', '1', '2']);
    expect(vals(m)[2]).toEqual(['/b', 5]);
    expect(m.seq).toBe(EPOCH + 2);
    const ch = m.takeChanges();
    expect(ch.get('4')).toBe('new');
    expect(ch.get('2')).toEqual([1]); // only pv changed
    expect(ch.has('1')).toBe(false);
  });

  it('sets the changed cells of rows it holds, in place', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH + 1, table([[1, '/a', 1], [2, '/b', 2], [3, '/c', 3]]));
    m.takeChanges();
    // Exact values: a BIGINT beyond 2^53 stays the string Flink printed.
    expect(m.applyDelta(delta(1, 2, [{ id: 4, index: 3, fields: ['/d', 9] }], [1], { changed: [[2, 1, '9007199254740993'], [1, 0, '/C', 1, 4]] }))).toBe('applied');
    expect(ids(m)).toEqual(['2', '3', '4']);
    expect(vals(m)).toEqual([['/b', '9007199254740993'], ['/C', 4], ['/d', 9]]);
    const ch = m.takeChanges();
    expect(ch.get('2')).toEqual([1]);
    expect(ch.get('3')).toEqual([0, 1]);
    expect(ch.get('4')).toBe('new');
  });

  it('reports a gap, changing nothing, when a changed row is not held', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH + 1, table([[1, '/a', 1]]));
    expect(m.applyDelta(delta(1, 2, [], [], { changed: [[1, 1, 5], [8, 1, 5]] }))).toBe('gap');
    expect(vals(m)).toEqual([['/a', 1]]);
    expect(m.seq).toBe(EPOCH + 1);
  });

  it('sorts upserts by index before inserting', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH + 1, table([]));
    m.applyDelta(delta(1, 2, [{ id: 2, index: 1, fields: ['/b', 2] }, { id: 1, index: 0, fields: ['/a', 1] }]));
    expect(ids(m)).toEqual(['1', '2']);
  });

  it('skips deltas it has and reports a gap for deltas past it', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH + 5, table([[1, '/a', 1]], 5));
    expect(m.applyDelta(delta(3, 5, [{ id: 9, index: 0, fields: ['x', 0] }]))).toBe('skipped');
    expect(m.applyDelta(delta(6, 7, [{ id: 9, index: 0, fields: ['x', 0] }]))).toBe('gap');
    expect(ids(m)).toEqual(['1']);
    // A delta whose range covers the held version applies (idempotent upserts).
    expect(m.applyDelta(delta(4, 6, [{ id: 1, index: 0, fields: ['/a', 2] }]))).toBe('applied');
    expect(vals(m)).toEqual([['/a', 2]]);
  });

  it('accepts a snapshot taken before the query described its columns', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH, { mode: 'update', columns: null, rows: null, rowsReceived: 0, rowsHidden: 0, truncated: false, version: 0 } as unknown as ResultTable);
    expect(m.columns).toEqual([]);
    expect(m.size).toBe(0);
  });

  it('resets rows and columns on a reset delta', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH + 1, table([[1, '/a', 1]]));
    m.applyDelta(delta(1, 2, [{ id: 7, index: 0, fields: [true] }], [], { reset: true, columns: [{ name: 'ok', type: 'BOOLEAN' }] }));
    expect(m.columns.map((c) => c.name)).toEqual(['ok']);
    expect(ids(m)).toEqual(['7']);
  });

  it('applyResult handles snapshot, deltas, epochs and gaps', () => {
    const m = new TableModel();
    expect(m.applyResult({ seq: 2 * EPOCH + 1, deltas: [delta(0, 1, [])] })).toBe(false); // nothing held yet
    expect(m.applyResult({ seq: 2 * EPOCH + 1, snapshot: table([[1, '/a', 1]]) })).toBe(true);
    expect(m.applyResult({ seq: 2 * EPOCH + 3, deltas: [delta(1, 2, [{ id: 2, index: 1, fields: ['/b', 1] }]), delta(2, 3, [{ id: 1, index: 0, fields: ['/a', 5] }])] })).toBe(true);
    expect(m.seq).toBe(2 * EPOCH + 3);
    expect(vals(m)).toEqual([['/a', 5], ['/b', 1]]);
    expect(m.applyResult({ seq: 2 * EPOCH + 3 })).toBe(true); // nothing new
    expect(m.applyResult({ seq: 3 * EPOCH + 1, deltas: [delta(0, 1, [])] })).toBe(false); // another table: needs a snapshot
    expect(m.applyResult({ seq: 2 * EPOCH + 9, deltas: [delta(8, 9, [])] })).toBe(false); // missed deltas
  });

  it('matches a reference implementation over random deltas', () => {
    // The reference is the kernel's ApplyDelta, written naively.
    const ref = (rows: Array<{ id: string; f: Cell[] }>, d: ResultDelta) => {
      const drop = new Set([...(d.removed ?? []), ...(d.upserts ?? []).map((u) => u.id)].map(String));
      const out = rows.filter((r) => !drop.has(r.id)).map((r) => ({ id: r.id, f: r.f.slice() }));
      let prev = 0;
      for (const c of d.changed ?? []) {
        prev += Number(c[0]);
        const r = out.find((x) => x.id === String(prev))!;
        for (let i = 1; i < c.length; i += 2) r.f[Number(c[i])] = c[i + 1] as Cell;
      }
      for (const u of [...(d.upserts ?? [])].sort((a, b) => a.index - b.index)) out.splice(Math.min(Math.max(u.index, 0), out.length), 0, { id: String(u.id), f: u.fields });
      return out;
    };
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const m = new TableModel();
    m.loadSnapshot(EPOCH, table([], 0));
    let expected: Array<{ id: string; f: Cell[] }> = [];
    let nextId = 1;
    for (let v = 1; v <= 400; v++) {
      const removed: number[] = [];
      const upserts: DeltaRow[] = [];
      const changed: Array<Array<number | string | Cell>> = [];
      for (const r of expected) {
        const x = rnd(10);
        if (x === 0) removed.push(Number(r.id));
        else if (x < 3) changed.push(x === 1 ? [Number(r.id), 1, v] : [Number(r.id), 0, 'c' + v, 1, -v]);
      }
      const n = rnd(6);
      for (let i = 0; i < n; i++) {
        const existing = expected.length > 0 && rnd(2) === 0 ? Number(expected[rnd(expected.length)]?.id) : nextId++;
        if (upserts.some((u) => u.id === existing) || changed.some((c) => c[0] === existing)) continue;
        upserts.push({ id: existing, index: rnd(expected.length + 3), fields: ['k' + existing, v] });
      }
      // Changed rows go by ascending id, each id as the distance from the previous one's.
      changed.sort((a, b) => Number(a[0]) - Number(b[0]));
      let prev = 0;
      for (const c of changed) {
        const id = Number(c[0]);
        c[0] = id - prev;
        prev = id;
      }
      const d = delta(v - 1, v, upserts, removed, { changed });
      expected = ref(expected, d);
      expect(m.applyDelta(d)).toBe('applied');
    }
    expect(ids(m)).toEqual(expected.map((r) => r.id));
    expect(vals(m)).toEqual(expected.map((r) => r.f));
  });

  it('sorts by a column: numeric, text, nulls last, and back to server order', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH, {
      mode: 'update',
      columns: cols,
      rows: [
        { id: 1, fields: ['b', 10] },
        { id: 2, fields: ['a', 9] },
        { id: 3, fields: [null, 100] },
        { id: 4, fields: ['c', null] },
      ],
      rowsReceived: 4,
      rowsHidden: 0,
      truncated: false,
      version: 0,
    });
    m.toggleSort(1);
    expect(m.view().map((r) => r.id)).toEqual(['2', '1', '3', '4']);
    m.toggleSort(1);
    expect(m.view().map((r) => r.id)).toEqual(['3', '1', '2', '4']);
    m.toggleSort(1);
    expect(m.sort).toBeNull();
    expect(m.view().map((r) => r.id)).toEqual(['1', '2', '3', '4']);
    m.toggleSort(0);
    expect(m.view().map((r) => r.id)).toEqual(['2', '1', '4', '3']);
  });

  it('keeps at most maxRows rows and says so', () => {
    const m = new TableModel(3);
    m.loadSnapshot(EPOCH, table([[1, 'a', 1], [2, 'b', 2], [3, 'c', 3], [4, 'd', 4], [5, 'e', 5]]));
    expect(m.size).toBe(3);
    expect(m.truncated).toBe(true);
    expect(m.rowsHidden).toBe(2);
  });

  it('flashes only differences when a snapshot replaces rows after a resync', () => {
    const m = new TableModel();
    m.loadSnapshot(EPOCH + 1, table([[1, '/a', 1], [2, '/b', 2]]));
    m.takeChanges();
    m.loadSnapshot(EPOCH + 9, table([[1, '/a', 1], [2, '/b', 3], [3, '/c', 1]], 9));
    const ch = m.takeChanges();
    expect([...ch.keys()].sort()).toEqual(['2', '3']);
  });
});

describe('instants', () => {
  it("keep the zone their column names, live and through deltas", () => {
    const m = new TableModel();
    const zoned = [{ name: 'ts', type: 'TIMESTAMP_LTZ(3)', zone: 'Asia/Tokyo' }];
    m.loadSnapshot(EPOCH + 1, { mode: 'update', columns: zoned, rows: [{ id: 1, fields: ['1970-01-01 09:00:00.000'] }], rowsReceived: 1, rowsHidden: 0, truncated: false, version: 1 });
    expect(m.columns).toEqual(zoned);
    m.applyResult({ seq: EPOCH + 2, deltas: [{ fromVersion: 1, version: 2, reset: true, columns: [{ name: 'ts', type: 'TIMESTAMP_LTZ(3)', zone: 'UTC' }], upserts: [], rowsReceived: 0, rowsHidden: 0, truncated: false }] });
    expect(m.columns[0]?.zone).toBe('UTC');
  });
});

describe('parseTableText', () => {
  it("reads Zeppelin's TABLE encoding with numbers, nulls and a comment", () => {
    const t = parseTableText('age\tval\tname\n30\t1.5\tbob\n007\tnull\t+1\n\nResult truncated to 2 rows');
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([
      ['age', 'string'],
      ['val', 'number'],
      ['name', 'string'],
    ]);
    expect(t.rows.map((r) => r.values)).toEqual([
      ['30', '1.5', 'bob'],
      ['007', null, '+1'],
    ]);
    expect(t.comment).toBe('Result truncated to 2 rows');
  });

  it('reads an empty message as no table', () => {
    expect(parseTableText('')).toEqual({ columns: [], rows: [], comment: '' });
  });

  it('builds a static model for a saved result', () => {
    const { model } = staticTable({ type: 'TABLE', data: 'a\tb\nx\t1\ny\t2\n' });
    expect(model.size).toBe(2);
    expect(model.columns[1]?.type).toBe('number');
  });

  it("keeps every digit of Zeppelin's text", () => {
    const t = parseTableText('id\n9007199254740993\n12345678901234567890.123456789012345678\n');
    expect(t.rows.map((r) => r.values[0])).toEqual(['9007199254740993', '12345678901234567890.123456789012345678']);
    expect(t.columns[0]?.type).toBe('number');
  });

  it('reloads a saved result with its types, nulls and values exactly as shown live', () => {
    const data = 'd\tx\tn\n10.50\t2.5\tnull\n9.00\t10.0\tnull\n';
    const { model } = staticTable({
      type: 'TABLE',
      data,
      table: {
        columns: [
          { name: 'd', type: 'DECIMAL(10, 2)' },
          { name: 'x', type: 'DOUBLE' },
          { name: 'n', type: 'STRING' },
        ],
        rows: [
          ['10.50', '2.5', null],
          ['9.00', '10.0', 'null'],
        ],
      },
    });
    expect(model.columns.map((c) => c.type)).toEqual(['DECIMAL(10, 2)', 'DOUBLE', 'STRING']);
    expect(model.rows().map((r) => r.values)).toEqual([
      ['10.50', '2.5', null],
      ['9.00', '10.0', 'null'],
    ]);
    // A DOUBLE column sorts as numbers after a reload, as it did live (as text "10.0" < "2.5").
    model.setSort({ col: 1, dir: 1 });
    expect(model.view().map((r) => r.values[1])).toEqual(['2.5', '10.0']);
  });
});

describe('cells', () => {
  it('compares numbers numerically and puts nulls last', () => {
    expect(compareCells('10', '9', true)).toBeGreaterThan(0);
    expect(compareCells('10', '9', false)).toBeLessThan(0);
    expect(compareCells(null, 1, true)).toBeGreaterThan(0);
    expect(isNumericType('DECIMAL(10, 2)')).toBe(true);
    expect(isNumericType('TIMESTAMP(3)')).toBe(false);
  });

  it('orders BIGINTs beyond 2^53 and DECIMAL(38, 18) exactly', () => {
    expect(compareCells('9007199254740993', '9007199254740992', sortKindOf('BIGINT NOT NULL'))).toBeGreaterThan(0);
    expect(compareCells('-9223372036854775808', '9223372036854775807', 'integer')).toBeLessThan(0);
    const a = '12345678901234567890.123456789012345679';
    const b = '12345678901234567890.123456789012345678';
    expect(compareCells(a, b, sortKindOf('DECIMAL(38, 18)'))).toBeGreaterThan(0);
    expect(compareCells('10.50', '10.5', 'decimal')).toBe(0);
    expect(compareCells('-0.000000000000000001', '0.000000000000000000', 'decimal')).toBeLessThan(0);
    expect(compareCells('-2.5', '-10', 'decimal')).toBeGreaterThan(0);
  });

  it("orders doubles as Java does, from Flink's printed form", () => {
    const vals = ['NaN', '1.0E20', 'Infinity', '-Infinity', '-0.5', '3.0'];
    const sorted = vals.slice().sort((x, y) => compareCells(x, y, sortKindOf('DOUBLE')));
    expect(sorted).toEqual(['-Infinity', '-0.5', '3.0', '1.0E20', 'Infinity', 'NaN']);
  });

  it('knows how each Flink type sorts', () => {
    expect(['TINYINT', 'INT NOT NULL', 'BIGINT', 'DECIMAL(10, 2)', 'DOUBLE', 'FLOAT', 'number', 'STRING', 'TIMESTAMP_LTZ(3)'].map(sortKindOf)).toEqual([
      'integer',
      'integer',
      'integer',
      'decimal',
      'float',
      'float',
      'number',
      'text',
      'text',
    ]);
  });
});
