// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import { appEvent, application, appVersion, snapshot } from '../fixtures';
import type { Application, ApplicationStatus, PlanCheck, Snapshot, UpdateReport } from '../schema';
import { ApplicationPage } from './applicationPage';

const T0 = Date.parse('2026-05-01T12:00:00Z');
const q = (testid: string) => document.querySelector<HTMLElement>(`[data-testid=${testid}]`);
const btn = (testid: string) => q(testid) as HTMLButtonElement;
const flush = () => new Promise((r) => setTimeout(r, 0));

const SNAPSHOTS: Snapshot[] = [snapshot({ id: 'snap-2', trigger: 'manual', createdAt: '2026-05-01T11:30:00Z' }), snapshot({ id: 'snap-1' })];

function fakeApi(app: () => Application, over: Partial<Record<keyof Api, unknown>> = {}) {
  return {
    getApplication: vi.fn(async () => app()),
    listSnapshots: vi.fn(async () => SNAPSHOTS),
    listApplicationEvents: vi.fn(async () => [appEvent({ id: 2, kind: 'started', message: 'Started version 2', at: '2026-05-01T11:59:00Z' }), appEvent()]),
    listVersions: vi.fn(async () => [appVersion({ number: 2, excluded: [{ paragraphId: 'p3', index: 2, reason: 'display only' }], noteRevision: 'rev2' }), appVersion()]),
    ...over,
  } as unknown as Api;
}

async function mounted(app: Application | (() => Application), over: Partial<Record<keyof Api, unknown>> = {}) {
  const get = typeof app === 'function' ? app : () => app;
  const api = fakeApi(get, over);
  const navigate = vi.fn();
  const p = new ApplicationPage(get().id, { api, navigate, now: () => T0 });
  document.body.replaceChildren(p.el);
  await p.refresh();
  return { p, api, navigate };
}

