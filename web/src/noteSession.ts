// NoteSession is the state of one open note in this tab: the note as the
// server last sent it, local edits being saved, and the live state of its
// paragraphs. It talks to the server through one NoteTransport (websocket,
// or REST while the websocket is down) and tells the views what changed.
// No DOM here.

import { LiveStore } from './model/live';
import { perf } from './perf';
import { recordParams } from './model/forms';
import type { NoteEventMsg, ParamsPatch } from './protocol';
import type { Note, Paragraph } from './schema';
import type { NoteTransport, ParagraphPatch } from './transport';

export type SaveState = 'saved' | 'saving' | 'error' | 'offline';

type Events = {
  reset: [];
  paragraph: [pid: string];
  structure: [];
  live: [pids: string[]];
  session: [];
  save: [state: SaveState, detail: string];
  removed: [];
  error: [message: string];
};

type Listener<A extends unknown[]> = (...args: A) => void;

/** AUTOSAVE_MS is how long typing must pause before text is saved. */
export const AUTOSAVE_MS = 600;

/**
 * A save that failed for a reason a retry may fix (no connection, server
 * unavailable) is retried after RETRY_MS, doubling up to RETRY_MAX_MS, for
 * as long as the note is open: the edit is kept and never dropped, and the
 * save state shows the error meanwhile.
 */
export const RETRY_MS = 1_500;
export const RETRY_MAX_MS = 30_000;

/** Error codes no retry can fix: the save is dropped and the error shown. */
const PERMANENT = new Set(['invalid', 'not_found', 'too_large']);

export class NoteSession {
  note: Note | null = null;
  readonly live = new LiveStore();
  saveState: SaveState = 'saved';
  saveDetail = '';

  private listeners = new Map<keyof Events, Set<Listener<never[]>>>();
  private unsubscribe: (() => void) | null = null;
  // Per paragraph: the patch waiting to be sent, the patch being sent, the
  // timer that will send the waiting one (autosave or retry), and the last
  // error. At most one save per paragraph is in flight.
  private pending = new Map<string, ParagraphPatch>();
  private inflight = new Map<string, ParagraphPatch>();
  private timers = new Map<string, ReturnType<typeof setTimeout>>();
  private failed = new Map<string, string>();
  private retries = new Map<string, number>();
  /** Paragraphs whose text travels with a run request not yet answered. */
  private runText = new Set<string>();
  /** flush callers waiting for a paragraph's edits to be saved. */
  private waiters = new Map<string, Array<() => void>>();
  private stopped = false;

  constructor(
    readonly noteId: string,
    private readonly transport: NoteTransport,
  ) {}

  on<K extends keyof Events>(ev: K, cb: Listener<Events[K]>): () => void {
    let set = this.listeners.get(ev);
    if (!set) this.listeners.set(ev, (set = new Set()));
    set.add(cb as unknown as Listener<never[]>);
    return () => set?.delete(cb as unknown as Listener<never[]>);
  }

  private emit<K extends keyof Events>(ev: K, ...args: Events[K]): void {
    for (const cb of this.listeners.get(ev) ?? []) (cb as unknown as Listener<Events[K]>)(...args);
  }

  /** start loads the note, then follows its events. */
  async start(): Promise<void> {
    const note = await this.transport.load(this.noteId);
    if (this.stopped) return;
    this.note = normalise(note);
    this.emit('reset');
    this.unsubscribe = this.transport.subscribe(this.noteId, (m) => this.onEvent(m), () => this.live.seen());
  }

