// End-to-end test of the habits Zeppelin users bring, against a real
// bin/eddy with its local Flink cluster and Chromium: paragraph shortcuts
// (insert below, move up, toggle the editor, run this and all below), the
// shortcut list on '?', find and replace across paragraphs, the editor's
// mark at the line and column of a Flink error, CSV download of every row a
// result holds, Zeppelin's colWidth laying paragraphs side by side, and
// Ctrl+Alt+L clearing a paragraph's output.
// Screenshots go to e2e/artifacts/habits-NN-*.png.
//
//   node --test --test-concurrency=1 e2e/habits.test.mjs
//   (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, textOf, until, watch } from './harness.mjs';

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
let errors;
const shots = new Shots('habits-');

before(async () => {
  eddy = await Eddy.start({ clean: 'habits-', logName: 'eddy-habits.log' });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  errors = watch(page);
  await page.goto(eddy.loginURL);
  await page.waitForSelector('.home-page');
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

const paras = () => page.locator('[data-testid=paragraph]');
const statusOf = async (p) => ((await p.locator('[data-testid=paragraph-status]').textContent({ timeout: 2_000 })) ?? '').trim().toLowerCase();
const idsOnPage = () => paras().evaluateAll((els) => els.map((e) => e.getAttribute('data-paragraph-id')));

async function openNote(id) {
  await page.goto(`${eddy.baseURL}/notebook/${id}`);
  await paras().first().waitFor();
  await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
}

/** focusEditor puts the cursor at the end of a paragraph's editor. */
async function focusEditor(p) {
  await p.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
}

async function storedNote(id) {
  return eddy.api('GET', `/api/notebook/${id}`);
}

describe('Zeppelin habits (needs a ready Flink cluster)', () => {
  let id;

  before(async () => {
    await eddy.mustClusterReady();
    id = await eddy.api('POST', '/api/notebook', {
      name: '/e2e/habits/Orders',
      paragraphs: [
        { text: "%flink.ssql\nSELECT 'orders' AS w, 1 AS n" },
        { text: "%flink.ssql\nSELECT w, n FROM (VALUES ('Orders', 2), ('orders', 3)) AS t(w, n)" },
      ],
    });
  });

  test('shortcuts: Ctrl+Alt+B inserts below, Ctrl+Alt+K moves up, Ctrl+Alt+E hides and shows the editor', async () => {
    await openNote(id);
    const [a, b] = await idsOnPage();
    await focusEditor(paras().nth(0));
    await page.keyboard.press('Control+Alt+KeyB');
    await until(async () => (await idsOnPage()).length === 3, { message: 'a paragraph inserted' });
    const ids = await idsOnPage();
    assert.equal(ids[0], a);
    assert.equal(ids[2], b);
    const added = ids[1];
    // The new paragraph's editor has the focus: move it up.
    await until(() => page.evaluate((pid) => !!document.activeElement?.closest(`[data-paragraph-id="${pid}"]`), added), { message: 'focus in the new paragraph' });
    await page.keyboard.press('Control+Alt+KeyK');
    await until(async () => (await idsOnPage())[0] === added, { message: 'moved up' });
    assert.deepEqual(await idsOnPage(), [added, a, b]);
    await until(async () => (await storedNote(id)).paragraphs.map((p) => p.id).join() === [added, a, b].join(), { message: 'order saved' });

    // Ctrl+Alt+E hides the editor; the paragraph keeps the focus, so Ctrl+Alt+E shows it again.
    const p = page.locator(`[data-paragraph-id="${added}"]`);
    await until(() => page.evaluate((pid) => !!document.activeElement?.closest(`[data-paragraph-id="${pid}"]`), added), { message: 'focus kept after the move' });
    await page.keyboard.press('Control+Alt+KeyE');
    await until(async () => !(await p.locator('.para-editor').isVisible()), { message: 'editor hidden' });
    await until(async () => (await storedNote(id)).paragraphs[0].config?.editorHide === true, { message: 'editorHide saved' });
    await page.keyboard.press('Control+Alt+KeyE');
    await until(async () => p.locator('.para-editor').isVisible(), { message: 'editor shown' });
    // Ctrl+Alt+D asks, then deletes the empty paragraph.
    await focusEditor(p);
    await page.keyboard.press('Control+Alt+KeyD');
    await page.locator('[data-testid=dialog-ok]').click();
    await until(async () => (await idsOnPage()).join() === [a, b].join(), { message: 'deleted' });
  });

  test("'?' lists the shortcuts; Escape closes the list", async () => {
    await page.locator('[data-testid=save-state]').click();
    await page.keyboard.press('?');
    const list = page.locator('[data-testid=shortcut-list]');
    await list.waitFor();
    const t = await textOf(list);
    for (const want of ['Insert new paragraph below', 'Ctrl + Alt + B', 'Run this paragraph and all below', 'Ctrl + Shift + Enter', 'Toggle editor', 'Find and replace in the note']) {
      assert.ok(t.includes(want), `the list names ${want}: ${t}`);
    }
    await shots.take(page, 'shortcut-list');
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'detached' });
    // In an editor '?' is text, not the list.
    await focusEditor(paras().nth(0));
    await page.keyboard.press('?');
    assert.equal(await list.count(), 0);
    await page.keyboard.press('Backspace');
  });

  test('find and replace across two paragraphs; Ctrl+Shift+Enter runs this and all below', async () => {
    await focusEditor(paras().nth(0));
    await page.keyboard.press('Control+Alt+KeyF');
    const panel = page.locator('[data-testid=find-panel]');
    await panel.waitFor();
    await page.locator('[data-testid=find-input]').fill('orders');
    await until(async () => (await textOf(page.locator('[data-testid=find-count]'))) === '1 of 3', { message: '3 matches' });
    await page.locator('[data-testid=find-case]').check();
    await until(async () => (await textOf(page.locator('[data-testid=find-count]'))) === '1 of 2', { message: 'case-sensitive: 2 matches' });
    await page.locator('[data-testid=find-next]').click();
    assert.equal(await textOf(page.locator('[data-testid=find-count]')), '2 of 2');
    // The second match is selected in the second paragraph's editor.
    assert.equal(await paras().nth(1).locator('.cm-selectionBackground').count() > 0, true);
    await page.locator('[data-testid=replace-input]').fill('trades');
    await page.locator('[data-testid=replace-all]').click();
    await until(async () => (await textOf(page.locator('[data-testid=find-count]'))) === 'No results', { message: 'all replaced' });
    await shots.take(page, 'find-replace');
    await until(
      async () => {
        const n = await storedNote(id);
        return n.paragraphs[0].text.includes("'trades' AS w") && n.paragraphs[1].text.includes("('Orders', 2), ('trades', 3)");
      },
      { message: 'replacements saved', timeout: 10_000 },
    );
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });

    await focusEditor(paras().nth(0));
    await page.keyboard.press('Control+Shift+Enter');
    for (const i of [0, 1]) await until(async () => (await statusOf(paras().nth(i))) === 'finished', { timeout: 180_000, message: `paragraph ${i} finished` });
    assert.match(await textOf(paras().nth(1).locator('[data-testid=result-table]')), /trades/);

    // Ctrl+Alt+O hides and shows the output, Ctrl+Alt+T shows and hides the title; both are saved.
    const p = paras().nth(1);
    await focusEditor(p);
    await page.keyboard.press('Control+Alt+KeyO');
    await until(async () => !(await p.locator('[data-testid=result]').isVisible()), { message: 'output hidden' });
    await until(async () => (await storedNote(id)).paragraphs[1].config?.tableHide === true, { message: 'tableHide saved' });
    await page.keyboard.press('Control+Alt+KeyO');
    await until(async () => p.locator('[data-testid=result]').isVisible(), { message: 'output shown' });
    await page.keyboard.press('Control+Alt+KeyT');
    await until(async () => p.locator('.para-title').isVisible(), { message: 'title shown' });
    await page.keyboard.type('Trades by word');
    await until(async () => (await storedNote(id)).paragraphs[1].title === 'Trades by word', { message: 'title saved' });
    await page.keyboard.press('Control+Alt+KeyT');
    await until(async () => !(await p.locator('.para-title').isVisible()), { message: 'title hidden' });
    await until(async () => (await storedNote(id)).paragraphs[1].config?.title === false, { message: 'title hidden, saved' });
  });

  test("a Flink error's line and column are marked in the editor", async () => {
    const text = "%flink.ssql\nSELECT 1 AS a;\nSELECT a,\n       nope\nFROM (VALUES (1)) AS t(a)";
    const eid = await eddy.api('POST', '/api/notebook', { name: '/e2e/habits/Error', paragraphs: [{ text }] });
    await openNote(eid);
    const p = paras().first();
    await p.locator('[data-testid=run-paragraph]').click();
    await until(async () => (await statusOf(p)) === 'error', { timeout: 180_000, message: 'the run fails' });
    const mark = p.locator('.cm-flink-error');
    await mark.waitFor({ timeout: 10_000 });
    assert.equal(await mark.textContent(), 'nope');
    assert.match((await mark.getAttribute('title')) ?? '', /line 2, column 8/);
    await mark.hover();
    await p.locator('.cm-flink-error-tip').waitFor({ timeout: 5_000 });
    await shots.take(page, 'error-marker');
    await page.mouse.move(5, 5);
    await p.locator('.cm-flink-error-tip').waitFor({ state: 'detached', timeout: 5_000 });
    // Typing removes the mark.
    await focusEditor(p);
    await page.keyboard.type(' ');
    await mark.waitFor({ state: 'detached', timeout: 5_000 });
  });

  test('CSV download has every row the result holds, quoted as RFC 4180 says', async () => {
    const text = [
      '%flink.bsql',
      "CREATE TEMPORARY TABLE g (n INT) WITH ('connector' = 'datagen', 'number-of-rows' = '300', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '300');",
      "SELECT n, CONCAT('row \"', CAST(n AS STRING), '\", ok') AS label FROM g",
    ].join('\n');
    const cid = await eddy.api('POST', '/api/notebook', { name: '/e2e/habits/Download', paragraphs: [{ title: 'Rows with quotes', text }] });
    await openNote(cid);
    const p = paras().first();
    await p.locator('[data-testid=run-paragraph]').click();
    await until(async () => (await statusOf(p)) === 'finished', { timeout: 180_000, message: 'the query finishes' });
    await until(async () => /received 300/.test(await textOf(p.locator('[data-testid=result-stats]'))), { message: '300 rows received' });
    const onScreen = await p.locator('[data-testid=result-table] tr.rt-row').count();
    assert.ok(onScreen < 300, `the table shows a window of the rows (${onScreen})`);
    await p.locator('[data-testid=result-download]').click();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=download-csv]').click()]);
    assert.equal(dl.suggestedFilename(), 'Rows_with_quotes.csv');
    const csv = await readFile(await dl.path(), 'utf8');
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'n,label');
    assert.equal(lines.at(-1), '', 'the last record ends with CRLF');
    const rows = lines.slice(1, -1);
    assert.equal(rows.length, 300);
    assert.deepEqual(
      [...rows].sort(),
      Array.from({ length: 300 }, (_, i) => `${i + 1},"row ""${i + 1}"", ok"`).sort(),
    );
  });

  test('colWidth 6: an imported Zeppelin note shows two paragraphs side by side; the menu sets the width', async () => {
    const zpln = {
      name: 'Side by side',
      defaultInterpreterGroup: 'flink',
      paragraphs: [
        { id: 'paragraph_1_left', text: '%md left half', config: { colWidth: 6.0, editorMode: 'ace/mode/markdown' } },
        { id: 'paragraph_2_right', text: '%md right half', config: { colWidth: 6.0, editorMode: 'ace/mode/markdown' } },
        { id: 'paragraph_3_full', text: '%md full width', config: { colWidth: 12.0 } },
      ],
    };
    const zid = await eddy.api('POST', `/api/notebook/import?notePath=${encodeURIComponent('/e2e/habits/Side by side')}`, JSON.stringify(zpln));
    await openNote(zid);
    const box = async (i) => /** @type {{x:number,y:number,width:number,height:number}} */ (await paras().nth(i).boundingBox());
    const [l, r, f] = [await box(0), await box(1), await box(2)];
    assert.ok(Math.abs(l.y - r.y) < 2, `same row: ${l.y} ${r.y}`);
    assert.ok(r.x > l.x + l.width - 1, `right of it: ${JSON.stringify([l, r])}`);
    assert.ok(Math.abs(l.width - r.width) < 2 && l.width < f.width * 0.55 && l.width > f.width * 0.45, `half widths: ${l.width} ${r.width} of ${f.width}`);
    assert.ok(f.y > l.y + l.height, 'the full-width paragraph is on its own row');
    await shots.take(page, 'colwidth-side-by-side');
    // Width 12 from the menu: the left paragraph takes its own row, and the width is saved.
    await paras().nth(0).locator('[data-testid=paragraph-menu]').click();
    await page.locator('[data-testid=menu-width]').click();
    await page.locator('[data-testid=menu-width-12]').click();
    await until(async () => (await box(1)).y > (await box(0)).y + (await box(0)).height, { message: 'wrapped' });
    await until(async () => (await storedNote(zid)).paragraphs[0].config?.colWidth === 12, { message: 'colWidth saved' });
    // Ctrl+Shift+- narrows the focused paragraph by one column, as in Zeppelin.
    await focusEditor(paras().nth(0));
    await page.keyboard.press('Control+Shift+Minus');
    await until(async () => (await storedNote(zid)).paragraphs[0].config?.colWidth === 11, { message: 'colWidth 11 saved' });
  });

  test('Ctrl+Alt+L clears the output of a paragraph that ran; after a reload it is still gone', async () => {
    const lid = await eddy.api('POST', '/api/notebook', { name: '/e2e/habits/Clear', paragraphs: [{ text: "%flink.bsql\nSELECT 'kept until cleared' AS w, 42 AS n" }] });
    // The earlier tests' notes hold sessions: free their KPUs so this note's session can start.
    const { sessions } = await eddy.api('GET', '/api/v1/sessions');
    for (const s of sessions) await eddy.api('DELETE', `/api/v1/sessions/${s.id}`);
    await openNote(lid);
    const p = paras().first();
    await p.locator('[data-testid=run-paragraph]').click();
    const refused = p.locator('[data-testid=run-refused]');
    await until(async () => (await statusOf(p)) === 'finished' || (await refused.isVisible()), { timeout: 180_000, message: 'the query finishes' });
    assert.equal(await refused.isVisible(), false, `the run was refused: ${await refused.textContent()}`);
    await until(async () => /kept until cleared/.test(await textOf(p.locator('[data-testid=result-table]'))), { message: 'the result shows' });
    const ran = (await storedNote(lid)).paragraphs[0];
    assert.ok(ran.results && ran.runtimeInfos?.jobUrl, `stored output and job link after the run: ${JSON.stringify(ran).slice(0, 300)}`);
    await shots.take(page, 'before-clear');

    await focusEditor(p);
    await page.keyboard.press('Control+Alt+KeyL');
    await until(async () => !(await p.locator('[data-testid=result]').isVisible()), { message: 'the output is gone' });
    assert.equal(await p.locator('[data-testid=result-table]').count(), 0, 'no result table');
    await until(async () => (await storedNote(lid)).paragraphs[0].results === undefined, { message: 'the stored output is gone' });
    const cleared = (await storedNote(lid)).paragraphs[0];
    assert.equal(cleared.status, 'FINISHED', 'the status stays, as in Zeppelin');
    assert.equal(cleared.errorMessage, undefined);
    assert.deepEqual(cleared.runtimeInfos ?? {}, {});
    assert.equal(await p.locator('[data-testid=job-link]').isVisible(), false, 'no job link');
    await shots.take(page, 'cleared');

    await page.reload();
    await paras().first().waitFor();
    await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket after reload' });
    assert.equal(await statusOf(paras().first()), 'finished');
    assert.equal(await paras().first().locator('[data-testid=result]').isVisible(), false, 'still no output after a reload');
    assert.equal(await paras().first().locator('[data-testid=result-table]').count(), 0, 'no result table after a reload');
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
