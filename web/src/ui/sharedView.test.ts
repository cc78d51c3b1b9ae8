// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import type { LinkShare } from '../model/access';
import type { Note } from '../schema';
import { WsClient, type SocketLike } from '../ws';
import { AuditPage } from './adminPages';
import { RunWithoutText, SharedView } from './sharedView';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  onmessage: SocketLike['onmessage'] = null;
  send(d: string): void {
    this.sent.push(d);
  }
  close(): void {
    this.readyState = 3;
  }
}

const note: Note = {
  id: 'N',
  name: 'Orders live',
  path: '/team/Orders live',
  paragraphs: [
    { id: 'p1', text: '%flink.ssql\nSELECT 1', status: 'FINISHED', progress: 0, results: { code: 'SUCCESS', msg: [{ type: 'HTML', data: '<b>first</b>' }] } },
    { id: 'p2', text: '%flink.ssql\nSELECT 2', status: 'FINISHED', progress: 0, results: { code: 'SUCCESS', msg: [{ type: 'HTML', data: '<b>second</b>' }] } },
  ],
} as Note;

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(share: LinkShare, embed = false) {
  const sockets: FakeSocket[] = [];
  const ws = new WsClient({ url: 'ws://t/ws', protocols: ['eddy', 'bearer.T'], socket: () => sockets[sockets.push(new FakeSocket()) - 1]!, backoffInitialMs: 1, backoffMaxMs: 1 });
  const me = vi.fn(async () => ({ kind: 'link', share }) as const);
  const api = { getNote: async () => structuredClone(note), me, paragraphInspection: async () => undefined, paragraphChangelog: async () => ({}) } as unknown as Api;
  const ended = vi.fn();
  const page = new SharedView('N', undefined, embed, { api, ws, share, onEnded: ended });
  document.body.replaceChildren(page.el);
  ws.connect();
  return { page, ws, sockets, me, ended };
}

afterEach(() => document.body.replaceChildren());

describe('SharedView', () => {
  it('shows the whole note read-only for a view link', async () => {
    const { page, ws } = setup({ id: 's', noteId: 'N', scope: 'view' });
    await page.mount();
    expect(document.querySelectorAll('[data-testid=paragraph]')).toHaveLength(2);
    expect(document.querySelector('[data-testid=shared-title]')?.textContent).toBe('Orders live');
    expect(document.querySelector('[data-testid=shared-scope]')?.textContent).toBe('Shared · view only');
    for (const id of ['run-paragraph', 'cancel-paragraph', 'paragraph-menu', 'add-paragraph', 'run-all']) expect(document.querySelectorAll(`[data-testid=${id}]`)).toHaveLength(0);
    page.destroy();
    ws.close();
  });

  it('shows only the linked paragraph, and only its result when embedded', async () => {
    const { page, ws } = setup({ id: 's', noteId: 'N', paragraphId: 'p2', scope: 'view' }, true);
    await page.mount();
    const paras = document.querySelectorAll('[data-testid=paragraph]');
    expect(paras).toHaveLength(1);
    expect(paras[0]?.getAttribute('data-paragraph-id')).toBe('p2');
    expect(paras[0]?.textContent).toContain('second');
    expect(document.querySelector('.para-head')).toBeNull();
    expect(document.querySelector('.note-bar')).toBeNull();
    page.destroy();
    ws.close();
  });

  it('ends when the connection drops and the link no longer holds', async () => {
    const { page, ws, sockets, me, ended } = setup({ id: 's', noteId: 'N', scope: 'run' });
    await page.mount();
    expect(document.querySelectorAll('[data-testid=run-paragraph]')).toHaveLength(2);
    // A drop while the link holds changes nothing.
    sockets[0]!.onclose?.({ code: 1006, reason: '' });
    await flush();
    expect(me).toHaveBeenCalledTimes(1);
    expect(document.querySelector('[data-testid=share-error]')).toBeNull();
    me.mockRejectedValueOnce(new ApiError(401, 'share revoked', 'unauthorized'));
    await new Promise((r) => setTimeout(r, 5)); // the reconnect
    sockets[1]!.onclose?.({ code: 1008, reason: 'share revoked' });
    await flush();
    expect(document.querySelector('[data-testid=share-error]')?.textContent).toContain('revoked');
    expect(document.querySelectorAll('[data-testid=paragraph]')).toHaveLength(0);
    expect(ended).toHaveBeenCalledOnce();
    ws.close();
  });
});

describe('RunWithoutText', () => {
  it('runs over the websocket without the text, so a run link never edits', async () => {
    const sockets: FakeSocket[] = [];
    const ws = new WsClient({ url: 'ws://t/ws', socket: () => sockets[sockets.push(new FakeSocket()) - 1]! });
    ws.connect();
    const s = sockets[0]!;
    s.readyState = 1;
    s.onopen?.({});
    s.onmessage?.({ data: JSON.stringify({ op: 'welcome', protocol: 2, connId: 'c', heartbeatMs: 1, maxMessageBytes: 1 }) });
    const t = new RunWithoutText({} as Api, ws);
    const run = t.run('N', 'p1', '%flink.ssql\nSELECT 1');
    const sent = JSON.parse(s.sent[s.sent.length - 1]!) as Record<string, unknown>;
    expect(sent).toMatchObject({ op: 'run', noteId: 'N', paragraphId: 'p1' });
    expect('text' in sent).toBe(false);
    s.onmessage?.({ data: JSON.stringify({ op: 'ack', reqId: sent['reqId'], for: 'run' }) });
    await run;
    ws.close();
  });

  it('runs over REST without saving the text first', async () => {
    const calls: string[] = [];
    const api = { updateParagraph: async () => void calls.push('update'), runParagraph: async (n: string, p: string) => void calls.push(`run ${n} ${p}`) } as unknown as Api;
    const ws = new WsClient({ url: 'ws://t/ws', socket: () => new FakeSocket() });
    await new RunWithoutText(api, ws).run('N', 'p1', 'text');
    expect(calls).toEqual(['run N p1']);
  });
});

describe('AuditPage', () => {
  it('lists events newest first and loads older ones from the last shown', async () => {
    const first = Array.from({ length: 50 }, (_, i) => ({ id: 100 - i, at: '2026-01-01T00:00:00Z', actor: 'ann', via: 'user', action: i === 0 ? 'share-created' : 'run', noteId: 'N', detail: '<script>x</script>' }));
    const audit = vi.fn().mockResolvedValueOnce(first).mockResolvedValueOnce([{ id: 50, at: '2026-01-01T00:00:00Z', actor: 'bob', via: 'link', action: 'share-used', noteId: null, detail: null }]);
    const page = new AuditPage({ api: { audit } as unknown as Api });
    document.body.replaceChildren(page.el);
    await page.mount();
    const rows = () => document.querySelectorAll('[data-testid=audit-row]');
    expect(rows()).toHaveLength(50);
    expect(rows()[0]?.getAttribute('data-action')).toBe('share-created');
    expect(document.querySelector('script')).toBeNull();
    const more = document.querySelector('[data-testid=audit-more]') as HTMLButtonElement;
    expect(more.hidden).toBe(false);
    more.click();
    await flush();
    expect(audit).toHaveBeenLastCalledWith(50, 51);
    expect(rows()).toHaveLength(51);
    expect(more.hidden).toBe(true);
  });
});
