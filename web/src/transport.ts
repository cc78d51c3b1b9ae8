// How a note session reaches the server. The websocket carries its requests
// and the note's events; while the websocket is down the REST API carries the
// same requests, so saving and running do not wait for a reconnect. A
// NoteSession sees one NoteTransport and never which way a request went.

import type { Api } from './api';
import type { ParagraphConfig } from './model/note';
import type { NoteEventMsg, ParamsPatch } from './protocol';
import type { Note, Paragraph, UpdateParagraph } from './schema';
import type { WsClient } from './ws';

/** A change to a paragraph: its text, its title, config keys to merge into its config, and form values to merge into settings.params. */
export interface ParagraphPatch {
  text?: string;
  title?: string;
  config?: ParagraphConfig;
  params?: ParamsPatch;
}

/** A paragraph the server created, and the index it got. */
export interface AddedParagraph {
  paragraph: Paragraph;
  index: number;
}

/** NoteRequests are what a note session asks of the server; the websocket and the REST API can each carry them all. */
export interface NoteRequests {
  /** editParagraph saves a patch; it resolves once the server has stored it. */
  editParagraph(noteId: string, pid: string, patch: ParagraphPatch): Promise<void>;
  /** addParagraph creates a paragraph with text at index. */
  addParagraph(noteId: string, index: number, text: string): Promise<AddedParagraph>;
  moveParagraph(noteId: string, pid: string, index: number): Promise<void>;
  deleteParagraph(noteId: string, pid: string): Promise<void>;
  /** run saves text when given, then starts the paragraph. */
  run(noteId: string, pid: string, text: string | undefined): Promise<void>;
  cancel(noteId: string, pid: string): Promise<void>;
  runAll(noteId: string): Promise<void>;
  /** editNoteParams merges values of the note's forms ($${...}) into its noteParams. */
  editNoteParams(noteId: string, params: ParamsPatch): Promise<void>;
  /** clearOutput removes a paragraph's output, or every paragraph's when pid is undefined; refused while it (or one) runs. */
  clearOutput(noteId: string, pid: string | undefined): Promise<void>;
}

/** NoteTransport is everything a NoteSession needs of the server. */
export interface NoteTransport extends NoteRequests {
  /** online tells whether the live connection is up (requests may still succeed over REST when it is not). */
  readonly online: boolean;
  /** load reads the note. */
  load(noteId: string): Promise<Note>;
  /**
   * subscribe delivers the note's events from now on, across reconnects,
   * until the returned function is called. seen tells the server which
   * result sequence each paragraph already has.
   */
  subscribe(noteId: string, onEvent: (m: NoteEventMsg) => void, seen: () => Record<string, number>): () => void;
  /** resync asks again for the note and its live state (after a sequence gap). */
  resync(noteId: string): void;
  /** complete returns SQL completions for text at a UTF-8 byte offset, from the note's own session. */
  complete(noteId: string, text: string, bytePos: number): Promise<string[]>;
}

/** WsRequests carries a note session's requests over the websocket; each resolves on its ack. */
export class WsRequests implements NoteRequests {
  constructor(private readonly ws: WsClient) {}

  async editParagraph(noteId: string, pid: string, patch: ParagraphPatch): Promise<void> {
    await this.ws.request({ op: 'edit-paragraph', noteId, paragraphId: pid, ...patch });
  }

  async addParagraph(noteId: string, index: number, text: string): Promise<AddedParagraph> {
    const ack = await this.ws.request({ op: 'add-paragraph', noteId, index, text });
    if (!ack.paragraph) throw new Error('server did not return the new paragraph');
    return { paragraph: ack.paragraph, index: ack.index ?? index };
  }

  async moveParagraph(noteId: string, pid: string, index: number): Promise<void> {
    await this.ws.request({ op: 'move-paragraph', noteId, paragraphId: pid, index });
  }

  async deleteParagraph(noteId: string, pid: string): Promise<void> {
    await this.ws.request({ op: 'delete-paragraph', noteId, paragraphId: pid });
  }

  async run(noteId: string, pid: string, text: string | undefined): Promise<void> {
    await this.ws.request(text === undefined ? { op: 'run', noteId, paragraphId: pid } : { op: 'run', noteId, paragraphId: pid, text });
  }

  async cancel(noteId: string, pid: string): Promise<void> {
    await this.ws.request({ op: 'cancel', noteId, paragraphId: pid });
  }

  async runAll(noteId: string): Promise<void> {
    await this.ws.request({ op: 'run-all', noteId });
  }

  async editNoteParams(noteId: string, params: ParamsPatch): Promise<void> {
    await this.ws.request({ op: 'edit-note', noteId, noteParams: params });
  }

