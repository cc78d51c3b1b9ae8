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
