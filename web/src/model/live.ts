// Live state of one note's paragraphs as pushed by the server in `live`
// messages: status fields, output messages, and a result table kept in step
// by sequence number. A gap in the sequence asks for a resync instead of
// guessing.

import type { LiveMsg, Notice, ParagraphLive, Restore, ResultMessage } from '../protocol';
import type { Session } from '../schema';
import type { Inspection } from './inspect';
import { TableModel } from './table';

export interface ParagraphLiveState {
  paragraphId: string;
  /** Identifies the run: a new dateStarted is a new run. */
  runKey: string;
  status: string;
  progress: number;
  dateStarted?: string;
  dateFinished?: string;
  jobId?: string;
  jobUrl?: string;
  errorMessage?: string;
  /** Of a failed run: the UTF-8 byte offset in the paragraph text of the statement that failed. */
  errorStatementOffset?: number;
  /** Why the run's job stalled, or that the cause is over; not stored with the note. */
  notice?: Notice;
  /** The savepoint or checkpoint the run's job restored from, once Flink says so. */
  restored?: Restore;
  /** The latest look at the run's job by the job inspector (its diagnoses, operators). */
  inspection?: Inspection;
  messages: ResultMessage[];
  /** The live result table, when the run produced one. */
  table: TableModel | null;
  /** Increases on every change of this paragraph's live state. */
  version: number;
  /**
   * Dormant: the run had already ended when this tab (re)subscribed. Views
   * then show the result persisted with the note, marked not live, as for a
   * reopened note; a new run wakes it.
   */
  dormant: boolean;
}

const ENDED = new Set(['FINISHED', 'ERROR', 'ABORT', 'READY']);

export interface ApplyOutcome {
  /** Paragraphs whose live state changed. */
  changed: string[];
  /** Paragraphs whose deltas did not follow their sequence: they need a resync. */
  gaps: string[];
  /** The message carried the session state. */
  session: boolean;
}

export class LiveStore {
  session: Session | null = null;
  private paras = new Map<string, ParagraphLiveState>();

  constructor(private readonly maxRows?: number) {}

  /** get returns a paragraph's live state; none for a run that ended before this tab subscribed. */
  get(paragraphId: string): ParagraphLiveState | undefined {
    const st = this.paras.get(paragraphId);
    return st && !st.dormant ? st : undefined;
  }

  /**
   * keptInspection returns the last inspection of a run that ended before this tab subscribed
   * (a dormant state, which get does not return): its diagnoses still explain the saved result.
   */
  keptInspection(paragraphId: string): Inspection | undefined {
    const st = this.paras.get(paragraphId);
    return st?.dormant ? st.inspection : undefined;
  }

  /** seen returns the result sequence held per paragraph, for subscribe after a reconnect. */
  seen(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [pid, st] of this.paras) if (st.table && st.table.seq >= 0) out[pid] = st.table.seq;
    return out;
  }

  clear(): void {
    this.paras.clear();
    this.session = null;
  }

  /** apply folds a `live` message into the store. */
  apply(msg: LiveMsg): ApplyOutcome {
    const changed: string[] = [];
    const gaps: string[] = [];
    if (msg.session !== undefined) this.session = msg.session ?? null;
    for (const pid of msg.removed ?? []) {
      // Its output was cleared: views show what is stored for it.
      if (this.paras.delete(pid)) changed.push(pid);
    }
    if (msg.full) {
      // A full message lists every paragraph with live state; others have none left.
      const listed = new Set(msg.paragraphs.map((p) => p.paragraphId));
      for (const pid of [...this.paras.keys()]) {
        if (!listed.has(pid)) {
          this.paras.delete(pid);
          changed.push(pid);
        }
      }
    }
    for (const pl of msg.paragraphs) {
      const before = this.paras.get(pl.paragraphId);
      const beforeKey = before?.runKey;
      if (!this.applyOne(pl)) gaps.push(pl.paragraphId);
      const st = this.paras.get(pl.paragraphId) as ParagraphLiveState;
      if (st.table && msg.sentAt !== undefined && pl.result && (pl.result.snapshot || pl.result.deltas?.length)) st.table.pendingSentAt ??= msg.sentAt;
      const ended = ENDED.has(pl.status);
      if (msg.full) st.dormant = ended;
      else if (!ended || st.runKey !== beforeKey) st.dormant = false;
      changed.push(pl.paragraphId);
    }
    return { changed, gaps, session: msg.session !== undefined };
  }

  /** applyOne returns false on a sequence gap. */
  private applyOne(pl: ParagraphLive): boolean {
    const runKey = pl.dateStarted ?? '';
    let st = this.paras.get(pl.paragraphId);
    if (!st || (st.runKey !== runKey && runKey !== '')) {
      st = { paragraphId: pl.paragraphId, runKey, status: pl.status, progress: 0, messages: [], table: null, version: (st?.version ?? 0) + 1, dormant: false };
      this.paras.set(pl.paragraphId, st);
    }
    st.runKey = runKey || st.runKey;
    st.status = pl.status;
    st.progress = pl.progress ?? 0;
    st.dateStarted = pl.dateStarted;
    st.dateFinished = pl.dateFinished;
    st.jobId = pl.jobId;
    st.jobUrl = pl.jobUrl;
    st.errorMessage = pl.errorMessage;
    st.errorStatementOffset = pl.errorStatementOffset;
    st.notice = pl.notice;
    st.restored = pl.restored;
    st.inspection = pl.inspection;
    st.messages = pl.messages ?? [];
    st.version++;
    const r = pl.result;
    if (!r) {
      st.table = null;
      return true;
    }
    st.table ??= new TableModel(this.maxRows);
    if (!st.table.applyResult(r)) {
      st.table.seq = -1; // the resync brings a snapshot
      return false;
    }
    return true;
  }
}
