// The applications page: every note promoted to a long-running Flink job,
// with its status, where it runs, its KPUs, what it has cost, how long it
// has been up, its last snapshot, its Flink web UI and the note it came
// from. It reads GET /api/v1/applications every 2 s while shown.

import { ApiError, type Api } from '../api';
import { appHref, formatDollars, formatUptime, noteHref, uptimeOf } from '../model/applications';
import { explainError } from '../model/errors';
import { formatTime } from '../model/format';
import { Poller } from '../model/poller';
import { formatKpuHours } from '../model/sessions';
import type { Application, ApplicationList } from '../schema';
import { liveUpdates, setKpus, setStatus, statusBadge, syncRows } from './appParts';
import { h, setText } from './dom';

/** The columns of figures: right-aligned, heading and cells alike. */
const NUMERIC: ReadonlySet<string> = new Set(['Parallelism', 'KPUs', 'Cost', 'Uptime']);

/** How often the page reads the applications. */
export const APPS_POLL_MS = 2_000;

export class ApplicationsPage {
  readonly el: HTMLElement;
  private readonly table: HTMLElement;
  private readonly tbody: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly error: HTMLElement;
  private readonly poller: Poller;
  private readonly rows = new Map<string, AppRow>();
  private stopLive: (() => void) | null = null;
  private reads = 0;

  constructor(private readonly deps: { api: Api; now?: () => number }) {
    this.summary = h('span', { class: 'muted', 'data-testid': 'apps-summary' });
    this.error = h('div', { class: 'inline-error', role: 'alert', 'data-testid': 'apps-error', hidden: true });
    this.tbody = h('tbody');
    this.table = h(
      'table',
      { class: 'apps-table', 'data-testid': 'apps-table', hidden: true },
      h('thead', null, h('tr', null, ['Name', 'Status', 'Target', 'Parallelism', 'KPUs', 'Cost', 'Uptime', 'Last snapshot', 'Flink UI', 'Note'].map((t) => h('th', NUMERIC.has(t) ? { class: 'num' } : null, t)))),
      this.tbody,
    );
    this.empty = h(
      'div',
      { class: 'empty', 'data-testid': 'apps-empty', hidden: true },
      h('p', null, 'No application yet.'),
      h('p', { class: 'muted' }, 'Open a note and press Deploy: Eddy builds its tables and INSERTs into one Flink job that keeps running when the note changes or its session ends.'),
      h('a', { href: '/', 'data-link': '' }, 'Go to the notebooks'),
    );
    this.el = h(
      'div',
      { class: 'page apps-page', 'data-testid': 'apps-page' },
      h('div', { class: 'home-head' }, h('h1', null, 'Applications'), this.summary),
      this.error,
      h('div', { class: 'card apps-card' }, h('div', { class: 'apps-scroll' }, this.table), this.empty),
    );
    this.poller = new Poller({ intervalMs: APPS_POLL_MS, maxIntervalMs: 15_000, run: () => this.refresh() });
  }

  async mount(): Promise<void> {
    document.title = 'Applications · Eddy';
    setText(this.summary, 'Reading applications…');
    this.stopLive = liveUpdates(this.poller, () => this.tick());
  }

  destroy(): void {
    this.stopLive?.();
    this.stopLive = null;
  }

