// The session panel: the note's notebook session (state, KPUs held, running
// jobs, cost so far, a stop button) as pushed over the websocket, and the
// cluster it runs on with its KPU capacity, and, after a run of this note
// was refused, the KPUs it needed and the notes that hold them. It shows
// what it is told, nothing invented.

import type { Api } from '../api';
import { formatDuration, formatTime } from '../model/format';
import { parseDate } from '../model/note';
import { canStop, formatCost, formatKpuHours, refusalModel, runningJobs } from '../model/sessions';
import type { CapacityRefusal, ClusterStatus, Session } from '../schema';
import { CapacityBar, refusalHolders, stopSession } from './capacity';
import { button, clear, h } from './dom';

export interface SessionPanelDeps {
  api: Api;
  /** Called after this panel stopped a session. */
  onStopped?: (s: Session) => void;
}

export class SessionPanel {
  readonly el: HTMLElement;
  private readonly sessionBox: HTMLElement;
  private readonly clusterBox: HTMLElement;
  private readonly clusterInfo: HTMLElement;
  private readonly capacity = new CapacityBar('capacity');
  private readonly refusalBox: HTMLElement;
  private session: Session | null = null;
  /** The last refusal of a run of this note, shown until the KPUs it needed are free or the note has a session. */
  private refusal: CapacityRefusal | null = null;
  private stopping: string | null = null;

  constructor(private readonly deps: SessionPanelDeps) {
    this.sessionBox = h('div', { class: 'panel-body', 'data-testid': 'session-state' });
    this.clusterInfo = h('div', { class: 'panel-rows' });
    this.refusalBox = h('div', { class: 'cap-refusal', 'data-testid': 'capacity-refusal', hidden: true });
    this.clusterBox = h('div', { class: 'panel-body', 'data-testid': 'cluster-state' }, this.capacity.el, this.refusalBox, this.clusterInfo);
    this.el = h(
      'aside',
      { class: 'side-panel', 'aria-label': 'Session' },
      h('div', { class: 'panel' }, h('div', { class: 'panel-title' }, 'Session'), this.sessionBox),
      h('div', { class: 'panel' }, h('div', { class: 'panel-title' }, 'Cluster'), this.clusterBox),
    );
    this.setSession(null);
    this.setCluster(null);
  }

  setSession(s: Session | null): void {
    this.session = s;
    if (s && s.state !== 'stopped') this.showRefusal(null);
    this.renderSession();
  }

  /** updateUsage refreshes the cost figures of the shown session from a sessions listing. */
  updateUsage(info: Session): void {
    const s = this.session;
    if (!s || s.id !== info.id) return;
    if (s.kpuHours === info.kpuHours && s.estimatedCost === info.estimatedCost && s.lastActivity === info.lastActivity) return;
    this.session = { ...s, kpuHours: info.kpuHours, estimatedCost: info.estimatedCost, lastActivity: info.lastActivity };
    this.renderSession();
  }

  /** setCapacity shows the cluster's KPUs in use against its capacity. */
  setCapacity(inUse: number | undefined, capacity: number | undefined): void {
    this.capacity.set(inUse, capacity);
    // A refusal stays up while what it needed is not free.
    if (this.refusal && inUse !== undefined && capacity !== undefined && capacity - inUse >= this.refusal.needed) this.showRefusal(null);
  }

  /**
   * showRefusal shows a refused run's figures: the KPUs in use and the
   * capacity at that moment on the bar, the KPUs it needed, and the notes
   * holding them, linked (null hides it).
   */
  showRefusal(r: CapacityRefusal | null): void {
    this.refusal = r;
    clear(this.refusalBox);
    this.refusalBox.hidden = r === null;
    if (!r) return;
    const m = refusalModel(r);
    this.capacity.set(m.inUse, m.capacity);
    this.refusalBox.append(h('div', { class: 'cap-refusal-msg' }, `Run refused. ${m.summary}`));
    if (m.holders.length > 0) this.refusalBox.append(refusalHolders(m, 'capacity-holders'));
  }

