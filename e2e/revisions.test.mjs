// End-to-end test of a note's revisions and of the Flink web UI through
// Eddy, against a real bin/eddy and its local Flink cluster, in Chromium.
//
// Revisions: save revision "v1", edit a paragraph, the diff of v1 against
// the note shows the change, restore v1: the page, a second viewer and a
// reload show v1's text.
// Flink web UI: a streaming SELECT runs, its "Flink job ↗" link opens a tab
// on Eddy's own origin under /flink/ showing Flink's page of the job; without
// Eddy's cookie the proxy answers 401, and it refuses writes.
// Screenshots go to e2e/artifacts/revisions-NN-*.png.
//
//   node --test --test-concurrency=1 e2e/revisions.test.mjs
//     (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, until, watch, textOf, paragraphs } from './harness.mjs';

const V1 = "%flink.ssql\nSELECT 'version one' AS v";
const V2 = "%flink.ssql\nSELECT 'version two' AS v\nFROM (VALUES (1)) AS t(x)";
const OTHER = '%md\nThis paragraph stays as it is.';

const STREAM = [
  '%flink.ssql(type=update, parallelism=1)',
  "CREATE TEMPORARY TABLE ticks (n INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5', 'fields.n.min' = '1', 'fields.n.max' = '3');",
  'SELECT n, COUNT(*) AS c FROM ticks GROUP BY n',
].join('\n');

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('revisions-');

