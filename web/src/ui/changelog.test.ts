// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api';
import { paragraph, paragraphHost } from '../fixtures';
import { formatArrival, type Changelog, type ChangelogEntry } from '../model/changelog';
import type { ParagraphLiveState } from '../model/live';
import { TableModel } from '../model/table';
import type { NoteSession } from '../noteSession';
import { ChangelogPanel } from './changelog';
import { ParagraphView } from './paragraph';

function live(over: Partial<ParagraphLiveState> = {}): ParagraphLiveState {
  return { paragraphId: 'p1', runKey: 'r1', status: 'RUNNING', progress: 0, messages: [], table: new TableModel(), version: 1, dormant: false, ...over };
}

const e = (seq: number, kind: string, ...fields: (string | null)[]): ChangelogEntry => ({ seq, kind, at: `2026-12-02T03:40:01.${String(seq).padStart(3, '0')}Z`, fields });

/** A two-level count: cnt → keys with that count; rows 1–3 folded into the base. */
function changelog(over: Partial<Changelog> = {}): Changelog {
  return {
    columns: [
      { name: 'cnt', type: 'BIGINT NOT NULL' },
      { name: 'keys', type: 'BIGINT NOT NULL' },
    ],
    capacity: 5,
    firstSeq: 4,
    lastSeq: 8,
    base: [['1', '2']],
    baseComplete: true,
    entries: [e(4, '-U', '1', '2'), e(5, '+U', '1', '1'), e(6, '+I', '2', '1'), e(7, '-D', '1', '1'), e(8, '+U', '<b>2</b>', null)],
    ...over,
  };
}