/** enabled lists the action buttons that can be pressed. */
function enabled(): string[] {
  return ['app-start', 'app-stop', 'app-force-stop', 'app-snapshot', 'app-rescale', 'app-update', 'app-rebuild', 'app-delete', 'app-export'].filter((t) => !btn(t).disabled);
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('ApplicationPage actions', () => {
  it.each<[ApplicationStatus, string[], boolean]>([
    ['READY', ['app-start', 'app-rescale', 'app-update', 'app-rebuild', 'app-delete', 'app-export'], true],
    ['FAILED', ['app-start', 'app-rescale', 'app-update', 'app-rebuild', 'app-delete', 'app-export'], true],
    ['STARTING', ['app-force-stop', 'app-export'], false],
    ['RUNNING', ['app-stop', 'app-force-stop', 'app-snapshot', 'app-rescale', 'app-update', 'app-export'], false],
    ['UPDATING', ['app-export'], false],
    ['ROLLING_BACK', ['app-export'], false],
    ['STOPPING', ['app-export'], false],
    ['FORCE_STOPPING', ['app-export'], false],
    ['DELETING', ['app-export'], false],
  ])('%s allows %j', async (status, want, startFromSnapshot) => {
    const { p } = await mounted(application({ status, version: 2 }));
    expect(q('app-status')?.dataset['status']).toBe(status);
    expect(enabled()).toEqual(want);
    const rows = [...document.querySelectorAll<HTMLElement>('[data-testid=snapshot-row]')];
    expect(rows.map((r) => r.dataset['snapshotId'])).toEqual(['snap-2', 'snap-1']);
    for (const r of rows) expect((r.querySelector('[data-testid=snapshot-start]') as HTMLButtonElement).disabled).toBe(!startFromSnapshot);
    p.destroy();
  });
});

describe('ApplicationPage', () => {
  it('shows the facts, the failure root cause first, the versions with the current one, the snapshots and the events', async () => {
    const { p } = await mounted(
      application({
        status: 'FAILED',
        failure: 'org.apache.flink.runtime.JobException: Recovery is suppressed\nCaused by: java.io.IOException: disk full\n\tat a.b(C.java:1)',
        version: 2,
        parallelism: 4,
        currentParallelism: 4,
        kpus: 0,
        tags: { team: 'data' },
        checkpointIntervalMs: 30_000,
        cost: 1.234,
        kpuHours: 12.3,
        jobId: 'j9',
      }),
    );
    expect(q('app-name')?.textContent).toBe('orders-agg');
    expect(q('app-failure')?.hidden).toBe(false);
    expect(q('app-failure-cause')?.textContent).toBe('IOException: disk full');
    expect(q('app-failure')?.querySelector('details pre')?.textContent).toContain('Recovery is suppressed');
    expect(q('app-parallelism')?.textContent).toBe('4 (at most 128)');
    expect(q('app-checkpoint')?.textContent).toBe('30 s');
    expect(q('app-cost')?.textContent).toBe('$1.23');
    expect(q('app-kpu-hours')?.textContent).toBe('12.300 KPU-h');
    expect(q('app-job')?.textContent).toBe('j9');
    expect(q('app-kpus')?.textContent).toBe('0');
    expect(q('app-uptime')?.textContent).toBe('—');
    expect(q('app-tags')?.textContent).toBe('team=data');
    expect(q('app-note-link')?.getAttribute('href')).toBe('/notebook/N1');
    expect(q('app-flink-link')).toBeNull();

    const versions = [...document.querySelectorAll<HTMLElement>('[data-testid=version-row]')];
    expect(versions.map((v) => [v.dataset['version'], v.dataset['current']])).toEqual([
      ['2', 'true'],
      ['1', 'false'],
    ]);
    expect(versions[0]?.querySelector('[data-testid=version-excluded]')?.textContent).toBe('1 left out');
    expect(versions[0]?.querySelector('[data-testid=version-script] pre')?.textContent).toBe('INSERT INTO sink SELECT * FROM src;');

    const events = [...document.querySelectorAll<HTMLElement>('[data-testid=event-row]')];
    expect(events.map((e) => e.dataset['kind'])).toEqual(['started', 'created']);
    expect(events[0]?.textContent).toContain('Started version 2');
    p.destroy();
  });

  it('ticks the uptime of a running application and links its Flink UI', async () => {
    let now = T0;
    const api = fakeApi(() => application({ status: 'RUNNING', startedAt: '2026-05-01T11:00:00Z', flinkUrl: 'http://127.0.0.1:40001/#/job/running/j1/overview' }));
    const p = new ApplicationPage('a1', { api, navigate: vi.fn(), now: () => now });
    document.body.replaceChildren(p.el);
    vi.useFakeTimers();
    try {
      await p.mount();
      await vi.advanceTimersByTimeAsync(0);
      expect(q('app-uptime')?.textContent).toBe('1 h 00 min');
      now += 61_000;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(q('app-uptime')?.textContent).toBe('1 h 01 min');
      const link = q('app-flink-link') as HTMLAnchorElement;
      expect(link.target).toBe('_blank');
      expect(link.rel).toBe('noopener');
      p.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it('starts from the snapshot chosen in the start dialog', async () => {
    const startApplication = vi.fn(async () => application({ status: 'STARTING' }));
    const { p } = await mounted(application({ status: 'READY' }), { startApplication });
    btn('app-start').click();
    await flush();
    expect(q('start-dialog')).not.toBeNull();
    expect((q('start-restore-latest') as HTMLInputElement).checked).toBe(true);
    const select = q('start-snapshot-select') as HTMLSelectElement;
    select.value = 'snap-1';
    select.dispatchEvent(new Event('change'));
    expect((q('start-restore-snapshot') as HTMLInputElement).checked).toBe(true);
    btn('start-confirm').click();
    await vi.waitFor(() => expect(startApplication).toHaveBeenCalledWith('a1', { snapshotId: 'snap-1' }));
    expect(q('start-dialog')).toBeNull();
    p.destroy();
  });

  it('starts from a snapshot row, and shows a capacity refusal inline with who holds the KPUs', async () => {
    const refused = new ApiError(503, 'not enough KPUs', 'capacity_exceeded', {
      what: 'start application orders-agg',
      needed: 3,
      free: 0,
      capacity: 4,
      holders: [{ noteId: 'N2', noteName: 'Fraud', sessionId: '', kpus: 4, applicationId: 'a9', applicationName: 'fraud' }],
    });
    const startApplication = vi.fn(async () => Promise.reject(refused));
    const { p } = await mounted(application({ status: 'READY' }), { startApplication });
    document.querySelector<HTMLButtonElement>('[data-snapshot-id=snap-2] [data-testid=snapshot-start]')?.click();
    await vi.waitFor(() => expect(q('app-action-error')).not.toBeNull());
    expect(startApplication).toHaveBeenCalledWith('a1', { snapshotId: 'snap-2' });
    expect(q('app-action-error')?.dataset['kind']).toBe('capacity');
    expect(q('app-action-error-message')?.textContent).toBe('It needs 3 KPUs to start application orders-agg; 0 of 4 are free.');
    expect(q('app-action-error-holders')?.querySelector('a')?.getAttribute('href')).toBe('/applications/a9');
    expect(btn('app-start').disabled).toBe(false);
    p.destroy();
  });

  it('scales a running application to the parallelism typed, refusing one above its maximum', async () => {
    let app = application({ status: 'RUNNING', parallelism: 1, maxParallelism: 4, kpus: 2 });
    const updateApplication = vi.fn(async (_id: string, c: { parallelism: number }) => {
      app = { ...app, status: 'UPDATING', parallelism: c.parallelism, currentParallelism: c.parallelism };
      return app;
    });
    const { p } = await mounted(() => app, { updateApplication });
    expect(q('app-parallelism')?.textContent).toBe('1 (at most 4)');
    expect(q('app-autoscaling')?.textContent).toBe('on');
    btn('app-rescale').click();
    await flush();
    expect(q('rescale-how')?.textContent).toContain('in place');
    const input = q('rescale-input') as HTMLInputElement;
    input.value = '5';
    btn('rescale-confirm').click();
    await flush();
    expect(q('rescale-problem')?.hidden).toBe(false);
    expect(q('rescale-problem')?.textContent).toContain('from 1 to 4');
    expect(updateApplication).not.toHaveBeenCalled();
    input.value = '2';
    btn('rescale-confirm').click();
    await flush();
    await flush();
    expect(updateApplication).toHaveBeenCalledWith('a1', { parallelism: 2 });
    expect(q('rescale-dialog')).toBeNull();
    await p.refresh();
    expect(q('app-status')?.dataset['status']).toBe('UPDATING');
    expect(btn('app-rescale').disabled).toBe(true);
    p.destroy();
  });

  it('says a stopped application on the notebook cluster takes the parallelism at its next start; cancel changes nothing', async () => {
    const updateApplication = vi.fn();
    const { p } = await mounted(application({ status: 'READY', target: 'session' }), { updateApplication });
    btn('app-rescale').click();
    await flush();
    expect(q('rescale-how')?.textContent).toContain('next start');
    btn('rescale-cancel').click();
    await flush();
    expect(q('rescale-dialog')).toBeNull();
    expect(updateApplication).not.toHaveBeenCalled();
    p.destroy();
  });

  it('shows what autoscaling made of the parallelism, and turns autoscaling off alone', async () => {
    let app = application({ status: 'RUNNING', parallelism: 1, currentParallelism: 4, maxParallelism: 8, kpus: 5 });
    const updateApplication = vi.fn(async (_id: string, c: { autoScalingEnabled: boolean }) => {
      app = { ...app, autoScalingEnabled: c.autoScalingEnabled };
      return app;
    });
    const { p } = await mounted(() => app, { updateApplication });
    expect(q('app-parallelism')?.textContent).toBe('4 (autoscaled from 1; at most 8)');
    btn('app-rescale').click();
    await flush();
    const auto = q('rescale-autoscale') as HTMLInputElement;
    expect(auto.checked).toBe(true);
    auto.checked = false;
    btn('rescale-confirm').click();
    await flush();
    await flush();
    expect(updateApplication).toHaveBeenCalledWith('a1', { autoScalingEnabled: false });
    await p.refresh();
    expect(q('app-autoscaling')?.textContent).toBe('off');
    p.destroy();
  });

  it('exports a FlinkDeployment for Kubernetes, and says why when it cannot', async () => {
    const kubernetesManifest = vi.fn().mockResolvedValueOnce('kind: FlinkDeployment\n').mockRejectedValueOnce(new ApiError(400, 'namespace "X" is not a DNS-1123 label', 'invalid'));
    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      created.push(b);
      return 'blob:x';
    });
    URL.revokeObjectURL = vi.fn();
    const { p } = await mounted(application({ status: 'READY' }), { kubernetesManifest });
    btn('app-export-kubernetes').click();
    await flush();
    expect(kubernetesManifest).toHaveBeenCalledWith('a1');
    expect(await created[0]?.text()).toBe('kind: FlinkDeployment\n');
    btn('app-export-kubernetes').click();
    await flush();
    expect(q('app-action-error')?.textContent).toContain('Not exported');
    p.destroy();
  });

  it('force stops only after a yes, without a snapshot', async () => {
    const stopApplication = vi.fn(async () => application({ status: 'FORCE_STOPPING' }));
    const { p } = await mounted(application({ status: 'RUNNING' }), { stopApplication });
    btn('app-force-stop').click();
    await flush();
    expect(enabled()).toEqual(['app-export']); // busy: nothing else meanwhile
    expect(document.querySelector('.dialog')?.textContent).toContain('without a snapshot');
    btn('dialog-ok').click();
    await vi.waitFor(() => expect(stopApplication).toHaveBeenCalledWith('a1', false));
    btn('app-stop').click();
    await vi.waitFor(() => expect(stopApplication).toHaveBeenCalledWith('a1', true));
    p.destroy();
  });

  it('shows a refused rebuild with the paragraph at fault, leading to it in the note', async () => {
    const rebuildApplication = vi.fn(async () => Promise.reject(new ApiError(400, 'paragraph 2 cannot be built', 'invalid', undefined, { paragraphId: 'p2', index: 1, reason: 'unknown table orders' })));
    const { p, navigate } = await mounted(application({ status: 'READY' }), { rebuildApplication });
    btn('app-rebuild').click();
    await vi.waitFor(() => expect(q('app-action-error')).not.toBeNull());
    expect(q('app-action-error')?.textContent).toContain('Not rebuilt');
    expect(q('app-action-error-message')?.textContent).toBe('Unknown table orders.');
    q('app-action-error-paragraph')?.click();
    expect(navigate).toHaveBeenCalledWith('/notebook/N1/paragraph/p2');
    q('app-action-error-dismiss')?.click();
    expect(q('app-action-error')).toBeNull();
    p.destroy();
  });

  it('deletes after a yes and goes back to the list', async () => {
    const deleteApplication = vi.fn(async () => undefined);
    const { p, navigate } = await mounted(application({ status: 'READY' }), { deleteApplication });
    btn('app-delete').click();
    await flush();
    btn('dialog-ok').click();
    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/applications'));
    expect(deleteApplication).toHaveBeenCalledWith('a1');
    p.destroy();
  });

  it('says inline when a read fails, and clears it on the next', async () => {
    let fail = true;
    const api = fakeApi(() => application(), { listApplicationEvents: vi.fn(async () => (fail ? Promise.reject(new Error('network error: offline')) : [])) });
    const p = new ApplicationPage('a1', { api, navigate: vi.fn() });
    document.body.replaceChildren(p.el);
    await expect(p.refresh()).rejects.toThrow('offline'); // the poller backs off
    expect(q('app-load-error')?.hidden).toBe(false);
    expect(q('app-load-error')?.textContent).toBe('Could not read the application: network error: offline. Trying again…');
    fail = false;
    await p.refresh();
    expect(q('app-load-error')?.hidden).toBe(true);
    expect(q('app-name')?.textContent).toBe('orders-agg');
    p.destroy();
  });

  it('says so when the application does not exist', async () => {
    const api = fakeApi(() => application(), { getApplication: vi.fn(async () => Promise.reject(new ApiError(404, 'application a1 not found', 'not_found'))) });
    const p = new ApplicationPage('a1', { api, navigate: vi.fn() });
    document.body.replaceChildren(p.el);
    await p.refresh();
    expect(q('app-missing')?.hidden).toBe(false);
    expect(q('app-missing')?.textContent).toContain('There is no application a1.');
    p.destroy();
  });

  describe('Update…', () => {
    const DIFF = "--- version 1\n+++ version 2\n@@ -3,3 +3,3 @@\n EXECUTE STATEMENT SET\n BEGIN\n-INSERT INTO out SELECT k, COUNT(*) FROM src GROUP BY k;\n+INSERT INTO out SELECT k, COUNT(*) FROM src WHERE id > 0 GROUP BY k;\n END;\n";
    const OPS: PlanCheck['operators'] = [
      { id: 6, type: 'stream-exec-table-source-scan_2', role: 'source', description: 'reads eddy.default.src', restorable: true },
      { id: 9, type: 'stream-exec-group-aggregate_1', role: 'operator', description: 'COUNT(*) GROUP BY k', state: ['groupAggregateState'], restorable: true },
    ];
    const report = (check: PlanCheck | undefined, over: Partial<UpdateReport> = {}): UpdateReport => ({ from: 1, to: 2, diff: DIFF, ...(check ? { check } : {}), ...over });

    it('dry runs, shows the diff coloured and every operator restoring, then updates a running application keeping its state', async () => {
      let app = application({ status: 'RUNNING', version: 1 });
      const updateApplicationVersion = vi.fn(async (_id: string, req: { dryRun?: boolean }) => {
        if (req.dryRun) return report({ operators: OPS, added: [], compatible: true });
        app = application({ status: 'UPDATING', version: 2 });
        return report({ operators: OPS, added: [], compatible: true }, { application: app });
      });
      const { p, api } = await mounted(() => app, { updateApplicationVersion });
      btn('app-update').click();
      await vi.waitFor(() => expect(q('update-dialog')).not.toBeNull());
      expect(updateApplicationVersion).toHaveBeenCalledWith('a1', { dryRun: true });
      expect(q('update-versions')?.textContent).toBe('Version 1 → version 2, built from the note as it is now.');
      const lines = [...(q('update-diff')?.querySelectorAll<HTMLElement>('.diff-line') ?? [])];
      expect(lines.filter((l) => l.dataset['kind'] === 'add').map((l) => l.textContent)).toEqual(['+INSERT INTO out SELECT k, COUNT(*) FROM src WHERE id > 0 GROUP BY k;\n']);
      expect(lines.filter((l) => l.dataset['kind'] === 'del')).toHaveLength(1);
      expect(lines.filter((l) => l.dataset['kind'] === 'hunk')).toHaveLength(1);
      expect(q('update-check-summary')?.textContent).toBe('All 2 stateful operators restore their state.');
      expect([...document.querySelectorAll<HTMLElement>('[data-testid=update-check-row]')].map((r) => r.dataset['restorable'])).toEqual(['true', 'true']);
      expect(q('update-how')?.textContent).toContain('ROLLING_BACK');
      expect(btn('update-confirm').textContent).toBe('Update');
      btn('update-confirm').click();
      await vi.waitFor(() => expect(updateApplicationVersion).toHaveBeenCalledTimes(2));
      expect(updateApplicationVersion).toHaveBeenLastCalledWith('a1', { allowNonRestoredState: false });
      expect(q('update-dialog')).toBeNull();
      await vi.waitFor(() => expect(api.listVersions).toHaveBeenCalledTimes(2));
      await p.refresh();
      expect(q('app-status')?.dataset['status']).toBe('UPDATING');
      expect(q('app-status')?.textContent).toBe('Updating');
      p.destroy();
    });

    it('names the operators that would lose state and asks before dropping it', async () => {
      const lossy: PlanCheck = { operators: [OPS[0]!, { ...OPS[1]!, restorable: false, reason: 'its keys changed' }], added: [{ id: 0, type: 'stream-exec-group-aggregate_1', role: 'operator', description: 'COUNT(*) GROUP BY m', restorable: false, newId: 12 }], compatible: false };
      const updateApplicationVersion = vi.fn(async () => report(lossy, { application: application({ status: 'READY', version: 2 }) }));
      const { p } = await mounted(application({ status: 'READY', version: 1 }), { updateApplicationVersion });
      btn('app-update').click();
      await vi.waitFor(() => expect(q('update-dialog')).not.toBeNull());
      expect(q('update-dialog')?.dataset['compatible']).toBe('false');
      expect(q('update-check-summary')?.textContent).toBe('1 of 2 stateful operators cannot restore their state (#9 COUNT(*) GROUP BY k); the others can. 1 new stateful operator starts empty.');
      const rows = [...document.querySelectorAll<HTMLElement>('[data-testid=update-check-row]')];
      expect(rows.map((r) => r.dataset['restorable'])).toEqual(['true', 'false', 'new']);
      expect(rows[1]?.textContent).toContain('its keys changed');
      expect(q('update-how')?.textContent).toBe('It is not running: version 2 becomes current and runs from its next start.');
      expect(btn('update-confirm').textContent).toBe('Update, dropping state that cannot be restored');
      btn('update-confirm').click();
      await vi.waitFor(() => expect(updateApplicationVersion).toHaveBeenLastCalledWith('a1', { allowNonRestoredState: true }));
      p.destroy();
    });

    it('says why there is no check; cancel updates nothing; a refused dry run shows inline', async () => {
      const updateApplicationVersion = vi
        .fn()
        .mockResolvedValueOnce(report(undefined, { diff: '', uncheckable: 'version 1 runs without a compiled plan' }))
        .mockRejectedValueOnce(new ApiError(400, 'paragraph 2 cannot be built', 'invalid', undefined, { paragraphId: 'p2', index: 1, reason: 'no INSERT' }));
      const { p } = await mounted(application({ status: 'RUNNING' }), { updateApplicationVersion });
      btn('app-update').click();
      await vi.waitFor(() => expect(q('update-dialog')).not.toBeNull());
      expect(q('update-uncheckable')?.textContent).toBe('No check: version 1 runs without a compiled plan');
      expect(q('update-diff-same')).not.toBeNull();
      btn('update-cancel').click();
      await flush();
      expect(q('update-dialog')).toBeNull();
      expect(updateApplicationVersion).toHaveBeenCalledTimes(1);
      btn('app-update').click();
      await vi.waitFor(() => expect(q('app-action-error')).not.toBeNull());
      expect(q('app-action-error')?.textContent).toContain('Not updated');
      expect(q('app-action-error-paragraph')?.textContent).toBe('Paragraph 2');
      expect(btn('app-update').textContent).toBe('Update…');
      p.destroy();
    });

    it('shows the state check of a version that took over state', async () => {
      const listVersions = vi.fn(async () => [appVersion({ number: 2, stateCheck: { operators: OPS, added: [], compatible: true } }), appVersion()]);
      const { p } = await mounted(application({ status: 'RUNNING', version: 2 }), { listVersions });
      const checks = [...document.querySelectorAll<HTMLElement>('[data-testid=version-state-check]')];
      expect(checks).toHaveLength(1);
      expect(checks[0]?.querySelector('summary')?.textContent).toBe('State taken over: All 2 stateful operators restore their state.');
      expect(q('version-stateful')?.textContent).toBe('state carried over');
      p.destroy();
    });
  });
});
