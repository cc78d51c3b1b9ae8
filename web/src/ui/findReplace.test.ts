// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { countLabel, FindPanel, findMatches, nearestMatch, replaceAllIn, type Match } from './findReplace';

const paras = [
  { id: 'p1', text: '%flink.ssql\nSELECT * FROM Orders o JOIN orders x' },
  { id: 'p2', text: '%md orders (a.b)' },
];

describe('findMatches', () => {
  it('finds literal text across paragraphs, in note order', () => {
    expect(findMatches(paras, 'orders', false)).toEqual([
      { pid: 'p1', from: 26, to: 32 },
      { pid: 'p1', from: 40, to: 46 },
      { pid: 'p2', from: 4, to: 10 },
    ]);
    expect(findMatches(paras, 'Orders', true)).toEqual([{ pid: 'p1', from: 26, to: 32 }]);
    expect(findMatches(paras, '(a.b)', false)).toEqual([{ pid: 'p2', from: 11, to: 16 }]); // no regular expressions
    expect(findMatches(paras, '', false)).toEqual([]);
  });

  it('replaces literally, with $ kept as is', () => {
    expect(replaceAllIn('a.b a.b aXb', 'a.b', '$1', false)).toEqual({ text: '$1 $1 aXb', count: 2 });
    expect(replaceAllIn('Ab ab', 'ab', 'c', true)).toEqual({ text: 'Ab c', count: 1 });
  });

  it('moves to the nearest match and says k of n', () => {
    const m: Match[] = findMatches(paras, 'orders', false);
    expect(nearestMatch(m, ['p1', 'p2'], 'p1', 30)).toBe(1);
    expect(nearestMatch(m, ['p1', 'p2'], 'p2', 5)).toBe(0); // wraps
    expect(countLabel(1, 3, 'x')).toBe('2 of 3');
    expect(countLabel(-1, 0, 'x')).toBe('No results');
    expect(countLabel(-1, 0, '')).toBe('');
  });
});

describe('FindPanel', () => {
  it('finds, steps, replaces one and all through the host', () => {
    const texts = new Map(paras.map((p) => [p.id, p.text]));
    const selected: Match[] = [];
    const panel = new FindPanel({
      paragraphs: () => [...texts].map(([id, text]) => ({ id, text })),
      select: (m) => selected.push(m),
      replace: (pid, from, to, text) => {
        const t = texts.get(pid) ?? '';
        texts.set(pid, t.slice(0, from) + text + t.slice(to));
      },
    });
    document.body.replaceChildren(panel.el);
    panel.open();
    const q = (id: string) => panel.el.querySelector(`[data-testid=${id}]`) as HTMLInputElement;
    q('find-input').value = 'orders';
    q('find-input').dispatchEvent(new Event('input'));
    expect(q('find-count').textContent).toBe('1 of 3');
    (q('find-next') as unknown as HTMLButtonElement).click();
    expect(q('find-count').textContent).toBe('2 of 3');
    expect(selected.at(-1)).toEqual({ pid: 'p1', from: 40, to: 46 });
    q('replace-input').value = 'trades';
    (q('replace-one') as unknown as HTMLButtonElement).click();
    expect(texts.get('p1')).toBe('%flink.ssql\nSELECT * FROM Orders o JOIN trades x');
    expect(q('find-count').textContent).toBe('2 of 2'); // now on the match in p2
    (q('replace-all') as unknown as HTMLButtonElement).click();
    expect(texts.get('p1')).toBe('%flink.ssql\nSELECT * FROM trades o JOIN trades x');
    expect(texts.get('p2')).toBe('%md trades (a.b)');
    expect(q('find-count').textContent).toBe('No results');
  });
});
