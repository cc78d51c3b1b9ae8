// End-to-end test of Run all against a real bin/eddy and its local Flink
// cluster: Run all starts a streaming dashboard (the endless query stays
// RUNNING with its rows updating, and the paragraph after it runs), and a
// failing or unsupported paragraph stops run-all with the reason shown on
// that paragraph, the paragraphs after it not run, and a run-all refused
// for want of KPUs says so on the paragraph it would have run. Screenshots go to
// e2e/artifacts/runall-NN-*.png.
//
//   node --test --test-concurrency=1 e2e/runall.test.mjs
//   (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, textOf, until, watch, paragraphs as paras, statusOf } from './harness.mjs';

const DASHBOARD = [
  "%flink.ssql\nCREATE TEMPORARY TABLE ticks (x INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5', 'fields.x.kind' = 'random', 'fields.x.min' = '1', 'fields.x.max' = '4')",
  '%flink.ssql(type=update, parallelism=1)\nSELECT x, COUNT(*) AS seen FROM ticks GROUP BY x',
  '%flink.bsql\nSELECT 42 AS answer',
];

const FAILING = ['%flink.bsql\nSELECT 1 AS n', '%flink.bsql\nSELECT * FROM no_such_table', '%md\n# never rendered'];

const UNSUPPORTED = ['%md\n# first', '%flink\nprintln(1)', '%flink.bsql\nSELECT 2 AS n'];

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('runall-');

