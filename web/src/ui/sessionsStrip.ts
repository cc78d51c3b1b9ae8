// The home page's capacity strip: KPUs in use against the capacity, and the
// live notebook sessions (note, state, KPUs, jobs, estimated cost, stop).
// It polls GET /api/v1/sessions while it is shown.

import type { Api } from '../api';
import { ApiError } from '../api';
import { Poller } from '../model/poller';
import { sessionRows, type SessionRow } from '../model/sessions';
import type { Session, SessionList } from '../schema';
import { CapacityBar, stopSession } from './capacity';
import { button, h, setText } from './dom';

/** How often the home page reads the sessions. */
export const SESSIONS_POLL_MS = 4_000;

export class SessionsStrip {
  readonly el: HTMLElement;
  private readonly capacity = new CapacityBar('home-capacity');
  private readonly list: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly poller: Poller;
  private last: SessionList | null = null;
  private stopping = new Set<string>();
  private rows = new Map<string, SessionRowView>();
  private reads = 0;

  constructor(private readonly api: Api) {
    this.summary = h('span', { class: 'muted small', 'data-testid': 'sessions-summary' });
    this.list = h('div', { class: 'sessions-list', 'data-testid': 'sessions-list' });
    this.el = h(
      'section',
      { class: 'card sessions-strip', 'aria-label': 'Notebook sessions and KPU capacity', 'data-testid': 'sessions-strip' },
      h('div', { class: 'strip-head' }, h('span', { class: 'strip-title' }, 'Capacity'), this.capacity.el, this.summary),
      this.list,
    );
    this.poller = new Poller({ intervalMs: SESSIONS_POLL_MS, maxIntervalMs: 30_000, run: () => this.refresh() });
    this.render();
  }

  /** start begins polling (now, then every few seconds). */
  start(): void {
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }

  async refresh(): Promise<void> {
    const n = ++this.reads;
    try {
      const l = await this.api.listSessions();
      if (n !== this.reads) return;
      this.last = l;
      this.el.dataset['error'] = '';
      this.render();
    } catch (e) {
      if (n !== this.reads) return;
      this.el.dataset['error'] = '1';
      setText(this.summary, e instanceof ApiError && e.status === 503 ? 'Sessions are not available on this server.' : `Could not read the sessions: ${(e as Error).message}`);
      throw e;
    }
  }

  private render(): void {
    const l = this.last;
    this.capacity.set(l?.kpusInUse, l?.kpuCapacity);
    if (!l) {
      setText(this.summary, 'Reading sessions…');
      this.list.hidden = true;
      return;
    }
    const rows = sessionRows(l.sessions);
    setText(this.summary, rows.length === 0 ? 'No notebook session is running.' : `${rows.length} live session${rows.length === 1 ? '' : 's'}`);
    this.list.hidden = rows.length === 0;
    // Rows are kept by session and updated in place, so a poll never
    // replaces the button under the pointer.
    const keep = new Set(rows.map((r) => r.id));
    for (const [id, v] of this.rows) {
      if (!keep.has(id)) {
        v.el.remove();
        this.rows.delete(id);
      }
    }
    let cursor: ChildNode | null = this.list.firstChild;
    for (const r of rows) {
      let v = this.rows.get(r.id);
      if (!v) {
        v = new SessionRowView((s) => void this.stopOne(s));
        this.rows.set(r.id, v);
      }
      v.update(r, l.sessions.find((x) => x.id === r.id) ?? null, this.stopping.has(r.id));
      if (cursor === v.el) cursor = v.el.nextSibling;
      else this.list.insertBefore(v.el, cursor);
    }
  }

  private async stopOne(s: Session): Promise<void> {
    if (this.stopping.has(s.id)) return;
    try {
      await stopSession(this.api, s, () => {
        this.stopping.add(s.id);
        this.render();
      });
    } finally {
      this.stopping.delete(s.id);
      this.render();
      this.poller.poke();
    }
  }
}

/** One session of the list. */
class SessionRowView {
  readonly el: HTMLElement;
  private readonly link: HTMLAnchorElement;
  private readonly state: HTMLElement;
  private readonly kpus: HTMLElement;
  private readonly jobs: HTMLElement;
  private readonly cost: HTMLElement;
  private readonly stopBtn: HTMLButtonElement;
  /** The session shown; null when the listing did not carry the row's session. */
  private info: Session | null = null;

  constructor(onStop: (s: Session) => void) {
    this.link = h('a', { class: 'session-note', 'data-link': '', 'data-testid': 'session-note' });
    this.state = h('span', { class: 'pill' });
    this.kpus = h('span', { class: 'session-kpus', 'data-testid': 'session-row-kpus' });
    this.jobs = h('span', { class: 'session-jobs' });
    this.cost = h('span', { class: 'session-cost', title: 'Estimated cost so far' });
    this.stopBtn = button({
      icon: 'stop',
      label: 'Stop',
      cls: 'ghost danger small',
      testid: 'home-stop-session',
      onClick: () => {
        if (this.info) onStop(this.info);
      },
    });
    this.el = h('div', { class: 'session-row', 'data-testid': 'session-row' }, this.link, this.state, this.kpus, this.jobs, this.cost, this.stopBtn);
  }

  update(r: SessionRow, info: Session | null, stopping: boolean): void {
    this.info = info;
    this.el.dataset['sessionId'] = r.id;
    this.el.dataset['sessionNoteId'] = r.noteId; // not data-note-id: the note list's rows carry that
    if (this.link.getAttribute('href') !== r.href) this.link.setAttribute('href', r.href);
    setText(this.link, r.noteName);
    this.link.title = `Open “${r.noteName}”`;
    setText(this.state, r.state);
    this.state.className = 'pill ' + r.state;
    setText(this.kpus, `${r.kpus} KPU${r.kpus === 1 ? '' : 's'}`);
    setText(this.jobs, r.jobsText);
    setText(this.cost, r.cost);
    const label = this.stopBtn.querySelector('.btn-label');
    if (label) setText(label, stopping ? 'Stopping…' : 'Stop');
    this.stopBtn.disabled = stopping || !r.stoppable || !info;
    this.stopBtn.title = `Stop the session of “${r.noteName}”: cancel its jobs and free its KPUs`;
  }
}
