// End-to-end test of the raw changelog view against a real bin/eddy and its
// local Flink cluster: a two-level aggregation (keys counted, then counts
// counted) streams -U/+U pairs; the paragraph's Changelog panel lists them as
// Flink emitted them while the job runs, filters them by a column value, and
// its replay slider rebuilds the table at the base and at a chosen row; once
// the job is stopped, the table replayed to the newest row is the table the
// paragraph shows. Screenshots go to e2e/artifacts/changelog-NN-*.png.
//
//   node --test --test-concurrency=1 e2e/changelog.test.mjs
//   (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, textOf, until, watch, paragraphs as paras, statusOf } from './harness.mjs';

const TWO_LEVEL = [
  '%flink.ssql',
  "CREATE TEMPORARY TABLE gen (k INT) WITH ('connector'='datagen','rows-per-second'='5','fields.k.min'='1','fields.k.max'='6');",
  "SET 'parallelism.default' = '1';",
  'SELECT cnt, COUNT(*) AS keys_with_cnt FROM (SELECT k, COUNT(*) AS cnt FROM gen GROUP BY k) GROUP BY cnt',
].join('\n');

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('changelog-');

before(async () => {
  eddy = await Eddy.start({ args: ['--kpu-capacity', '8'], clean: 'changelog-', logName: 'eddy-changelog.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

/** rowTexts returns each body row of a table as its cells' texts joined by '|'. */
async function rowTexts(table, cellSel = 'td') {
  return table.locator('tbody tr').evaluateAll((trs, sel) => trs.map((tr) => [...tr.querySelectorAll(sel)].map((td) => td.textContent).join('|')), cellSel);
}

/** slide moves the replay slider to a seq as a user's drag does. */
async function slide(panel, seq) {
  await panel.locator('[data-testid=changelog-slider]').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, seq);
}

describe('Raw changelog (needs a ready Flink cluster)', () => {
  let page;
  let errors;

  before(async () => {
    await eddy.mustClusterReady();
    const context = await browser.newContext({ viewport: { width: 1360, height: 1100 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
  });

  test('a two-level aggregation shows its -U/+U rows, filters by key, and replays the table at any kept row', async () => {
    const id = await eddy.api('POST', '/api/notebook', { name: '/e2e/changelog/Counts of counts', paragraphs: [{ text: TWO_LEVEL }] });
    try {
      await page.goto(`${eddy.baseURL}/notebook/${id}`);
      await paras(page).first().waitFor();
      await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
      const p = paras(page).nth(0);
      const toggle = p.locator('[data-testid=changelog-toggle]');
      assert.equal(await toggle.isHidden(), true, 'no toggle before the paragraph has a result');
      await p.locator('[data-testid=run-paragraph]').click();
      await until(async () => (await statusOf(p)) === 'RUNNING' && (await p.locator('[data-testid=result-table] tr.rt-row').count()) > 0, { timeout: 150_000, interval: 500, message: 'the aggregation running with rows' });

      // Open the changelog: rows as Flink emitted them, -U/+U among them, polled while the job runs.
      await toggle.click();
      const panel = p.locator('[data-testid=changelog-panel]');
      await panel.waitFor();
      const entries = panel.locator('[data-testid=changelog-entries]');
      await until(async () => (await entries.locator('[data-kind="-U"]').count()) > 0 && (await entries.locator('[data-kind="+U"]').count()) > 0, { timeout: 60_000, message: '-U and +U rows' });
      const summary = panel.locator('[data-testid=changelog-summary]');
      const first = await textOf(summary);
      assert.match(first, /^last \d[\d,]* of \d[\d,]* \(keeps 1,000\) · rows #\d[\d,]*–#\d[\d,]* · \+I \d+ · -U \d+ · \+U \d+ · -D \d+$/);
      await until(async () => (await textOf(summary)) !== first, { timeout: 15_000, message: 'the panel polling newer rows' });
      const firstRow = (await rowTexts(entries))[0].split('|');
      const oldest = Number(await panel.locator('[data-testid=changelog-slider]').getAttribute('min')) + 1;
      assert.equal(firstRow[0], String(oldest), 'the first row listed is the oldest kept');
      assert.match(firstRow[2], /^\d\d:\d\d:\d\d\.\d{3}$/, 'arrival time with milliseconds');
      await panel.scrollIntoViewIfNeeded();
      await shots.take(page, 'open');

      // Stop the job: the panel fetches the rows of its end, and the table
      // replayed to the newest row is the table the paragraph shows.
      await p.locator('[data-testid=cancel-paragraph]').click();
      await until(async () => !['RUNNING', 'PENDING'].includes(await statusOf(p)), { timeout: 60_000, message: 'the paragraph stopped' });
      const replayTable = panel.locator('[data-testid=changelog-replay]');
      const shown = async () => (await rowTexts(p.locator('[data-testid=result-table]'), 'td:not(.rt-fill)')).filter((r) => r !== '').sort();
      await until(
        async () => {
          // Reopen to fetch again until the last rows are in.
          await toggle.click();
          await toggle.click();
          await page.waitForTimeout(300);
          const a = (await rowTexts(replayTable)).sort();
          const b = await shown();
          return a.length > 0 && JSON.stringify(a) === JSON.stringify(b);
        },
        { timeout: 20_000, interval: 500, message: 'the replayed table equal to the table shown' },
      );
      const lastSeq = Number(await panel.locator('[data-testid=changelog-slider]').getAttribute('max'));
      const label = await textOf(panel.locator('[data-testid=changelog-replay-label]'));
      assert.match(label, new RegExp(`^table as of row #${lastSeq}, \\d\\d:\\d\\d:\\d\\d\\.\\d{3}$`));
      console.log(`changelog of ${lastSeq} rows; table: ${JSON.stringify(await shown())}`);

      // Filter by a key: the cnt of a -U row, one the table still has if any.
      const uRows = await entries.locator('tr:has([data-kind="-U"])').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      const cnts = new Set((await shown()).map((r) => r.split('|')[0]));
      const uRow = uRows.find((r) => cnts.has(r[3])) ?? uRows[0];
      const key = uRow[3];
      await panel.locator('[data-testid=changelog-filter-column]').selectOption({ label: 'cnt' });
      await panel.locator('[data-testid=changelog-filter-value]').fill(key);
      const filtered = await rowTexts(entries);
      assert.ok(filtered.length > 0 && filtered.length < lastSeq, `a part of the rows: ${filtered.length} of ${lastSeq}`);
      for (const r of filtered) assert.equal(r.split('|')[3], key, `row ${r} has cnt ${key}`);
      assert.ok(filtered.some((r) => r.split('|')[1] === '-U'), 'the -U row is kept');
      const want = (await shown()).filter((r) => r.split('|')[0] === key);
      if (want.length > 0) assert.deepEqual((await rowTexts(replayTable)).sort(), want, 'the replayed table filtered the same way');
      else assert.match(await textOf(replayTable), /No row matches the filter\./);
      await panel.scrollIntoViewIfNeeded();
      await shots.take(page, 'filtered');

      // Move the slider to the row before that -U: the table then still holds the row it retracts.
      const seq = Number(uRow[0]);
      await panel.locator('[data-testid=changelog-filter-value]').fill('');
      await slide(panel, seq - 1);
      assert.match(await textOf(panel.locator('[data-testid=changelog-replay-label]')), new RegExp(`^table as of row #${seq - 1}, `));
      const before = await rowTexts(replayTable);
      const retracted = uRow.slice(3).join('|');
      assert.ok(before.includes(retracted), `the table at #${seq - 1} holds ${retracted}: ${JSON.stringify(before)}`);
      await slide(panel, seq);
      const at = await rowTexts(replayTable);
      assert.equal(at.filter((r) => r === retracted).length, before.filter((r) => r === retracted).length - 1, 'the -U removes one equal row');
      assert.equal(await entries.locator(`tr[data-seq="${seq}"]`).getAttribute('class'), 'at');
      await panel.locator('[data-testid=changelog-slider]').scrollIntoViewIfNeeded();
      await shots.take(page, 'slider-at-retraction');

      // Down to the base: the empty table before row #1 while the ring
      // (1,000 rows) holds the whole changelog, else the table folded from
      // the rows it let go.
      const min = Number(await panel.locator('[data-testid=changelog-slider]').getAttribute('min'));
      await slide(panel, min);
      const baseLabel = await textOf(panel.locator('[data-testid=changelog-replay-label]'));
      if (min === 0) {
        assert.equal(baseLabel, 'base: empty table before the first row');
        assert.match(await textOf(replayTable), /The table is empty at this point\./);
      } else {
        assert.equal(baseLabel, `base: table before row #${min + 1}`);
        assert.ok((await rowTexts(replayTable)).length > 0, 'the base holds the table before the oldest kept row');
      }
      console.log(`base at #${min}: ${baseLabel}`);
      await shots.take(page, 'slider-base');
      assert.deepEqual(errors, []);
    } finally {
      await eddy.api('DELETE', `/api/notebook/job/${id}`).catch(() => {});
    }
  });
});
