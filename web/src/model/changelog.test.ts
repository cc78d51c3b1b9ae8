import { describe, expect, it } from 'vitest';
import { filterEntries, filterRows, formatArrival, kindCounts, parseChangelog, replay, replayLabel, type Changelog, type ChangelogEntry } from './changelog';

const e = (seq: number, kind: string, ...fields: (string | null)[]): ChangelogEntry => ({ seq, kind, at: `2026-12-02T03:40:0${seq % 10}.123456789Z`, fields });

/** The same view as the kernel's TestReplay: both replays must agree. */
const view: Changelog = {
  columns: [
    { name: 'k', type: 'STRING' },
    { name: 'n', type: 'BIGINT' },
  ],
  capacity: 6,
  firstSeq: 11,
  lastSeq: 16,
  base: [
    ['a', '1'],
    ['b', '1'],
    ['a', '1'],
  ],
  baseComplete: true,
  entries: [e(11, '-U', 'a', '1'), e(12, '+U', 'a', '2'), e(13, '+I', 'c', '1'), e(14, '-D', 'b', '1'), e(15, '-D', 'x', '9'), e(16, '-U', 'a', '1')],
};

const texts = (rows: unknown[][]): string[] => rows.map((r) => r.join('|'));

describe('replay', () => {
  it.each([
    [0, ['a|1', 'b|1', 'a|1']],
    [10, ['a|1', 'b|1', 'a|1']],
    [11, ['b|1', 'a|1']],
    [12, ['b|1', 'a|1', 'a|2']],
    [13, ['b|1', 'a|1', 'a|2', 'c|1']],
    [15, ['a|1', 'a|2', 'c|1']],
    [16, ['a|2', 'c|1']],
    [99, ['a|2', 'c|1']],
  ])('up to %i as the kernel does', (upTo, want) => {
    expect(texts(replay(view, upTo))).toEqual(want);
  });

  it('keeps values as sent: "007" is not 7, null is not "null"', () => {
    const v = { base: [['007'], [null]], entries: [e(1, '-D', '7'), e(2, '-D', 'null')] };
    expect(replay(v, 2)).toEqual([['007'], [null]]);
    expect(replay({ base: [], entries: [e(1, '+I', null), e(2, '-D', null)] }, 2)).toEqual([]);
  });
});

describe('filter', () => {
  it('matches a column exactly, or any column', () => {
    expect(filterEntries(view.entries, { column: 0, value: 'a' }).map((x) => x.seq)).toEqual([11, 12, 16]);
    expect(filterEntries(view.entries, { column: 1, value: ' 1 ' }).map((x) => x.seq)).toEqual([11, 13, 14, 16]);
    expect(filterEntries(view.entries, { column: -1, value: '9' }).map((x) => x.seq)).toEqual([15]);
    expect(filterEntries(view.entries, { column: 0, value: '' })).toHaveLength(6);
    expect(filterEntries([e(1, '+I', null)], { column: 0, value: 'null' })).toHaveLength(1);
    expect(texts(filterRows(replay(view, 13), { column: 0, value: 'a' }))).toEqual(['a|1', 'a|2']);
  });
});

describe('parseChangelog', () => {
  it('reads the server answer', () => {
    const v = parseChangelog(JSON.parse(JSON.stringify(view)));
    expect(v.entries[1]).toEqual(view.entries[1]);
    expect(v.base).toEqual(view.base);
    expect(v.baseComplete).toBe(true);
  });
  it.each([null, 'x', {}, { ...view, entries: 'no' }, { ...view, entries: [{ seq: 'a' }] }, { ...view, base: [1] }, { ...view, columns: [{}] }])('refuses a bad shape %#', (raw) => {
    expect(() => parseChangelog(raw)).toThrow(/unexpected changelog/);
  });
});

describe('labels', () => {
  it('formats arrival with milliseconds', () => {
    const d = new Date(2026, 11, 2, 3, 4, 5, 67);
    expect(formatArrival(d.toISOString())).toBe('03:04:05.067');
    expect(formatArrival('nope')).toBe('');
  });
  it('names the replay point', () => {
    expect(replayLabel(view, 10)).toBe('base: table before row #11');
    expect(replayLabel({ ...view, baseComplete: false }, 10)).toMatch(/incomplete/);
    expect(replayLabel(view, 13)).toBe(`table as of row #13, ${formatArrival(view.entries[2]!.at)}`);
    expect(replayLabel({ ...view, firstSeq: 1, lastSeq: 0, entries: [] }, 0)).toBe('base: empty table before the first row');
  });
  it('counts kinds', () => {
    expect(kindCounts(view.entries)).toEqual({ '+I': 1, '-U': 2, '+U': 1, '-D': 2 });
  });
});
