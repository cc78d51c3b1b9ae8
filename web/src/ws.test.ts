import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveStore } from './model/live';
import { EPOCH } from './model/table';
import type { LiveMsg, NoteEventMsg } from './protocol';
import { WsClient, WsError, type SocketLike } from './ws';

/** FakeSocket plays the server side of one connection. */
class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  closed = false;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(): void {
    this.closed = true;
    this.readyState = 3;
  }
  // server-side helpers
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(m: object): void {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
  ops(): string[] {
    return this.sent.map((m) => String(m['op']));
  }
  last(op: string): Record<string, unknown> | undefined {
    return [...this.sent].reverse().find((m) => m['op'] === op);
  }
}

let sockets: FakeSocket[];

function client(opts: Partial<ConstructorParameters<typeof WsClient>[0]> = {}): WsClient {
  return new WsClient({
    url: 'ws://test/ws',
    socket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    random: () => 1, // no jitter: delays are exact
    backoffInitialMs: 100,
    backoffMaxMs: 1000,
    ...opts,
  });
}

function welcome(s: FakeSocket, connId = 'c1'): void {
  s.open();
  s.push({ op: 'welcome', protocol: 2, connId, heartbeatMs: 25000, maxMessageBytes: 5242880 });
}

beforeEach(() => {
  sockets = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WsClient', () => {
  it('says hello, then subscribes the notes it follows', () => {
    const c = client();
    const got: NoteEventMsg[] = [];
    c.subscribe('N1', (m) => got.push(m), () => ({ p1: 5 }));
    c.connect();
    const s = sockets[0]!;
    s.open();
    expect(s.ops()).toEqual(['hello']);
    expect(s.sent[0]).toMatchObject({ protocol: 2 });
    s.push({ op: 'welcome', protocol: 2, connId: 'c1', heartbeatMs: 1, maxMessageBytes: 1 });
    expect(c.state).toBe('open');
    expect(s.last('subscribe')).toEqual({ op: 'subscribe', noteId: 'N1', seen: { p1: 5 } });
    s.push({ op: 'paragraph', noteId: 'N1', paragraph: { id: 'p1' } });
    s.push({ op: 'paragraph', noteId: 'OTHER', paragraph: { id: 'p9' } });
    expect(got.map((m) => m.op)).toEqual(['paragraph']);
  });

  it('offers its subprotocols and tells when the connection drops', () => {
    const offered: Array<string[] | undefined> = [];
    const closes: Array<[number, string]> = [];
    const c = client({
      protocols: ['eddy', 'bearer.tok'],
      socket: (_url, protocols) => {
        offered.push(protocols);
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
    });
    c.onClosed((code, reason) => closes.push([code, reason]));
    c.connect();
    welcome(sockets[0]!);
    sockets[0]!.drop();
    expect(closes).toEqual([[1006, '']]);
    vi.advanceTimersByTime(100);
    expect(offered).toEqual([
      ['eddy', 'bearer.tok'],
      ['eddy', 'bearer.tok'],
    ]);
    c.close();
    expect(closes).toHaveLength(1);
  });

  it('resolves requests on their ack and rejects on their error', async () => {
    const c = client();
    c.connect();
    welcome(sockets[0]!);
    const s = sockets[0]!;
    const a = c.request({ op: 'run', noteId: 'N', paragraphId: 'p' });
    const b = c.request({ op: 'cancel', noteId: 'N', paragraphId: 'p' });
    const [ra, rb] = s.sent.slice(-2);
    s.push({ op: 'error', reqId: rb!['reqId'], for: 'cancel', code: 'unavailable', message: 'no runner' });
    s.push({ op: 'ack', reqId: ra!['reqId'], for: 'run' });
    await expect(a).resolves.toMatchObject({ op: 'ack', for: 'run' });
    await expect(b).rejects.toMatchObject({ code: 'unavailable', message: 'no runner' });
  });

  it('carries the code and details of an error reply', async () => {
    const c = client();
    c.connect();
    welcome(sockets[0]!);
    const s = sockets[0]!;
    const details = { what: 'start a notebook session', needed: 2, free: 0, capacity: 3, holders: [{ noteId: '2A3', noteName: 'A', sessionId: '9f', kpus: 3 }] };
    const run = c.request({ op: 'run', noteId: 'N', paragraphId: 'p' });
    s.push({ op: 'error', reqId: s.last('run')!['reqId'], for: 'run', code: 'capacity_exceeded', message: 'not enough KPUs …', details });
    await expect(run).rejects.toMatchObject({ name: 'WsError', code: 'capacity_exceeded', details });
    const cancel = c.request({ op: 'cancel', noteId: 'N', paragraphId: 'p' });
    s.push({ op: 'error', reqId: s.last('cancel')!['reqId'], for: 'cancel', code: 'not_found', message: 'no such paragraph', details });
    await expect(cancel).rejects.toMatchObject({ code: 'not_found', details: undefined });
  });

  it('reconnects with exponential backoff and resubscribes with what it has seen', () => {
    const c = client();
    const live = new LiveStore();
    c.subscribe('N1', () => {}, () => live.seen());
    c.connect();
    welcome(sockets[0]!);
    const snap: LiveMsg = {
      op: 'live',
      noteId: 'N1',
      full: true,
      paragraphs: [{ paragraphId: 'p1', status: 'RUNNING', progress: 0, dateStarted: 't1', result: { seq: EPOCH + 4, snapshot: { mode: 'update', columns: [{ name: 'a', type: 'INT' }], rows: [], rowsReceived: 0, rowsHidden: 0, truncated: false, version: 4 } } }],
    };
    live.apply(snap);

    sockets[0]!.drop();
    expect(c.state).toBe('reconnecting');
    vi.advanceTimersByTime(99);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop(); // second attempt fails: 200 ms next
    vi.advanceTimersByTime(199);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    welcome(sockets[2]!, 'c2');
    expect(c.state).toBe('open');
    expect(c.connects).toBe(2);
    expect(c.connId).toBe('c2');
    expect(sockets[2]!.last('subscribe')).toEqual({ op: 'subscribe', noteId: 'N1', seen: { p1: EPOCH + 4 } });
    // Backoff starts over after a successful connect.
    sockets[2]!.drop();
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(4);
  });

  it('caps the backoff and applies jitter within [50%, 100%]', () => {
    const c = client({ random: () => 0 });
    expect(c.backoffDelay(0)).toBe(50);
    expect(c.backoffDelay(3)).toBe(400);
    expect(c.backoffDelay(30)).toBe(500);
  });

  it('holds requests while disconnected and fails those in flight when the connection drops', async () => {
    const c = client();
    c.connect();
    welcome(sockets[0]!);
    const inflight = c.request({ op: 'edit-paragraph', noteId: 'N', paragraphId: 'p', text: 'a' });
    sockets[0]!.drop();
    await expect(inflight).rejects.toBeInstanceOf(WsError);
    const queued = c.request({ op: 'edit-paragraph', noteId: 'N', paragraphId: 'p', text: 'b' });
    vi.advanceTimersByTime(100);
    const s = sockets[1]!;
    welcome(s);
    const sent = s.last('edit-paragraph');
    expect(sent).toMatchObject({ text: 'b' });
    s.push({ op: 'ack', reqId: sent!['reqId'], for: 'edit-paragraph' });
    await expect(queued).resolves.toMatchObject({ for: 'edit-paragraph' });
  });

  it('replaces a silent connection', () => {
    const c = client({ pingIntervalMs: 1000, idleTimeoutMs: 2500 });
    c.connect();
    welcome(sockets[0]!);
    vi.advanceTimersByTime(1000);
    expect(sockets[0]!.ops()).toContain('ping');
    vi.advanceTimersByTime(2000); // 3 s of silence > 2.5 s
    expect(sockets[0]!.closed).toBe(true);
    expect(c.state).toBe('reconnecting');
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
  });

  it('resync re-sends subscribe; unsubscribe tells the server', () => {
    const c = client();
    const off = c.subscribe('N1', () => {});
    c.connect();
    welcome(sockets[0]!);
    const s = sockets[0]!;
    c.resync('N1');
    expect(s.ops().filter((o) => o === 'subscribe')).toHaveLength(2);
    off();
    expect(s.last('unsubscribe')).toEqual({ op: 'unsubscribe', noteId: 'N1' });
  });

  it('close stops reconnecting and fails pending requests', async () => {
    const c = client();
    c.connect();
    welcome(sockets[0]!);
    const p = c.request({ op: 'ping' });
    c.close();
    await expect(p).rejects.toMatchObject({ code: 'closed' });
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
    expect(c.state).toBe('closed');
  });
});
