import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { paragraph } from './fixtures';
import { AUTOSAVE_MS, NoteSession, RETRY_MAX_MS, RETRY_MS, type SaveState } from './noteSession';
import type { NoteEventMsg, ParamsPatch } from './protocol';
import type { Note, Paragraph } from './schema';
import type { AddedParagraph, NoteTransport, ParagraphPatch } from './transport';
import { WsError } from './ws';

/** A request the fake server has not answered yet. */
interface Call<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

interface Edit extends Call<void> {
  pid: string;
  patch: ParagraphPatch;
}

/**
 * FakeTransport plays the server: every edit waits until the test answers
 * it, and the test pushes the note's events.
 */
class FakeTransport implements NoteTransport {
  online = true;
  edits: Edit[] = [];
  runs: Array<{ pid: string; text: string | undefined }> = [];
  runAlls = 0;
  private onEvent: ((m: NoteEventMsg) => void) | null = null;

  constructor(private readonly note: Note) {}

  load(): Promise<Note> {
    return Promise.resolve(structuredClone(this.note));
  }

  subscribe(_noteId: string, onEvent: (m: NoteEventMsg) => void): () => void {
    this.onEvent = onEvent;
    return () => (this.onEvent = null);
  }

  resync(): void {}

  complete(): Promise<string[]> {
    return Promise.resolve([]);
  }

  editParagraph(_noteId: string, pid: string, patch: ParagraphPatch): Promise<void> {
    return new Promise((resolve, reject) => this.edits.push({ pid, patch: structuredClone(patch), resolve, reject }));
  }

  addParagraph(): Promise<AddedParagraph> {
    return Promise.reject(new Error('not used'));
  }

  moveParagraph(): Promise<void> {
    return Promise.resolve();
  }

  deleteParagraph(): Promise<void> {
    return Promise.resolve();
  }

  run(_noteId: string, pid: string, text: string | undefined): Promise<void> {
    this.runs.push({ pid, text });
    return Promise.resolve();
  }

  cancel(): Promise<void> {
    return Promise.resolve();
  }

  runAll(): Promise<void> {
    this.runAlls++;
    return Promise.resolve();
  }

  noteParams: ParamsPatch[] = [];

  editNoteParams(_noteId: string, params: ParamsPatch): Promise<void> {
    this.noteParams.push(structuredClone(params));
    return Promise.resolve();
  }

  clears: Array<string | undefined> = [];

  clearOutput(_noteId: string, pid: string | undefined): Promise<void> {
    this.clears.push(pid);
    return Promise.resolve();
  }

  /** push delivers a note event from the server. */
  push(m: NoteEventMsg): void {
    this.onEvent?.(m);
  }

  /** texts lists the text of every edit sent, in order. */
  texts(): Array<string | undefined> {
    return this.edits.map((e) => e.patch.text);
  }
}

const para = (id: string, text: string, over: Partial<Paragraph> = {}): Paragraph => paragraph({ id, text, ...over });

function note(): Note {
  return { id: 'N1', name: 'N', path: '/N', paragraphs: [para('p1', '%md one', { title: 'One' }), para('p2', '%md two')] };
}

