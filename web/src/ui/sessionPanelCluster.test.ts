// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { Api } from '../api';
import { clusterStatus } from '../fixtures';
import { SessionPanel } from './sessionPanel';

function clusterBox(c: Parameters<SessionPanel['setCluster']>[0]): HTMLElement {
  const p = new SessionPanel({ api: {} as Api });
  document.body.replaceChildren(p.el);
  p.setCluster(c);
  return p.el.querySelector('[data-testid=cluster-state]') as HTMLElement;
}

describe('SessionPanel cluster while Flink starts', () => {
  it('says Flink is starting, for how long, and which processes are up, with no error', () => {
    const el = clusterBox(
      clusterStatus({
        ready: false,
        state: 'starting',
        flinkVersion: '',
        taskManagers: 0,
        slotsTotal: 0,
        slotsAvailable: 0,
        // What a status read while starting carries besides: the probe's
        // error is not part of it.
        stage: 'JobManager up; waiting for the TaskManager and the SQL Gateway',
        startedAt: new Date(Date.now() - 23_000).toISOString(),
        processes: [
          { name: 'JobManager', up: true },
          { name: 'TaskManager', up: false },
          { name: 'SQL Gateway', up: false },
        ],
      }),
    );
    expect(el.querySelector('.pill')?.textContent).toBe('starting');
    expect(el.querySelector('[data-testid=cluster-starting]')?.textContent).toMatch(/^Starting Flink… \(2\d s\)$/);
    expect(el.querySelector('[data-testid=cluster-stage]')?.textContent).toBe('JobManager up; waiting for the TaskManager and the SQL Gateway');
    const procs = [...el.querySelectorAll('[data-testid=cluster-processes] li')].map((li) => [li.textContent, li.getAttribute('data-up')]);
    expect(procs).toEqual([
      ['JobManager', 'true'],
      ['TaskManager', 'false'],
      ['SQL Gateway', 'false'],
    ]);
    expect(el.textContent).not.toMatch(/dial tcp|connection refused|not ready/);
  });

  it('shows no Go error text even when an older answer carries one while starting', () => {
    const el = clusterBox(clusterStatus({ ready: false, state: 'starting', error: 'jobmanager: Get "http://127.0.0.1:1/overview": dial tcp 127.0.0.1:1: connect: connection refused' }));
    expect(el.textContent).not.toContain('dial tcp');
    expect(el.querySelector('[data-testid=cluster-starting]')?.textContent).toBe('Starting Flink…');
  });

  it('says in words that the start failed, and why', () => {
    const el = clusterBox(clusterStatus({ ready: false, state: 'failed', error: 'Flink did not start: no TaskManager has registered with the JobManager. Its logs are in data/flink/log.' }));
    expect(el.querySelector('.pill')?.textContent).toBe('failed');
    expect(el.querySelector('[data-testid=cluster-error]')?.textContent).toBe('Flink did not start: no TaskManager has registered with the JobManager. Its logs are in data/flink/log.');
    expect(el.querySelector('[data-testid=cluster-starting]')).toBeNull();
  });

  it('shows a ready cluster as before', () => {
    const el = clusterBox(clusterStatus({ state: 'ready' }));
    expect(el.querySelector('.pill')?.textContent).toBe('ready');
    expect(el.querySelector('[data-testid=cluster-starting]')).toBeNull();
    expect(el.querySelector('[data-testid=cluster-error]')).toBeNull();
  });
});