before(async () => {
  eddy = await Eddy.start({ args: ['--kpu-capacity', '8'], clean: 'runall-', logName: 'eddy-runall.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

/** waitStatus waits until paragraph i of the page shows a status. */
function waitStatus(page, i, want, timeout = 120_000) {
  return until(async () => (await statusOf(paras(page).nth(i))) === want, { timeout, message: `paragraph ${i} ${want}` });
}

/** tableText is the rows of a paragraph's live table, as text. */
async function tableText(p) {
  const rows = p.locator('[data-testid=result-table] tr.rt-row');
  const out = [];
  for (let i = 0; i < (await rows.count()); i++) out.push(await textOf(rows.nth(i)));
  return out.join(' | ');
}

/** storedStatuses are the paragraphs' statuses as the server has them. */
async function storedStatuses(id) {
  const job = await eddy.api('GET', `/api/notebook/job/${id}`);
  return job.paragraphs.map((p) => p.status);
}

describe('Run all (needs a ready Flink cluster)', () => {
  let page;
  let errors;

  before(async () => {
    await eddy.mustClusterReady();
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
  });

  test('starts a streaming dashboard: the endless query runs with rows updating, and the paragraph after it ran', async () => {
    const id = await eddy.api('POST', '/api/notebook', { name: '/e2e/runall/Dashboard', paragraphs: DASHBOARD.map((text) => ({ text })) });
    try {
      await eddy.openNote(page, id);
      await page.locator('[data-testid=run-all]').click();
      // The paragraph after the endless query runs: run-all went past it.
      await waitStatus(page, 2, 'FINISHED', 180_000);
      assert.match(await textOf(paras(page).nth(2).locator('[data-testid=result-table]')), /answer.*42/);
      assert.equal(await statusOf(paras(page).nth(0)), 'FINISHED');
      // The dashboard is live: RUNNING, with rows whose counts keep changing.
      const live = paras(page).nth(1);
      assert.equal(await statusOf(live), 'RUNNING');
      await until(async () => (await live.locator('[data-testid=result-table] tr.rt-row').count()) === 4, { timeout: 60_000, message: 'four keys in the live table' });
      const before = await tableText(live);
      await until(async () => (await tableText(live)) !== before, { timeout: 30_000, message: 'the live table to update' });
      assert.equal(await statusOf(live), 'RUNNING');
      assert.deepEqual(await storedStatuses(id), ['FINISHED', 'RUNNING', 'FINISHED']);
      assert.equal(await page.locator('.toast.error').count(), 0, 'no error toast');
      await shots.take(page, 'dashboard-started', { fullPage: true });
    } finally {
      // Stop the endless query.
      await eddy.api('DELETE', `/api/notebook/job/${id}`);
    }
    await waitStatus(page, 1, 'ABORT', 60_000);
  });

  test('a failing paragraph stops run-all: the error shows on it, the paragraphs after it did not run', async () => {
    const id = await eddy.api('POST', '/api/notebook', { name: '/e2e/runall/Failing', paragraphs: FAILING.map((text) => ({ text })) });
    await eddy.openNote(page, id);
    await page.locator('[data-testid=run-all]').click();
    await waitStatus(page, 1, 'ERROR');
    const failed = paras(page).nth(1);
    await until(async () => /no_such_table/.test(await textOf(failed.locator('[data-testid=result-error]'))), { message: 'the error on the failing paragraph' });
    await failed.scrollIntoViewIfNeeded();
    await shots.take(page, 'stopped-at-error');
    assert.equal(await statusOf(paras(page).nth(0)), 'FINISHED');
    // Run-all has ended there: the Markdown after it never ran.
    await until(async () => (await eddy.api('GET', `/api/notebook/job/${id}`)).isRunning === false, { message: 'run-all over' });
    assert.equal(await statusOf(paras(page).nth(2)), 'READY');
    assert.deepEqual(await storedStatuses(id), ['FINISHED', 'ERROR', 'READY']);
    assert.equal(await page.locator('.toast.error').count(), 0, 'the error is on the paragraph, not in a toast');
  });

  test('an unsupported paragraph stops run-all with the reason on it', async () => {
    const id = await eddy.api('POST', '/api/notebook', { name: '/e2e/runall/Unsupported', paragraphs: UNSUPPORTED.map((text) => ({ text })) });
    await eddy.openNote(page, id);
    await page.locator('[data-testid=run-all]').click();
    await waitStatus(page, 1, 'ERROR');
    const refused = paras(page).nth(1);
    await until(async () => /Eddy does not run the Flink Scala interpreter/.test(await textOf(refused.locator('[data-testid=result-error]'))), { message: 'the reason on the unsupported paragraph' });
    await refused.scrollIntoViewIfNeeded();
    await shots.take(page, 'stopped-at-unsupported');
    await until(async () => (await eddy.api('GET', `/api/notebook/job/${id}`)).isRunning === false, { message: 'run-all over' });
    assert.deepEqual(await storedStatuses(id), ['FINISHED', 'ERROR', 'READY']);
  });

  test('a run-all refused for want of KPUs shows why on the paragraph it would have run, and changes nothing', async () => {
    // The three notes above keep their sessions (2 KPUs each, idle for less
    // than the 2 minutes after which another note may end them): 2 of 8 are
    // free, and a new session needs 3 (its own 2 and its first job's 1).
    const c = await eddy.cluster();
    assert.equal(c.kpuCapacity - c.kpusInUse, 2, `free KPUs before the refused run-all: ${JSON.stringify(c)}`);
    const id = await eddy.api('POST', '/api/notebook', { name: '/e2e/runall/Refused', paragraphs: [{ text: '%md\n# intro' }, { text: '%flink.bsql\nSELECT 3 AS n' }] });
    await eddy.openNote(page, id);
    await page.locator('[data-testid=run-all]').click();
    const refused = paras(page).nth(1).locator('[data-testid=run-refused]');
    await refused.waitFor({ timeout: 30_000 });
    assert.match(await textOf(refused), /KPUs/);
    assert.equal(await paras(page).nth(0).locator('[data-testid=run-refused]').isVisible(), false, 'the Markdown needs no KPUs');
    assert.equal(await page.locator('.toast.error').count(), 0, 'the refusal is on the paragraph, not in a toast');
    await refused.scrollIntoViewIfNeeded();
    await shots.take(page, 'refused-on-paragraph');
    assert.deepEqual(await storedStatuses(id), ['READY', 'READY']);
    assert.deepEqual(errors, []);
  });
});
