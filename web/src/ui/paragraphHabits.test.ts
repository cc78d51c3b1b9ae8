// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { paragraph, paragraphHost } from '../fixtures';
import type { NoteSession } from '../noteSession';
import type { Paragraph } from '../schema';
import { ParagraphView } from './paragraph';
import type { ParagraphAction } from './shortcuts';

/** setup renders one paragraph (editor hidden) and records what its keys ask of the session and the page. */
function setup(p: Paragraph) {
  const calls: string[] = [];
  const session = {
    paragraph: () => p,
    live: { get: () => undefined },
    hasUnsavedText: () => false,
    edit: (_pid: string, patch: { config?: Record<string, unknown> }) => {
      p.config = { ...(p.config ?? {}), ...patch.config };
      calls.push('edit ' + JSON.stringify(patch));
    },
    moveParagraph: async (_pid: string, i: number) => void calls.push(`move ${i}`),
  } as unknown as NoteSession;
  const host = paragraphHost(session, {
    indexOf: () => 1,
    count: () => 3,
    insertAt: (i, text) => void calls.push(`insert ${i}${text !== undefined ? ' ' + JSON.stringify(text) : ''}`),
    onNoteAction: (_pid: string, a: ParagraphAction) => void calls.push(`note ${a}`),
  });
  const v = new ParagraphView(p.id, host);
  document.body.replaceChildren(v.el);
  const press = (code: string, mods: KeyboardEventInit = {}) => v.el.dispatchEvent(new KeyboardEvent('keydown', { code, bubbles: true, cancelable: true, ...mods }));
  return { v, el: v.el, calls, press };
}

const saved: Paragraph['results'] = { code: 'SUCCESS', msg: [{ type: 'HTML', data: '<b>1</b>' }] };

describe('ParagraphView shortcuts', () => {
  it("does Zeppelin's paragraph shortcuts on the selected paragraph", () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', config: { editorHide: true } });
    const { calls, press } = setup(p);
    press('KeyB', { ctrlKey: true, altKey: true });
    press('KeyA', { ctrlKey: true, altKey: true });
    press('KeyC', { ctrlKey: true, shiftKey: true });
    press('KeyK', { ctrlKey: true, altKey: true });
    press('KeyJ', { ctrlKey: true, altKey: true });
    press('Enter', { ctrlKey: true, shiftKey: true });
    press('KeyF', { ctrlKey: true, altKey: true });
    press('KeyB', { ctrlKey: true }); // not a shortcut
    expect(calls).toEqual(['insert 2', 'insert 1', 'insert 2 "%flink.ssql\\nSELECT 1"', 'move 0', 'move 2', 'note runBelow', 'note find']);
  });

  it('toggles the output, the title and the width, saving them in the config', () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', config: { editorHide: true, colWidth: 6.0 }, status: 'FINISHED', results: saved });
    const { el, calls, press } = setup(p);
    expect(el.style.getPropertyValue('--col')).toBe('6');
    const result = el.querySelector('[data-testid=result]') as HTMLElement;
    expect(result.hidden).toBe(false);
    press('KeyO', { ctrlKey: true, altKey: true });
    expect(calls).toContain('edit {"config":{"tableHide":true}}');
    expect(result.hidden).toBe(true);
    press('KeyT', { ctrlKey: true, altKey: true });
    expect((el.querySelector('.para-title') as HTMLInputElement).hidden).toBe(false);
    press('Equal', { ctrlKey: true, shiftKey: true });
    expect(calls).toContain('edit {"config":{"colWidth":7}}');
    expect(el.style.getPropertyValue('--col')).toBe('7');
  });

  it('keeps a hidden output hidden when its result is drawn again', () => {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', config: { editorHide: true, tableHide: true }, status: 'FINISHED', results: saved });
    const { v, el } = setup(p);
    v.update();
    v.updateLive();
    expect((el.querySelector('[data-testid=result]') as HTMLElement).hidden).toBe(true);
  });
});
