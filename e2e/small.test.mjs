// End-to-end checks of small things a Studio/Zeppelin user meets, against
// one real bin/eddy started with --kpu-capacity 3 and its local Flink
// cluster: the cluster panel while Flink starts (words and progress, no Go
// error), .zpln files dropped anywhere on the home page (a real Zeppelin
// fixture and a broken file), a failed paragraph (its error, not "saved
// result · not live"), a parallelism that can never fit (it says so and how
// to lower it, not to stop a session) and a type=single template with
// markup. Screenshots go to e2e/artifacts/small-NN-*.png.
//
//   node --test --test-concurrency=1 e2e/small.test.mjs   (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, mustFixture, textOf, until, watch } from './harness.mjs';

const CAPACITY = 3;
const FIXTURE = '1._Flink_Basics_2F2YS7PCE.zpln';

const FAILING = '%flink.ssql\nSELECT * FROM no_such_table';
const TOO_WIDE = '%flink.ssql(parallelism=4)\nSELECT 1';
const SINGLE = '%flink.ssql(type=single, template=<h1>{0}</h1> rows in total)\nSELECT COUNT(*) AS n FROM (VALUES (1), (2), (3)) AS t(x)';

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
/** @type {string[]} */
let errors;
let noteId = '';
const shots = new Shots('small-');

const text = (loc) => textOf(loc);
const paras = () => page.locator('[data-testid=paragraph]');
const statusOf = async (p) => ((await p.locator('[data-testid=paragraph-status]').textContent({ timeout: 2_000 })) ?? '').trim().toLowerCase();

/** openNote opens the note and waits for its websocket. */
async function openNote() {
  await page.goto(`${eddy.baseURL}/notebook/${noteId}`);
  await paras().first().waitFor();
  await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
}

/** runTo runs paragraph i and waits until its status is one of want. */
async function runTo(i, want, timeout = 120_000) {
  const p = paras().nth(i);
  await p.locator('[data-testid=run-paragraph]').click();
  await until(async () => want.includes(await statusOf(p)), { timeout, message: `paragraph ${i} ${want.join('/')}` });
  return p;
}

