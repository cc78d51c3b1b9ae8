// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Api } from '../api';
import { application, snapshot } from '../fixtures';
import type { ApplicationList } from '../schema';
import { APPS_POLL_MS, ApplicationsPage } from './applications';

const QUOTAS = { applications: 10, kpusPerApplication: 8, tagsPerApplication: 50, snapshotsPerApplication: 100 };
const T0 = Date.parse('2026-05-01T12:00:00Z');

const LIST: ApplicationList = {
  quotas: QUOTAS,
  applications: [
    application({
      id: 'a2',
      name: 'orders-agg',
      status: 'RUNNING',
      kpus: 3,
      parallelism: 2,
      currentParallelism: 4,
      startedAt: '2026-05-01T11:58:55Z',
      flinkUrl: 'http://127.0.0.1:40001/#/job/running/j1/overview',
      cost: 0.456,
      kpuHours: 4.1,
      lastSnapshot: snapshot({ createdAt: '2026-05-01T11:00:00Z' }),
    }),
    application({ id: 'a1', name: 'clicks', noteId: 'N 2', noteName: 'Clicks', status: 'FAILED', failure: 'java.lang.RuntimeException: x\nCaused by: org.apache.kafka.common.errors.TimeoutException: Topic clicks not present\n\tat a.b(C.java:1)', target: 'session' }),
    application({ id: 'a3', name: 'stopped', status: 'READY', kpus: 2 }),
  ],
};

function page(list: () => Promise<ApplicationList>) {
  let now = T0;
  const api = { listApplications: vi.fn(list) } as unknown as Api;
  const p = new ApplicationsPage({ api, now: () => now });
  document.body.replaceChildren(p.el);
  return { p, api, advance: (ms: number) => (now += ms) };
}

const rows = () => [...document.querySelectorAll<HTMLElement>('[data-testid=app-row]')];
const cell = (row: HTMLElement | undefined, testid: string) => row?.querySelector<HTMLElement>(`[data-testid=${testid}]`);

describe('ApplicationsPage', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lists the applications by name with status, cost, uptime, snapshot, Flink UI and note', async () => {
    const { p, advance } = page(async () => LIST);
    await p.mount();
    await vi.advanceTimersByTimeAsync(0);
    expect(document.querySelector('[data-testid=apps-summary]')?.textContent).toBe('3 applications of 10 allowed · 1 running');
    expect(rows().map((r) => r.dataset['appId'])).toEqual(['a1', 'a2', 'a3']);
    const [failed, running, ready] = rows();

    expect(cell(running, 'app-row-name')?.getAttribute('href')).toBe('/applications/a2');
    expect(cell(running, 'app-row-status')?.textContent).toBe('Running');
    expect(cell(running, 'app-row-status')?.dataset['tone']).toBe('ok');
    expect(cell(running, 'app-row-kpus')?.textContent).toBe('3');
    expect(cell(running, 'app-row-parallelism')?.textContent).toBe('4');
    expect(cell(running, 'app-row-parallelism')?.title).toBe('autoscaled from 2');
    expect(cell(running, 'app-row-cost')?.textContent).toBe('$0.46');
    expect(running?.textContent).toContain('4.100 KPU-h');
    expect(cell(running, 'app-row-uptime')?.textContent).toBe('1 min 05 s');
    expect(cell(running, 'app-row-snapshot')?.textContent).not.toBe('—');
    const flink = cell(running, 'app-row-flink') as HTMLAnchorElement;
    expect(flink.getAttribute('href')).toBe('http://127.0.0.1:40001/#/job/running/j1/overview');
    expect(flink.target).toBe('_blank');
    expect(flink.rel).toBe('noopener');
    expect(cell(running, 'app-row-note')?.getAttribute('href')).toBe('/notebook/N1');

    expect(cell(failed, 'app-row-status')?.textContent).toBe('Failed');
    expect(cell(failed, 'app-row-status')?.dataset['tone']).toBe('err');
    expect(cell(failed, 'app-row-status')?.title).toBe('TimeoutException: Topic clicks not present');
    expect(cell(failed, 'app-row-failure')?.hidden).toBe(false);
    expect(cell(failed, 'app-row-failure')?.textContent).toBe('TimeoutException: Topic clicks not present');
    expect(cell(failed, 'app-row-note')?.getAttribute('href')).toBe('/notebook/N%202');
    expect(cell(failed, 'app-row-note')?.textContent).toBe('Clicks');
    expect(cell(failed, 'app-row-flink')).toBeNull();

    expect(cell(ready, 'app-row-uptime')?.textContent).toBe('—');
    expect(cell(ready, 'app-row-failure')?.hidden).toBe(true);
    expect(cell(ready, 'app-row-cost')?.textContent).toBe('$0.00');
    // A stopped application holds no KPU; the cell says what it needs to run.
    expect(cell(ready, 'app-row-kpus')?.firstChild?.textContent).toBe('0');
    expect(cell(ready, 'app-row-kpus')?.textContent).toBe('0 · 2 to run');
    expect(cell(failed, 'app-row-kpus')?.firstChild?.textContent).toBe('0');

    // The uptime ticks between polls.
    advance(2_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(cell(running, 'app-row-uptime')?.textContent).toBe('1 min 07 s');
    p.destroy();
  });

  it('polls every 2 s, updates rows in place, and stops when the page is left', async () => {
    let list = LIST;
    const { p, api } = page(async () => list);
    await p.mount();
    await vi.advanceTimersByTimeAsync(0);
    const link = cell(rows()[1], 'app-row-name');
    list = { ...LIST, applications: LIST.applications.map((a) => (a.id === 'a2' ? { ...a, status: 'STOPPING' as const } : a)) };
    await vi.advanceTimersByTimeAsync(APPS_POLL_MS);
    expect(api.listApplications).toHaveBeenCalledTimes(2);
    expect(cell(rows()[1], 'app-row-status')?.textContent).toBe('Stopping');
    expect(cell(rows()[1], 'app-row-name')).toBe(link);
    p.destroy();
    await vi.advanceTimersByTimeAsync(APPS_POLL_MS * 5);
    expect(api.listApplications).toHaveBeenCalledTimes(2);
  });

  it('explains how to deploy when there is no application', async () => {
    const { p } = page(async () => ({ applications: [], quotas: QUOTAS }));
    await p.mount();
    await vi.advanceTimersByTimeAsync(0);
    expect(document.querySelector<HTMLElement>('[data-testid=apps-table]')?.hidden).toBe(true);
    const empty = document.querySelector<HTMLElement>('[data-testid=apps-empty]');
    expect(empty?.hidden).toBe(false);
    expect(empty?.textContent).toContain('Open a note and press Deploy');
    p.destroy();
  });

  it('says so inline when the list cannot be read', async () => {
    const { p } = page(async () => Promise.reject(new Error('network error: offline')));
    await p.mount();
    await vi.advanceTimersByTimeAsync(0);
    const err = document.querySelector<HTMLElement>('[data-testid=apps-error]');
    expect(err?.hidden).toBe(false);
    expect(err?.textContent).toBe('Could not read the applications: network error: offline');
    p.destroy();
  });
});
