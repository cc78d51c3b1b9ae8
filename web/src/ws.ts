// The websocket client: one connection per tab, protocol v2 (docs/websocket.md).
// It reconnects with exponential backoff and jitter, re-sends `hello` and
// re-subscribes every note after each (re)connect, so views catch up without
// a page reload. Requests carry a reqId and resolve on the matching ack.

import { parseCapacityRefusal } from './model/sessions';
import {
  PROTOCOL_VERSION,
  isNoteEvent,
  type AckMsg,
  type ClientRequest,
  type ErrorMsg,
  type NoteEventMsg,
  type ServerMsg,
} from './protocol';
import type { CapacityRefusal } from './schema';

export type ConnState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The part of the browser WebSocket the client uses (tests pass a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type SocketFactory = (url: string, protocols?: string[]) => SocketLike;

export interface WsOptions {
  url: string;
  /**
   * Subprotocols offered on connect; a page opened through a share link
   * offers its token as 'bearer.<token>' (browsers cannot set headers on
   * a websocket). Empty: none offered.
   */
  protocols?: string[];
  socket?: SocketFactory;
  /** First reconnect delay; doubles per failed attempt up to backoffMaxMs. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  requestTimeoutMs?: number;
  /** How often the client pings. */
  pingIntervalMs?: number;
  /** Silence after which the connection is presumed dead and replaced. */
  idleTimeoutMs?: number;
  /** Requests held while disconnected, at most. */
  maxQueued?: number;
  random?: () => number;
}

/** The code of a WsError: the server's, or the client's own when no reply came. */
export type WsErrorCode = ErrorMsg['code'] | 'closed' | 'disconnected' | 'timeout';

/** WsError is an error reply from the server, or a request that got none. */
export class WsError extends Error {
  constructor(
    readonly code: WsErrorCode,
    message: string,
    /** With code capacity_exceeded: what was refused, the KPUs needed and free, and who holds them. */
    readonly details?: CapacityRefusal,
  ) {
    super(message);
    this.name = 'WsError';
  }
}

type NoteHandler = (msg: NoteEventMsg) => void;

interface Subscription {
  noteId: string;
  handler: NoteHandler;
  seen: () => Record<string, number>;
}

interface Pending {
  resolve: (a: AckMsg) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  sent: boolean;
  req: ClientRequest & { reqId: string };
}

const OPEN = 1;

export class WsClient {
  state: ConnState = 'closed';
  /** Number of successful connects; views can show "reconnected". */
  connects = 0;
  connId = '';

  private readonly opts: Required<Omit<WsOptions, 'socket'>> & { socket: SocketFactory };
  private sock: SocketLike | null = null;
  private ready = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private nextId = 1;
  private stopped = true;
  private subs = new Map<string, Set<Subscription>>();
  private pending = new Map<string, Pending>();
  private stateListeners = new Set<(s: ConnState) => void>();
  private errorListeners = new Set<(e: WsError) => void>();
  private closeListeners = new Set<(code: number, reason: string) => void>();

  constructor(opts: WsOptions) {
    this.opts = {
      backoffInitialMs: 500,
      backoffMaxMs: 15_000,
      requestTimeoutMs: 20_000,
      pingIntervalMs: 20_000,
      idleTimeoutMs: 50_000,
      maxQueued: 200,
      random: Math.random,
      protocols: [],
      socket: (url, protocols) => (protocols && protocols.length > 0 ? new WebSocket(url, protocols) : new WebSocket(url)) as unknown as SocketLike,
      ...opts,
    } as Required<Omit<WsOptions, 'socket'>> & { socket: SocketFactory };
  }

  /** connect opens the connection and keeps it open until close(). */
  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open('connecting');
  }

  /** close stops the client for good: no reconnect, pending requests fail. */
  close(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.sock;
    this.sock = null;
    this.ready = false;
    if (s) {
      s.onclose = null;
      s.onmessage = null;
      s.onerror = null;
      s.close(1000, 'bye');
    }
    this.failPending(new WsError('closed', 'connection closed'), true);
    this.setState('closed');
  }

  onState(cb: (s: ConnState) => void): () => void {
    this.stateListeners.add(cb);
    return () => this.stateListeners.delete(cb);
  }

  /**
   * onClosed is told each time the connection drops (before the reconnect
   * is scheduled), with the close code and reason: a page can ask the server
   * whether its credential still holds, e.g. after its share link was revoked.
   */
  onClosed(cb: (code: number, reason: string) => void): () => void {
    this.closeListeners.add(cb);
    return () => this.closeListeners.delete(cb);
  }

  /** onError receives error replies that answer no request (e.g. a failed subscribe). */
  onError(cb: (e: WsError) => void): () => void {
    this.errorListeners.add(cb);
    return () => this.errorListeners.delete(cb);
  }

  /**
   * subscribe routes the note's events to handler and asks the server for
   * the note now and after every reconnect. `seen` tells the server which
   * result sequence each paragraph already has, so it can send deltas only.
   */
  subscribe(noteId: string, handler: NoteHandler, seen: () => Record<string, number> = () => ({})): () => void {
    const sub: Subscription = { noteId, handler, seen };
    let set = this.subs.get(noteId);
    if (!set) this.subs.set(noteId, (set = new Set()));
    const first = set.size === 0;
    set.add(sub);
    if (first && this.ready) this.sendSubscribe(noteId);
    return () => {
      const s = this.subs.get(noteId);
      if (!s) return;
      s.delete(sub);
      if (s.size === 0) {
        this.subs.delete(noteId);
        if (this.ready) this.rawSend({ op: 'unsubscribe', noteId });
      }
    };
  }

  /** resync asks again for the note's snapshot (after a sequence gap). */
  resync(noteId: string): void {
    if (this.ready && this.subs.has(noteId)) this.sendSubscribe(noteId);
  }

  /**
   * request sends a client message and resolves with its ack, or rejects
   * with the server's error reply. While disconnected the request waits
   * (bounded) and goes out after the next connect.
   */
  request(req: ClientRequest): Promise<AckMsg> {
    const reqId = 'r' + this.nextId++;
    const full = { ...req, reqId } as ClientRequest & { reqId: string };
    return new Promise<AckMsg>((resolve, reject) => {
      if (this.stopped) {
        reject(new WsError('closed', 'not connected'));
        return;
      }
      const queued = [...this.pending.values()].filter((p) => !p.sent).length;
      if (!this.ready && queued >= this.opts.maxQueued) {
        reject(new WsError('unavailable', 'too many requests waiting for the connection'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new WsError('timeout', `no reply to ${req.op} within ${this.opts.requestTimeoutMs} ms`));
      }, this.opts.requestTimeoutMs);
      const p: Pending = { resolve, reject, timer, sent: false, req: full };
      this.pending.set(reqId, p);
      if (this.ready) {
        p.sent = true;
        this.rawSend(full);
      }
    });
  }

  get isOpen(): boolean {
    return this.ready;
  }

  // ---- internals ----

  private open(state: ConnState): void {
    this.setState(state);
    let s: SocketLike;
    try {
      s = this.opts.socket(this.opts.url, this.opts.protocols);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.sock = s;
    s.onopen = () => {
      if (this.sock !== s) return;
      this.lastHeard = Date.now();
      this.rawSend({ op: 'hello', protocol: PROTOCOL_VERSION, client: 'eddy-web' });
    };
    s.onmessage = (ev) => {
      if (this.sock !== s) return;
      this.lastHeard = Date.now();
      let msg: ServerMsg;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMsg;
      } catch {
        return;
      }
      this.dispatch(msg);
    };
    s.onerror = () => {
      /* onclose follows */
    };
    s.onclose = (ev) => {
      if (this.sock !== s) return;
      this.sock = null;
      this.ready = false;
      this.stopPing();
      // Requests already sent may or may not have been applied; tell their callers.
      this.failPending(new WsError('disconnected', 'connection lost before the reply'), false);
      for (const l of [...this.closeListeners]) l(ev?.code ?? 1006, ev?.reason ?? '');
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  private dispatch(msg: ServerMsg): void {
    switch (msg.op) {
      case 'welcome':
        this.ready = true;
        this.attempt = 0;
        this.connects++;
        this.connId = msg.connId;
        this.startPing();
        this.setState('open');
        for (const noteId of this.subs.keys()) this.sendSubscribe(noteId);
        for (const p of this.pending.values()) {
          if (!p.sent) {
            p.sent = true;
            this.rawSend(p.req);
          }
        }
        return;
      case 'pong':
        return;
      case 'ack': {
        const p = msg.reqId ? this.pending.get(msg.reqId) : undefined;
        if (p) {
          this.pending.delete(msg.reqId as string);
          clearTimeout(p.timer);
          p.resolve(msg);
        }
        return;
      }
      case 'error': {
        const err = new WsError(msg.code, msg.message, msg.code === 'capacity_exceeded' ? parseCapacityRefusal(msg.details) : undefined);
        const p = msg.reqId ? this.pending.get(msg.reqId) : undefined;
        if (p) {
          this.pending.delete(msg.reqId as string);
          clearTimeout(p.timer);
          p.reject(err);
        } else {
          for (const l of this.errorListeners) l(err);
        }
        return;
      }
    }
    if (isNoteEvent(msg)) {
      const set = this.subs.get(msg.noteId);
      if (set) for (const s of [...set]) s.handler(msg);
    }
  }

  private sendSubscribe(noteId: string): void {
    const set = this.subs.get(noteId);
    const first = set ? [...set][0] : undefined;
    const seen = first ? first.seen() : {};
    this.rawSend({ op: 'subscribe', noteId, seen });
  }

  private rawSend(m: object): void {
    const s = this.sock;
    if (!s || s.readyState !== OPEN) return;
    try {
      s.send(JSON.stringify(m));
    } catch {
      /* the close handler reconnects */
    }
  }

  /** backoffDelay returns the delay before reconnect attempt n (0-based), with jitter in [50%, 100%]. */
  backoffDelay(n: number): number {
    const max = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** Math.min(n, 20));
    return Math.round(max * (0.5 + 0.5 * this.opts.random()));
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.setState('reconnecting');
    const delay = this.backoffDelay(this.attempt++);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open('reconnecting');
    }, delay);
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > this.opts.idleTimeoutMs) {
        // Silence: the connection is dead even if the browser has not noticed.
        const s = this.sock;
        if (s) {
          s.onclose?.({ code: 4000, reason: 'idle' });
          s.onclose = null;
          s.close(4000, 'idle');
        }
        return;
      }
      this.rawSend({ op: 'ping' });
    }, this.opts.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private clearTimers(): void {
    this.stopPing();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private failPending(err: WsError, all: boolean): void {
    for (const [id, p] of this.pending) {
      if (!all && !p.sent) continue;
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private setState(s: ConnState): void {
    if (this.state === s) return;
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }
}

/** wsURL returns the websocket URL for the page's origin. */
export function wsURL(loc: Location = window.location): string {
  return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + '/ws';
}
