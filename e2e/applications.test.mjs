// End-to-end test of applications against a real bin/eddy, its local Flink
// cluster and the application's own standalone Flink cluster: a note with
// Markdown, a datagen source whose rate is a dynamic form, a blackhole sink,
// an INSERT and a SELECT is deployed from the note page. The dialog lists
// the paragraphs kept and those left out with their reasons, the form value
// baked in and the script with its statement set; a note whose INSERT reads
// a table that does not exist is refused, naming the paragraph, and nothing
// is created. The application is created and started, snapshotted, stopped
// with a snapshot (its metered KPU-hours kept), started again from the
// chosen snapshot, scaled to parallelism 2 in place from its page, seen on
// the Applications page, force stopped and deleted.
//
// Then state carried across: a note's streaming INSERT (a keyed count) runs
// in the notebook; Deploy offers "Deploy with state", naming the
// paragraph's job and showing every operator restorable; the application
// starts from the job's savepoint (its first snapshot, trigger handoff)
// and the paragraph ends FINISHED. The note's INSERT gains a filter on a
// stateless path; Update… dry runs it (the diff, every operator
// restorable) and the update snapshots, stops and runs version 2 from the
// snapshot.
// Screenshots go to e2e/artifacts/apps-NN-*.png.
//
//   npm run e2e        (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, until, watch, textOf } from './harness.mjs';

/** How long the application's own cluster (a JobManager and a TaskManager) may take to run its job. */
const APP_RUNNING_MS = 150_000;

const tag = randomBytes(3).toString('hex');
const SRC = `orders_src_${tag}`;
const SINK = `orders_sink_${tag}`;
const MISSING = `no_such_table_${tag}`;

const PIPELINE = [
  { text: '%md\n# Orders pipeline\nRandom orders from datagen, written to a blackhole.' },
  {
    text: [
      '%flink.ssql',
      `CREATE TABLE ${SRC} (`,
      '  order_id BIGINT,',
      '  amount DOUBLE',
      ') WITH (',
      "  'connector' = 'datagen',",
      "  'fields.order_id.kind' = 'random',",
      "  'fields.amount.kind' = 'random',",
      "  'rows-per-second' = '${rate=5}'",
      ');',
      `CREATE TABLE ${SINK} (order_id BIGINT, amount DOUBLE) WITH ('connector' = 'blackhole');`,
    ].join('\n'),
  },
  { text: `%flink.ssql\nINSERT INTO ${SINK} SELECT order_id, amount FROM ${SRC};` },
  { text: `%flink.ssql\nSELECT * FROM ${SRC};` },
];

const BROKEN = [
  { text: `%flink.ssql\nCREATE TABLE broken_sink_${tag} (order_id BIGINT) WITH ('connector' = 'blackhole');` },
  { text: `%flink.ssql\nINSERT INTO broken_sink_${tag} SELECT order_id FROM ${MISSING};` },
];

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('apps-');

