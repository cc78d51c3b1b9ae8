import { describe, expect, it } from 'vitest';
import type { Paragraph } from '../schema';
import { diffCounts, lineDiff, MAX_LCS_CELLS, noteDiff, splitLines, type DiffLine } from './diff';

/** show writes a diff as unified-diff lines, e.g. "-a", "+b", " c". */
const show = (d: DiffLine[]) => d.map((l) => l.op + l.text);

const para = (id: string, text: string, title?: string) => ({ id, text, title, status: 'READY' }) as unknown as Paragraph;

describe('splitLines', () => {
  it.each([
    ['', []],
    ['a', ['a']],
    ['a\n', ['a']],
    ['a\nb', ['a', 'b']],
    ['a\r\nb\r\n', ['a', 'b']],
    ['a\n\nb', ['a', '', 'b']],
    ['\n', ['']],
  ])('%j', (text, lines) => {
    expect(splitLines(text)).toEqual(lines);
  });
});

describe('lineDiff', () => {
  it.each<[string, string[], string[], string[]]>([
    ['equal texts', ['a', 'b'], ['a', 'b'], [' a', ' b']],
    ['both empty', [], [], []],
    ['all added', [], ['a', 'b'], ['+a', '+b']],
    ['all removed', ['a', 'b'], [], ['-a', '-b']],
    ['one line changed', ['a', 'b', 'c'], ['a', 'B', 'c'], [' a', '-b', '+B', ' c']],
    ['insert in the middle', ['a', 'c'], ['a', 'b', 'c'], [' a', '+b', ' c']],
    ['delete at the start', ['x', 'a', 'b'], ['a', 'b'], ['-x', ' a', ' b']],
    ['append', ['a'], ['a', 'b'], [' a', '+b']],
    ['moved line', ['a', 'b', 'c'], ['b', 'c', 'a'], ['-a', ' b', ' c', '+a']],
  ])('%s', (_, a, b, want) => {
    const d = lineDiff(a, b);
    expect(show(d)).toEqual(want);
    // Whatever the alignment, the kept and removed lines are a; kept and added lines are b.
    expect(d.filter((l) => l.op !== '+').map((l) => l.text)).toEqual(a);
    expect(d.filter((l) => l.op !== '-').map((l) => l.text)).toEqual(b);
  });

  // Where several alignments are as good, any of them will do: the diff
  // spells both texts and keeps as many lines as a longest common subsequence.
  it.each<[string, string[], string[], number]>([
    ['repeated lines', ['x', 'a', 'x', 'b'], ['x', 'b', 'x', 'a'], 2],
    ['classic abcabba/cbabac', ['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c'], 4],
  ])('%s', (_, a, b, kept) => {
    const d = lineDiff(a, b);
    expect(d.filter((l) => l.op === ' ')).toHaveLength(kept);
    // Whatever the alignment, the kept and removed lines are a; kept and added lines are b.
    expect(d.filter((l) => l.op !== '+').map((l) => l.text)).toEqual(a);
    expect(d.filter((l) => l.op !== '-').map((l) => l.text)).toEqual(b);
  });

  it('keeps a longest common subsequence', () => {
    const a = 'the quick brown fox jumps over the lazy dog'.split(' ');
    const b = 'a quick brown cat jumps over a lazy dog today'.split(' ');
    const kept = lineDiff(a, b).filter((l) => l.op === ' ').map((l) => l.text);
    expect(kept).toEqual(['quick', 'brown', 'jumps', 'over', 'lazy', 'dog']);
  });

  it('replaces the middle wholesale past MAX_LCS_CELLS, keeping the common head and tail', () => {
    const n = Math.ceil(Math.sqrt(MAX_LCS_CELLS)) + 1;
    const a = ['head', ...Array.from({ length: n }, (_, i) => `a${i}`), 'tail'];
    const b = ['head', ...Array.from({ length: n }, (_, i) => `b${i}`), 'tail'];
    const d = lineDiff(a, b);
    expect(d[0]).toEqual({ op: ' ', text: 'head' });
    expect(d[d.length - 1]).toEqual({ op: ' ', text: 'tail' });
    expect(d.slice(1, n + 1).every((l) => l.op === '-')).toBe(true);
    expect(d.slice(n + 1, 2 * n + 1).every((l) => l.op === '+')).toBe(true);
  });
});

describe('noteDiff', () => {
  it('matches paragraphs by id: added, removed (where they were), changed with their lines, same', () => {
    const revision = { paragraphs: [para('p0', 'gone first'), para('p1', 'SELECT 1'), para('p2', 'SELECT a\nFROM t\nWHERE x'), para('p3', 'old\nlines'), para('p4', 'same', 'T')] };
    const current = { paragraphs: [para('p1', 'SELECT 1'), para('p2', 'SELECT a, b\nFROM t\nWHERE x'), para('p4', 'same', 'T'), para('p5', 'new one')] };
    const d = noteDiff(revision, current);
    expect(d.map((p) => [p.id, p.change])).toEqual([
      ['p0', 'removed'],
      ['p1', 'same'],
      ['p2', 'changed'],
      ['p3', 'removed'],
      ['p4', 'same'],
      ['p5', 'added'],
    ]);
    expect(show(d[2]!.lines)).toEqual(['-SELECT a', '+SELECT a, b', ' FROM t', ' WHERE x']);
    expect(show(d[3]!.lines)).toEqual(['-old', '-lines']);
    expect(show(d[5]!.lines)).toEqual(['+new one']);
    expect(diffCounts(d)).toEqual({ added: 1, removed: 2, changed: 1, same: 2 });
  });

  it('a changed title alone is a change', () => {
    const d = noteDiff({ paragraphs: [para('p1', 'x', 'Old')] }, { paragraphs: [para('p1', 'x', 'New')] });
    expect(d[0]).toMatchObject({ change: 'changed', title: 'New', titleChange: { from: 'Old', to: 'New' } });
  });

  it('notes without paragraphs have no diff', () => {
    expect(noteDiff({ paragraphs: [] }, { paragraphs: [] })).toEqual([]);
  });
});
