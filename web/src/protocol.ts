// The websocket protocol, version 1, as documented in docs/websocket.md.
// These types mirror server/ws_protocol.go; keep both in step. Payloads that
// are REST schemas (notes, paragraphs, sessions) use the types generated from
// the API document (schema.ts).

import type { CapacityRefusal, ErrorCode, Note, Paragraph, Session } from './schema';
import type { Inspection } from './model/inspect';

export const PROTOCOL_VERSION = 2;

/** Column of a result table: name and Flink SQL type (e.g. "BIGINT", "TIMESTAMP(3)"). */
export interface Column {
  name: string;
  type: string;
  /** For an instant (TIMESTAMP_LTZ): the session time zone its values are printed in. */
  zone?: string;
}

/**
 * A cell value. Flink results carry every value as the string Flink prints
 * for it (exact: a BIGINT above 2^53, a DECIMAL with its scale) or null;
 * the other shapes come from older saved results and Zeppelin's text.
 */
export type Cell = string | number | boolean | null | Cell[] | { [k: string]: Cell };

/** A displayed row: an id stable while the row is shown, and one value per column. */
export interface Row {
  id: number | string;
  fields: Cell[];
}

/** A materialised result at one version (kernel.Table). */
export interface ResultTable {
  mode: string;
  columns: Column[];
  rows: Row[];
  /** Exact number of changelog rows received. */
  rowsReceived: number;
  /** Rows not displayed because of the row bound. */
  rowsHidden: number;
  truncated: boolean;
  retractionsIgnored?: number;
  version: number;
}

/** A row a delta sends whole (added, or one a viewer may lack), with its index at the delta's version. */
export interface DeltaRow {
  id: number | string;
  index: number;
  fields: Cell[];
}

/**
 * A row the viewer holds whose cells changed in place (kernel.DeltaCells):
 * [id, column, value, column, value, ...], columns ascending. The row keeps
 * its place. Within a delta's changed list the rows are by ascending id and
 * the first number is the distance from the previous row's id (the first
 * row's: its id).
 */
export type ChangedRow = Array<number | string | Cell>;

/**
 * What changed between two versions of a table (kernel.Delta). To apply:
 * with reset start from no rows (and take columns); remove every row named
 * in removed or upserts; set the cells of every row in changed (a row
 * missing is a gap: resync); insert upserts in ascending index order, each
 * at its index. A delta applies to any version from fromVersion to version.
 */
export interface ResultDelta {
  fromVersion: number;
  version: number;
  /** When Eddy made the delta: its version became what viewers get (server clock, Unix ms). */
  at?: number;
  reset?: boolean;
  columns?: Column[];
  upserts?: DeltaRow[];
  changed?: ChangedRow[];
  removed?: Array<number | string>;
  rowsReceived: number;
  rowsHidden: number;
  truncated: boolean;
  retractionsIgnored?: number;
}

/**
 * The live table of a paragraph: a snapshot, or the deltas after the
 * sequence the viewer has. seq = epoch * 2^32 + table version, where the
 * epoch changes with every new table (statement or run).
 */
export interface LiveResult {
  seq: number;
  snapshot?: ResultTable;
  deltas?: ResultDelta[];
  /** type=single: the template filled in (HTML). */
  rendered?: string;
}

/** A Zeppelin-style output message: TEXT, HTML, TABLE, ... */
export interface ResultMessage {
  type: string;
  data: string;
  /** A TABLE message's exact table (types, nulls, values as Flink prints them); data is Zeppelin's text of it. */
  table?: { columns: Column[]; rows: Array<Array<string | null>> };
}

/** A notice on a running paragraph (kernel.Notice). */
export interface Notice {
  level: 'error' | 'info';
  text: string;
}

/** The savepoint or checkpoint a paragraph's job started from (kernel.Restore). */
export interface Restore {
  kind: 'savepoint' | 'checkpoint';
  path: string;
  /** When it was written, if Eddy could read it. */
  takenAt?: string;
}

/** A paragraph's live state (kernel.ParagraphLive). */
export interface ParagraphLive {
  paragraphId: string;
  status: string;
  progress: number;
  dateStarted?: string;
  dateFinished?: string;
  jobId?: string;
  jobUrl?: string;
  errorMessage?: string;
  /** Of a failed run: the UTF-8 byte offset in the paragraph text of the statement that failed (kernel.ParagraphLive). */
  errorStatementOffset?: number;
  /** What Eddy tells of the running paragraph beside its output (kernel.Notice): why its job stalled, or that the cause is over. */
  notice?: Notice;
  /** Set once Flink reports the run's job restored from a savepoint or checkpoint. */
  restored?: Restore;
  /** The latest look at the run's job by Eddy's job inspector, kept after the job ends. */
  inspection?: Inspection;
  /** Output of the run's finished statements, in order (may include TABLE messages). */
  messages?: ResultMessage[] | null;
  result?: LiveResult;
}

