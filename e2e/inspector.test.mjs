// End-to-end test of the job inspector against a real bin/eddy and its local
// Flink cluster: a paragraph whose tumbling windows never fire (its event time
// is a constant, so the watermark never moves) shows, within a minute, the
// WATERMARK_NOT_ADVANCING diagnosis with SQL to try; the Inspect panel shows
// the job's operators with the source's watermark stuck at 2020-01-01; Copy
// puts the suggestion on the clipboard, inserted as a new paragraph below and
// run it produces rows; and the reopened note fetches the last inspection.
// Screenshots go to e2e/artifacts/inspector-NN-*.png.
//
//   node --test --test-concurrency=1 e2e/inspector.test.mjs
//   (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, textOf, until, watch, paragraphs as paras, statusOf } from './harness.mjs';

const SILENT = [
  '%flink.ssql',
  "CREATE TEMPORARY TABLE src (id INT, ts AS CAST(TIMESTAMP '2020-01-01 00:00:00' AS TIMESTAMP(3)), WATERMARK FOR ts AS ts) WITH ('connector'='datagen','rows-per-second'='5');",
  'SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL \'1\' MINUTE)) GROUP BY window_start, window_end',
].join('\n');

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('inspector-');

before(async () => {
  eddy = await Eddy.start({ args: ['--kpu-capacity', '8'], clean: 'inspector-', logName: 'eddy-inspector.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

describe('Job inspector (needs a ready Flink cluster)', () => {
  let page;
  let errors;
  /** @type {import('playwright-core').BrowserContext} */
  let context;

  before(async () => {
    await eddy.mustClusterReady();
    context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: eddy.baseURL });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
  });

  test('a paragraph whose windows never fire says why, shows its operators, and its suggestion run as a new paragraph gives rows', async () => {
    const id = await eddy.api('POST', '/api/notebook', { name: '/e2e/inspector/Silent windows', paragraphs: [{ text: SILENT }] });
    try {
      await eddy.openNote(page, id);
      const silent = paras(page).nth(0);
      await silent.locator('[data-testid=run-paragraph]').click();
      await until(async () => (await statusOf(silent)) === 'RUNNING', { timeout: 120_000, message: 'the silent paragraph running' });
      const started = Date.now();

      // The diagnosis shows on the paragraph, the inspector closed.
      const diag = silent.locator('[data-testid=diagnosis][data-code=WATERMARK_NOT_ADVANCING]');
      await diag.waitFor({ timeout: 60_000 });
      const waited = Date.now() - started;
      assert.equal(await silent.locator('[data-testid=inspect-panel]').isHidden(), true, 'the panel is closed');
      assert.equal(await textOf(diag.locator('[data-testid=diagnosis-code]')), 'WATERMARK_NOT_ADVANCING');
      assert.match(await textOf(diag.locator('[data-testid=diagnosis-message]')), /src|watermark/i);
      const suggestion = await diag.locator('[data-testid=diagnosis-suggestion]').innerText();
      assert.ok(suggestion.trim().length > 0, 'a suggestion to try');
      assert.equal(await silent.locator('[data-testid=result-table] tr.rt-row').count(), 0, 'no rows: the windows never fire');
      await diag.scrollIntoViewIfNeeded();
      await shots.take(page, 'diagnosis');
      console.log(`diagnosis shown ${Math.round(waited / 1000)} s after the job ran`);

      // The inspector: the job, its checkpoints and operators, sources first, the watermark stuck in 2020.
      await silent.locator('[data-testid=inspect-toggle]').click();
      const panel = silent.locator('[data-testid=inspect-panel]');
      await panel.waitFor();
      assert.equal(await textOf(panel.locator('[data-testid=inspect-state]')), 'RUNNING');
      assert.match(await textOf(panel.locator('[data-testid=inspect-checkpoint]')), /^Checkpoints: /);
      const rows = panel.locator('tbody tr');
      assert.ok((await rows.count()) >= 2, 'the source and the window operator');
      assert.match(await textOf(rows.first().locator('td').first()), /^Source: src/);
      assert.equal(await rows.first().getAttribute('class'), 'source');
      assert.match(await textOf(panel), /2020-01-01 00:00:00\.000/);
      // The figures are sampled again: "sampled at" moves while the panel stays open.
      const sampled = await textOf(panel.locator('[data-testid=inspect-sampled-at]'));
      await until(async () => (await textOf(panel.locator('[data-testid=inspect-sampled-at]'))) !== sampled, { timeout: 20_000, message: 'a newer inspection' });
      assert.equal(await panel.isVisible(), true, 'the panel stays open across updates');
      await panel.scrollIntoViewIfNeeded();
      await shots.take(page, 'inspector-open');

      // Copy puts the suggested SQL on the clipboard.
      await diag.locator('[data-testid=diagnosis-copy]').click();
      await until(async () => (await page.evaluate(() => navigator.clipboard.readText())) === suggestion.trim(), { timeout: 5_000, message: 'the SQL on the clipboard' });

      // Insert the suggestion as a new paragraph below, and run it: its windows fire.
      await diag.locator('[data-testid=diagnosis-insert]').click();
      await until(async () => (await paras(page).count()) === 2, { message: 'the inserted paragraph' });
      const tried = paras(page).nth(1);
      const note = await eddy.api('GET', `/api/notebook/${id}`);
      const text = note.paragraphs[1].text;
      assert.ok(text.startsWith('%flink.ssql\n'), `the new paragraph is Flink SQL: ${JSON.stringify(text.slice(0, 40))}`);
      assert.equal(text.replace(/^%flink\.ssql\n/, '').trim(), suggestion.trim());
      await tried.locator('[data-testid=run-paragraph]').click();
      await until(async () => (await tried.locator('[data-testid=result-table] tr.rt-row').count()) > 0, { timeout: 150_000, interval: 1000, message: 'rows from the suggestion' });
      await tried.scrollIntoViewIfNeeded();
      // Its windows run on processing time: the still watermark keeps nothing waiting, so Eddy
      // does not say it does (the job has run far past the 10 s a stuck watermark needs).
      const triedInspection = await eddy.api('GET', `/api/v1/notebook/${id}/paragraph/${note.paragraphs[1].id}/inspect`);
      assert.equal(triedInspection.jobState, 'RUNNING');
      assert.deepEqual(triedInspection.diagnoses.map((d) => d.code), [], 'no diagnosis of the working query');
      assert.equal(await tried.locator('[data-testid=diagnosis]').count(), 0, 'no diagnosis shown on the working query');
      await shots.take(page, 'suggestion-rows');

      // Both stopped and the note reopened: the runs ended before this tab followed them, so
      // Inspect fetches the last inspection Eddy kept of the first job and shows it.
      await eddy.api('DELETE', `/api/notebook/job/${id}`);
      await until(async () => (await statusOf(silent)) === 'ABORT' && (await statusOf(tried)) === 'ABORT', { timeout: 60_000, message: 'both paragraphs stopped' });
      await page.reload();
      await paras(page).first().waitFor();
      await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
      const reopened = paras(page).nth(0);
      // The diagnosis of the ended run shows at once, from the note's live state.
      const keptDiag = reopened.locator('[data-testid=diagnosis][data-code=WATERMARK_NOT_ADVANCING]');
      await keptDiag.waitFor({ timeout: 10_000 });
      assert.equal(await textOf(reopened.locator('.insp-diags-head')), 'From the last look at the job, before it ended:');
      await reopened.locator('[data-testid=inspect-toggle]').click();
      const kept = reopened.locator('[data-testid=inspect-panel]');
      await until(async () => (await kept.locator('tbody tr').count()) >= 2, { timeout: 10_000, message: 'the kept inspection fetched' });
      assert.equal(await textOf(kept.locator('[data-testid=inspect-state]')), 'CANCELED', 'the last look saw how the job ended');
      assert.equal(await textOf(kept.locator('[data-testid=inspect-ended]')), 'the last look before the run ended');
      assert.match(await textOf(kept.locator('tbody tr').first().locator('td').first()), /^Source: src/);
      await kept.scrollIntoViewIfNeeded();
      await shots.take(page, 'reopened-inspect');
      assert.deepEqual(errors, []);
    } finally {
      // Stop the endless queries.
      await eddy.api('DELETE', `/api/notebook/job/${id}`).catch(() => {});
    }
  });
});
