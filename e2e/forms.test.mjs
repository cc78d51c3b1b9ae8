// End-to-end test of dynamic forms, against a real bin/eddy with its own
// local Flink cluster: typing a paragraph with ${...} forms and a $${...}
// note form shows their widgets at once; changing them saves the values
// (a pick runs the paragraph), the run on Flink uses them, a reload keeps
// them, a second viewer of the note sees them change, and a stored choice
// that the text no longer offers is flagged. Screenshots: e2e/artifacts/forms-*.png.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, textOf, until, watch } from './harness.mjs';

const TEXT = "%flink.bsql\nSELECT '${c=red,red|green|blue}' AS c, ${n=5} AS n, '${checkbox:k=a,a|b|c}' AS k, '$${g=x}' AS g";

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('forms-');

before(async () => {
  eddy = await Eddy.start({ clean: 'forms-', logName: 'eddy-forms.log' });
  browser = await launchBrowser();
  await eddy.mustClusterReady();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

/** openNote opens a note in a new page, logged in. */
async function openNote(noteId) {
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(eddy.loginURL);
  await page.waitForSelector('.home-page');
  await page.goto(`${eddy.baseURL}/notebook/${noteId}`);
  await page.locator('[data-testid=paragraph]').first().waitFor();
  return { page, errors };
}

const form = (scope, name) => scope.locator(`.dyn-form[data-form="${name}"]`);

/** widgets reads what every widget of a scope shows: text, selected option or checked boxes. */
async function widgets(scope) {
  return scope.locator('.dyn-form').evaluateAll((els) =>
    Object.fromEntries(
      els.map((el) => {
        const sel = el.querySelector('select');
        if (sel) return [el.dataset.form, sel.value];
        const boxes = [...el.querySelectorAll('input[type=checkbox]')];
        if (boxes.length > 0) return [el.dataset.form, boxes.filter((b) => b.checked).map((b) => b.value)];
        return [el.dataset.form, el.querySelector('input')?.value];
      }),
    ),
  );
}

/**
 * ranWith waits until a paragraph's run has finished with a first result row
 * equal to want; a run that ends in an error fails at once, with its words.
 */
async function ranWith(page, para, want, what) {
  try {
    await until(
      async () => {
        const status = ((await para.locator('[data-testid=paragraph-status]').textContent()) ?? '').trim().toLowerCase();
        if (status === 'error') throw new Error(`the paragraph failed: ${await textOf(para.locator('.result'))}`);
        return status === 'finished' && JSON.stringify(await firstRow(para)) === JSON.stringify(want);
      },
      { timeout: 180_000, message: what },
    );
  } catch (e) {
    await shots.take(page, 'failed-' + what.replace(/\W+/g, '-'));
    throw e;
  }
}

/** firstRow returns the texts of the first row of a paragraph's result table. */
async function firstRow(para) {
  return para.locator('[data-testid=result-table] tr.rt-row').first().locator('td:not(.rt-fill)').allTextContents();
}

describe('dynamic forms', () => {
  test('widgets from the typed text, values saved, used by the run, kept and shared', async () => {
    const noteId = await eddy.api('POST', '/api/notebook', { name: 'Forms', paragraphs: [{ text: '%flink.bsql\n' }] });
    const a = await openNote(noteId);
    const b = await openNote(noteId);
    const para = a.page.locator('[data-testid=paragraph]').first();
    const pForms = para.locator('[data-testid=paragraph-forms]');
    const nForms = a.page.locator('[data-testid=note-forms]');
    assert.equal(await pForms.isHidden(), true, 'no widgets before any form is typed');

    // Typing the text shows the widgets with the text's defaults, before any run.
    await para.locator('.cm-content').click();
    await a.page.keyboard.press('Control+a');
    await a.page.keyboard.insertText(TEXT);
    await until(async () => (await pForms.locator('.dyn-form').count()) === 3, { message: 'paragraph widgets' });
    assert.deepEqual(await widgets(pForms), { c: 'red', n: '5', k: ['a'] });
    assert.deepEqual(await widgets(nForms), { g: 'x' });
    assert.deepEqual(await form(pForms, 'c').locator('option').allTextContents(), ['red', 'green', 'blue']);
    assert.deepEqual(await form(pForms, 'k').locator('.dyn-form-check').allTextContents(), ['a', 'b', 'c']);
    await a.page.keyboard.press('Escape'); // the completion list
    await shots.take(a.page, 'typed-widgets');

    // A text box is saved when left (no run); the note form on Enter.
    await form(pForms, 'n').locator('input').fill('7');
    await form(pForms, 'n').locator('input').press('Tab');
    await form(nForms, 'g').locator('input').fill('y');
    await form(nForms, 'g').locator('input').press('Enter');
    // A checkbox pick saves and runs the paragraph.
    await form(pForms, 'k').locator('input[value=b]').check();
    await ranWith(a.page, para, ['red', '7', 'a,b', 'y'], 'the run after the checkbox pick uses every value');
    // A Select pick runs it again with the new value.
    await form(pForms, 'c').locator('select').selectOption('green');
    await ranWith(a.page, para, ['green', '7', 'a,b', 'y'], 'the run after the select pick');
    await shots.take(a.page, 'run-with-values');

    // Stored where Zeppelin keeps them.
    const note = await eddy.api('GET', `/api/notebook/${noteId}`);
    assert.deepEqual(note.paragraphs[0].settings.params, { n: '7', k: ['a', 'b'], c: 'green' });
    assert.deepEqual(note.noteParams, { g: 'y' });

    // The other viewer sees the values change.
    const bPara = b.page.locator('[data-testid=paragraph]').first();
    await until(async () => JSON.stringify(await widgets(bPara.locator('[data-testid=paragraph-forms]'))) === JSON.stringify({ c: 'green', n: '7', k: ['a', 'b'] }), {
      message: 'the second viewer’s paragraph widgets',
    });
    await until(async () => (await widgets(b.page.locator('[data-testid=note-forms]'))).g === 'y', { message: 'the second viewer’s note form' });
    await until(async () => JSON.stringify(await firstRow(bPara)) === JSON.stringify(['green', '7', 'a,b', 'y']), { message: 'the second viewer’s result' });
    await shots.take(b.page, 'second-viewer');

    // After a reload the widgets show the saved values.
    await a.page.reload();
    await a.page.locator('[data-testid=paragraph]').first().waitFor();
    await until(async () => JSON.stringify(await widgets(pForms)) === JSON.stringify({ c: 'green', n: '7', k: ['a', 'b'] }), { message: 'widgets after reload' });
    assert.deepEqual(await widgets(nForms), { g: 'y' });
    await shots.take(a.page, 'after-reload');

    // The text drops the chosen colour: the widget says so and shows what runs.
    await para.locator('.cm-content').click();
    await a.page.keyboard.press('Control+a');
    await a.page.keyboard.insertText(TEXT.replace('red|green|blue', 'red|blue').replace('${n=5}', '${n=6}'));
    const note2 = form(pForms, 'c').locator('[data-testid=form-note]');
    await until(async () => (await note2.isVisible()) && (await textOf(note2)).includes('“green” is no longer one of the options'), { message: 'the not-an-option note' });
    assert.equal(await form(pForms, 'c').locator('select').inputValue(), 'green');
    assert.equal(await form(pForms, 'n').locator('input').inputValue(), '7', 'a value the user set stays over a new default');
    await shots.take(a.page, 'not-an-option');

    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
});
