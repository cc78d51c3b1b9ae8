// NoteSession is the state of one open note in this tab: the note as the
// server last sent it, local edits being saved, and the live state of its
// paragraphs. It talks to the server over the websocket (REST when the
// socket is down) and tells the views what changed. No DOM here.

import type { Api } from './api';
import { LiveStore } from './model/live';
import type { ParagraphConfig } from './model/note';
import type { Note, Paragraph } from './schema';
import { perf } from './perf';
import type { NoteEventMsg } from './protocol';
import { WsError, type WsClient } from './ws';

export type SaveState = 'saved' | 'saving' | 'error' | 'offline';

export interface ParagraphPatch {
  text?: string;
  title?: string;
  config?: ParagraphConfig;
}

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

export class NoteSession {
  note: Note | null = null;
  readonly live: LiveStore;
  saveState: SaveState = 'saved';
  saveDetail = '';

  private listeners = new Map<keyof Events, Set<Listener<never[]>>>();
  private unsubscribe: (() => void) | null = null;
  /** Per paragraph: the patch waiting to be sent, and whether one is in flight. */
  private pending = new Map<string, ParagraphPatch>();
  private inflight = new Set<string>();
  private timers = new Map<string, ReturnType<typeof setTimeout>>();
  private failed = new Map<string, string>();
  private stopped = false;

  constructor(
    readonly noteId: string,
    private readonly api: Api,
    private readonly ws: WsClient,
  ) {
    this.live = new LiveStore();
  }

  on<K extends keyof Events>(ev: K, cb: Listener<Events[K]>): () => void {
    let set = this.listeners.get(ev);
    if (!set) this.listeners.set(ev, (set = new Set()));
    set.add(cb as unknown as Listener<never[]>);
    return () => set?.delete(cb as unknown as Listener<never[]>);
  }

  private emit<K extends keyof Events>(ev: K, ...args: Events[K]): void {
    for (const cb of this.listeners.get(ev) ?? []) (cb as unknown as Listener<Events[K]>)(...args);
  }

