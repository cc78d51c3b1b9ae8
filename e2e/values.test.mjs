// End-to-end tests of values shown exactly as Flink means them, against a
// real bin/eddy with its own local Flink cluster: a table of Flink types
// shows, live and after a reload, the very strings Flink prints (its own
// CAST(x AS STRING) of each value, run beside it), instants name the
// session's time zone, a reloaded result keeps its column types (a DOUBLE
// still sorts as a number), and a failing paragraph shows each statement's
// output in order with the error last. Screenshots: e2e/artifacts/values-*.png.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, until, watch } from './harness.mjs';

/** Values at the edges where a lossy path shows (a subset of the Go test's table). */
const VALUES = [
  'CAST(-9223372036854775808 AS BIGINT)',
  'CAST(9007199254740993 AS BIGINT)',
  'CAST(-128 AS TINYINT)',
  "CAST('NaN' AS DOUBLE)",
  "CAST('-Infinity' AS DOUBLE)",
  'CAST(1.0E20 AS DOUBLE)',
  'CAST(0.1 AS FLOAT)',
  'CAST(10.50 AS DECIMAL(10, 2))',
  'CAST(3 AS DECIMAL(10, 2))',
  "CAST('0.000000000000000001' AS DECIMAL(38, 18))",
  "CAST('12345678901234567890.123456789012345678' AS DECIMAL(38, 18))",
  "'héllo ✓ 日本語 😀'",
  "'שלום مرحبا'",
  "'NULL'",
  'FALSE',
  "DATE '2024-02-29'",
  "CAST('23:59:59.123' AS TIME(3))",
  "CAST('2024-01-01 00:00:00.1' AS TIMESTAMP(3))",
  'TO_TIMESTAMP_LTZ(0, 3)',
  "INTERVAL '10 01:02:03.456' DAY TO SECOND(3)",
  'ARRAY[1, 2, CAST(NULL AS INT)]',
  "MAP['k', 1.5]",
  "ROW(1, 'x', CAST(NULL AS STRING))",
  'CAST(NULL AS DECIMAL(10, 2))',
];
const select = (wrap) => 'SELECT ' + VALUES.map((v, i) => wrap.replace('%s', v) + ` AS c${i}`).join(', ');
const ZONE = 'Asia/Tokyo';

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('values-');