  async clearOutput(noteId: string, pid: string | undefined): Promise<void> {
    await this.ws.request(pid === undefined ? { op: 'clear-output', noteId } : { op: 'clear-output', noteId, paragraphId: pid });
  }
}

/** RestRequests carries a note session's requests over the REST API (Zeppelin's routes). */
export class RestRequests implements NoteRequests {
  constructor(private readonly api: Api) {}

  async editParagraph(noteId: string, pid: string, patch: ParagraphPatch): Promise<void> {
    if (patch.text !== undefined || patch.title !== undefined || patch.params) {
      const body: UpdateParagraph = {};
      if (patch.text !== undefined) body.text = patch.text;
      if (patch.title !== undefined) body.title = patch.title;
      if (patch.params) body.params = patch.params;
      await this.api.updateParagraph(noteId, pid, body);
    }
    if (patch.config) await this.api.updateParagraphConfig(noteId, pid, patch.config);
  }

  async addParagraph(noteId: string, index: number, text: string): Promise<AddedParagraph> {
    const pid = await this.api.addParagraph(noteId, { index, text });
    return { paragraph: await this.api.getParagraph(noteId, pid), index };
  }

  moveParagraph(noteId: string, pid: string, index: number): Promise<void> {
    return this.api.moveParagraph(noteId, pid, index);
  }

  deleteParagraph(noteId: string, pid: string): Promise<void> {
    return this.api.deleteParagraph(noteId, pid);
  }

  async run(noteId: string, pid: string, text: string | undefined): Promise<void> {
    if (text !== undefined) await this.api.updateParagraph(noteId, pid, { text });
    await this.api.runParagraph(noteId, pid);
  }

  cancel(noteId: string, pid: string): Promise<void> {
    return this.api.cancelParagraph(noteId, pid);
  }

  runAll(noteId: string): Promise<void> {
    return this.api.runNote(noteId);
  }

  editNoteParams(noteId: string, params: ParamsPatch): Promise<void> {
    return this.api.updateNoteParams(noteId, params);
  }

  clearOutput(noteId: string, pid: string | undefined): Promise<void> {
    return pid === undefined ? this.api.clearNoteOutput(noteId) : this.api.clearParagraphOutput(noteId, pid);
  }
}

/**
 * ServerTransport is the app's NoteTransport: requests go over the
 * websocket while it is open and over REST while it is not; events always
 * come over the websocket, which subscribes again after each reconnect.
 */
export class ServerTransport implements NoteTransport {
  private readonly overWs: WsRequests;
  private readonly overRest: RestRequests;

  constructor(
    private readonly api: Api,
    private readonly ws: WsClient,
  ) {
    this.overWs = new WsRequests(ws);
    this.overRest = new RestRequests(api);
  }

  get online(): boolean {
    return this.ws.isOpen;
  }

  /** via is the one place where the way of a request is chosen. */
  private get via(): NoteRequests {
    return this.ws.isOpen ? this.overWs : this.overRest;
  }

  load(noteId: string): Promise<Note> {
    return this.api.getNote(noteId);
  }

  subscribe(noteId: string, onEvent: (m: NoteEventMsg) => void, seen: () => Record<string, number>): () => void {
    return this.ws.subscribe(noteId, onEvent, seen);
  }

  resync(noteId: string): void {
    this.ws.resync(noteId);
  }

  complete(noteId: string, text: string, bytePos: number): Promise<string[]> {
    return this.api.complete(noteId, text, bytePos);
  }

  editParagraph(noteId: string, pid: string, patch: ParagraphPatch): Promise<void> {
    return this.via.editParagraph(noteId, pid, patch);
  }

  addParagraph(noteId: string, index: number, text: string): Promise<AddedParagraph> {
    return this.via.addParagraph(noteId, index, text);
  }

  moveParagraph(noteId: string, pid: string, index: number): Promise<void> {
    return this.via.moveParagraph(noteId, pid, index);
  }

  deleteParagraph(noteId: string, pid: string): Promise<void> {
    return this.via.deleteParagraph(noteId, pid);
  }

  run(noteId: string, pid: string, text: string | undefined): Promise<void> {
    return this.via.run(noteId, pid, text);
  }

  cancel(noteId: string, pid: string): Promise<void> {
    return this.via.cancel(noteId, pid);
  }

  runAll(noteId: string): Promise<void> {
    return this.via.runAll(noteId);
  }

  editNoteParams(noteId: string, params: ParamsPatch): Promise<void> {
    return this.via.editNoteParams(noteId, params);
  }

  clearOutput(noteId: string, pid: string | undefined): Promise<void> {
    return this.via.clearOutput(noteId, pid);
  }
}