  /** start loads the note over REST, then follows it over the websocket. */
  async start(): Promise<void> {
    const note = await this.api.getNote(this.noteId);
    if (this.stopped) return;
    this.note = normalise(note);
    this.emit('reset');
    this.unsubscribe = this.ws.subscribe(this.noteId, (m) => this.onEvent(m), () => this.live.seen());
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  paragraph(pid: string): Paragraph | undefined {
    return this.note?.paragraphs.find((p) => p.id === pid);
  }

  /** hasLocalEdits tells whether a paragraph has edits not yet acknowledged by the server. */
  hasLocalEdits(pid: string): boolean {
    return this.pending.has(pid) || this.inflight.has(pid) || this.timers.has(pid);
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

  /** flush sends a paragraph's waiting edits now and resolves when they are saved. */
  async flush(pid: string): Promise<void> {
    const t = this.timers.get(pid);
    if (t) {
      clearTimeout(t);
      this.timers.delete(pid);
      void this.send(pid);
    }
    while (this.inflight.has(pid) || this.pending.has(pid)) {
      await new Promise((r) => setTimeout(r, 25));
      if (this.stopped) return;
    }
  }

  private queue(pid: string, patch: ParagraphPatch, delay: number): void {
    const prev = this.pending.get(pid) ?? {};
    const merged: ParagraphPatch = { ...prev, ...patch };
    if (prev.config && patch.config) merged.config = { ...prev.config, ...patch.config };
    this.pending.set(pid, merged);
    this.updateSaveState();
    const t = this.timers.get(pid);
    if (t) clearTimeout(t);
    if (delay <= 0) {
      this.timers.delete(pid);
      void this.send(pid);
    } else {
      this.timers.set(
        pid,
        setTimeout(() => {
          this.timers.delete(pid);
          void this.send(pid);
        }, delay),
      );
    }
  }

  private async send(pid: string): Promise<void> {
    if (this.inflight.has(pid)) return; // sent again when the current save completes
    const patch = this.pending.get(pid);
    if (!patch) return;
    this.pending.delete(pid);
    this.inflight.add(pid);
    this.updateSaveState();
    try {
      await this.saveRemote(pid, patch);
      this.failed.delete(pid);
    } catch (e) {
      const err = e as Error;
      if (err instanceof WsError && (err.code === 'not_found' || err.code === 'invalid')) {
        this.failed.set(pid, err.message);
        this.emit('error', `Could not save: ${err.message}`);
      } else {
        // Transient: keep the edit (newer typing wins) and retry shortly.
        const newer = this.pending.get(pid);
        const retry: ParagraphPatch = { ...patch, ...newer };
        if (patch.config || newer?.config) retry.config = { ...patch.config, ...newer?.config };
        this.pending.set(pid, retry);
        this.failed.set(pid, err.message);
        if (!this.timers.has(pid) && !this.stopped) {
          this.timers.set(
            pid,
            setTimeout(() => {
              this.timers.delete(pid);
              void this.send(pid);
            }, 1500),
          );
        }
      }
    } finally {
      this.inflight.delete(pid);
      this.updateSaveState();
    }
    if (this.pending.has(pid) && !this.timers.has(pid)) void this.send(pid);
  }

  private async saveRemote(pid: string, patch: ParagraphPatch): Promise<void> {
    if (this.ws.isOpen) {
      await this.ws.request({ op: 'edit-paragraph', noteId: this.noteId, paragraphId: pid, ...patch });
      return;
    }
    if (patch.text !== undefined || patch.title !== undefined) {
      const body: { text?: string; title?: string } = {};
      if (patch.text !== undefined) body.text = patch.text;
      if (patch.title !== undefined) body.title = patch.title;
      await this.api.updateParagraph(this.noteId, pid, body);
    }
    if (patch.config) await this.api.updateParagraphConfig(this.noteId, pid, patch.config);
  }

  private updateSaveState(): void {
    let state: SaveState = 'saved';
    let detail = '';
    const busy = this.pending.size + this.inflight.size + this.timers.size;
    if (this.failed.size > 0) {
      state = this.ws.isOpen ? 'error' : 'offline';
      detail = [...this.failed.values()][0] ?? '';
    } else if (busy > 0) state = 'saving';
    if (state !== this.saveState || detail !== this.saveDetail) {
      this.saveState = state;
      this.saveDetail = detail;
      this.emit('save', state, detail);
    }
  }

  // ---- structure ----

  async addParagraph(index: number, text = '%flink.ssql\n'): Promise<string> {
    let pid: string;
    if (this.ws.isOpen) {
      const ack = await this.ws.request({ op: 'add-paragraph', noteId: this.noteId, index, text });
      const para = ack.paragraph;
      if (!para) throw new Error('server did not return the new paragraph');
      this.insertLocal(para, ack.index ?? index);
      pid = para.id;
    } else {
      pid = await this.api.addParagraph(this.noteId, { index, text });
      const para = await this.api.getParagraph(this.noteId, pid);
      this.insertLocal(para, index);
    }
    return pid;
  }

  async moveParagraph(pid: string, index: number): Promise<void> {
    const n = this.note?.paragraphs.length ?? 0;
    if (index < 0 || index >= n) return;
    this.moveLocal(pid, index);
    try {
      if (this.ws.isOpen) await this.ws.request({ op: 'move-paragraph', noteId: this.noteId, paragraphId: pid, index });
      else await this.api.moveParagraph(this.noteId, pid, index);
    } catch (e) {
      this.emit('error', `Could not move the paragraph: ${(e as Error).message}`);
      await this.reload();
    }
  }

  async deleteParagraph(pid: string): Promise<void> {
    if (this.ws.isOpen) await this.ws.request({ op: 'delete-paragraph', noteId: this.noteId, paragraphId: pid });
    else await this.api.deleteParagraph(this.noteId, pid);
    this.removeLocal(pid);
  }

  // ---- runs ----

  /** run saves the paragraph's text and starts it. */
  /** complete asks for SQL completions in this note (its gateway session knows its tables). */
  complete(text: string, bytePos: number): Promise<string[]> {
    return this.api.complete(this.noteId, text, bytePos);
  }

  async run(pid: string): Promise<void> {
    const p = this.paragraph(pid);
    const t = this.timers.get(pid);
    if (t) clearTimeout(t);
    this.timers.delete(pid);
    const patch = this.pending.get(pid);
    this.pending.delete(pid);
    if (patch && (patch.config || patch.title !== undefined)) {
      this.pending.set(pid, { ...(patch.config ? { config: patch.config } : {}), ...(patch.title !== undefined ? { title: patch.title } : {}) });
      void this.send(pid);
    }
    this.updateSaveState();
    if (this.ws.isOpen) {
      const req: { op: 'run'; noteId: string; paragraphId: string; text?: string } = { op: 'run', noteId: this.noteId, paragraphId: pid };
      if (p?.text !== undefined) req.text = p.text;
      await this.ws.request(req);
      return;
    }
    if (p?.text !== undefined) await this.api.updateParagraph(this.noteId, pid, { text: p.text });
    await this.api.runParagraph(this.noteId, pid);
  }

  async cancel(pid: string): Promise<void> {
    if (this.ws.isOpen) await this.ws.request({ op: 'cancel', noteId: this.noteId, paragraphId: pid });
    else await this.api.cancelParagraph(this.noteId, pid);
  }

  async runAll(): Promise<void> {
    for (const p of this.note?.paragraphs ?? []) await this.flush(p.id);
    if (this.ws.isOpen) await this.ws.request({ op: 'run-all', noteId: this.noteId });
    else await this.api.runNote(this.noteId);
  }

  async reload(): Promise<void> {
    this.note = normalise(await this.api.getNote(this.noteId));
    this.emit('reset');
  }

  // ---- server events ----

  private onEvent(m: NoteEventMsg): void {
    switch (m.op) {
      case 'note':
        this.note = mergeLocal(normalise(m.note), this);
        this.emit('reset');
        return;
      case 'note-removed':
        this.emit('removed');
        return;
      case 'paragraph': {
        if (!this.note) return;
        const idx = this.note.paragraphs.findIndex((p) => p.id === m.paragraph.id);
        const local = idx >= 0 ? this.note.paragraphs[idx] : undefined;
        const incoming = { ...m.paragraph };
        // Our own unsaved typing wins over an older copy from the server.
        if (local && this.hasLocalEdits(incoming.id)) {
          incoming.text = local.text;
          if (this.pending.get(incoming.id)?.title !== undefined) incoming.title = local.title;
          if (this.pending.get(incoming.id)?.config) incoming.config = local.config;
        }
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
        if (out.gaps.length > 0) this.ws.resync(this.noteId);
        if (perf.enabled) perf.record('live-handle', performance.now() - t0);
        return;
      }
    }
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

function applyPatch(p: Paragraph, patch: ParagraphPatch): void {
  if (patch.text !== undefined) p.text = patch.text;
  if (patch.title !== undefined) p.title = patch.title;
  if (patch.config) p.config = { ...(p.config ?? {}), ...patch.config };
}

/** mergeLocal keeps unsaved local text when a fresh snapshot arrives. */
function mergeLocal(fresh: Note, s: NoteSession): Note {
  const old = s.note;
  if (!old) return fresh;
  for (const p of fresh.paragraphs) {
    if (!s.hasLocalEdits(p.id)) continue;
    const mine = old.paragraphs.find((x) => x.id === p.id);
    if (mine) {
      p.text = mine.text;
      p.title = mine.title;
      p.config = mine.config;
    }
  }
  return fresh;
}