before(async () => {
  eddy = await Eddy.start({ args: ['--kpu-capacity', String(CAPACITY)], clean: 'small-', logName: 'eddy-small.log' });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  errors = watch(page);
  await page.goto(eddy.loginURL);
  await page.waitForSelector('.home-page');
  noteId = await eddy.api('POST', '/api/notebook', { name: '/e2e/small/Checks', paragraphs: [{ text: FAILING }, { text: TOO_WIDE }, { text: SINGLE }] });
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

describe(`small things, one Eddy with --kpu-capacity ${CAPACITY}`, () => {
  test('while Flink starts, the cluster panel says so with its progress, and shows no Go error', async () => {
    const c = await eddy.cluster();
    assert.equal(c.ready, false, 'the cluster is still starting when Eddy has just started (else this test sees nothing)');
    assert.equal(c.state, 'starting');
    assert.equal(c.error ?? '', '');
    assert.ok(c.startedAt, 'startedAt');
    assert.deepEqual(c.processes.map((p) => p.name), ['JobManager', 'TaskManager', 'SQL Gateway']);
    await page.goto(`${eddy.baseURL}/notebook/${noteId}`);
    const box = page.locator('[data-testid=cluster-state]');
    await box.locator('[data-testid=cluster-starting]').waitFor({ timeout: 10_000 });
    assert.match(await text(box.locator('[data-testid=cluster-starting]')), /^Starting Flink… \(\d/);
    assert.match(await text(box.locator('[data-testid=cluster-stage]')), /waiting for the /i);
    assert.equal(await box.locator('[data-testid=cluster-processes] li').count(), 3);
    const all = await text(box);
    assert.doesNotMatch(all, /dial tcp|connection refused|connect:|Get "/);
    assert.match(await text(page.locator('[data-testid=cluster-chip]')), /^Starting Flink…$/);
    await shots.take(page, 'cluster-starting');
    // Progress: once a process answers, the panel ticks it off (unless the
    // last ones come up within one poll, then there is no such moment).
    const partly = await until(async () => {
      const s = await eddy.cluster();
      return s.ready ? 'ready' : s.processes?.some((p) => p.up) ? 'partly' : false;
    }, { timeout: 300_000, interval: 500, message: 'a process up or the cluster ready' });
    if (partly === 'partly' && (await box.locator('[data-testid=cluster-processes] li[data-up=true]').first().waitFor({ timeout: 6_000 }).then(() => true, () => false))) {
      assert.doesNotMatch(await text(box), /dial tcp|connection refused|connect:/);
      await shots.take(page, 'cluster-starting-progress');
    }
    // It moves on to ready by itself.
    await eddy.mustClusterReady();
    await until(async () => /ready/i.test(await text(box)), { timeout: 30_000, message: 'the panel says ready' });
    assert.equal(await box.locator('[data-testid=cluster-starting]').count(), 0);
    await shots.take(page, 'cluster-ready');
  });

  test('.zpln files dropped beside the home page’s column are imported; a broken one says why', async () => {
    await page.goto(eddy.baseURL + '/');
    await page.waitForSelector('.home-page');
    const before = (await eddy.api('GET', '/api/notebook')).length;
    const zpln = await readFile(mustFixture(FIXTURE), 'utf8');
    const files = [
      { name: path.basename(FIXTURE), text: zpln },
      { name: 'broken.zpln', text: '{"paragraphs": ' },
    ];
    const dataTransfer = await page.evaluateHandle((fs) => {
      const dt = new DataTransfer();
      for (const f of fs) dt.items.add(new File([f.text], f.name, { type: 'application/json' }));
      return dt;
    }, files);
    // The top bar is outside the page's centred column: before, the browser
    // would have opened the file there.
    await page.dispatchEvent('header.topbar', 'dragenter', { dataTransfer });
    await page.dispatchEvent('header.topbar', 'dragover', { dataTransfer });
    assert.equal(await page.evaluate(() => document.body.classList.contains('drop-import')), true, 'the page shows it takes the drop');
    await shots.take(page, 'drop-target');
    await page.dispatchEvent('header.topbar', 'drop', { dataTransfer });
    await until(async () => (await eddy.api('GET', '/api/notebook')).length === before + 1, { message: 'one note imported' });
    const notes = await eddy.api('GET', '/api/notebook');
    assert.ok(notes.some((n) => /Flink Basics/.test(n.path ?? n.name)), `the fixture's note is listed: ${JSON.stringify(notes.map((n) => n.path))}`);
    await page.locator('.note-list, [data-testid=note-list]').first().getByText(/Flink Basics/).first().waitFor({ timeout: 10_000 });
    const toast = page.locator('.toast.error').filter({ hasText: 'Could not import broken.zpln' });
    await toast.waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => document.body.classList.contains('drop-import')), false);
    assert.equal(new URL(page.url()).origin, eddy.baseURL, 'still in Eddy');
    await shots.take(page, 'dropped-imported');
  });

  test('a failed paragraph shows its error, not also “saved result · not live”', async () => {
    await eddy.mustClusterReady();
    await openNote();
    const p = await runTo(0, ['error']);
    await until(async () => /no_such_table/.test(await text(p.locator('[data-testid=result]'))), { message: 'the error shown' });
    // Reopened, the paragraph shows its stored output: the error.
    await openNote();
    const again = paras().nth(0);
    assert.equal(await statusOf(again), 'error');
    assert.match(await text(again.locator('[data-testid=result]')), /no_such_table/);
    assert.equal(await again.locator('.para-head .prov').isVisible(), false, 'no “saved result · not live” beside an error');
    await again.scrollIntoViewIfNeeded();
    await shots.take(page, 'failed-paragraph');
  });

  test('a parallelism that can never fit says so and how to lower it, not to stop a session', async () => {
    const p = await runTo(1, ['error']);
    const want = `parallelism 4 needs 4 KPUs, the cluster offers ${CAPACITY} in all (2 of them kept by this note's session); lower the parallelism to 1 or less`;
    await until(async () => (await text(p.locator('[data-testid=result]'))).includes(want), { timeout: 30_000, message: 'the refusal in words' });
    const shown = await text(p);
    assert.doesNotMatch(shown, /stop a session|Stop a session/);
    // Nothing was reserved for the job: the session holds its own 2 KPUs.
    const l = await eddy.api('GET', '/api/v1/sessions');
    assert.equal(l.kpusInUse, 2);
    await p.scrollIntoViewIfNeeded();
    await shots.take(page, 'parallelism-never-fits');
  });

  test('a type=single template with markup is shown as written: its text outside the tags keeps the page’s style', async () => {
    const p = await runTo(2, ['finished', 'error']);
    await p.scrollIntoViewIfNeeded();
    const single = p.locator('[data-testid=single-value]');
    try {
      await until(async () => /3 rows in total/.test(await text(single)), { timeout: 30_000, message: 'the template filled in' });
    } catch (e) {
      await shots.take(page, 'single-template-not-shown');
      throw new Error(`${e.message}; the paragraph shows: ${await text(p)}`);
    }
    assert.equal(await single.evaluate((el) => el.className), 'single-html user-html');
    assert.equal(await single.locator('h1').innerText(), '3');
    const sizes = await single.evaluate((el) => ({ box: getComputedStyle(el).fontSize, h1: getComputedStyle(el.querySelector('h1')).fontSize }));
    assert.notEqual(sizes.box, '28px', 'the text outside the tags is not in the big-number style');
    await shots.take(page, 'single-template');
  });

  test('no uncaught errors in the browser', () => {
    assert.deepEqual(errors, []);
  });
});
