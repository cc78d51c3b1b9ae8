// End-to-end test of notebook sessions and KPU admission against
// a real bin/eddy started with --kpu-capacity 3 and its local Flink cluster:
// note A runs a streaming query at parallelism 1 and holds all 3 KPUs (2 for
// the session, 1 for the job); a run in note B is refused and the browser
// shows why, naming note A; stopping A's session frees the KPUs and cancels
// its job; B then runs. Screenshots go to e2e/artifacts/kpu-NN-*.png.
//
//   npm run e2e        (after npm run build and go build -o bin/eddy ./cmd/eddy)
//
// EDDY_E2E_CLUSTER_WAIT_MS bounds the wait for the cluster (default 180 s);
// a cluster that is not ready by then fails the test.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, until, watch, textOf } from './harness.mjs';

const CAPACITY = 3;
const NOTE_A = 'Stream A';
const NOTE_B = 'Query B';

const STREAM = [
  '%flink.ssql(type=update, parallelism=1)',
  "CREATE TEMPORARY TABLE clicks (user_id INT, url STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '20', 'fields.user_id.min' = '1', 'fields.user_id.max' = '5', 'fields.url.length' = '3');",
  'SELECT user_id, COUNT(*) AS clicks FROM clicks GROUP BY user_id',
].join('\n');

const QUERY = ['%flink.ssql(parallelism=1)', "SELECT n, word FROM (VALUES (1, 'one'), (2, 'two'), (3, 'three')) AS t(n, word)"].join('\n');

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('kpu-');

