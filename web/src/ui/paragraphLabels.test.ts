// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { paragraph } from '../fixtures';
import type { ParagraphLiveState } from '../model/live';
import type { NoteSession } from '../noteSession';
import type { Paragraph } from '../schema';
import { ParagraphView, type ParagraphHost } from './paragraph';

/** view renders one paragraph (editor hidden) with the given live state. */
function view(p: Paragraph, live?: ParagraphLiveState): HTMLElement {
  const session = {
    paragraph: () => p,
    live: { get: () => live },
    hasUnsavedText: () => false,
  } as unknown as NoteSession;
  const host: ParagraphHost = {
    session,
    indexOf: () => 0,
    count: () => 1,
    defaultGroup: 'flink',
    insertAt: () => {},
    onRefused: () => {},
    webUi: () => undefined,
  };
  const v = new ParagraphView(p.id, host);
  document.body.replaceChildren(v.el);
  return v.el;
}

function prov(el: HTMLElement): HTMLElement {
  return el.querySelector('.para-head .prov') as HTMLElement;
}

describe('ParagraphView provenance label', () => {
  const text = '%flink.ssql\nSELECT 1';
  const config = { editorHide: true };

  it('marks a saved successful result as not live', () => {
    const el = view(paragraph({ text, config, status: 'FINISHED', results: { code: 'SUCCESS', msg: [{ type: 'HTML', data: '<b>1</b>' }] } }));
    expect(prov(el).hidden).toBe(false);
    expect(prov(el).textContent).toBe('saved result · not live');
  });

  it('says nothing of a saved result of a failed paragraph: the error is what it shows', () => {
    const el = view(paragraph({ text, config, status: 'ERROR', results: { code: 'ERROR', msg: [{ type: 'TEXT', data: 'Table `nope` not found' }] } }));
    expect(prov(el).hidden).toBe(true);
    expect(prov(el).textContent).toBe('');
  });
});
