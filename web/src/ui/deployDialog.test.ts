// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import { application, buildPreview } from '../fixtures';
import type { BuildPreview, NewApplication, PlanCheck } from '../schema';
import { DeployDialog } from './deployDialog';

const q = (testid: string) => document.querySelector<HTMLElement>(`[data-testid=${testid}]`);
const qa = (testid: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid=${testid}]`)];

const PREVIEW: BuildPreview = buildPreview({
  noteName: 'Orders (EU) agg',
  included: [
    { paragraphId: 'p1', index: 0, title: 'Settings', statements: ['SET', 'SET', 'SET'] },
    { paragraphId: 'p2', index: 1, statements: ['CREATE TABLE', 'INSERT'], notes: ['CREATE TABLE made CREATE TABLE IF NOT EXISTS'] },
  ],
  excluded: [{ paragraphId: 'p3', index: 2, title: 'Peek', reason: 'a SELECT only displays results' }],
  forms: [
    { paragraphId: 'p2', name: 'region', value: 'eu' },
    { paragraphId: 'p2', name: 'limit', value: '10', note: true },
  ],
  settings: { 'execution.runtime-mode': 'streaming' },
  script: "SET 'execution.runtime-mode' = 'streaming';\nINSERT INTO sink SELECT * FROM src WHERE region = 'eu';",
  plan: '== Optimized Execution Plan ==\nSink(table=[sink])',
});

function dialog(api: Partial<Api>, over: { showParagraph?: (pid: string) => void } = {}) {
  const navigate = vi.fn();
  const d = new DeployDialog({ api: api as Api, navigate, noteId: 'N1', ...over });
  return { d, navigate };
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('DeployDialog', () => {
  it('says it is building while the preview runs, then shows what the build keeps, leaves out and bakes in', async () => {
    let answer: (p: BuildPreview) => void = () => undefined;
    const previewApplication = vi.fn(() => new Promise<BuildPreview>((r) => (answer = r)));
    const { d } = dialog({ previewApplication });
    const opened = d.open();
    expect(previewApplication).toHaveBeenCalledWith('N1');
    expect(q('deploy-dialog')).not.toBeNull();
    expect(q('deploy-loading')?.textContent).toBe('Building and validating with Flink…');
    expect((q('deploy-create-start') as HTMLButtonElement).disabled).toBe(true);
    answer(PREVIEW);
    await opened;

    expect(q('deploy-loading')).toBeNull();
    const included = qa('deploy-included-row');
    expect(included.map((r) => r.dataset['paragraphId'])).toEqual(['p1', 'p2']);
    expect(included[0]?.textContent).toContain('Paragraph 1 · Settings');
    expect([...(included[0]?.querySelectorAll('.kind-chip') ?? [])].map((c) => c.textContent)).toEqual(['SET ×3']);
    expect([...(included[1]?.querySelectorAll('.kind-chip') ?? [])].map((c) => c.textContent)).toEqual(['CREATE TABLE', 'INSERT']);
    expect(included[1]?.textContent).toContain('CREATE TABLE made CREATE TABLE IF NOT EXISTS');
    const excluded = qa('deploy-excluded-row');
    expect(excluded).toHaveLength(1);
    expect(excluded[0]?.textContent).toContain('Paragraph 3 · Peek');
    expect(excluded[0]?.textContent).toContain('a SELECT only displays results');
    expect(qa('deploy-form-row').map((r) => r.textContent)).toEqual(['${region}euParagraph 2', '$${limit}10note form']);
    expect(q('deploy-settings')?.textContent).toContain('execution.runtime-mode');
    const script = q('deploy-script') as HTMLDetailsElement;
    expect(script.open).toBe(true);
    expect(script.querySelector('pre')?.textContent).toBe(PREVIEW.script);
    const plan = q('deploy-plan') as HTMLDetailsElement;
    expect(plan.open).toBe(false);
    expect(plan.textContent).toContain('Sink(table=[sink])');
    expect(q('deploy-batch')).toBeNull();
    expect((q('deploy-name') as HTMLInputElement).value).toBe('orders-eu-agg');
    expect((q('deploy-parallelism') as HTMLInputElement).value).toBe('1');
    expect((q('deploy-target') as HTMLSelectElement).value).toBe('standalone');
    expect((q('deploy-checkpoint') as HTMLInputElement).value).toBe('60');
    expect((q('deploy-create-start') as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows a refused build with its reason, and the paragraph at fault leads to it', async () => {
    const refusal = new ApiError(400, 'paragraph 3 cannot be deployed', 'invalid', undefined, { paragraphId: 'p3', index: 2, reason: 'a SELECT without INSERT: an application needs an INSERT' });
    const showParagraph = vi.fn();
    const { d, navigate } = dialog({ previewApplication: vi.fn(async () => Promise.reject(refusal)) }, { showParagraph });
    await d.open();
    const box = q('deploy-refusal');
    expect(box?.dataset['kind']).toBe('build');
    expect(q('deploy-refusal-message')?.textContent).toBe('A SELECT without INSERT: an application needs an INSERT.');
    expect((q('deploy-create-start') as HTMLButtonElement).disabled).toBe(true);
    expect(q('deploy-create-start')?.hidden).toBe(true);
    expect(q('deploy-create')?.hidden).toBe(true);
    expect(q('deploy-cancel')?.textContent).toBe('Close');
    const para = q('deploy-refusal-paragraph');
    expect(para?.textContent).toBe('Paragraph 3');
    para?.click();
    expect(showParagraph).toHaveBeenCalledWith('p3');
    expect(q('deploy-dialog')).toBeNull();
    expect(navigate).not.toHaveBeenCalled();
  });

  it('shows the root cause of another failure first', async () => {
    const err = new ApiError(503, 'org.apache.flink.table.api.SqlParserException: bad\nCaused by: org.apache.flink.sql.parser.impl.ParseException: Encountered "FORM"\n\tat x.y(Z.java:1)', 'unavailable');
    const { d } = dialog({ previewApplication: vi.fn(async () => Promise.reject(err)) });
    await d.open();
    expect(q('deploy-refusal')?.dataset['kind']).toBe('other');
    expect(q('deploy-refusal-message')?.textContent).toBe('ParseException: Encountered "FORM".');
    expect(q('deploy-refusal')?.querySelector('details pre')?.textContent).toContain('SqlParserException');
  });

  it('creates with the inputs, starts without state and opens the application', async () => {
    const createApplication = vi.fn(async () => application({ id: 'a 7', name: 'eu' }));
    const startApplication = vi.fn(async () => application({ id: 'a 7', status: 'STARTING' }));
    const { d, navigate } = dialog({ previewApplication: vi.fn(async () => PREVIEW), createApplication, startApplication });
    await d.open();
    (q('deploy-name') as HTMLInputElement).value = ' eu ';
    (q('deploy-parallelism') as HTMLInputElement).value = '3';
    (q('deploy-target') as HTMLSelectElement).value = 'session';
    (q('deploy-checkpoint') as HTMLInputElement).value = '10';
    (q('deploy-tags') as HTMLTextAreaElement).value = 'team=data\nenv = prod';
    q('deploy-create-start')?.click();
    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/applications/a%207'));
    expect(createApplication).toHaveBeenCalledWith({ noteId: 'N1', name: 'eu', parallelism: 3, target: 'session', tags: { team: 'data', env: 'prod' }, checkpointIntervalMs: 10_000 });
    expect(startApplication).toHaveBeenCalledWith('a 7', 'NONE');
    expect(q('deploy-dialog')).toBeNull();
  });

  it('keeps bad inputs in the dialog and sends nothing', async () => {
    const createApplication = vi.fn();
    const { d } = dialog({ previewApplication: vi.fn(async () => PREVIEW), createApplication });
    await d.open();
    (q('deploy-tags') as HTMLTextAreaElement).value = 'team';
    q('deploy-create')?.click();
    expect(q('deploy-error-message')?.textContent).toBe('Tag on line 1 is not key=value.');
    expect(createApplication).not.toHaveBeenCalled();
  });

  it('shows a capacity refusal of the start with who holds the KPUs, and then only retries the start', async () => {
    const refused = new ApiError(503, 'not enough KPUs', 'capacity_exceeded', {
      what: 'start application orders-eu-agg',
      needed: 2,
      free: 1,
      capacity: 4,
      holders: [
        { noteId: 'N9', noteName: 'Clicks', sessionId: 's9', kpus: 2 },
        { noteId: 'N8', noteName: 'Fraud', sessionId: '', kpus: 1, applicationId: 'a8', applicationName: 'fraud-alerts' },
      ],
    });
    const createApplication = vi.fn(async () => application({ id: 'a1', name: 'orders-eu-agg' }));
    const startApplication = vi.fn().mockRejectedValueOnce(refused).mockResolvedValueOnce(application({ status: 'STARTING' }));
    const { d, navigate } = dialog({ previewApplication: vi.fn(async () => PREVIEW), createApplication, startApplication });
    await d.open();
    q('deploy-create-start')?.click();
    await vi.waitFor(() => expect(q('deploy-error')).not.toBeNull());
    expect(q('deploy-error')?.dataset['kind']).toBe('capacity');
    expect(q('deploy-error-message')?.textContent).toBe('It needs 2 KPUs to start application orders-eu-agg; 1 of 4 is free.');
    const links = [...(q('deploy-error-holders')?.querySelectorAll('a') ?? [])].map((a) => [a.textContent, a.getAttribute('href')]);
    expect(links).toEqual([
      ['Clicks', '/notebook/N9'],
      ['fraud-alerts', '/applications/a8'],
    ]);
    expect(q('deploy-open-app')?.getAttribute('href')).toBe('/applications/a1');
    expect(navigate).not.toHaveBeenCalled();
    expect(q('deploy-create')?.hidden).toBe(true);
    expect(q('deploy-create-start')?.textContent).toBe('Start');
    expect((q('deploy-name') as HTMLInputElement).disabled).toBe(true);

    q('deploy-create-start')?.click();
    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/applications/a1'));
    expect(createApplication).toHaveBeenCalledTimes(1);
    expect(startApplication).toHaveBeenCalledTimes(2);
  });

  it('shows a taken name as a conflict and creates nothing more', async () => {
    const createApplication = vi.fn(async () => Promise.reject(new ApiError(409, 'an application named orders-eu-agg exists', 'conflict')));
    const { d, navigate } = dialog({ previewApplication: vi.fn(async () => PREVIEW), createApplication });
    await d.open();
    q('deploy-create')?.click();
    await vi.waitFor(() => expect(q('deploy-error-message')?.textContent).toBe('An application named orders-eu-agg exists.'));
    expect(q('deploy-error')?.textContent).toContain('Not created');
    expect(q('deploy-create')?.hidden).toBe(false);
    expect(navigate).not.toHaveBeenCalled();
  });

  describe('with the state of the note’s running job', () => {
    const CHECK: PlanCheck = {
      operators: [
        { id: 6, type: 'stream-exec-table-source-scan_2', role: 'source', description: 'reads eddy.default.src', restorable: true, newId: 16, planId: 6 },
        { id: 9, type: 'stream-exec-group-aggregate_1', role: 'operator', description: 'COUNT(*) GROUP BY k', state: ['groupAggregateState'], restorable: false, reason: 'its keys changed', newId: 19, planId: 21 },
        { id: 10, type: 'stream-exec-sink_2', role: 'sink', description: 'writes eddy.default.out', restorable: true, notes: ['option sink.parallelism changed'], newId: 20, planId: 10 },
      ],
      added: [],
      compatible: false,
    };
    const OK: PlanCheck = { operators: CHECK.operators.map((o) => ({ ...o, restorable: true, reason: undefined })), added: [], compatible: true };
    const withJob = (check: PlanCheck | undefined, unavailable?: string) => buildPreview({ ...PREVIEW, stateSource: { jobId: 'job-1', paragraphId: 'p2', check, unavailable } });

    it('offers Deploy with state by default, naming the paragraph’s job and showing each operator’s check', async () => {
      const createApplication = vi.fn(async (_a: NewApplication) => application({ id: 'a1', name: 'orders-eu-agg', status: 'STARTING' }));
      const startApplication = vi.fn();
      const { d, navigate } = dialog({ previewApplication: vi.fn(async () => withJob(OK)), createApplication, startApplication });
      await d.open();
      expect((q('deploy-with-state') as HTMLInputElement).checked).toBe(true);
      expect(q('deploy-state-source')?.textContent).toBe('Paragraph 2 runs INSERT job job-1.');
      expect(q('deploy-state-check-summary')?.textContent).toBe('All 3 stateful operators restore their state.');
      const rows = qa('deploy-state-check-row');
      expect(rows.map((r) => [r.dataset['operatorId'], r.dataset['restorable']])).toEqual([
        ['6', 'true'],
        ['9', 'true'],
        ['10', 'true'],
      ]);
      expect(rows[1]?.textContent).toContain('COUNT(*) GROUP BY k');
      expect(rows[2]?.textContent).toContain('option sink.parallelism changed');
      expect(q('deploy-create')?.hidden).toBe(true);
      expect(q('deploy-create-start')?.textContent).toBe('Deploy with state');
      q('deploy-create-start')?.click();
      await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/applications/a1'));
      expect(createApplication).toHaveBeenCalledWith(expect.objectContaining({ noteId: 'N1', name: 'orders-eu-agg', withState: true }));
      expect(createApplication.mock.calls[0]?.[0]).not.toHaveProperty('allowNonRestoredState');
      expect(startApplication).not.toHaveBeenCalled();
    });

    it('goes back to Create and Create and start when Without state is chosen', async () => {
      const createApplication = vi.fn(async (_a: NewApplication) => application({ id: 'a1' }));
      const startApplication = vi.fn(async () => application({ id: 'a1', status: 'STARTING' }));
      const { d, navigate } = dialog({ previewApplication: vi.fn(async () => withJob(OK)), createApplication, startApplication });
      await d.open();
      const without = q('deploy-without-state') as HTMLInputElement;
      without.checked = true;
      without.dispatchEvent(new Event('change'));
      expect(q('deploy-create')?.hidden).toBe(false);
      expect(q('deploy-create-start')?.textContent).toBe('Create and start');
      q('deploy-create-start')?.click();
      await vi.waitFor(() => expect(navigate).toHaveBeenCalled());
      expect(createApplication.mock.calls[0]?.[0]).not.toHaveProperty('withState');
      expect(startApplication).toHaveBeenCalledWith('a1', 'NONE');
    });

    it('says why the state cannot be taken over and offers only Without state', async () => {
      const { d } = dialog({ previewApplication: vi.fn(async () => withJob(undefined, 'the note runs 2 INSERT jobs')) });
      await d.open();
      expect((q('deploy-with-state') as HTMLInputElement).disabled).toBe(true);
      expect((q('deploy-without-state') as HTMLInputElement).checked).toBe(true);
      expect(q('deploy-state-unavailable')?.textContent).toBe('Its state cannot be taken over: the note runs 2 INSERT jobs');
      expect(q('deploy-state-choices')?.textContent).toContain('Unavailable: the note runs 2 INSERT jobs');
      expect(q('deploy-create')?.hidden).toBe(false);
    });

    it('shows a refusal operator by operator and offers: start without state, allow non-restored state, cancel', async () => {
      const refused = new ApiError(409, 'the new version cannot restore all the state of job job-1: operator 9 (COUNT(*) GROUP BY k): its keys changed', 'conflict', undefined, undefined, { check: CHECK });
      const createApplication = vi
        .fn()
        .mockRejectedValueOnce(refused)
        .mockResolvedValueOnce(application({ id: 'a1', status: 'STARTING' }));
      const startApplication = vi.fn();
      const { d, navigate } = dialog({ previewApplication: vi.fn(async () => withJob(CHECK)), createApplication, startApplication });
      await d.open();
      expect(q('deploy-state-check-summary')?.textContent).toBe('1 of 3 stateful operators cannot restore their state (#9 COUNT(*) GROUP BY k); the others can.');
      q('deploy-create-start')?.click();
      await vi.waitFor(() => expect(q('deploy-state-refused')).not.toBeNull());
      expect(q('deploy-state-refused-message')?.textContent).toContain('operator 9');
      const lost = qa('deploy-refused-check-row').filter((r) => r.dataset['restorable'] === 'false');
      expect(lost.map((r) => r.dataset['operatorId'])).toEqual(['9']);
      expect(lost[0]?.textContent).toContain('its keys changed');
      expect(navigate).not.toHaveBeenCalled();
      q('deploy-refused-allow')?.click();
      await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/applications/a1'));
      expect(createApplication.mock.calls[1]?.[0]).toEqual(expect.objectContaining({ withState: true, allowNonRestoredState: true }));
      expect(startApplication).not.toHaveBeenCalled();
    });

    it('after a refusal, Start without state creates and starts without it; Cancel closes and sends nothing', async () => {
      const refused = new ApiError(409, 'cannot restore', 'conflict', undefined, undefined, { check: CHECK });
      const createApplication = vi
        .fn()
        .mockRejectedValueOnce(refused)
        .mockResolvedValueOnce(application({ id: 'a2' }));
      const startApplication = vi.fn(async () => application({ id: 'a2', status: 'STARTING' }));
      const { d, navigate } = dialog({ previewApplication: vi.fn(async () => withJob(CHECK)), createApplication, startApplication });
      await d.open();
      q('deploy-create-start')?.click();
      await vi.waitFor(() => expect(q('deploy-refused-without-state')).not.toBeNull());
      q('deploy-refused-without-state')?.click();
      await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/applications/a2'));
      expect(createApplication.mock.calls[1]?.[0]).not.toHaveProperty('withState');
      expect(startApplication).toHaveBeenCalledWith('a2', 'NONE');

      const again = vi.fn().mockRejectedValueOnce(refused);
      const second = dialog({ previewApplication: vi.fn(async () => withJob(CHECK)), createApplication: again });
      await second.d.open();
      q('deploy-create-start')?.click();
      await vi.waitFor(() => expect(q('deploy-refused-cancel')).not.toBeNull());
      q('deploy-refused-cancel')?.click();
      expect(q('deploy-dialog')).toBeNull();
      expect(again).toHaveBeenCalledTimes(1);
      expect(second.navigate).not.toHaveBeenCalled();
    });
  });
});