before(async () => {
  eddy = await Eddy.start({ args: ['--kpu-capacity', String(CAPACITY)], clean: 'kpu-', logName: 'eddy-kpu.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

const para = (page) => page.locator('[data-testid=paragraph]').first();
/** text is an element's rendered text (innerText), whitespace collapsed; it waits at most 2 s for the element. */
const text = (loc) => textOf(loc);
const statusOf = async (p) => ((await p.locator('[data-testid=paragraph-status]').textContent({ timeout: 2_000 })) ?? '').trim().toLowerCase();

/** openNote opens a note and waits for its websocket. */
async function openNote(page, id) {
  await page.goto(`${eddy.baseURL}/notebook/${id}`);
  await para(page).waitFor();
  await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
}

/** flinkJobState asks the JobManager (Flink's REST API) for a job's state. */
async function flinkJobState(jobId) {
  const c = await eddy.cluster();
  const r = await fetch(`${c.restUrl.replace(/\/$/, '')}/jobs/${jobId}`);
  if (!r.ok) throw new Error(`GET /jobs/${jobId}: ${r.status}`);
  return (await r.json()).state;
}

describe(`notebook sessions with --kpu-capacity ${CAPACITY} (needs a ready Flink cluster)`, () => {
  let page;
  let errors;
  let idA;
  let idB;
  let jobA;

  before(async () => {
    await eddy.mustClusterReady();
    const c = await eddy.cluster();
    assert.equal(c.kpuCapacity, CAPACITY, 'the capacity given on the command line');
    assert.equal(c.kpusInUse, 0);
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
    idA = await eddy.api('POST', '/api/notebook', { name: `/e2e/kpu/${NOTE_A}`, paragraphs: [{ text: STREAM }] });
    idB = await eddy.api('POST', '/api/notebook', { name: `/e2e/kpu/${NOTE_B}`, paragraphs: [{ text: QUERY }] });
  });

  test('home, before anything runs: 0 / 3 KPUs in use, no session', async () => {
    await page.goto(eddy.baseURL + '/');
    await until(async () => (await text(page.locator('[data-testid=home-capacity-text]'))) === `0 / ${CAPACITY} KPUs in use`, { message: 'capacity on the home page' });
    assert.equal(await text(page.locator('[data-testid=sessions-summary]')), 'No notebook session is running.');
    await shots.take(page, 'home-idle');
  });

  test('note A runs a streaming query at parallelism 1: its session holds 3 KPUs', async () => {
    await openNote(page, idA);
    const p = para(page);
    await p.locator('[data-testid=run-paragraph]').click();
    await p.locator('[data-testid=result-table] tr.rt-row').first().waitFor({ timeout: 120_000 });
    await until(async () => (await statusOf(p)) === 'running', { message: 'A running' });
    const panel = page.locator('[data-testid=session-state]');
    await until(async () => (await text(panel.locator('[data-testid=session-kpus]'))) === '3', { timeout: 30_000, message: 'KPUs held 3 in the panel' });
    assert.match(await text(panel), /KPUs held 3/);
    assert.match(await text(panel), /Cost so far \$\d/);
    // The job, with its link to the Flink web UI.
    const job = panel.locator('[data-testid=session-jobs] li');
    await job.first().waitFor({ timeout: 30_000 });
    assert.equal(await job.count(), 1);
    jobA = await job.first().getAttribute('data-job-id');
    assert.ok(jobA, 'the job id');
    assert.match((await panel.locator('[data-testid=session-job-link]').getAttribute('href')) ?? '', new RegExp(`/#/job/(running/)?${jobA}`));
    assert.match(await text(job.first()), /running · p1 · 1 KPU/i);
    assert.equal(await flinkJobState(jobA), 'RUNNING');
    // The capacity line follows (polled while the session lives).
    await until(async () => (await text(page.locator('[data-testid=capacity-text]'))) === `${CAPACITY} / ${CAPACITY} KPUs in use`, { timeout: 15_000, message: 'capacity in the panel' });
    assert.equal(await page.locator('[data-testid=capacity]').getAttribute('data-level'), 'full');
    await shots.take(page, 'a-running-holds-3');
  });

  test('home: 3 / 3 KPUs in use, note A’s session listed', async () => {
    await page.click('.topnav a');
    await page.waitForSelector('[data-testid=sessions-strip]');
    await until(async () => (await text(page.locator('[data-testid=home-capacity-text]'))) === `${CAPACITY} / ${CAPACITY} KPUs in use`, { message: 'capacity on the home page' });
    const row = page.locator(`[data-testid=session-row][data-session-note-id="${idA}"]`);
    await row.waitFor();
    assert.equal(await page.locator('[data-testid=session-row]').count(), 1);
    assert.equal(await text(row.locator('[data-testid=session-note]')), NOTE_A);
    assert.equal(await text(row.locator('[data-testid=session-row-kpus]')), '3 KPUs');
    assert.match(await text(row), /busy|idle/i);
    assert.match(await text(row), /1 job/);
    assert.match(await text(row), /\$\d/);
    assert.equal(await row.locator('[data-testid=session-note]').getAttribute('href'), `/notebook/${idA}`);
    await shots.take(page, 'home-a-holds-3');
  });

  test('note B is refused: the paragraph says it needs 3 KPUs (a session and its first job) and that note A holds them', async () => {
    await openNote(page, idB);
    const p = para(page);
    await p.locator('[data-testid=run-paragraph]').click();
    const box = p.locator('[data-testid=run-refused]');
    await box.waitFor({ timeout: 30_000 });
    const msg = await text(box.locator('[data-testid=run-refused-message]'));
    assert.match(msg, /needs 3 KPUs/);
    assert.match(msg, /0 of 3 are free/);
    // The server names the holders in the refusal's details; each links to its note.
    assert.equal(await text(box.locator('[data-testid=run-refused-holders]')), `${NOTE_A} holds 3 KPUs`);
    assert.equal(await box.locator(`a[href="/notebook/${idA}"]`).count(), 1);
    // The session panel shows the refusal's figures and the holder too.
    const refusal = page.locator('[data-testid=capacity-refusal]');
    assert.equal(await refusal.isVisible(), true);
    assert.equal(await refusal.locator(`a[href="/notebook/${idA}"]`).count(), 1);
    assert.equal(await text(page.locator('[data-testid=capacity-text]')), `${CAPACITY} / ${CAPACITY} KPUs in use`);
    // Readable in full: the box is not clipped.
    const clipped = await box.locator('[data-testid=run-refused-message]').evaluate((el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    assert.equal(clipped, false, 'the message is not clipped');
    assert.ok(await page.locator('.toast.error').filter({ hasText: 'needs 3 KPUs' }).count(), 'the toast says it too');
    assert.notEqual(await statusOf(p), 'running');
    // Nothing started: A still holds everything, B has no session.
    const l = await eddy.api('GET', '/api/v1/sessions');
    assert.equal(l.kpusInUse, CAPACITY);
    assert.deepEqual(l.sessions.map((s) => s.noteId), [idA]);
    assert.equal(await page.locator('[data-testid=session-state]').getAttribute('data-state'), 'none');
    await shots.take(page, 'b-refused');
  });

  test('stopping A’s session from its panel frees the KPUs and cancels its job', async (t) => {
    await openNote(page, idA);
    const panel = page.locator('[data-testid=session-state]');
    await until(async () => (await text(panel.locator('[data-testid=session-kpus]'))) === '3', { message: 'A’s session in the panel' });
    await panel.locator('[data-testid=stop-session]').click();
    await page.locator('.dialog').waitFor();
    assert.match(await text(page.locator('.dialog')), /its 1 running job is cancelled and its 3 KPUs are freed/);
    await shots.take(page, 'stop-confirm');
    await page.click('[data-testid=dialog-ok]');
    await until(async () => (await panel.getAttribute('data-state')) === 'none', { timeout: 90_000, message: 'no session in the panel' });
    await until(async () => (await text(page.locator('[data-testid=capacity-text]'))) === `0 / ${CAPACITY} KPUs in use`, { timeout: 15_000, message: 'capacity freed in the panel' });
    assert.match(await text(panel), /KPUs held 0/);
    const l = await eddy.api('GET', '/api/v1/sessions');
    assert.equal(l.kpusInUse, 0);
    assert.deepEqual(l.sessions, []);
    await until(async () => (await flinkJobState(jobA)) === 'CANCELED', { timeout: 60_000, message: 'the JobManager shows A’s job CANCELED' });
    await until(async () => (await statusOf(para(page))) !== 'running', { timeout: 30_000, message: 'A’s paragraph no longer running' });
    // The cluster box follows Flink too.
    await until(async () => /Jobs running 0/.test(await text(page.locator('[data-testid=cluster-state]'))), { timeout: 20_000, message: 'no job running in the cluster box' });
    // What the server reports for the run its session stop ended (expected: cancelled).
    t.diagnostic(`A's paragraph after the session stop: ${await statusOf(para(page))}`);
    await shots.take(page, 'a-stopped');
  });

  test('home after the stop: 0 / 3 KPUs in use, no session', async () => {
    await page.click('.topnav a');
    await until(async () => (await text(page.locator('[data-testid=home-capacity-text]'))) === `0 / ${CAPACITY} KPUs in use`, { message: 'capacity on the home page' });
    await until(async () => (await page.locator('[data-testid=session-row]').count()) === 0, { message: 'no session row' });
    await shots.take(page, 'home-freed');
  });

  test('note B runs now, and the refusal is gone', async () => {
    await openNote(page, idB);
    const p = para(page);
    await p.locator('[data-testid=run-paragraph]').click();
    await until(async () => ['finished', 'running'].includes(await statusOf(p)), { timeout: 120_000, message: 'B finished or running' });
    assert.equal(await p.locator('[data-testid=run-refused]').isVisible(), false);
    await p.locator('[data-testid=result-table] tr.rt-row').first().waitFor({ timeout: 30_000 });
    assert.equal(await p.locator('[data-testid=result-table] tr.rt-row').count(), 3);
    await until(async () => (await text(page.locator('[data-testid=session-state] [data-testid=session-kpus]'))) !== '', { message: 'B’s session in the panel' });
    await shots.take(page, 'b-runs');
  });

  test('home lists B’s session; its stop button ends it', async () => {
    await page.click('.topnav a');
    const row = page.locator(`[data-testid=session-row][data-session-note-id="${idB}"]`);
    await row.waitFor({ timeout: 15_000 });
    assert.equal(await text(row.locator('[data-testid=session-note]')), NOTE_B);
    await shots.take(page, 'home-b-session');
    await row.locator('[data-testid=home-stop-session]').click();
    await page.click('[data-testid=dialog-ok]');
    await until(async () => (await page.locator('[data-testid=session-row]').count()) === 0, { timeout: 90_000, message: 'B’s session gone from the list' });
    await until(async () => (await text(page.locator('[data-testid=home-capacity-text]'))) === `0 / ${CAPACITY} KPUs in use`, { message: 'capacity freed' });
    await shots.take(page, 'home-b-stopped');
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
