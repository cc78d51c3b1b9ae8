import { describe, expect, it } from 'vitest';
import type { Api } from './api';
import type { ClientRequest } from './protocol';
import { ServerTransport } from './transport';
import type { WsClient } from './ws';

/** fakes record what goes over each way: websocket requests, and REST calls by method name. */
function fakes() {
  const sent: ClientRequest[] = [];
  const rest: Array<[string, ...unknown[]]> = [];
  const ws = {
    isOpen: true,
    request: (req: ClientRequest) => {
      sent.push(req);
      return Promise.resolve({ op: 'ack', for: req.op, paragraph: { id: 'new', text: '', status: 'READY' }, index: 1 });
    },
  };
  const record =
    (name: string, reply: unknown = undefined) =>
    (...args: unknown[]) => {
      rest.push([name, ...args]);
      return Promise.resolve(reply);
    };
  const api = {
    updateParagraph: record('updateParagraph'),
    updateParagraphConfig: record('updateParagraphConfig'),
    addParagraph: record('addParagraph', 'new'),
    getParagraph: record('getParagraph', { id: 'new', text: '%md', status: 'READY' }),
    runParagraph: record('runParagraph'),
    runNote: record('runNote'),
    cancelParagraph: record('cancelParagraph'),
    clearParagraphOutput: record('clearParagraphOutput'),
    clearNoteOutput: record('clearNoteOutput'),
  };
  const t = new ServerTransport(api as unknown as Api, ws as unknown as WsClient);
  return { t, ws, sent, rest };
}

describe('ServerTransport', () => {
  it('sends requests over the websocket while it is open', async () => {
    const { t, sent, rest } = fakes();
    expect(t.online).toBe(true);
    await t.editParagraph('N', 'p', { text: 'x', config: { editorHide: true } });
    await t.run('N', 'p', 'SELECT 1');
    expect(await t.addParagraph('N', 0, '%md')).toEqual({ paragraph: { id: 'new', text: '', status: 'READY' }, index: 1 });
    await t.runAll('N');
    expect(sent).toEqual([
      { op: 'edit-paragraph', noteId: 'N', paragraphId: 'p', text: 'x', config: { editorHide: true } },
      { op: 'run', noteId: 'N', paragraphId: 'p', text: 'SELECT 1' },
      { op: 'add-paragraph', noteId: 'N', index: 0, text: '%md' },
      { op: 'run-all', noteId: 'N' },
    ]);
    expect(rest).toEqual([]);
  });

  it('falls back to REST while the websocket is down, with the same meaning', async () => {
    const { t, ws, sent, rest } = fakes();
    ws.isOpen = false;
    expect(t.online).toBe(false);
    await t.editParagraph('N', 'p', { text: 'x', title: 'T', config: { editorHide: true } });
    await t.run('N', 'p', 'SELECT 1');
    expect(await t.addParagraph('N', 2, '%md')).toEqual({ paragraph: { id: 'new', text: '%md', status: 'READY' }, index: 2 });
    await t.cancel('N', 'p');
    await t.runAll('N');
    expect(sent).toEqual([]);
    expect(rest).toEqual([
      ['updateParagraph', 'N', 'p', { text: 'x', title: 'T' }],
      ['updateParagraphConfig', 'N', 'p', { editorHide: true }],
      ['updateParagraph', 'N', 'p', { text: 'SELECT 1' }],
      ['runParagraph', 'N', 'p'],
      ['addParagraph', 'N', { index: 2, text: '%md' }],
      ['getParagraph', 'N', 'new'],
      ['cancelParagraph', 'N', 'p'],
      ['runNote', 'N'],
    ]);
  });
});

describe('ServerTransport clear output', () => {
  it('goes over the websocket, or over REST while it is down', async () => {
    const { t, ws, sent, rest } = fakes();
    await t.clearOutput('N', 'p');
    await t.clearOutput('N', undefined);
    expect(sent).toEqual([
      { op: 'clear-output', noteId: 'N', paragraphId: 'p' },
      { op: 'clear-output', noteId: 'N' },
    ]);
    ws.isOpen = false;
    await t.clearOutput('N', 'p');
    await t.clearOutput('N', undefined);
    expect(rest).toEqual([
      ['clearParagraphOutput', 'N', 'p'],
      ['clearNoteOutput', 'N'],
    ]);
  });
});