// ---- server → client ----

export interface WelcomeMsg { op: 'welcome'; protocol: number; connId: string; heartbeatMs: number; maxMessageBytes: number }
export interface PongMsg { op: 'pong'; reqId?: string }
export interface AckMsg { op: 'ack'; reqId?: string; for: string; paragraph?: Paragraph; index?: number }
/** An error reply: Eddy's error codes, and two of the protocol's own. */
export interface ErrorMsg {
  op: 'error';
  reqId?: string;
  for?: string;
  code: ErrorCode | 'unknown_op' | 'unsupported_version';
  message: string;
  /** With code capacity_exceeded: what was refused, the KPUs needed and free, and who holds them. */
  details?: CapacityRefusal;
}
export interface NoteMsg { op: 'note'; noteId: string; note: Note; reason: string }
export interface NoteRemovedMsg { op: 'note-removed'; noteId: string }
/**
 * A paragraph's stored state. With resultsLive the paragraph runs with a live
 * result, which live messages carry: its stored results are left out, and the
 * page keeps the copy it has.
 */
export interface ParagraphMsg { op: 'paragraph'; noteId: string; paragraph: Paragraph; resultsLive?: boolean }
export interface ParagraphAddedMsg { op: 'paragraph-added'; noteId: string; index: number; paragraph: Paragraph }
export interface ParagraphMovedMsg { op: 'paragraph-moved'; noteId: string; paragraphId: string; index: number }
export interface ParagraphRemovedMsg { op: 'paragraph-removed'; noteId: string; paragraphId: string }
/** Live state; `full` means every paragraph with live state is listed (others have none). */
export interface LiveMsg {
  op: 'live';
  noteId: string;
  full?: boolean;
  paragraphs: ParagraphLive[];
  /** The note's session and its KPUs; null when the note has none. */
  session?: Session | null;
  /** Server clock, ms since the epoch, when sent. */
  sentAt?: number;
  /** Paragraphs whose live state is gone (their output was cleared): show what is stored for them. */
  removed?: string[];
}

export type ServerMsg =
  | WelcomeMsg
  | PongMsg
  | AckMsg
  | ErrorMsg
  | NoteMsg
  | NoteRemovedMsg
  | ParagraphMsg
  | ParagraphAddedMsg
  | ParagraphMovedMsg
  | ParagraphRemovedMsg
  | LiveMsg;

/** Messages that concern one note, routed to that note's subscribers. */
export type NoteEventMsg = NoteMsg | NoteRemovedMsg | ParagraphMsg | ParagraphAddedMsg | ParagraphMovedMsg | ParagraphRemovedMsg | LiveMsg;

// ---- client → server ----

export interface ConfigPatch { [key: string]: unknown }

/** Dynamic form values to merge into the stored ones; null returns a form to its default. */
export interface ParamsPatch { [name: string]: string | string[] | null }

export type ClientRequest =
  | { op: 'hello'; protocol: number; client?: string }
  | { op: 'ping' }
  | { op: 'subscribe'; noteId: string; seen?: Record<string, number> }
  | { op: 'unsubscribe'; noteId: string }
  | { op: 'edit-paragraph'; noteId: string; paragraphId: string; text?: string; title?: string; config?: ConfigPatch; params?: ParamsPatch }
  | { op: 'edit-note'; noteId: string; noteParams: ParamsPatch }
  | { op: 'add-paragraph'; noteId: string; index?: number; text?: string; title?: string; config?: ConfigPatch }
  | { op: 'move-paragraph'; noteId: string; paragraphId: string; index: number }
  | { op: 'delete-paragraph'; noteId: string; paragraphId: string }
  | { op: 'run'; noteId: string; paragraphId: string; text?: string }
  | { op: 'cancel'; noteId: string; paragraphId: string }
  | { op: 'run-all'; noteId: string }
  | { op: 'clear-output'; noteId: string; paragraphId?: string };

const noteOps = new Set(['note', 'note-removed', 'paragraph', 'paragraph-added', 'paragraph-moved', 'paragraph-removed', 'live']);

export function isNoteEvent(m: ServerMsg): m is NoteEventMsg {
  return noteOps.has(m.op) && typeof (m as { noteId?: unknown }).noteId === 'string';
}