before(async () => {
  eddy = await Eddy.start({ clean: 'apps-', logName: 'eddy-applications.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

/** text is an element's rendered text, whitespace collapsed. */
const text = (loc) => textOf(loc, 5_000);

/** appsOf lists the applications through the API. */
const appsOf = async () => (await eddy.api('GET', '/api/v1/applications')).applications;

describe('a note deployed as an application (needs a ready Flink cluster)', () => {
  /** @type {import('playwright-core').Page} */
  let page;
  let errors;
  let noteId;
  let paraIds;
  let appId;
  let manualId;
  const dialog = () => page.locator('[data-testid=deploy-dialog]');
  const appPage = () => page.locator('[data-testid=app-page]');
  /** waitStatus waits for the page to show a status; on time-out it says what the API reports. */
  const waitStatus = async (status, timeout) => {
    try {
      await until(async () => (await appPage().getAttribute('data-status')) === status, { timeout, interval: 500, message: `the page to show ${status}` });
    } catch (e) {
      const a = await eddy.api('GET', `/api/v1/applications/${appId}`).catch((x) => ({ error: x.message }));
      const ev = await eddy.api('GET', `/api/v1/applications/${appId}/events`).catch((x) => ({ error: x.message }));
      const events = (ev.events ?? []).map((x) => `${x.at ?? ''} ${x.kind}: ${x.message}`).join('\n') || JSON.stringify(ev);
      throw new Error(`${e.message}; the application: ${JSON.stringify({ status: a.status, failure: a.failure, error: a.error })}; see e2e/artifacts/${eddy.logName}\nits events:\n${events}\nits cluster's logs:\n${await eddy.logTails(`applications/${appId}/log`)}`);
    }
  };

  before(async () => {
    await eddy.mustClusterReady();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
    noteId = await eddy.api('POST', '/api/notebook', { name: `/e2e/applications/Orders ${tag}`, paragraphs: PIPELINE });
    paraIds = (await eddy.api('GET', `/api/notebook/${noteId}`)).paragraphs.map((p) => p.id);
    assert.equal(paraIds.length, 4);
    await page.goto(`${eddy.baseURL}/notebook/${noteId}`);
    await page.locator('[data-testid=paragraph]').first().waitFor();
  });

  test('Deploy previews the build: SQL kept, Markdown and SELECT left out with reasons, the form baked, one statement set', async () => {
    await page.click('[data-testid=deploy-button]');
    await dialog().waitFor();
    await until(async () => (await dialog().getAttribute('data-state')) === 'ready', { timeout: 60_000, message: 'the build preview' });
    const included = dialog().locator('[data-testid=deploy-included-row]');
    assert.deepEqual(await included.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-paragraph-id'))), [paraIds[1], paraIds[2]]);
    assert.equal(await text(included.nth(0).locator('.build-para')), 'Paragraph 2');
    assert.equal(await text(included.nth(0).locator('.build-kinds')), 'DDL ×2');
    assert.match(await text(included.nth(0).locator('.build-notes')), /IF NOT EXISTS/);
    assert.equal(await text(included.nth(1).locator('.build-para')), 'Paragraph 3');
    assert.equal(await text(included.nth(1).locator('.build-kinds')), 'DML');
    const excluded = dialog().locator('[data-testid=deploy-excluded-row]');
    assert.deepEqual(await excluded.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-paragraph-id'))), [paraIds[0], paraIds[3]]);
    for (let i = 0; i < 2; i++) {
      const reason = await text(excluded.nth(i).locator('.build-reason'));
      assert.ok(reason.length > 5, `excluded paragraph ${i} has a reason: ${reason}`);
    }
    assert.match(await text(excluded.nth(0)), /Paragraph 1/);
    assert.match(await text(excluded.nth(1)), /Paragraph 4/);
    const form = dialog().locator('[data-testid=deploy-form-row][data-name=rate]');
    assert.equal(await form.count(), 1);
    assert.equal(await text(form), '${rate} 5 Paragraph 2');
    const script = dialog().locator('[data-testid=deploy-script]');
    assert.equal(await script.evaluate((d) => d.open), true, 'the script is shown open');
    const sql = await script.locator('pre').textContent();
    assert.match(sql, /EXECUTE STATEMENT SET/);
    assert.match(sql, new RegExp(`INSERT INTO \`?${SINK}`));
    assert.match(sql, /'rows-per-second'\s*=\s*'5'/);
    assert.doesNotMatch(sql, /\$\{rate/, 'the form is baked, not left in the script');
    assert.doesNotMatch(sql, /Orders pipeline/, 'no Markdown in the script');
    assert.equal(await dialog().locator('[data-testid=deploy-name]').inputValue(), `orders-${tag}`);
    assert.equal(await dialog().locator('[data-testid=deploy-create-start]').isEnabled(), true);
    await shots.take(page, 'deploy-preview');
    // The end of the script: the statement set the INSERTs were merged into.
    await script.locator('pre').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
      el.scrollIntoView({ block: 'end' });
    });
    await shots.take(page, 'deploy-script-end');
    await dialog().locator('.deploy-main').evaluate((el) => (el.scrollTop = 0));
  });

  test('a note whose INSERT reads a missing table is refused, naming the paragraph; nothing is created', async () => {
    const brokenId = await eddy.api('POST', '/api/notebook', { name: `/e2e/applications/Broken ${tag}`, paragraphs: BROKEN });
    const other = await page.context().newPage();
    const otherErrors = watch(other);
    try {
      await other.goto(`${eddy.baseURL}/notebook/${brokenId}`);
      await other.locator('[data-testid=paragraph]').first().waitFor();
      await other.click('[data-testid=deploy-button]');
      const refusal = other.locator('[data-testid=deploy-dialog] [data-testid=deploy-refusal]');
      await refusal.waitFor({ timeout: 60_000 });
      assert.equal(await other.locator('[data-testid=deploy-dialog]').getAttribute('data-state'), 'refused');
      assert.equal(await refusal.getAttribute('data-kind'), 'build');
      const brokenParas = (await eddy.api('GET', `/api/notebook/${brokenId}`)).paragraphs;
      const para = refusal.locator('[data-testid=deploy-refusal-paragraph]');
      assert.equal(await para.getAttribute('data-paragraph-id'), brokenParas[1].id);
      assert.match(await text(para), /^Paragraph 2\b/);
      assert.match(await text(refusal.locator('[data-testid=deploy-refusal-message]')), new RegExp(MISSING, 'i'));
      assert.equal(await other.locator('[data-testid=deploy-create-start]').isHidden(), true, 'nothing to create from a refused build');
      assert.equal(await text(other.locator('[data-testid=deploy-cancel]')), 'Close');
      await shots.take(other, 'deploy-refused');
      assert.deepEqual(await appsOf(), []);
      // The paragraph's name shows it in the note.
      await para.click();
      await other.locator('[data-testid=deploy-dialog]').waitFor({ state: 'detached' });
      assert.deepEqual(otherErrors, []);
    } finally {
      await other.close();
    }
  });

  test('Create and start opens the application, which runs on its own cluster', async () => {
    await page.bringToFront();
    const name = `orders-pipeline-${tag}`;
    await dialog().locator('[data-testid=deploy-name]').fill(name);
    await dialog().locator('[data-testid=deploy-checkpoint]').fill('10');
    await dialog().locator('[data-testid=deploy-tags]').fill('team=e2e\nenv=test');
    await dialog().locator('[data-testid=deploy-create-start]').click();
    await page.waitForURL(/\/applications\/[^/]+$/, { timeout: 30_000 });
    appId = new URL(page.url()).pathname.split('/').pop();
    await dialog().waitFor({ state: 'detached' });
    await appPage().waitFor();
    // Visible once the page's first read of the application has rendered it.
    await page.locator('[data-testid=app-name]').waitFor({ timeout: 10_000 });
    assert.equal(await text(page.locator('[data-testid=app-name]')), name);
    const apps = await appsOf();
    assert.deepEqual(apps.map((a) => [a.id, a.name, a.target, a.parallelism, a.checkpointIntervalMs]), [[appId, name, 'standalone', 1, 10_000]]);
    assert.deepEqual(apps[0].tags, { team: 'e2e', env: 'test' });
    await waitStatus('RUNNING', APP_RUNNING_MS);
    assert.equal(await page.locator('[data-testid=app-status]').getAttribute('data-status'), 'RUNNING');
    assert.equal(await page.locator('[data-testid=app-status]').textContent(), 'Running');
    const app = await eddy.api('GET', `/api/v1/applications/${appId}`);
    assert.ok(app.jobId, 'a running application has a job');
    const flink = page.locator('[data-testid=app-flink-link]');
    await flink.waitFor();
    const href = await flink.getAttribute('href');
    assert.equal(href, `/flink-app/${appId}/#/job/running/${app.jobId}/overview`, 'its own cluster\'s Flink UI, through Eddy');
    // Through Eddy the page reaches its own cluster's JobManager, which runs the job.
    const state = await page.evaluate(async (u) => (await (await fetch(u)).json()).state, `/flink-app/${appId}/jobs/${app.jobId}`);
    assert.equal(state, 'RUNNING');
    assert.equal(await page.locator('[data-testid=app-note-link]').getAttribute('href'), `/notebook/${noteId}`);
    assert.equal(await page.locator('[data-testid=app-kpus]').textContent(), '2');
    assert.equal(await page.locator('[data-testid=app-start]').isDisabled(), true);
    assert.equal(await page.locator('[data-testid=app-delete]').isDisabled(), true);
    await page.locator('[data-testid=event-row][data-kind=running]').first().waitFor();
    await shots.take(page, 'app-running');
  });

  test('a snapshot taken on request, then a stop with a snapshot', async () => {
    await page.click('[data-testid=app-snapshot]');
    const manual = page.locator('[data-testid=snapshot-row][data-trigger=manual]');
    await manual.waitFor({ timeout: 60_000 });
    manualId = await manual.getAttribute('data-snapshot-id');
    assert.ok(manualId);
    assert.equal(await page.locator('[data-testid=app-page]').getAttribute('data-status'), 'RUNNING', 'a snapshot leaves it running');
    await until(async () => await page.locator('[data-testid=app-stop]').isEnabled(), { message: 'Stop enabled' });
    // What the run has been metered so far (live while it runs: KPUs × time since it started).
    const meteredRunning = (await eddy.api('GET', `/api/v1/applications/${appId}`)).kpuHours;
    assert.ok(meteredRunning > 0, `a running application is metered: ${meteredRunning} KPU-h`);
    await page.click('[data-testid=app-stop]');
    await waitStatus('READY', 90_000);
    await page.locator('[data-testid=snapshot-row][data-trigger=stop]').waitFor({ timeout: 10_000 });
    const snaps = (await eddy.api('GET', `/api/v1/applications/${appId}/snapshots`)).snapshots;
    assert.deepEqual(snaps.map((s) => s.trigger).sort(), ['manual', 'stop']);
    assert.equal(await page.locator('[data-testid=app-kpus]').textContent(), '0 · 2 to run', 'a stopped application holds no KPU');
    assert.equal(await page.locator('[data-testid=app-start]').isEnabled(), true);
    await page.locator('[data-testid=event-row][data-kind=stopped]').first().waitFor({ timeout: 10_000 });
    await shots.take(page, 'app-stopped', { fullPage: true });
    // The stop closes the run's metering: the KPU-hours it reported while running are kept.
    const meteredStopped = (await eddy.api('GET', `/api/v1/applications/${appId}`)).kpuHours;
    assert.ok(meteredStopped >= meteredRunning, `KPU-hours after the stop (${meteredStopped}) are at least those metered while it ran (${meteredRunning})`);
  });

  test('started again from the chosen snapshot: its starting event names it', async () => {
    await page.click('[data-testid=app-start]');
    const start = page.locator('[data-testid=start-dialog]');
    await start.waitFor();
    assert.equal(await start.locator('[data-testid=start-restore-latest]').isChecked(), true, 'latest snapshot by default');
    await start.locator('[data-testid=start-restore-snapshot]').check();
    await start.locator('[data-testid=start-snapshot-select]').selectOption(manualId);
    await shots.take(page, 'start-dialog');
    await start.locator('[data-testid=start-confirm]').click();
    await start.waitFor({ state: 'detached' });
    await waitStatus('RUNNING', APP_RUNNING_MS);
    const events = page.locator('[data-testid=event-row][data-kind=starting]');
    await until(async () => (await events.count()) === 2, { timeout: 10_000, message: 'two starting events' });
    const texts = await events.allInnerTexts();
    assert.equal(texts.filter((t) => t.includes(manualId)).length, 1, `one starting event names ${manualId}: ${JSON.stringify(texts)}`);
    const starts = (await eddy.api('GET', `/api/v1/applications/${appId}/events`)).events.filter((e) => e.kind === 'starting');
    assert.ok(starts.some((e) => e.message.includes(manualId)), JSON.stringify(starts));
    await shots.take(page, 'app-restarted', { fullPage: true });
  });

  test('scaled to parallelism 2 from the Scale dialog: rescaled in place, its KPUs following', async () => {
    await until(async () => await page.locator('[data-testid=app-rescale]').isEnabled(), { message: 'Scale enabled' });
    await page.click('[data-testid=app-rescale]');
    const dialog = page.locator('[data-testid=rescale-dialog]');
    await dialog.waitFor();
    assert.match(await text(dialog.locator('[data-testid=rescale-how]')), /in place/);
    await dialog.locator('[data-testid=rescale-input]').fill('2');
    await shots.take(page, 'rescale-dialog');
    await dialog.locator('[data-testid=rescale-confirm]').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid=event-row][data-kind=rescaling]').first().waitFor({ timeout: 10_000 });
    await waitStatus('RUNNING', APP_RUNNING_MS);
    await page.locator('[data-testid=event-row][data-kind=rescaled]').first().waitFor({ timeout: 10_000 });
    assert.match(await text(page.locator('[data-testid=event-row][data-kind=rescaled]').first()), /parallelism 1 → 2 in place/);
    await until(async () => (await text(page.locator('[data-testid=app-parallelism]'))) === '2 (at most 128)', { message: 'parallelism 2 shown' });
    assert.equal(await page.locator('[data-testid=app-kpus]').textContent(), '3');
    const app = await eddy.api('GET', `/api/v1/applications/${appId}`);
    const job = await page.evaluate(async (u) => (await fetch(u)).json(), `/flink-app/${appId}/jobs/${app.jobId}`);
    assert.deepEqual(job.vertices.map((v) => v.parallelism), job.vertices.map(() => 2), 'every vertex runs at 2');
    await shots.take(page, 'app-rescaled', { fullPage: true });
  });

  test('the Applications page lists it running with its KPUs, cost and uptime', async () => {
    await page.click('[data-testid=nav-applications]');
    await page.waitForURL(/\/applications$/);
    const row = page.locator(`[data-testid=app-row][data-app-id="${appId}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-testid=app-row]').count(), 1);
    assert.equal(await row.getAttribute('data-status'), 'RUNNING');
    assert.equal(await row.locator('[data-testid=app-row-status]').textContent(), 'Running');
    assert.equal(await text(row.locator('[data-testid=app-row-kpus]')), '3');
    assert.match(await text(row.locator('[data-testid=app-row-cost]')), /^(< )?\$\d+\.\d{2,}$/);
    assert.match(await text(row.locator('[data-testid=app-row-uptime]')), /\d/);
    assert.notEqual(await text(row.locator('[data-testid=app-row-snapshot]')), '—');
    assert.match(await row.locator('[data-testid=app-row-flink]').getAttribute('href'), /^\/flink-app\/[^/]+\/#\/job\//);
    assert.equal(await row.locator('[data-testid=app-row-note]').getAttribute('href'), `/notebook/${noteId}`);
    assert.equal(await page.locator('[data-testid=apps-empty]').isHidden(), true);
    await shots.take(page, 'apps-list');
  });

  test('force stopped, then deleted: gone from the list and the API', async () => {
    await page.locator(`[data-testid=app-row][data-app-id="${appId}"] [data-testid=app-row-name]`).click();
    await page.waitForURL(new RegExp(`/applications/${appId}$`));
    await waitStatus('RUNNING', 10_000);
    await until(async () => await page.locator('[data-testid=app-force-stop]').isEnabled(), { message: 'Force stop enabled' });
    await page.click('[data-testid=app-force-stop]');
    await page.click('[data-testid=dialog-ok]');
    await waitStatus('READY', 60_000);
    await until(async () => await page.locator('[data-testid=app-delete]').isEnabled(), { message: 'Delete enabled' });
    await page.click('[data-testid=app-delete]');
    await page.click('[data-testid=dialog-ok]');
    await page.waitForURL(/\/applications$/);
    await page.locator('[data-testid=apps-empty]').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-testid=app-row]').count(), 0);
    await assert.rejects(eddy.api('GET', `/api/v1/applications/${appId}`), /: 404 /);
    assert.deepEqual(await appsOf(), []);
    await shots.take(page, 'apps-empty');
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});

describe('state carried from the notebook into an application, then through an update (needs a ready Flink cluster)', () => {
  /** @type {import('playwright-core').Page} */
  let page;
  let errors;
  let noteId;
  let insertId;
  let appId;
  const src = `counts_src_${tag}`;
  const sink = `counts_sink_${tag}`;
  const insert = (where) => `%flink.ssql\nINSERT INTO ${sink} SELECT k, COUNT(*) AS n FROM ${src}${where} GROUP BY k;`;
  const dialog = () => page.locator('[data-testid=deploy-dialog]');
  const appPage = () => page.locator('[data-testid=app-page]');
  const waitStatus = async (status, timeout) => {
    try {
      await until(async () => (await appPage().getAttribute('data-status')) === status, { timeout, interval: 500, message: `the page to show ${status}` });
    } catch (e) {
      const a = await eddy.api('GET', `/api/v1/applications/${appId}`).catch((x) => ({ error: x.message }));
      const ev = await eddy.api('GET', `/api/v1/applications/${appId}/events`).catch((x) => ({ error: x.message }));
      const events = (ev.events ?? []).map((x) => `${x.at ?? ''} ${x.kind}: ${x.message}`).join('\n') || JSON.stringify(ev);
      throw new Error(`${e.message}; the application: ${JSON.stringify({ status: a.status, failure: a.failure, error: a.error })}; see e2e/artifacts/${eddy.logName}\nits events:\n${events}\nits cluster's logs:\n${await eddy.logTails(`applications/${appId}/log`)}`);
    }
  };
  const paragraphStatus = async (id) => (await eddy.api('GET', `/api/notebook/${noteId}/paragraph/${id}`)).status;

  before(async () => {
    await eddy.mustClusterReady();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
    noteId = await eddy.api('POST', '/api/notebook', {
      name: `/e2e/applications/Counts ${tag}`,
      paragraphs: [
        {
          text: [
            '%flink.ssql',
            `CREATE TABLE ${src} (id BIGINT, k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5', 'fields.id.min' = '1', 'fields.id.max' = '1000000', 'fields.k.min' = '1', 'fields.k.max' = '4');`,
            `CREATE TABLE ${sink} (k INT, n BIGINT) WITH ('connector' = 'blackhole');`,
          ].join('\n'),
        },
        { text: insert('') },
      ],
    });
    const ids = (await eddy.api('GET', `/api/notebook/${noteId}`)).paragraphs.map((p) => p.id);
    insertId = ids[1];
    await eddy.api('POST', `/api/notebook/run/${noteId}/${ids[0]}`);
    await eddy.api('POST', `/api/notebook/job/${noteId}/${insertId}`);
    await until(async () => (await paragraphStatus(insertId)) === 'RUNNING', { timeout: 90_000, interval: 500, message: 'the INSERT paragraph running' });
    // The paragraph runs before its job is submitted; the preview names the job once Flink runs it.
    let preview;
    try {
      await until(async () => !!(preview = await eddy.api('POST', '/api/v1/applications/preview', { noteId })).stateSource, { timeout: 90_000, interval: 2_000, message: 'the preview to name the running job' });
    } catch (e) {
      const para = await eddy.api('GET', `/api/notebook/${noteId}/paragraph/${insertId}`);
      throw new Error(`${e.message}: preview ${JSON.stringify({ ...preview, script: undefined, plan: undefined })}; paragraph ${JSON.stringify({ status: para.status, results: para.results, config: para.config })}`);
    }
    await eddy.openNote(page, noteId);
    // A savepoint needs every task running, which takes a while on a busy machine.
    const jobId = preview.stateSource.jobId;
    let seen = '';
    try {
      await until(
        async () => {
          const job = await page.evaluate(async (u) => (await fetch(u)).json(), `/flink/jobs/${jobId}`);
          seen = `${job.state}: ${(job.vertices ?? []).map((v) => `${v.name} ${v.status}`).join(', ')}`;
          return job.state === 'RUNNING' && job.vertices.every((v) => v.status === 'RUNNING');
        },
        { timeout: 120_000, interval: 1_000, message: `every task of the notebook job ${jobId} running` },
      );
    } catch (e) {
      const para = await eddy.api('GET', `/api/notebook/${noteId}/paragraph/${insertId}`);
      throw new Error(`${e.message}; the job: ${seen}; the paragraph: ${para.status} ${JSON.stringify(para.results).slice(0, 800)}`);
    }
  });

  test('Deploy with state takes over the paragraph’s running job: the application runs from its savepoint (snapshot handoff)', async () => {
    await page.click('[data-testid=deploy-button]');
    await dialog().waitFor();
    await until(async () => (await dialog().getAttribute('data-state')) === 'ready', { timeout: 60_000, message: 'the build preview' });
    const source = dialog().locator('[data-testid=deploy-state-source]');
    await source.waitFor({ timeout: 10_000 });
    assert.equal(await source.getAttribute('data-paragraph-id'), insertId);
    assert.match(await text(source), /^Paragraph 2 runs INSERT job [0-9a-f]{32}\.$/);
    assert.equal(await dialog().locator('[data-testid=deploy-with-state]').isChecked(), true, 'with state by default');
    const rows = dialog().locator('[data-testid=deploy-state-check-row]');
    const verdicts = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-restorable')));
    assert.ok(verdicts.length >= 3 && verdicts.every((v) => v === 'true'), `every operator restorable: ${verdicts}`);
    assert.match(await text(dialog().locator('[data-testid=deploy-state-check-summary]')), /^All \d+ stateful operators restore their state\.$/);
    assert.equal(await dialog().locator('[data-testid=deploy-create]').isHidden(), true);
    assert.equal(await text(dialog().locator('[data-testid=deploy-create-start]')), 'Deploy with state');
    await dialog().locator('[data-testid=deploy-name]').fill(`counts-${tag}`);
    await dialog().locator('[data-testid=deploy-checkpoint]').fill('5');
    // On the notebook cluster: no JVMs of its own to start on a small machine.
    await dialog().locator('[data-testid=deploy-target]').selectOption('session');
    await shots.take(page, 'deploy-with-state');
    await dialog().locator('[data-testid=deploy-create-start]').click();
    try {
      await page.waitForURL(/\/applications\/[^/]+$/, { timeout: 120_000 });
    } catch (e) {
      await shots.take(page, 'deploy-with-state-failed');
      throw new Error(`${e.message}; the dialog says: ${await dialog().locator('[data-testid=deploy-error]').textContent().catch(() => '—')}`);
    }
    appId = new URL(page.url()).pathname.split('/').pop();
    await appPage().waitFor();
    await waitStatus('RUNNING', APP_RUNNING_MS);
    const handoff = page.locator('[data-testid=snapshot-row][data-trigger=handoff]');
    await handoff.waitFor({ timeout: 10_000 });
    const snaps = (await eddy.api('GET', `/api/v1/applications/${appId}/snapshots`)).snapshots;
    assert.deepEqual(snaps.map((x) => x.trigger), ['handoff']);
    // The notebook's job ended: its paragraph is FINISHED, saying where its state went.
    await until(async () => (await paragraphStatus(insertId)) === 'FINISHED', { timeout: 30_000, message: 'the notebook paragraph FINISHED' });
    const versions = (await eddy.api('GET', `/api/v1/applications/${appId}/versions`)).versions;
    assert.equal(versions[0].stateCheck?.compatible, true, 'version 1 took over the job’s state');
    // Under version 1 (collapsed): what it restored of the job's state.
    await page.locator('[data-testid=version-row][data-version="1"] [data-testid=version-state-check]').waitFor({ state: 'attached', timeout: 10_000 });
    assert.match(await page.locator('[data-testid=version-row][data-version="1"] [data-testid=version-state-check] summary').textContent(), /^State taken over: All \d+ stateful operators restore their state\.$/);
    await shots.take(page, 'app-handed-off', { fullPage: true });
  });

  test('Update… after a filter on a stateless path: the dry run shows the diff, every operator restorable; the update runs version 2 from a snapshot', async () => {
    await eddy.api('PUT', `/api/notebook/${noteId}/paragraph/${insertId}`, { text: insert(' WHERE id > 0') });
    await until(async () => await page.locator('[data-testid=app-update]').isEnabled(), { message: 'Update… enabled' });
    await page.click('[data-testid=app-update]');
    const upd = page.locator('[data-testid=update-dialog]');
    await upd.waitFor({ timeout: 120_000 });
    assert.equal(await text(upd.locator('[data-testid=update-versions]')), 'Version 1 → version 2, built from the note as it is now.');
    const added = await upd.locator('[data-testid=update-diff] .diff-line[data-kind=add]').allInnerTexts();
    assert.ok(added.some((l) => l.includes('WHERE id > 0')), `an added line has the filter: ${JSON.stringify(added)}`);
    assert.ok((await upd.locator('[data-testid=update-diff] .diff-line[data-kind=del]').count()) >= 1, 'the old INSERT is removed');
    const verdicts = await upd.locator('[data-testid=update-check-row]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-restorable')));
    assert.ok(verdicts.length >= 3 && verdicts.every((v) => v === 'true'), `every operator restorable: ${verdicts}`);
    assert.equal(await upd.getAttribute('data-compatible'), 'true');
    assert.equal(await text(upd.locator('[data-testid=update-confirm]')), 'Update');
    assert.equal((await eddy.api('GET', `/api/v1/applications/${appId}/versions`)).versions.length, 1, 'a dry run stores nothing');
    await shots.take(page, 'update-dialog');
    await upd.locator('[data-testid=update-confirm]').click();
    await upd.waitFor({ state: 'detached' });
    await page.locator('[data-testid=event-row][data-kind=updating]').first().waitFor({ timeout: 30_000 });
    await until(async () => (await page.locator('[data-testid=app-version]').textContent()) === 'version 2', { timeout: 30_000, message: 'version 2 shown' });
    await waitStatus('RUNNING', APP_RUNNING_MS);
    await page.locator('[data-testid=snapshot-row][data-trigger=update]').waitFor({ timeout: 10_000 });
    const app = await eddy.api('GET', `/api/v1/applications/${appId}`);
    assert.equal(app.version, 2);
    const events = (await eddy.api('GET', `/api/v1/applications/${appId}/events`)).events.map((e) => e.kind);
    assert.ok(!events.includes('update-failed'), `no rollback: ${events}`);
    await page.locator('[data-testid=version-row][data-version="2"]').waitFor({ timeout: 10_000 });
    await shots.take(page, 'app-updated', { fullPage: true });
  });

  test('force stopped and deleted', async () => {
    await until(async () => await page.locator('[data-testid=app-force-stop]').isEnabled(), { message: 'Force stop enabled' });
    await page.click('[data-testid=app-force-stop]');
    await page.click('[data-testid=dialog-ok]');
    await waitStatus('READY', 60_000);
    await eddy.api('DELETE', `/api/v1/applications/${appId}`);
    assert.deepEqual(await appsOf(), []);
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