/** settle lets answered requests finish (promise callbacks) without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

let t: FakeTransport;
let s: NoteSession;
let states: SaveState[];
let errors: string[];

beforeEach(async () => {
  vi.useFakeTimers();
  t = new FakeTransport(note());
  s = new NoteSession('N1', t);
  states = [];
  errors = [];
  s.on('save', (st) => states.push(st));
  s.on('error', (m) => errors.push(m));
  await s.start();
});

afterEach(() => {
  s.stop();
  vi.useRealTimers();
});

describe('NoteSession autosave', () => {
  it('saves typing once it pauses, with the last text', async () => {
    s.editText('p1', '%md o');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS / 2);
    s.editText('p1', '%md on');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS - 1);
    expect(t.edits).toHaveLength(0);
    expect(s.saveState).toBe('saving');
    await vi.advanceTimersByTimeAsync(1);
    expect(t.edits.map((e) => [e.pid, e.patch])).toEqual([['p1', { text: '%md on' }]]);
    t.edits[0]?.resolve();
    await settle();
    expect(s.saveState).toBe('saved');
    expect(s.hasLocalEdits('p1')).toBe(false);
  });

  it('keeps edits made while a save is in flight and sends them when it completes', async () => {
    s.editText('p1', 'a');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    s.editText('p1', 'ab');
    s.editTitle('p1', 'Title');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(t.texts()).toEqual(['a']); // one save per paragraph at a time
    t.edits[0]?.resolve();
    await settle();
    expect(t.edits[1]?.patch).toEqual({ text: 'ab', title: 'Title' });
    expect(s.saveState).toBe('saving');
    t.edits[1]?.resolve();
    await settle();
    expect(s.saveState).toBe('saved');
    expect(t.edits).toHaveLength(2);
  });

  it('saves config changes at once, merging keys not yet sent', async () => {
    s.edit('p2', { config: { editorHide: true } });
    s.edit('p2', { config: { tableHide: true } });
    expect(t.edits.map((e) => e.patch)).toEqual([{ config: { editorHide: true } }]);
    t.edits[0]?.resolve();
    await settle();
    expect(t.edits[1]?.patch).toEqual({ config: { tableHide: true } });
    expect(s.paragraph('p2')?.config).toEqual({ editorHide: true, tableHide: true });
  });

  it('flush sends waiting edits now and resolves once they are saved', async () => {
    s.editText('p1', 'x');
    let flushed = false;
    const f = s.flush('p1').then(() => (flushed = true));
    expect(t.texts()).toEqual(['x']);
    await settle();
    expect(flushed).toBe(false);
    t.edits[0]?.resolve();
    await f;
    expect(flushed).toBe(true);
    await expect(s.flush('p2')).resolves.toBeUndefined(); // nothing waiting
  });

  it('flush waits for the save in flight and the edits made during it', async () => {
    s.editText('p1', 'x');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    s.editText('p1', 'xy');
    let flushed = false;
    const f = s.flush('p1').then(() => (flushed = true));
    t.edits[0]?.resolve();
    await settle();
    expect(t.texts()).toEqual(['x', 'xy']); // no second autosave pause
    expect(flushed).toBe(false);
    t.edits[1]?.resolve();
    await f;
  });

  it('run all saves every paragraph first', async () => {
    s.editText('p1', 'one');
    s.editText('p2', 'two');
    const done = s.runAll();
    await settle();
    expect(t.texts().sort()).toEqual(['one', 'two']);
    expect(t.runAlls).toBe(0);
    for (const e of t.edits) e.resolve();
    await done;
    expect(t.runAlls).toBe(1);
  });

  it('a run carries the waiting text; the other waiting edits are saved', async () => {
    s.editTitle('p1', 'New title');
    s.editText('p1', 'SELECT 1');
    await s.run('p1');
    expect(t.runs).toEqual([{ pid: 'p1', text: 'SELECT 1' }]);
    expect(t.edits.map((e) => e.patch)).toEqual([{ title: 'New title' }]);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2);
    expect(t.edits).toHaveLength(1);
  });

  it('stop sends the edits still waiting for the pause', async () => {
    s.editText('p1', 'last words');
    s.stop();
    expect(t.texts()).toEqual(['last words']);
  });
});

describe('NoteSession clear output', () => {
  it('asks the server to clear one paragraph, or all', async () => {
    await s.clearOutput('p1');
    await s.clearOutput();
    expect(t.clears).toEqual(['p1', undefined]);
  });

  it('forgets the live state of a cleared paragraph and tells the views', () => {
    t.push({ op: 'live', noteId: 'N1', paragraphs: [{ paragraphId: 'p1', status: 'FINISHED', progress: 100, dateStarted: 't1', messages: [{ type: 'TEXT', data: 'x' }] }] });
    expect(s.live.get('p1')).toBeDefined();
    const changed: string[][] = [];
    s.on('live', (pids) => changed.push(pids));
    t.push({ op: 'live', noteId: 'N1', paragraphs: [], removed: ['p1'] });
    expect(changed).toEqual([['p1']]);
    expect(s.live.get('p1')).toBeUndefined();
  });
});

describe('NoteSession merge', () => {
  it('a remote update keeps the local text not yet saved, and applies the fields not touched here', async () => {
    s.editText('p1', 'mine');
    let changed = '';
    s.on('paragraph', (pid) => (changed = pid));
    t.push({ op: 'paragraph', noteId: 'N1', paragraph: para('p1', 'theirs', { title: 'Their title', status: 'FINISHED' }) });
    expect(changed).toBe('p1');
    expect(s.paragraph('p1')).toMatchObject({ text: 'mine', title: 'Their title', status: 'FINISHED' });
    expect(s.hasUnsavedText('p1')).toBe(true);
  });

  it('applies remote changes to paragraphs without local edits', async () => {
    s.editText('p1', 'mine');
    t.push({ op: 'paragraph', noteId: 'N1', paragraph: para('p2', 'changed elsewhere') });
    expect(s.paragraph('p2')?.text).toBe('changed elsewhere');
    expect(s.paragraph('p1')?.text).toBe('mine');
  });

  it('keeps text whose save is in flight when a whole note arrives', async () => {
    s.editText('p1', 'mine');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(t.edits).toHaveLength(1);
    const fresh = note();
    fresh.paragraphs[0] = para('p1', 'older');
    fresh.paragraphs[1] = para('p2', 'two, edited elsewhere');
    t.push({ op: 'note', noteId: 'N1', note: fresh, reason: 'resync' });
    expect(s.paragraph('p1')?.text).toBe('mine');
    expect(s.paragraph('p2')?.text).toBe('two, edited elsewhere');
  });

  it('keeps the results it has when the stored ones are left out for a live result, and takes them otherwise', () => {
    const stored: Paragraph['results'] = { code: 'SUCCESS', msg: [{ type: 'TABLE', data: 'k\tn\n1\t5\n' }] };
    t.push({ op: 'paragraph', noteId: 'N1', paragraph: para('p2', '%flink.ssql select', { status: 'RUNNING', results: stored }) });
    t.push({ op: 'paragraph', noteId: 'N1', paragraph: para('p2', '%flink.ssql select', { status: 'RUNNING', title: 'Counts' }), resultsLive: true });
    expect(s.paragraph('p2')).toMatchObject({ title: 'Counts', status: 'RUNNING', results: stored });
    t.push({ op: 'paragraph', noteId: 'N1', paragraph: para('p2', '%flink.ssql select', { status: 'FINISHED' }) });
    expect(s.paragraph('p2')?.results).toBeUndefined();
  });

  it('merges config keys not yet saved into a remote config', async () => {
    s.edit('p1', { config: { editorHide: true } });
    t.push({ op: 'paragraph', noteId: 'N1', paragraph: para('p1', '%md one', { config: { colWidth: 6 } }) });
    expect(s.paragraph('p1')?.config).toEqual({ colWidth: 6, editorHide: true });
  });

  it('once the save is acknowledged, remote text applies again', async () => {
    s.editText('p1', 'mine');
    const saved = s.flush('p1');
    t.edits[0]?.resolve();
    await saved;
    t.push({ op: 'paragraph', noteId: 'N1', paragraph: para('p1', 'theirs, later') });
    expect(s.paragraph('p1')?.text).toBe('theirs, later');
  });
});

describe('NoteSession retry', () => {
  it('retries a failed save, shows the error meanwhile, and clears it once saved', async () => {
    s.editText('p1', 'a');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    t.edits[0]?.reject(new WsError('unavailable', 'the store is busy'));
    await settle();
    expect(s.saveState).toBe('error');
    expect(s.saveDetail).toBe('the store is busy');
    await vi.advanceTimersByTimeAsync(RETRY_MS - 1);
    expect(t.edits).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.texts()).toEqual(['a', 'a']);
    t.edits[1]?.resolve();
    await settle();
    expect(s.saveState).toBe('saved');
    expect(s.saveDetail).toBe('');
    expect(states).toEqual(['saving', 'error', 'saved']);
    expect(errors).toEqual([]);
  });

  it('says offline while the connection is down', async () => {
    t.online = false;
    s.editText('p1', 'a');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    t.edits[0]?.reject(new ApiError(0, 'network error: offline'));
    await settle();
    expect(s.saveState).toBe('offline');
  });

  it('backs off between retries, up to a bound, and never drops the edit', async () => {
    s.editText('p1', 'a');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    let wait = RETRY_MS;
    for (let i = 0; i < 8; i++) {
      t.edits[i]?.reject(new WsError('disconnected', 'connection lost before the reply'));
      await settle();
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(t.edits).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(t.edits).toHaveLength(i + 2);
      wait = Math.min(RETRY_MAX_MS, wait * 2);
    }
    expect(new Set(t.texts())).toEqual(new Set(['a']));
    expect(s.hasLocalEdits('p1')).toBe(true);
  });

  it('keeps typing done during a failed save and saves the newest text', async () => {
    s.editText('p1', 'a');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    s.editText('p1', 'ab');
    t.edits[0]?.reject(new WsError('disconnected', 'connection lost before the reply'));
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(t.texts()).toEqual(['a', 'ab']);
    t.edits[1]?.resolve();
    await vi.advanceTimersByTimeAsync(RETRY_MAX_MS);
    expect(t.texts()).toEqual(['a', 'ab']);
    expect(s.saveState).toBe('saved');
  });

  it('a retry never sends text older than what a run carried', async () => {
    s.editText('p1', 'a');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    s.editText('p1', 'ab');
    await s.run('p1');
    expect(t.runs).toEqual([{ pid: 'p1', text: 'ab' }]);
    t.edits[0]?.reject(new WsError('timeout', 'no reply to edit-paragraph within 20000 ms'));
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(t.texts()).toEqual(['a', 'ab']);
  });

  it('drops a save the server refuses for good, over either transport, and says so', async () => {
    s.editText('p1', 'a');
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    t.edits[0]?.reject(new WsError('not_found', 'paragraph p1 not found'));
    await settle();
    s.edit('p2', { title: 'x' });
    t.edits[1]?.reject(new ApiError(400, 'title is too long', 'invalid'));
    await vi.advanceTimersByTimeAsync(RETRY_MAX_MS * 2);
    expect(t.edits).toHaveLength(2);
    expect(errors).toEqual(['Could not save: paragraph p1 not found', 'Could not save: title is too long']);
    expect(s.saveState).toBe('error');
    expect(s.hasLocalEdits('p1')).toBe(false);
  });
});
