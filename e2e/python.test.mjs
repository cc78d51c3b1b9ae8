// End-to-end test of Python paragraphs (%flink.pyflink) against a real
// bin/eddy with its local Flink cluster and Chromium: z.show of an unbounded
// aggregation is a live table whose counts grow, printed text shows beside
// it, and the cancel button ends the paragraph and its Flink job; a failing
// paragraph shows its Python traceback and the editor marks the failing
// line; a Python UDF registered in a Python paragraph is callable from the
// note's SQL; and the editor completes attributes of the worker's objects.
// Screenshots go to e2e/artifacts/python-NN-*.png.
//
//   node --test --test-concurrency=1 e2e/python.test.mjs
//   (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, paragraphs, statusOf, textOf, until, watch } from './harness.mjs';

/** How long a Python paragraph may take: its worker starts a JVM and the job waits for slots on a 2-core machine. */
const RUN_WAIT_MS = 180_000;

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
let errors;
const shots = new Shots('python-');

before(async () => {
  // Each test's note keeps its session (2 KPUs): room for all of them.
  eddy = await Eddy.start({ args: ['--kpu-capacity', '16'], clean: 'python-', logName: 'eddy-python.log' });
  browser = await launchBrowser();
  await eddy.mustClusterReady();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  errors = watch(page);
  await page.goto(eddy.loginURL);
  await page.waitForSelector('.home-page');
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

/** openNewNote saves a note with paragraphs of the given texts and opens it in the page. */
async function openNewNote(name, texts) {
  const id = await eddy.api('POST', '/api/notebook', { name, paragraphs: texts.map((text) => ({ text })) });
  await eddy.openNote(page, id);
  return id;
}

/** runAndWait clicks a paragraph's run button and waits for its data-status to be status. */
async function runAndWait(p, status) {
  await p.locator('[data-testid=run-paragraph]').click();
  await until(async () => (await statusOf(p)) === status, { timeout: RUN_WAIT_MS, message: `paragraph ${status}` });
}

/** tableRows reads a paragraph's result table: each row's cells' text. */
function tableRows(p) {
  return p
    .locator('[data-testid=result-table] tr.rt-row')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td:not(.rt-fill)')].map((td) => (td.textContent ?? '').trim())));
}

/** countsByKey turns rows of (k, c) into a map from k to c, checking that each is a number. */
function countsByKey(rows) {
  const m = new Map();
  for (const [k, c] of rows) {
    assert.match(k, /^[1-5]$/, `k is one of 1..5: ${k}`);
    assert.match(c, /^\d+$/, `c is a count: ${c}`);
    m.set(k, Number(c));
  }
  return m;
}

describe('Python paragraphs (needs a ready Flink cluster and the PyFlink venv)', () => {
  test('z.show of an unbounded aggregation is live, prints show, cancel ends the job', async () => {
    const code = [
      '%flink.pyflink',
      "st_env.execute_sql(\"CREATE TEMPORARY TABLE gen (k INT) WITH ('connector'='datagen','rows-per-second'='20','fields.k.min'='1','fields.k.max'='5')\")",
      "print('started')",
      "z.show(st_env.sql_query('SELECT k, COUNT(*) AS c FROM gen GROUP BY k'), stream_type='update')",
    ].join('\n');
    await openNewNote('/e2e/python/Live', [code]);
    const p = paragraphs(page).first();
    await p.locator('[data-testid=run-paragraph]').click();

    // Five keys, each counted; then the counts grow while the job runs.
    const first = await until(
      async () => {
        const rows = await tableRows(p);
        return rows.length === 5 ? countsByKey(rows) : false;
      },
      { timeout: RUN_WAIT_MS, message: 'five rows in the live table' },
    );
    assert.equal(await statusOf(p), 'RUNNING');
    const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
    const second = await until(
      async () => {
        const rows = await tableRows(p);
        if (rows.length !== 5) return false;
        const m = countsByKey(rows);
        return total(m) > total(first) ? m : false;
      },
      { timeout: 60_000, message: 'the counts to grow' },
    );
    for (const [k, c] of first) assert.ok((second.get(k) ?? -1) >= c, `the count of k=${k} never shrinks: ${c} then ${second.get(k)}`);
    assert.deepEqual([...second.keys()].sort(), ['1', '2', '3', '4', '5']);

    // The printed line shows in the paragraph, beside the live table.
    await until(async () => (await p.locator('[data-testid=result] .result-text').allTextContents()).some((t) => t.includes('started')), {
      timeout: 10_000,
      message: "print('started') in the paragraph",
    });

    const link = p.locator('[data-testid=job-link]');
    await link.waitFor({ timeout: 30_000 });
    const href = (await link.getAttribute('href')) ?? '';
    const m = /\/job\/running\/([0-9a-f]{32})\//.exec(href);
    assert.ok(m, `the paragraph links its Flink job: ${href}`);
    const jobId = m[1];
    assert.equal((await eddy.api('GET', `/flink/jobs/${jobId}`)).state, 'RUNNING');
    await p.scrollIntoViewIfNeeded();
    await shots.take(page, 'live-result');

    await p.locator('[data-testid=cancel-paragraph]').click();
    await until(async () => (await statusOf(p)) === 'ABORT', { timeout: 120_000, message: 'the paragraph aborted' });
    await until(async () => (await eddy.api('GET', `/flink/jobs/${jobId}`)).state === 'CANCELED', {
      timeout: 120_000,
      interval: 1_000,
      message: 'the JobManager shows the job CANCELED',
    });
  });

  test('a failure shows the Python traceback and the editor marks the failing line', async () => {
    await openNewNote('/e2e/python/Traceback', ["%flink.pyflink\nx = 1\ny = {}['missing']"]);
    const p = paragraphs(page).first();
    await runAndWait(p, 'ERROR');
    const err = p.locator('[data-testid=result-error]');
    await err.waitFor();
    // The exception and its line first; the traceback behind "Full error", as a Java trace is.
    assert.match(await err.innerText(), /^KeyError: 'missing' \(line 2\)/);
    await err.locator('details.err-trace summary').click();
    assert.match(await err.locator('details.err-trace pre').innerText(),
      /Traceback \(most recent call last\):\n {2}File "<paragraph>", line 2, in <module>\nKeyError: 'missing'/);
    // Line 2 of the code (line 3 of the paragraph, after the interpreter line) is marked.
    const marked = p.locator('.cm-line.cm-flink-error-line');
    await until(async () => (await marked.count()) === 1, { timeout: 10_000, message: 'one line marked in the editor' });
    assert.equal(await textOf(marked), "y = {}['missing']");
    const lines = await p.locator('.cm-line').allTextContents();
    assert.equal(lines.indexOf("y = {}['missing']"), 2, 'the marked line is the code’s second line');
    assert.match((await p.locator('.cm-flink-error').first().getAttribute('title')) ?? '', /KeyError/);
    await shots.take(page, 'traceback');
  });

  describe('one note: a Python UDF, SQL that calls it, completion from its worker', () => {
    const udf = [
      '%flink.pyflink',
      '@udf(result_type=DataTypes.BIGINT())',
      'def triple_plus(x):',
      '    return x * 3 + 1',
      '',
      "st_env.create_temporary_system_function('triple_plus', triple_plus)",
    ].join('\n');

    before(async () => {
      await openNewNote('/e2e/python/UDF', [udf, '%flink.bsql\nSELECT triple_plus(CAST(14 AS BIGINT)) AS r', '%flink.pyflink\n']);
    });

    test('a function registered in Python is callable from SQL', async () => {
      const [py, sql] = [paragraphs(page).nth(0), paragraphs(page).nth(1)];
      await runAndWait(py, 'FINISHED');
      await runAndWait(sql, 'FINISHED');
      assert.deepEqual(await tableRows(sql), [['43']]);
      await sql.scrollIntoViewIfNeeded();
      await shots.take(page, 'udf-in-sql');
    });

    test("the editor completes attributes from the note's Python worker", async () => {
      const p = paragraphs(page).nth(2);
      await p.locator('.cm-content').click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('st_env.execute_s');
      const box = page.locator('.cm-tooltip-autocomplete');
      await box.waitFor({ timeout: 30_000 });
      await until(async () => (await box.locator('li').allTextContents()).some((t) => /\bexecute_sql\b/.test(t)), {
        timeout: 30_000,
        message: 'execute_sql among the completions',
      });
      await shots.take(page, 'completion');
      await page.keyboard.press('Escape');
    });
  });

  test('z.input shows a form whose value the next run reads', async () => {
    await openNewNote('/e2e/python/Forms', ["%flink.pyflink\nwho = z.input('who', 'world')\nprint('hello', who)"]);
    const p = paragraphs(page).first();
    await runAndWait(p, 'FINISHED');
    const out = p.locator('[data-testid=result] pre.result-text');
    await until(async () => /hello world/.test(await textOf(out)), { message: 'the default value printed' });
    const box = p.locator('[data-testid=paragraph-forms] .dyn-form[data-form="who"] input');
    await box.waitFor();
    assert.equal(await box.inputValue(), 'world');
    await box.fill('Eddy');
    await box.press('Enter'); // saves the value and runs, as Zeppelin's forms do
    await until(async () => /hello Eddy/.test(await textOf(out)), { timeout: RUN_WAIT_MS, message: 'the chosen value printed' });
    await shots.take(page, 'form');
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