before(async () => {
  eddy = await Eddy.start({ clean: 'values-', logName: 'eddy-values.log' });
  browser = await launchBrowser();
  await eddy.mustClusterReady();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

/** cells returns each cell of a paragraph's first result table row: its text and whether it is NULL. */
async function firstRow(para) {
  const tds = para.locator('[data-testid=result-table] tr.rt-row').first().locator('td:not(.rt-fill)');
  await tds.first().waitFor();
  return tds.evaluateAll((els) => els.map((td) => ({ text: td.textContent, isNull: td.classList.contains('null') })));
}

/** scrollToColumn scrolls a result table so that column col is the first one seen. */
async function scrollToColumn(para, col) {
  await para.locator('[data-testid=result-table] .rt-scroll').evaluate((el, c) => {
    const th = el.querySelector(`th[data-col="${c}"]`);
    if (th) el.scrollLeft = th.offsetLeft;
  }, col);
}

async function columnTexts(para, col) {
  return para.locator('[data-testid=result-table] tr.rt-row').evaluateAll((trs, c) => trs.map((tr) => tr.children[c]?.textContent), col);
}

async function runAndWait(para, status = 'finished') {
  await para.locator('[data-testid=run-paragraph]').click();
  await until(async () => (await para.locator('[data-testid=paragraph-status]').textContent())?.trim().toLowerCase() === status, {
    timeout: 120_000,
    message: `paragraph ${status}`,
  });
}

describe('values exactly as Flink prints them', () => {
  let page;
  let errors;
  let noteId;

  before(async () => {
    noteId = await eddy.api('POST', '/api/notebook', {
      name: 'Exact values',
      paragraphs: [
        { text: `%flink.ssql\nSET 'table.local-time-zone' = '${ZONE}';` },
        { text: '%flink.ssql\n' + select('%s') },
        { text: '%flink.bsql\n' + select('CAST(%s AS STRING)') },
        {
          text:
            '%flink.bsql\nSELECT * FROM (VALUES (CAST(2.5 AS DOUBLE), CAST(9007199254740993 AS BIGINT)), (CAST(10.0 AS DOUBLE), CAST(9007199254740992 AS BIGINT)), ' +
            '(CAST(-1 AS DOUBLE), CAST(9007199254740994 AS BIGINT))) AS t(d, b)',
        },
        { text: '%flink.bsql\nCREATE TEMPORARY VIEW v AS SELECT CAST(10.50 AS DECIMAL(4, 2)) AS x;\nSELECT * FROM v;\nSELECT * FROM missing_table;' },
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
    await page.goto(`${eddy.baseURL}/notebook/${noteId}`);
    await page.locator('[data-testid=paragraph]').first().waitFor();
  });

  /** checkTypes compares the shown values with Flink's CAST(x AS STRING) of each. */
  async function checkTypes(where) {
    const p = page.locator('[data-testid=paragraph]');
    const shown = await firstRow(p.nth(1));
    const cast = await firstRow(p.nth(2));
    assert.equal(shown.length, VALUES.length);
    VALUES.forEach((v, i) => {
      assert.deepEqual(shown[i], cast[i], `${where}: ${v} shows ${JSON.stringify(shown[i])}, Flink prints ${JSON.stringify(cast[i])}`);
    });
    assert.equal(shown[1].text, '9007199254740993', `${where}: BIGINT beyond 2^53`);
    assert.equal(shown[7].text, '10.50', `${where}: DECIMAL keeps its scale`);
    assert.equal(shown[10].text, '12345678901234567890.123456789012345678', `${where}: 38 digits`);
    assert.equal(shown[18].text, '1970-01-01 09:00:00.000', `${where}: midnight UTC in ${ZONE}, no "Z"`);
    assert.deepEqual(shown[13], { text: 'NULL', isNull: false }, `${where}: the string 'NULL' is not NULL`);
    assert.deepEqual(shown[23], { text: 'null', isNull: true }, `${where}: NULL`);
    // The instant's column names the zone its values are in; a TIMESTAMP has none.
    const types = await p.nth(1).locator('[data-testid=result-table] th .rt-type').allTextContents();
    assert.equal(types[18], `TIMESTAMP_LTZ(3) · ${ZONE}`, `${where}: LTZ header`);
    assert.equal(types[17], 'TIMESTAMP(3) NOT NULL', `${where}: TIMESTAMP header`);
    assert.equal(types[7], 'DECIMAL(10, 2) NOT NULL', `${where}: DECIMAL header`);
  }

  /** checkSort sorts the DOUBLE and the BIGINT column and reads their order. */
  async function checkSort(where) {
    const para = page.locator('[data-testid=paragraph]').nth(3);
    const th = para.locator('[data-testid=result-table] th[data-col]');
    assert.deepEqual(await th.locator('.rt-type').allTextContents(), ['DOUBLE NOT NULL', 'BIGINT NOT NULL'], `${where}: column types`);
    await th.nth(0).click();
    await until(async () => JSON.stringify(await columnTexts(para, 0)) === JSON.stringify(['-1.0', '2.5', '10.0']), { timeout: 5_000, message: `${where}: DOUBLE sorts as numbers` });
    await th.nth(1).click();
    await until(async () => JSON.stringify(await columnTexts(para, 1)) === JSON.stringify(['9007199254740992', '9007199254740993', '9007199254740994']), {
      timeout: 5_000,
      message: `${where}: BIGINT sorts exactly beyond 2^53`,
    });
  }

  /** checkFailed reads the failed paragraph's result blocks in order. */
  async function checkFailed(where) {
    const para = page.locator('[data-testid=paragraph]').nth(4);
    const blocks = await para.locator('[data-testid=result] .rblock').evaluateAll((els) =>
      els.map((e) => (e.classList.contains('result-error') ? 'error' : e.classList.contains('table-block') ? 'table' : 'text:' + e.textContent?.trim())),
    );
    assert.deepEqual(blocks, ['text:View has been created.', 'table', 'error'], `${where}: each statement's output in order, the error last`);
    assert.match(await para.locator('[data-testid=result-error]').textContent(), /missing_table/);
    // The editor marks the word Flink names, live and in the saved note.
    await until(async () => (await para.locator('.cm-flink-error').allTextContents()).join() === 'missing_table', { timeout: 5_000, message: `${where}: the error marked in the editor` });
    assert.equal((await firstRow(para))[0].text, '10.50');
  }

  test('live: a table of Flink types shows what Flink prints, instants in the named zone', async () => {
    const p = page.locator('[data-testid=paragraph]');
    for (const i of [0, 1, 2, 3]) await runAndWait(p.nth(i));
    await runAndWait(p.nth(4), 'error');
    await checkTypes('live');
    await p.nth(1).scrollIntoViewIfNeeded();
    await shots.take(page, 'types-live');
    for (const i of [1, 2]) await scrollToColumn(p.nth(i), 15);
    await shots.take(page, 'types-live-instants');
    await checkSort('live');
    await checkFailed('live');
    await p.nth(4).scrollIntoViewIfNeeded();
    await shots.take(page, 'failed-order-live');
  });

  test('after the session ends and a reload: the same strings, the same types, the same order', async () => {
    // With the session gone nothing is live: the page shows what was saved with the note.
    const { sessions } = await eddy.api('GET', '/api/v1/sessions');
    for (const s of sessions.filter((x) => x.noteId === noteId)) await eddy.api('DELETE', `/api/v1/sessions/${s.id}`);
    await page.reload();
    await page.locator('[data-testid=paragraph]').nth(4).locator('[data-testid=result-error]').waitFor();
    const p = page.locator('[data-testid=paragraph]');
    assert.equal(await p.nth(1).locator('[data-testid=result-badge]').textContent(), 'saved · not live');
    await checkTypes('reloaded');
    await p.nth(1).scrollIntoViewIfNeeded();
    for (const i of [1, 2]) await scrollToColumn(p.nth(i), 7);
    await shots.take(page, 'types-reloaded');
    await checkSort('reloaded');
    await p.nth(3).scrollIntoViewIfNeeded();
    await shots.take(page, 'sorted-reloaded');
    await checkFailed('reloaded');
    await p.nth(4).scrollIntoViewIfNeeded();
    await shots.take(page, 'failed-order-reloaded');
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