  /** stop ends following the note. Edits still waiting are sent now, once: a failure is not retried. */
  stop(): void {
    for (const pid of [...this.timers.keys()]) {
      this.clearTimer(pid);
      void this.send(pid);
    }
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const pid of [...this.waiters.keys()]) this.release(pid);
  }

  paragraph(pid: string): Paragraph | undefined {
    return this.note?.paragraphs.find((p) => p.id === pid);
  }

  /** hasLocalEdits tells whether a paragraph has edits the server has not acknowledged. */
  hasLocalEdits(pid: string): boolean {
    return this.pending.has(pid) || this.inflight.has(pid) || this.runText.has(pid);
  }

  /** hasUnsavedText tells whether a paragraph's text here is newer than the server's. */
  hasUnsavedText(pid: string): boolean {
    return this.pending.get(pid)?.text !== undefined || this.inflight.get(pid)?.text !== undefined || this.runText.has(pid);
  }

  // ---- edits ----

  /** editText records typing; it is saved after a pause (autosave). */
  editText(pid: string, text: string): void {
    const p = this.paragraph(pid);
    if (p) p.text = text;
    this.queue(pid, { text }, AUTOSAVE_MS);
  }

  /** editTitle records a title change; saved after a pause like text. */
  editTitle(pid: string, title: string): void {
    const p = this.paragraph(pid);
    if (p) p.title = title;
    this.queue(pid, { title }, AUTOSAVE_MS);
  }

  /** edit saves a patch now (title, config). Config keys are merged into the paragraph's config. */
  edit(pid: string, patch: ParagraphPatch): void {
    const p = this.paragraph(pid);
    if (p) applyPatch(p, patch);
    this.queue(pid, patch, 0);
  }

  /**
   * setNoteParams saves values of the note's forms ($${...}); the note's
   * viewers, this one included, are sent the changed note.
   */
  async setNoteParams(params: ParamsPatch): Promise<void> {
    const n = this.note;
    if (n) {
      const rec = recordParams({ params: n.noteParams, forms: n.noteForms }, params, n.paragraphs.map((p) => p.text ?? ''), true);
      n.noteParams = rec.params;
      n.noteForms = rec.forms;
    }
    await this.transport.editNoteParams(this.noteId, params);
  }

  /**
   * flush sends a paragraph's waiting edits now and resolves when the server
   * has them (or the save failed for good, or the session stopped).
   */
  flush(pid: string): Promise<void> {
    if (this.pending.has(pid)) {
      // Now, or as soon as the save in flight completes.
      this.clearTimer(pid);
      void this.send(pid);
    }
    if (!this.pending.has(pid) && !this.inflight.has(pid)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(pid);
      if (list) list.push(resolve);
      else this.waiters.set(pid, [resolve]);
    });
  }

  private queue(pid: string, patch: ParagraphPatch, delay: number): void {
    this.pending.set(pid, mergePatch(this.pending.get(pid), patch));
    this.updateSaveState();
    this.clearTimer(pid);
    if (delay <= 0) void this.send(pid);
    else this.later(pid, delay);
  }

  private later(pid: string, delay: number): void {
    this.timers.set(
      pid,
      setTimeout(() => {
        this.timers.delete(pid);
        void this.send(pid);
      }, delay),
    );
  }

  private clearTimer(pid: string): void {
    const t = this.timers.get(pid);
    if (t) clearTimeout(t);
    this.timers.delete(pid);
  }

  private async send(pid: string): Promise<void> {
    if (this.inflight.has(pid)) return; // the waiting patch goes when the current save completes
    const patch = this.pending.get(pid);
    if (!patch) return;
    this.pending.delete(pid);
    this.inflight.set(pid, patch);
    this.updateSaveState();
    let retryIn = 0;
    try {
      await this.transport.editParagraph(this.noteId, pid, patch);
      this.failed.delete(pid);
      this.retries.delete(pid);
    } catch (e) {
      const err = e as Error;
      this.failed.set(pid, err.message);
      if (PERMANENT.has(errorCode(e))) {
        this.retries.delete(pid);
        this.emit('error', `Could not save: ${err.message}`);
      } else {
        // Keep the edit under newer ones, with the text and title as they are
        // here now: a run may have carried newer text meanwhile.
        const retry = mergePatch(patch, this.pending.get(pid));
        const p = this.paragraph(pid);
        if (p && retry.text !== undefined) retry.text = p.text;
        if (p && retry.title !== undefined) retry.title = p.title;
        this.pending.set(pid, retry);
        const n = this.retries.get(pid) ?? 0;
        this.retries.set(pid, n + 1);
        retryIn = Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** n);
      }
    } finally {
      this.inflight.delete(pid);
    }
    if (this.pending.has(pid) && !this.timers.has(pid) && !this.stopped) {
      if (retryIn > 0) this.later(pid, retryIn);
      else void this.send(pid); // edits made while this save was in flight
    }
    this.updateSaveState();
    if (!this.pending.has(pid) && !this.inflight.has(pid)) this.release(pid);
  }

  private release(pid: string): void {
    const list = this.waiters.get(pid);
    this.waiters.delete(pid);
    for (const resolve of list ?? []) resolve();
  }

  private updateSaveState(): void {
    let state: SaveState = 'saved';
    let detail = '';
    if (this.failed.size > 0) {
      state = this.transport.online ? 'error' : 'offline';
      detail = [...this.failed.values()][0] ?? '';
    } else if (this.pending.size + this.inflight.size > 0) state = 'saving';
    if (state !== this.saveState || detail !== this.saveDetail) {
      this.saveState = state;
      this.saveDetail = detail;
      this.emit('save', state, detail);
    }
  }

  // ---- structure ----

  async addParagraph(index: number, text = '%flink.ssql\n'): Promise<string> {
    const added = await this.transport.addParagraph(this.noteId, index, text);
    this.insertLocal(added.paragraph, added.index);
    return added.paragraph.id;
  }

  async moveParagraph(pid: string, index: number): Promise<void> {
    const n = this.note?.paragraphs.length ?? 0;
    if (index < 0 || index >= n) return;
    this.moveLocal(pid, index);
    try {
      await this.transport.moveParagraph(this.noteId, pid, index);
    } catch (e) {
      this.emit('error', `Could not move the paragraph: ${(e as Error).message}`);
      await this.reload();
    }
  }

  async deleteParagraph(pid: string): Promise<void> {
    await this.transport.deleteParagraph(this.noteId, pid);
    this.removeLocal(pid);
  }

  // ---- runs ----

  /** complete asks for SQL completions in this note (its gateway session knows its tables). */
  complete(text: string, bytePos: number): Promise<string[]> {
    return this.transport.complete(this.noteId, text, bytePos);
  }

  /** run starts the paragraph; its text goes with the request, other waiting edits are saved now. */
  async run(pid: string): Promise<void> {
    const text = this.paragraph(pid)?.text;
    const patch = this.pending.get(pid);
    if (patch?.text !== undefined) {
      this.clearTimer(pid);
      const rest = { ...patch };
      delete rest.text;
      if (rest.title !== undefined || rest.config || rest.params) this.pending.set(pid, rest);
      else this.pending.delete(pid);
      void this.send(pid);
    }
    this.updateSaveState();
    this.runText.add(pid);
    try {
      await this.transport.run(this.noteId, pid, text);
    } finally {
      this.runText.delete(pid);
    }
  }

  async cancel(pid: string): Promise<void> {
    await this.transport.cancel(this.noteId, pid);
  }

  /** clearOutput removes a paragraph's output, or every paragraph's without pid; the server refuses while it (or one) runs. */
  async clearOutput(pid?: string): Promise<void> {
    await this.transport.clearOutput(this.noteId, pid);
  }

  /** runAll saves every paragraph's waiting edits, then runs the note. */
  async runAll(): Promise<void> {
    await Promise.all((this.note?.paragraphs ?? []).map((p) => this.flush(p.id)));
    await this.transport.runAll(this.noteId);
  }

  async reload(): Promise<void> {
    this.note = this.keepLocal(normalise(await this.transport.load(this.noteId)));
    this.emit('reset');
  }

  // ---- server events ----

  private onEvent(m: NoteEventMsg): void {
    switch (m.op) {
      case 'note':
        this.note = this.keepLocal(normalise(m.note));
        this.emit('reset');
        return;
      case 'note-removed':
        this.emit('removed');
        return;
      case 'paragraph': {
        if (!this.note) return;
        const idx = this.note.paragraphs.findIndex((p) => p.id === m.paragraph.id);
        const held = idx >= 0 ? this.note.paragraphs[idx] : undefined;
        const incoming = this.keepLocalParagraph({ ...m.paragraph }, held);
        if (m.resultsLive) incoming.results = held?.results;
        if (idx >= 0) this.note.paragraphs[idx] = incoming;
        else this.note.paragraphs.push(incoming);
        this.emit('paragraph', incoming.id);
        return;
      }
      case 'paragraph-added':
        this.insertLocal(m.paragraph, m.index);
        return;
      case 'paragraph-moved':
        this.moveLocal(m.paragraphId, m.index);
        return;
      case 'paragraph-removed':
        this.removeLocal(m.paragraphId);
        return;
      case 'live': {
        const t0 = perf.enabled ? performance.now() : 0;
        const out = this.live.apply(m);
        if (out.changed.length > 0) this.emit('live', out.changed);
        if (out.session) this.emit('session');
        if (out.gaps.length > 0) this.transport.resync(this.noteId);
        if (perf.enabled) perf.record('live-handle', performance.now() - t0);
        return;
      }
    }
  }

  /** keepLocal keeps this tab's unacknowledged edits in a fresh copy of the note. */
  private keepLocal(fresh: Note): Note {
    const old = this.note;
    if (!old) return fresh;
    fresh.paragraphs = fresh.paragraphs.map((p) => this.keepLocalParagraph(p, old.paragraphs.find((x) => x.id === p.id)));
    return fresh;
  }

  /**
   * keepLocalParagraph returns the server's copy of a paragraph with the
   * fields this tab has changed and the server has not acknowledged taken
   * from the local copy: the newest typing wins over an older copy, and
   * remote changes to other fields apply.
   */
  private keepLocalParagraph(fresh: Paragraph, mine: Paragraph | undefined): Paragraph {
    if (!mine || !this.hasLocalEdits(fresh.id)) return fresh;
    const unsaved = mergePatch(this.inflight.get(fresh.id), this.pending.get(fresh.id));
    if (this.hasUnsavedText(fresh.id)) fresh.text = mine.text;
    if (unsaved.title !== undefined) fresh.title = mine.title;
    if (unsaved.config) fresh.config = { ...(fresh.config ?? {}), ...unsaved.config };
    if (unsaved.params) fresh.settings = { ...fresh.settings, ...mine.settings };
    return fresh;
  }

  private insertLocal(p: Paragraph, index: number): void {
    if (!this.note) return;
    if (this.note.paragraphs.some((x) => x.id === p.id)) return;
    const i = Math.max(0, Math.min(index, this.note.paragraphs.length));
    this.note.paragraphs.splice(i, 0, p);
    this.emit('structure');
  }

  private moveLocal(pid: string, index: number): void {
    if (!this.note) return;
    const from = this.note.paragraphs.findIndex((p) => p.id === pid);
    if (from < 0 || from === index) return;
    const [p] = this.note.paragraphs.splice(from, 1);
    if (p) this.note.paragraphs.splice(Math.max(0, Math.min(index, this.note.paragraphs.length)), 0, p);
    this.emit('structure');
  }

  private removeLocal(pid: string): void {
    if (!this.note) return;
    const before = this.note.paragraphs.length;
    this.note.paragraphs = this.note.paragraphs.filter((p) => p.id !== pid);
    if (this.note.paragraphs.length !== before) this.emit('structure');
  }
}

function normalise(n: Note): Note {
  return { ...n, paragraphs: Array.isArray(n.paragraphs) ? n.paragraphs : [] };
}

/** mergePatch lays newer over older; config keys merge. */
function mergePatch(older: ParagraphPatch | undefined, newer: ParagraphPatch | undefined): ParagraphPatch {
  const out: ParagraphPatch = { ...older, ...newer };
  if (older?.config && newer?.config) out.config = { ...older.config, ...newer.config };
  if (older?.params && newer?.params) out.params = { ...older.params, ...newer.params };
  return out;
}

function applyPatch(p: Paragraph, patch: ParagraphPatch): void {
  if (patch.text !== undefined) p.text = patch.text;
  if (patch.title !== undefined) p.title = patch.title;
  if (patch.config) p.config = { ...(p.config ?? {}), ...patch.config };
  if (patch.params) p.settings = recordParams(p.settings ?? {}, patch.params, [p.text ?? ''], false);
}

/** errorCode is the code an API or websocket error carries, "" for others. */
function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}