const q = (root: ParentNode, testid: string) => root.querySelector(`[data-testid=${testid}]`) as HTMLElement;
const rowsOf = (el: HTMLElement) => [...el.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
const flush = () => new Promise((r) => setTimeout(r, 0));

function slide(p: ChangelogPanel, to: number): void {
  const s = q(p.el, 'changelog-slider') as HTMLInputElement;
  s.value = String(to);
  s.dispatchEvent(new Event('input'));
}

describe('ChangelogPanel', () => {
  it('shows its toggle only with a live result, and loads when opened', async () => {
    const load = vi.fn(async () => changelog());
    const p = new ChangelogPanel({ load });
    p.render(live({ table: null }));
    expect(p.toggle.hidden).toBe(true);
    p.render(live({ status: 'FINISHED' }));
    expect(p.toggle.hidden).toBe(false);
    expect(load).not.toHaveBeenCalled();
    p.toggle.click();
    await flush();
    expect(load).toHaveBeenCalledTimes(1);
    expect(p.el.hidden).toBe(false);
    expect(p.toggle.getAttribute('aria-expanded')).toBe('true');
    p.toggle.click();
    expect(p.el.hidden).toBe(true);
  });

  it('lists the rows with kind badges, arrival in ms and values as text', async () => {
    const p = new ChangelogPanel({ load: async () => changelog() });
    p.render(live({ status: 'FINISHED' }));
    p.setOpen(true);
    await flush();
    const entries = q(p.el, 'changelog-entries');
    expect(rowsOf(entries)).toEqual([
      ['4', '-U', formatArrival(e(4, '').at), '1', '2'],
      ['5', '+U', formatArrival(e(5, '').at), '1', '1'],
      ['6', '+I', formatArrival(e(6, '').at), '2', '1'],
      ['7', '-D', formatArrival(e(7, '').at), '1', '1'],
      ['8', '+U', formatArrival(e(8, '').at), '<b>2</b>', 'null'],
    ]);
    expect(formatArrival(e(4, '').at)).toMatch(/^\d\d:\d\d:\d\d\.004$/);
    const kinds = [...entries.querySelectorAll('.cl-kind')].map((k) => k.className);
    expect(kinds).toEqual(['cl-kind ub', 'cl-kind ua', 'cl-kind ins', 'cl-kind del', 'cl-kind ua']);
    expect(entries.querySelector('b')).toBeNull(); // text, never HTML
    expect(q(p.el, 'changelog-summary').textContent).toContain('+I 1 · -U 1 · +U 2 · -D 1');
    expect(q(p.el, 'changelog-summary').textContent).toContain('base 1 row');
  });

  it('replays the table at the slider, down to the base', async () => {
    const p = new ChangelogPanel({ load: async () => changelog() });
    p.render(live({ status: 'FINISHED' }));
    p.setOpen(true);
    await flush();
    const replayed = () => rowsOf(q(p.el, 'changelog-replay'));
    const label = () => q(p.el, 'changelog-replay-label').textContent;
    expect((q(p.el, 'changelog-slider') as HTMLInputElement).min).toBe('3');
    expect((q(p.el, 'changelog-slider') as HTMLInputElement).max).toBe('8');
    expect(replayed()).toEqual([
      ['2', '1'],
      ['<b>2</b>', 'null'],
    ]);
    expect(label()).toBe(`table as of row #8, ${formatArrival(e(8, '').at)}`);
    slide(p, 3);
    expect(replayed()).toEqual([['1', '2']]);
    expect(label()).toBe('base: table before row #4');
    slide(p, 5);
    expect(replayed()).toEqual([['1', '1']]);
    expect(label()).toBe(`table as of row #5, ${formatArrival(e(5, '').at)}`);
    const marks = [...q(p.el, 'changelog-entries').querySelectorAll('tbody tr')].map((tr) => tr.className.trim());
    expect(marks).toEqual(['', 'at', 'after', 'after', 'after']);
    slide(p, 4);
    expect(q(p.el, 'changelog-replay').textContent).toContain('The table is empty at this point.');
  });

  it('filters the rows and the replayed table by a column value', async () => {
    const p = new ChangelogPanel({ load: async () => changelog() });
    p.render(live({ status: 'FINISHED' }));
    p.setOpen(true);
    await flush();
    const col = q(p.el, 'changelog-filter-column') as HTMLSelectElement;
    const val = q(p.el, 'changelog-filter-value') as HTMLInputElement;
    expect([...col.options].map((o) => o.textContent)).toEqual(['any column', 'cnt', 'keys']);
    col.value = '0';
    col.dispatchEvent(new Event('change'));
    val.value = '1';
    val.dispatchEvent(new Event('input'));
    expect(rowsOf(q(p.el, 'changelog-entries')).map((r) => r[0])).toEqual(['4', '5', '7']);
    slide(p, 6);
    expect(rowsOf(q(p.el, 'changelog-replay'))).toEqual([['1', '1']]);
    expect(q(p.el, 'changelog-replay-note').textContent).toBe('2 rows · 1 match the filter');
    val.value = 'nothing';
    val.dispatchEvent(new Event('input'));
    expect(q(p.el, 'changelog-entries').textContent).toContain('No row matches the filter.');
  });

  it('polls while the paragraph runs: the slider follows the newest row until moved', async () => {
    let v = changelog();
    const load = vi.fn(async () => v);
    const p = new ChangelogPanel({ load }, { intervalMs: 5 });
    p.render(live());
    p.setOpen(true);
    await vi.waitFor(() => expect(load.mock.calls.length).toBeGreaterThanOrEqual(2));
    const slider = q(p.el, 'changelog-slider') as HTMLInputElement;
    v = changelog({ lastSeq: 9, firstSeq: 5, base: [['1', '1']], entries: [...changelog().entries.slice(1), e(9, '+I', '3', '1')] });
    await vi.waitFor(() => expect(slider.max).toBe('9'));
    expect(slider.value).toBe('9');
    slide(p, 6);
    v = changelog({ lastSeq: 10, firstSeq: 6, entries: [...v.entries.slice(1), e(10, '+I', '4', '1')] });
    await vi.waitFor(() => expect(slider.max).toBe('10'));
    expect(slider.value).toBe('6'); // kept where the user put it
    p.render(live({ status: 'FINISHED' }));
    await flush();
    const n = load.mock.calls.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(load.mock.calls.length).toBe(n); // no polling once the run ended
    p.destroy();
  });

  it('says why there is nothing to show', async () => {
    const p = new ChangelogPanel({ load: async () => Promise.reject(new ApiError(404, 'paragraph p1 has no live result: run its query in the note’s session to see its changelog')) });
    p.render(live({ status: 'FINISHED' }));
    p.setOpen(true);
    await flush();
    expect(q(p.el, 'changelog-error').hidden).toBe(false);
    expect(q(p.el, 'changelog-error').textContent).toContain('has no live result');
  });

  it('refuses an answer of another shape', async () => {
    const p = new ChangelogPanel({ load: async () => ({ entries: 'nope' }) });
    p.render(live({ status: 'FINISHED' }));
    p.setOpen(true);
    await flush();
    expect(q(p.el, 'changelog-error').textContent).toContain('unexpected changelog');
  });
});

describe('ParagraphView with a changelog', () => {
  it('puts the Changelog toggle in the header and the panel under the result', async () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', status: 'FINISHED', config: { editorHide: true } });
    const st = live({ status: 'FINISHED' });
    const session = { paragraph: () => p, live: { get: () => st }, hasUnsavedText: () => false } as unknown as NoteSession;
    const asked: string[] = [];
    const v = new ParagraphView('p1', paragraphHost(session, { changelog: async (pid) => (asked.push(pid), changelog()) }));
    document.body.replaceChildren(v.el);
    const toggle = q(v.el, 'changelog-toggle');
    expect(toggle.closest('.para-head')).not.toBeNull();
    expect(toggle.hidden).toBe(false);
    toggle.click();
    await flush();
    expect(asked).toEqual(['p1']);
    const panel = q(v.el, 'changelog-panel');
    expect(panel.previousElementSibling).toBe(q(v.el, 'result'));
    expect(rowsOf(q(panel, 'changelog-entries'))).toHaveLength(5);
    v.destroy();
  });

  it('offers the changelog of a table saved by a run the page did not follow, and says when the session has none', async () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', status: 'ABORT', results: { code: 'SUCCESS', msg: [{ type: 'TABLE', data: 'a\n1\n' }] } });
    const session = { paragraph: () => p, live: { get: () => undefined }, hasUnsavedText: () => false } as unknown as NoteSession;
    const v = new ParagraphView('p1', paragraphHost(session, { changelog: async () => Promise.reject(new ApiError(404, 'paragraph p1 has no live result in the note\'s session')) }));
    document.body.replaceChildren(v.el);
    const toggle = q(v.el, 'changelog-toggle');
    expect(toggle.hidden).toBe(false);
    toggle.click();
    await flush();
    expect(q(v.el, 'changelog-error').hidden).toBe(false);
    expect(q(v.el, 'changelog-error').textContent).toContain('no live result');
    v.destroy();

    const text = paragraph({ text: '%md\nhi', status: 'FINISHED', results: { code: 'SUCCESS', msg: [{ type: 'HTML', data: '<p>hi</p>' }] } });
    const s2 = { paragraph: () => text, live: { get: () => undefined }, hasUnsavedText: () => false } as unknown as NoteSession;
    const w = new ParagraphView('p2', paragraphHost(s2, { changelog: async () => changelog() }));
    expect(q(w.el, 'changelog-toggle').hidden).toBe(true);
    w.destroy();
  });

  it('has no toggle where the host cannot fetch a changelog', () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', status: 'FINISHED' });
    const st = live({ status: 'FINISHED' });
    const session = { paragraph: () => p, live: { get: () => st }, hasUnsavedText: () => false } as unknown as NoteSession;
    const v = new ParagraphView('p1', paragraphHost(session));
    expect(q(v.el, 'changelog-toggle').hidden).toBe(true);
    v.destroy();
  });
});