  private renderSession(): void {
    const s = this.session;
    clear(this.sessionBox);
    this.sessionBox.dataset['state'] = s?.state ?? 'none';
    if (!s) {
      this.sessionBox.append(
        kv('State', pill('none', 'none')),
        kv('KPUs held', '0'),
        h('p', { class: 'muted small' }, 'A session starts when a Flink paragraph of this note runs (Markdown needs none): 2 KPUs for the session plus the KPUs of its running jobs.'),
      );
      return;
    }
    const state = s.state;
    this.sessionBox.append(
      ...[
        kv('State', pill(state, state)),
        kv('KPUs held', h('span', { 'data-testid': 'session-kpus' }, String(s.kpus))),
        kv('Cost so far', h('span', { 'data-testid': 'session-cost' }, formatCost(s.estimatedCost))),
        kv('Metered', formatKpuHours(s.kpuHours)),
        s.startedAt ? kv('Started', formatTime(parseDate(s.startedAt))) : null,
        s.lastActivity ? kv('Last activity', formatTime(parseDate(s.lastActivity))) : null,
      ].filter((x): x is HTMLElement => x !== null),
    );
    const jobs = runningJobs(s);
    this.sessionBox.append(h('div', { class: 'panel-sub' }, jobs.length ? `Running jobs (${jobs.length})` : 'No running job'));
    if (jobs.length > 0) {
      this.sessionBox.append(
        h(
          'ul',
          { class: 'jobs', 'data-testid': 'session-jobs' },
          jobs.map((j) =>
            h(
              'li',
              { 'data-job-id': j.jobId },
              j.url
                ? h('a', { href: j.url, target: '_blank', rel: 'noopener noreferrer', title: 'Open the job in the Flink web UI', 'data-testid': 'session-job-link' }, h('code', null, j.jobId.slice(0, 8)), ' ↗')
                : h('code', null, j.jobId.slice(0, 8)),
              h('span', { class: 'job-meta' }, [j.status ? j.status.toLowerCase() : '', j.parallelism ? `p${j.parallelism}` : '', j.kpus ? `${j.kpus} KPU${j.kpus === 1 ? '' : 's'}` : ''].filter(Boolean).join(' · ')),
            ),
          ),
        ),
      );
    }
    const busy = this.stopping !== null && this.stopping === s.id;
    const stoppable = !!s.id && canStop(state) && !busy;
    const stop = button({
      icon: 'stop',
      label: busy || state === 'stopping' ? 'Stopping…' : 'Stop session',
      cls: 'danger-outline stop-session',
      testid: 'stop-session',
      title: 'End this note’s session: cancel its jobs and free its KPUs',
      disabled: !stoppable,
      onClick: () => void this.stop(),
    });
    this.sessionBox.append(h('div', { class: 'panel-actions' }, stop));
  }

  private async stop(): Promise<void> {
    const s = this.session;
    if (!s?.id || this.stopping) return;
    try {
      const out = await stopSession(this.deps.api, s, () => {
        this.stopping = s.id;
        this.renderSession();
      });
      if (out) this.deps.onStopped?.(out);
    } finally {
      this.stopping = null;
      this.renderSession();
    }
  }

  /** setCluster shows the cluster; with withCapacity (the default) its KPU figures too. */
  setCluster(c: ClusterStatus | null, withCapacity = true): void {
    clear(this.clusterInfo);
    if (!c) {
      this.clusterInfo.append(kv('State', pill('unknown', 'unknown')));
      return;
    }
    if (withCapacity && c.kpuCapacity) this.setCapacity(c.kpusInUse, c.kpuCapacity);
    if (c.state === 'starting') {
      this.clusterInfo.append(kv('State', pill('starting', 'starting')), kv('Mode', c.mode || '—'), ...startingRows(c));
      return;
    }
    const state = c.ready ? 'ready' : c.state === 'failed' ? 'failed' : 'not ready';
    this.clusterInfo.append(
      ...[
        kv('State', pill(state, c.ready ? 'ok' : state === 'failed' ? 'failed' : 'warn')),
        kv('Mode', c.mode || '—'),
        c.flinkVersion ? kv('Flink', c.flinkVersion) : null,
        c.slotsTotal ? kv('Slots free', `${c.slotsAvailable} / ${c.slotsTotal}`) : null,
        c.ready ? kv('Jobs running', String(c.jobsRunning)) : null,
        c.webUiUrl ? h('a', { class: 'small', href: c.webUiUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Flink web UI ↗') : null,
        !c.ready && c.error ? h('p', { class: 'muted small cluster-error', 'data-testid': 'cluster-error' }, c.error) : null,
      ].filter((x): x is HTMLElement => x !== null),
    );
  }
}

/**
 * startingRows shows a cluster Eddy is starting: for how long, what is up
 * and what is awaited. A process that does not answer yet is no error.
 */
function startingRows(c: ClusterStatus): HTMLElement[] {
  const since = c.startedAt ? Date.parse(c.startedAt) : NaN;
  const took = Number.isFinite(since) ? formatDuration(Math.max(0, Date.now() - since)) : '';
  const rows: HTMLElement[] = [h('p', { class: 'cluster-starting', 'data-testid': 'cluster-starting' }, took ? `Starting Flink… (${took})` : 'Starting Flink…')];
  if (c.stage) rows.push(h('p', { class: 'muted small', 'data-testid': 'cluster-stage' }, c.stage));
  if (c.processes?.length) {
    rows.push(
      h(
        'ul',
        { class: 'cluster-processes', 'data-testid': 'cluster-processes' },
        c.processes.map((p) => h('li', { 'data-up': String(p.up), title: p.up ? `${p.name} is up` : `waiting for ${p.name}` }, p.name)),
      ),
    );
  }
  return rows;
}

function kv(k: string, v: Node | string): HTMLElement {
  return h('div', { class: 'kv' }, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v));
}

function pill(text: string, kind: string): HTMLElement {
  return h('span', { class: 'pill ' + kind.toLowerCase() }, text);
}
