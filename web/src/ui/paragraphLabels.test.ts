// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import { paragraph, paragraphHost } from '../fixtures';
import { formatTime } from '../model/format';
import type { ParagraphLiveState } from '../model/live';
import type { NoteSession } from '../noteSession';
import type { Paragraph } from '../schema';
import { ParagraphView } from './paragraph';

/** view renders one paragraph (editor hidden) with the given live state; running it fails with runError. */
function view(p: Paragraph, live?: ParagraphLiveState, runError?: Error): HTMLElement {
  const session = {
    paragraph: () => p,
    live: { get: () => live },
    hasUnsavedText: () => false,
    run: () => (runError ? Promise.reject(runError) : Promise.resolve()),
  } as unknown as NoteSession;
  const host = paragraphHost(session);
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

describe('ParagraphView refusals', () => {
  const p = paragraph({ text: '%flink.ssql(parallelism=8)\nSELECT 1', config: { editorHide: true } });

  async function refused(details: object): Promise<HTMLElement> {
    const el = view(p, undefined, new ApiError(503, 'not enough KPUs', 'capacity_exceeded', details as never));
    (el.querySelector('[data-testid=run-paragraph]') as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 0));
    return el.querySelector('[data-testid=run-refused]') as HTMLElement;
  }

  it('says a parallelism that can never fit cannot, and how to lower it, with nothing to stop', async () => {
    const el = await refused({ what: 'start a job of parallelism 8', needed: 8, free: 2, capacity: 6, holders: [], never: true, parallelism: 8, maxParallelism: 4 });
    expect(el.hidden).toBe(false);
    expect(el.querySelector('.refused-title')?.textContent).toBe('Not started: parallelism 8 can never fit this cluster');
    expect(el.querySelector('[data-testid=run-refused-message]')?.textContent).toBe('Parallelism 8 needs 8 KPUs, the cluster offers 6 in all (2 of them kept by this note’s session).');
    expect(el.querySelector('.refused-hint')?.textContent).toBe('Lower the parallelism to 4 or less, then run again.');
    expect(el.textContent?.toLowerCase()).not.toContain('stop');
  });

  it('still names the holders of the KPUs when the job fits once they are free', async () => {
    const el = await refused({ what: 'start a job of parallelism 2', needed: 2, free: 0, capacity: 6, holders: [{ noteId: 'N2', noteName: 'Other', sessionId: 's2', kpus: 4 }] });
    expect(el.querySelector('.refused-title')?.textContent).toBe('Not started: the cluster’s KPUs are taken');
    expect(el.querySelector('.refused-hint')?.textContent).toContain('stop its session');
  });
});

describe('ParagraphView restored savepoint', () => {
  const text = '%flink.ssql(execution.savepoint.path=file:/data/sp/savepoint-1a2b)\nINSERT INTO sink SELECT * FROM src';
  const takenAt = '2026-05-01T10:02:03Z';
  const restored = { kind: 'savepoint' as const, path: 'file:/data/sp/savepoint-1a2b', takenAt };
  const label = `restored from savepoint file:/data/sp/savepoint-1a2b (taken ${formatTime(Date.parse(takenAt))})`;
  const restoredEl = (el: HTMLElement) => el.querySelector('[data-testid=restored-from]') as HTMLElement;
  const running = (over: Partial<ParagraphLiveState> = {}): ParagraphLiveState => ({ paragraphId: 'p1', runKey: 'r1', status: 'RUNNING', progress: 0, messages: [], table: null, version: 1, dormant: false, ...over });

  it('says where a running job was restored from, and when that savepoint was taken', () => {
    const el = view(paragraph({ text, config: { editorHide: true }, status: 'RUNNING' }), running({ restored }));
    expect(restoredEl(el).hidden).toBe(false);
    expect(restoredEl(el).textContent).toBe(label);
  });

  it('says it with the saved result too, from the paragraph’s config', () => {
    const el = view(paragraph({ text, status: 'ABORT', config: { editorHide: true, restoredFrom: restored }, results: { code: 'SUCCESS', msg: [{ type: 'TEXT', data: 'Job stopped' }] } }));
    expect(restoredEl(el).hidden).toBe(false);
    expect(restoredEl(el).textContent).toBe(label);
  });

  it('says nothing for a job started afresh, or while a new run has not restored yet', () => {
    expect(restoredEl(view(paragraph({ text, config: { editorHide: true, restoredFrom: null } }))).hidden).toBe(true);
    expect(restoredEl(view(paragraph({ text, config: { editorHide: true, restoredFrom: restored } }), running())).hidden).toBe(true);
  });
});