before(async () => {
  eddy = await Eddy.start({ clean: 'revisions-', logName: 'eddy-revisions.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

const editorText = async (p) => ((await p.locator('.cm-content').innerText({ timeout: 5_000 })) ?? '').replace(/\u00a0/g, ' ').trim();
const statusOf = async (p) => ((await p.locator('[data-testid=paragraph-status]').textContent({ timeout: 2_000 })) ?? '').trim().toLowerCase();

/** newPage is a logged-in tab of a fresh browser context. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(eddy.loginURL);
  await page.waitForSelector('.home-page');
  return { context, page, errors };
}

describe('revisions: save, diff, restore', () => {
  let page;
  let errors;
  let viewer;
  let noteId;

  before(async () => {
    ({ page, errors } = await newPage());
    noteId = await eddy.api('POST', '/api/notebook', { name: '/e2e/Revisions', paragraphs: [{ text: V1 }, { text: OTHER }] });
    await eddy.openNote(page, noteId);
  });

  test('saves the note as revision "v1"', async () => {
    await page.click('[data-testid=revisions-button]');
    const dialog = page.locator('[data-testid=revisions-dialog]');
    await dialog.waitFor();
    await dialog.locator('[data-testid=revision-none]').waitFor();
    await dialog.locator('[data-testid=revision-message]').fill('v1');
    await dialog.locator('[data-testid=revision-save]').click();
    await until(async () => (await dialog.locator('[data-testid=revision-row-message]').allTextContents()).join('|') === 'v1', { message: 'v1 listed' });
    const revs = await eddy.api('GET', `/api/notebook/${noteId}/revision`);
    assert.deepEqual(revs.map((r) => r.message), ['v1']);
    // An unchanged note makes no second revision, and the dialog says so.
    await dialog.locator('[data-testid=revision-message]').fill('again');
    await dialog.locator('[data-testid=revision-save]').click();
    await until(async () => /Nothing changed/.test(await textOf(dialog.locator('[data-testid=revisions-problem]'))), { message: 'no changes said' });
    assert.equal((await eddy.api('GET', `/api/notebook/${noteId}/revision`)).length, 1);
    await shots.take(page, 'saved-v1');
    await dialog.locator('[data-testid=revisions-close]').click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('an edit, then the diff of v1 against the note shows the changed lines', async () => {
    const p = paragraphs(page).first();
    await p.locator('.cm-content').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText(V2);
    await page.keyboard.press('Escape');
    await until(async () => (await page.textContent('[data-testid=save-state]')) === 'All changes saved', { message: 'autosave' });
    await until(async () => (await eddy.api('GET', `/api/notebook/${noteId}`)).paragraphs[0].text === V2, { message: 'the edit stored' });

    await page.click('[data-testid=revisions-button]');
    const dialog = page.locator('[data-testid=revisions-dialog]');
    await dialog.locator('[data-testid=revision-row]').first().waitFor();
    await dialog.locator('[data-testid=revision-diff]').first().click();
    const view = dialog.locator('[data-testid=revision-diff-view]');
    await view.locator('[data-testid=diff-paragraph]').first().waitFor();
    assert.equal(await textOf(view.locator('[data-testid=revision-diff-summary]')), '1 changed, 0 added, 0 removed, 1 unchanged');
    const changed = view.locator('[data-testid=diff-paragraph]');
    assert.equal(await changed.count(), 1, 'only the edited paragraph is shown');
    assert.equal(await changed.getAttribute('data-change'), 'changed');
    const lines = await changed.locator('[data-testid=diff-line]').evaluateAll((els) => els.map((e) => `${e.dataset.op} ${e.textContent}`));
    assert.deepEqual(lines, [
      'keep   %flink.ssql',
      "del − SELECT 'version one' AS v",
      "add + SELECT 'version two' AS v",
      'add + FROM (VALUES (1)) AS t(x)',
    ]);
    await shots.take(page, 'diff-v1-against-now');
  });

  test('restoring v1, once confirmed, shows v1 here, in another viewer and after a reload', async () => {
    ({ page: viewer } = await newPage());
    await eddy.openNote(viewer, noteId);
    assert.match(await editorText(paragraphs(viewer).first()), /version two/);

    const dialog = page.locator('[data-testid=revisions-dialog]');
    await dialog.locator('[data-testid=revision-restore]').first().click();
    // A confirmation first.
    const ok = page.locator('[data-testid=dialog-ok]');
    await ok.waitFor();
    assert.equal((await ok.textContent())?.trim(), 'Restore');
    await ok.click();
    await dialog.waitFor({ state: 'detached' });

    await until(async () => /version one/.test(await editorText(paragraphs(page).first())), { message: 'v1 in the page' });
    assert.doesNotMatch(await editorText(paragraphs(page).first()), /version two|FROM/);
    await until(async () => /version one/.test(await editorText(paragraphs(viewer).first())), { timeout: 10_000, message: 'v1 in the other viewer, without a reload' });
    assert.equal((await eddy.api('GET', `/api/notebook/${noteId}`)).paragraphs[0].text, V1);

    await page.reload();
    await paragraphs(page).first().waitFor();
    await until(async () => /version one/.test(await editorText(paragraphs(page).first())), { message: 'v1 after a reload' });
    assert.equal(await paragraphs(page).count(), 2);
    assert.match(await editorText(paragraphs(page).nth(1)), /stays as it is/);
    await shots.take(page, 'restored-v1-reloaded');
    assert.deepEqual(errors, [], 'no page errors');
  });
});

describe('the Flink web UI through Eddy (needs a ready Flink cluster)', () => {
  let context;
  let page;
  let errors;
  let noteId;

  before(async () => {
    await eddy.mustClusterReady();
    ({ context, page, errors } = await newPage());
    noteId = await eddy.api('POST', '/api/notebook', { name: '/e2e/Flink UI', paragraphs: [{ text: STREAM }] });
  });

  after(async () => {
    if (noteId) await eddy.api('DELETE', `/api/notebook/job/${noteId}`).catch(() => undefined);
  });

  test('the cluster reports its web UI at /flink/ on Eddy', async () => {
    const c = await eddy.cluster();
    assert.equal(c.webUiUrl, '/flink/');
    assert.match(c.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("a streaming query's \"Flink job\" link opens Flink's job page on Eddy's origin", async () => {
    await eddy.openNote(page, noteId);
    const p = paragraphs(page).first();
    await p.locator('[data-testid=run-paragraph]').click();
    await p.locator('[data-testid=result-table] tr.rt-row').first().waitFor({ timeout: 120_000 });
    await until(async () => (await statusOf(p)) === 'running', { message: 'running' });
    const link = p.locator('[data-testid=job-link]');
    await link.waitFor();
    const href = (await link.getAttribute('href')) ?? '';
    const m = /^\/flink\/#\/job\/running\/([0-9a-f]{32})\/overview$/.exec(href);
    assert.ok(m, `the job link goes through Eddy: ${href}`);
    const jobId = m[1];
    const job = await eddy.api('GET', `/flink/jobs/${jobId}`);
    assert.equal(job.state, 'RUNNING');
    // The session panel links the job and the web UI through Eddy too.
    assert.equal(await page.locator('[data-testid=session-job-link]').getAttribute('href'), href);

    const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
    const tabErrors = watch(tab);
    await tab.waitForLoadState();
    const url = new URL(tab.url());
    assert.equal(url.origin, eddy.baseURL, 'the tab is on Eddy');
    assert.equal(url.pathname, '/flink/');
    // Flink's Angular app loads its job from ./jobs/<id> through the proxy and shows its name.
    await tab.getByText(job.name, { exact: false }).first().waitFor({ timeout: 60_000 });
    await tab.getByText('RUNNING').first().waitFor({ timeout: 30_000 });
    // Its vertices' metrics come through the proxy too.
    await until(async () => (await tab.getByText('loading...').count()) === 0, { timeout: 30_000, message: 'the job graph and metrics' });
    await shots.take(tab, 'flink-job-page');
    assert.deepEqual(tabErrors.filter((e) => !/favicon/.test(e)), [], 'the Flink UI loads without errors');
    await tab.close();
  });

  test('the proxy wants Eddy’s credential and is read-only', async () => {
    const anon = await fetch(`${eddy.baseURL}/flink/config`);
    assert.equal(anon.status, 401);
    // From the logged-in page: reads work, writes are refused whatever the page sends.
    const answers = await page.evaluate(async () => {
      const read = await fetch('/flink/config');
      const write = await fetch('/flink/jobs/00000000000000000000000000000000', { method: 'PATCH' });
      return { read: read.status, version: (await read.json())['flink-version'], write: write.status, message: (await write.json()).message };
    });
    assert.equal(answers.read, 200);
    assert.match(answers.version, /^2\./);
    assert.equal(answers.write, 403);
    assert.match(answers.message, /read-only/);
    assert.deepEqual(errors, [], 'no page errors');
  });
});
