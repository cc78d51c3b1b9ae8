// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import type { Note, Paragraph, Revision } from '../schema';
import { RevisionsDialog } from './revisions';

const q = (testid: string) => document.querySelector<HTMLElement>(`[data-testid=${testid}]`);
const qa = (testid: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid=${testid}]`)];
const flushPromises = () => new Promise((r) => setTimeout(r, 0));

const para = (id: string, text: string) => ({ id, text, status: 'READY' }) as unknown as Paragraph;
const note = (...paragraphs: Paragraph[]) => ({ id: 'N1', name: 'n', path: '/n', paragraphs }) as unknown as Note;

const REVS: Revision[] = [
  { id: 'r2aaaaaaaaaaaaaaaa', message: 'v2', time: 1_780_000_100 },
  { id: 'r1aaaaaaaaaaaaaaaa', message: 'v1', time: 1_780_000_000 },
];

function dialog(api: Partial<Api>, current: Note = note(para('p1', 'SELECT 2\nFROM t'))) {
  const onRestored = vi.fn();
  const flush = vi.fn(async () => undefined);
  const d = new RevisionsDialog({ api: api as Api, noteId: 'N1', current: () => current, flush, onRestored });
  return { d, onRestored, flush };
}

/** answerConfirm clicks OK (or Cancel) in the confirmation dialog once it is shown. */
async function answerConfirm(ok: boolean): Promise<void> {
  await flushPromises();
  const okBtn = q('dialog-ok') as HTMLButtonElement;
  expect(okBtn).not.toBeNull();
  const form = okBtn.closest('form')!;
  if (ok) form.dispatchEvent(new Event('submit', { cancelable: true }));
  else [...form.querySelectorAll('button')].find((b) => b.textContent === 'Cancel')!.click();
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('RevisionsDialog', () => {
  it('lists the revisions newest first with message, time and id', async () => {
    const { d } = dialog({ listRevisions: vi.fn(async () => REVS) });
    await d.open();
    const rows = qa('revision-row');
    expect(rows.map((r) => r.dataset['revision'])).toEqual(['r2aaaaaaaaaaaaaaaa', 'r1aaaaaaaaaaaaaaaa']);
    expect(qa('revision-row-message').map((e) => e.textContent)).toEqual(['v2', 'v1']);
    expect(rows[1]!.textContent).toContain('r1aaaaaaaaaa');
    expect(rows[1]!.textContent).toContain(new Date(1_780_000_000_000).toLocaleString());
  });

  it('says when there are none, and when they cannot be listed', async () => {
    await dialog({ listRevisions: vi.fn(async () => []) }).d.open();
    expect(q('revision-none')).not.toBeNull();
    document.body.replaceChildren();
    await dialog({ listRevisions: vi.fn(async () => Promise.reject(new ApiError(404, 'No such note: N1'))) }).d.open();
    expect(q('revision-list-error')?.textContent).toContain('No such note: N1');
  });

  it('saves a revision with its message and lists it; an empty message saves nothing', async () => {
    const listRevisions = vi.fn(async () => [] as Revision[]);
    const checkpointNote = vi.fn(async () => ({ id: 'r1aaaaaaaaaaaaaaaa', created: true, message: '' }));
    const { d } = dialog({ listRevisions, checkpointNote });
    await d.open();
    await d.save();
    expect(checkpointNote).not.toHaveBeenCalled();
    expect(q('revisions-problem')?.textContent).toBe('Give the revision a message.');

    listRevisions.mockResolvedValueOnce([REVS[1]!]);
    (q('revision-message') as HTMLInputElement).value = '  v1 ';
    await d.save();
    expect(checkpointNote).toHaveBeenCalledWith('N1', 'v1');
    expect((q('revision-message') as HTMLInputElement).value).toBe('');
    expect(qa('revision-row-message').map((e) => e.textContent)).toEqual(['v1']);
  });

  it('diffs a revision against the note now: changed lines marked - and +, added and removed paragraphs', async () => {
    const getRevision = vi.fn(async () => note(para('p1', 'SELECT 1\nFROM t'), para('p0', 'gone')));
    const current = note(para('p1', 'SELECT 2\nFROM t'), para('p2', 'new'));
    const { d } = dialog({ listRevisions: vi.fn(async () => REVS), getRevision }, current);
    await d.open();
    qa('revision-diff')[1]!.click();
    await flushPromises();
    expect(getRevision).toHaveBeenCalledWith('N1', 'r1aaaaaaaaaaaaaaaa');
    expect(q('revision-diff-view')?.hidden).toBe(false);
    expect(q('revision-diff-summary')?.textContent).toBe('1 changed, 1 added, 1 removed, 0 unchanged');
    const paras = qa('diff-paragraph');
    expect(paras.map((p) => [p.dataset['paragraph'], p.dataset['change']])).toEqual([
      ['p1', 'changed'],
      ['p0', 'removed'],
      ['p2', 'added'],
    ]);
    const lines = [...paras[0]!.querySelectorAll<HTMLElement>('[data-testid=diff-line]')].map((l) => [l.dataset['op'], l.textContent]);
    expect(lines).toEqual([
      ['del', '− SELECT 1'],
      ['add', '+ SELECT 2'],
      ['keep', '  FROM t'],
    ]);
  });

  it('restores a revision only once confirmed, after saving waiting edits, then shows the restored note', async () => {
    const restoreRevision = vi.fn(async () => undefined);
    const { d, onRestored, flush } = dialog({ listRevisions: vi.fn(async () => REVS), restoreRevision });
    await d.open();

    qa('revision-restore')[1]!.click();
    await answerConfirm(false);
    await flushPromises();
    expect(restoreRevision).not.toHaveBeenCalled();
    expect(q('revisions-dialog')).not.toBeNull();

    qa('revision-restore')[1]!.click();
    await answerConfirm(true);
    await flushPromises();
    expect(flush).toHaveBeenCalled();
    expect(restoreRevision).toHaveBeenCalledWith('N1', 'r1aaaaaaaaaaaaaaaa');
    expect(onRestored).toHaveBeenCalledTimes(1);
    expect(q('revisions-dialog')).toBeNull();
  });

  it('a refused restore says why and changes nothing', async () => {
    const restoreRevision = vi.fn(async () => Promise.reject(new ApiError(404, 'No such revision: r1')));
    const { d, onRestored } = dialog({ listRevisions: vi.fn(async () => REVS), restoreRevision });
    await d.open();
    qa('revision-restore')[1]!.click();
    await answerConfirm(true);
    await flushPromises();
    expect(onRestored).not.toHaveBeenCalled();
    expect(q('revisions-dialog')).not.toBeNull();
    expect(q('revisions-problem')?.textContent).toBe('Could not restore the revision: No such revision: r1');
  });
});