  /** refresh reads the applications and shows them; an older read answering late is ignored. */
  async refresh(): Promise<void> {
    const n = ++this.reads;
    try {
      const l = await this.deps.api.listApplications();
      if (n !== this.reads) return;
      this.error.hidden = true;
      this.render(l);
    } catch (e) {
      if (n !== this.reads) return;
      this.error.hidden = false;
      setText(this.error, e instanceof ApiError && e.status === 404 ? 'This server has no applications.' : `Could not read the applications: ${(e as Error).message}`);
      throw e;
    }
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private render(l: ApplicationList): void {
    const apps = [...l.applications].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    const running = apps.filter((a) => a.status === 'RUNNING').length;
    const quota = l.quotas.applications > 0 ? ` of ${l.quotas.applications} allowed` : '';
    setText(this.summary, `${apps.length} application${apps.length === 1 ? '' : 's'}${quota} · ${running} running`);
    this.table.hidden = apps.length === 0;
    this.empty.hidden = apps.length > 0;
    const now = this.now();
    syncRows(this.tbody, this.rows, apps, (a) => a.id, () => new AppRow(), (r, a) => r.update(a, now));
  }

  /** tick advances the uptimes. */
  private tick(): void {
    const now = this.now();
    for (const r of this.rows.values()) r.tick(now);
  }
}

/** One application of the table. */
class AppRow {
  readonly el: HTMLElement;
  private readonly name = h('a', { class: 'app-link', 'data-link': '', 'data-testid': 'app-row-name' });
  private readonly status = statusBadge('READY', undefined, 'app-row-status');
  private readonly failure = h('div', { class: 'app-failure-line', 'data-testid': 'app-row-failure', hidden: true });
  private readonly target = h('td');
  private readonly parallelism = h('td', { class: 'num', 'data-testid': 'app-row-parallelism' });
  private readonly kpus = h('td', { class: 'num', 'data-testid': 'app-row-kpus' });
  private readonly cost = h('span', { 'data-testid': 'app-row-cost' });
  private readonly kpuHours = h('span', { class: 'muted small' });
  private readonly uptime = h('td', { class: 'num', 'data-testid': 'app-row-uptime' });
  private readonly snapshot = h('td', { 'data-testid': 'app-row-snapshot' });
  private readonly flink = h('td');
  private readonly note = h('a', { 'data-link': '', 'data-testid': 'app-row-note' });
  private app: Application | null = null;

  constructor() {
    this.el = h(
      'tr',
      { class: 'app-row', 'data-testid': 'app-row' },
      h('td', null, this.name),
      h('td', null, this.status, this.failure),
      this.target,
      this.parallelism,
      this.kpus,
      h('td', { class: 'num' }, this.cost, h('br'), this.kpuHours),
      this.uptime,
      this.snapshot,
      this.flink,
      h('td', null, this.note),
    );
  }

  update(a: Application, now: number): void {
    this.app = a;
    this.el.dataset['appId'] = a.id;
    this.el.dataset['status'] = a.status;
    setAttr(this.name, 'href', appHref(a.id));
    setText(this.name, a.name);
    setStatus(this.status, a.status, a.failure);
    this.failure.hidden = !(a.status === 'FAILED' && a.failure);
    setText(this.failure, a.status === 'FAILED' ? explainError(a.failure).rootCause : '');
    this.failure.title = a.failure ?? '';
    setText(this.target, a.target);
    // What its job runs at; autoscaling may have raised it from the user's.
    setText(this.parallelism, String(a.currentParallelism));
    this.parallelism.title = a.currentParallelism !== a.parallelism ? `autoscaled from ${a.parallelism}` : '';
    setKpus(this.kpus, a);
    setText(this.cost, formatDollars(a.cost));
    setText(this.kpuHours, formatKpuHours(a.kpuHours));
    setText(this.snapshot, a.lastSnapshot ? formatTime(Date.parse(a.lastSnapshot.createdAt)) : '—');
    this.snapshot.title = a.lastSnapshot ? `${a.lastSnapshot.id} (${a.lastSnapshot.trigger})` : '';
    const url = a.flinkUrl ?? '';
    if (this.flink.dataset['url'] !== url) {
      this.flink.dataset['url'] = url;
      this.flink.replaceChildren(url ? h('a', { href: url, target: '_blank', rel: 'noopener', 'data-testid': 'app-row-flink' }, 'Flink UI ↗') : h('span', { class: 'muted' }, '—'));
    }
    setAttr(this.note, 'href', noteHref(a.noteId));
    setText(this.note, a.noteName || a.noteId);
    this.tick(now);
  }

  tick(now: number): void {
    const up = this.app ? uptimeOf(this.app, now) : undefined;
    setText(this.uptime, up === undefined ? '—' : formatUptime(up));
  }
}

function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}
