// The session panel: the note's Flink session (state, KPUs, jobs) as pushed
// over the websocket, and the cluster it runs on. A placeholder until the
// sessions service reports more; it shows what it is told, nothing invented.

import type { ClusterStatus } from '../api';
import { formatTime } from '../model/format';
import { parseDate } from '../model/note';
import type { SessionLive } from '../protocol';
import { clear, h } from './dom';

export class SessionPanel {
  readonly el: HTMLElement;
  private readonly sessionBox: HTMLElement;
  private readonly clusterBox: HTMLElement;

  constructor() {
    this.sessionBox = h('div', { class: 'panel-body', 'data-testid': 'session-state' });
    this.clusterBox = h('div', { class: 'panel-body', 'data-testid': 'cluster-state' });
    this.el = h(
      'aside',
      { class: 'side-panel', 'aria-label': 'Session' },
      h('div', { class: 'panel' }, h('div', { class: 'panel-title' }, 'Session'), this.sessionBox),
      h('div', { class: 'panel' }, h('div', { class: 'panel-title' }, 'Cluster'), this.clusterBox),
    );
    this.setSession(null);
    this.setCluster(null);
  }

  setSession(s: SessionLive | null): void {
    clear(this.sessionBox);
    if (!s) {
      this.sessionBox.append(
        kv('State', pill('none', 'idle')),
        h('p', { class: 'muted small' }, 'A session starts when a paragraph of this note runs: 2 KPUs for the session plus the KPUs of its running jobs.'),
      );
      return;
    }
    this.sessionBox.append(
      ...[
        kv('State', pill(s.state ?? 'unknown', s.state ?? 'unknown')),
        s.kpus !== undefined ? kv('KPUs held', String(s.kpus)) : null,
        s.kpuHours !== undefined ? kv('KPU-hours', s.kpuHours.toFixed(3)) : null,
        s.estimatedCost !== undefined ? kv('Est. cost', '$' + s.estimatedCost.toFixed(4)) : null,
        s.startedAt ? kv('Started', formatTime(parseDate(s.startedAt))) : null,
        s.lastActivity ? kv('Last activity', formatTime(parseDate(s.lastActivity))) : null,
      ].filter((x): x is HTMLElement => x !== null),
    );
    const jobs = s.jobs ?? [];
    if (jobs.length > 0) {
      this.sessionBox.append(
        h('div', { class: 'panel-sub' }, `Jobs (${jobs.length})`),
        h(
          'ul',
          { class: 'jobs' },
          jobs.map((j) =>
            h(
              'li',
              null,
              j.url ? h('a', { href: j.url, target: '_blank', rel: 'noopener noreferrer' }, h('code', null, j.jobId.slice(0, 8))) : h('code', null, j.jobId.slice(0, 8)),
              j.status ? ` · ${j.status.toLowerCase()}` : '',
              j.parallelism ? ` · p${j.parallelism}` : '',
              j.kpus ? ` · ${j.kpus} KPU` : '',
            ),
          ),
        ),
      );
    }
  }

  setCluster(c: ClusterStatus | null): void {
    clear(this.clusterBox);
    if (!c) {
      this.clusterBox.append(kv('State', pill('unknown', 'unknown')));
      return;
    }
    this.clusterBox.append(...[
      kv('State', pill(c.ready ? 'ready' : 'not ready', c.ready ? 'ok' : 'warn')),
      kv('Mode', c.mode || '—'),
      c.flinkVersion ? kv('Flink', c.flinkVersion) : null,
      c.kpuCapacity ? kv('KPUs in use', `${c.kpusInUse ?? 0} / ${c.kpuCapacity}`) : null,
      c.slotsTotal ? kv('Slots free', `${c.slotsAvailable ?? 0} / ${c.slotsTotal}`) : null,
      c.jobsRunning !== undefined && c.ready ? kv('Jobs running', String(c.jobsRunning)) : null,
      c.webUiUrl ? h('a', { class: 'small', href: c.webUiUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Flink web UI ↗') : null,
      !c.ready && c.error ? h('p', { class: 'muted small' }, c.error) : null,
    ].filter((x): x is HTMLElement => x !== null));
  }
}

function kv(k: string, v: Node | string): HTMLElement {
  return h('div', { class: 'kv' }, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v));
}

function pill(text: string, kind: string): HTMLElement {
  return h('span', { class: 'pill ' + kind.toLowerCase() }, text);
}
