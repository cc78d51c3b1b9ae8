// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { paragraph, paragraphHost } from '../fixtures';
import { LiveStore } from '../model/live';
import type { NoteSession } from '../noteSession';
import type { Paragraph } from '../schema';
import { ParagraphView } from './paragraph';

/** setup renders one paragraph (editor hidden) whose session records the clears asked of it; fail makes them refused. */
function setup(p: Paragraph, fail?: Error) {
  const clears: Array<string | undefined> = [];
  const live = new LiveStore();
  const session = {
    paragraph: () => p,
    live,
    hasUnsavedText: () => false,
    edit: () => {},
    clearOutput: async (pid?: string) => {
      clears.push(pid);
      if (fail) throw fail;
    },
  } as unknown as NoteSession;
  const host = paragraphHost(session);
  const v = new ParagraphView(p.id, host);
  document.body.replaceChildren(v.el);
  const press = (code: string, mods: KeyboardEventInit = {}) => v.el.dispatchEvent(new KeyboardEvent('keydown', { code, bubbles: true, cancelable: true, ...mods }));
  const menuItem = () => {
    (v.el.querySelector('[data-testid=paragraph-menu]') as HTMLElement).click();
    return document.querySelector<HTMLButtonElement>('[data-testid=menu-clear-output]');
  };
  return { v, live, clears, press, menuItem };
}

const saved: Paragraph['results'] = { code: 'SUCCESS', msg: [{ type: 'HTML', data: '<b>1</b>' }] };
const settle = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => document.body.replaceChildren());

describe('clearing a paragraph’s output', () => {
  it('Ctrl+Alt+L asks the server to clear the paragraph', async () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', config: { editorHide: true }, status: 'FINISHED', results: saved });
    const { clears, press } = setup(p);
    press('KeyL', { ctrlKey: true, altKey: true });
    press('KeyL', { ctrlKey: true }); // not the shortcut
    await settle();
    expect(clears).toEqual([p.id]);
  });

  it('the paragraph menu has "Clear output", disabled while the paragraph runs', async () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', config: { editorHide: true }, status: 'FINISHED', results: saved });
    const { clears, menuItem, live, v } = setup(p);
    const item = menuItem();
    expect(item?.textContent).toBe('Clear output');
    expect(item?.disabled).toBe(false);
    item?.click();
    await settle();
    expect(clears).toEqual([p.id]);

    live.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: p.id, status: 'RUNNING', progress: 0, dateStarted: 't1' }] });
    v.updateLive();
    expect(menuItem()?.disabled).toBe(true);
  });

  it('shows why the server refused', async () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', config: { editorHide: true }, status: 'FINISHED', results: saved });
    const { press } = setup(p, new Error('paragraph p is running; stop it before clearing its output'));
    press('KeyL', { ctrlKey: true, altKey: true });
    await settle();
    expect(document.body.textContent).toContain('Could not clear the output: paragraph p is running');
  });

  it('a cleared paragraph shows no output once the server has cleared it', () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', config: { editorHide: true }, status: 'FINISHED', results: saved });
    const { v, live } = setup(p);
    live.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: p.id, status: 'FINISHED', progress: 100, dateStarted: 't1', messages: [{ type: 'TEXT', data: 'live words' }] }] });
    v.updateLive();
    expect(v.el.textContent).toContain('live words');
    // What the server sends: the stored paragraph without results, and its live state gone.
    delete p.results;
    live.apply({ op: 'live', noteId: 'N', paragraphs: [], removed: [p.id] });
    v.updateLive();
    expect(v.el.textContent).not.toContain('live words');
    expect((v.el.querySelector('[data-testid=result]') as HTMLElement).hidden).toBe(true);
  });
});
