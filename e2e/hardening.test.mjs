// End-to-end tests of what a hostile note or an unlucky start must not do
// to the page, against a real bin/eddy whose Flink cluster is unreachable
// (remote mode pointed at a closed port: no JVMs, quick to start):
// imported result HTML that positions itself over the app stays inside its
// cell; an imported job link is rebuilt on the cluster's own web UI; a
// Markdown paragraph renders without a notebook session. Screenshots go to
// e2e/artifacts/hard-NN-*.png.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, until, watch } from './harness.mjs';

const CLOSED = 'http://127.0.0.1:9';
const JOB = '0123456789abcdef0123456789abcdef';
const OVERLAY = 'position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:2147483647;background:rgba(200,0,0,0.92);color:#fff;font-size:40px';

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('hard-');

before(async () => {
  eddy = await Eddy.start({ args: ['--flink-gateway', CLOSED, '--flink-rest', CLOSED], clean: 'hard-', logName: 'eddy-hardening.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

describe('hostile results and sessionless Markdown (no Flink needed)', () => {
  let page;
  let errors;
  let noteId;

  before(async () => {
    const note = {
      name: 'Hostile results',
      paragraphs: [
        {
          text: '%md\n# Heading from Markdown',
          status: 'READY',
        },
        {
          text: "%flink.ssql\nSELECT '%html...' AS v",
          status: 'FINISHED',
          results: { code: 'SUCCESS', msg: [{ type: 'HTML', data: `<div data-overlay="html" style="${OVERLAY}">Session expired: enter your token</div>` }] },
          runtimeInfos: { jobUrl: { propertyName: 'jobUrl', label: 'FLINK JOB', values: [{ jobUrl: `https://evil.example/#/job/running/${JOB}/overview` }] } },
        },
        {
          text: "%flink.ssql\nSELECT '%html<div>' AS v",
          status: 'FINISHED',
          results: { code: 'SUCCESS', msg: [{ type: 'TABLE', data: `v\n%html<div data-overlay="cell" style="${OVERLAY}">cell overlay</div>\n` }] },
        },
      ],
    };
    noteId = await eddy.api('POST', '/api/notebook/import', note);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
    await page.goto(`${eddy.baseURL}/notebook/${noteId}`);
    await page.locator('[data-testid=paragraph]').first().waitFor();
  });

  test('result HTML positioned over the page stays inside its cell and takes no clicks', async () => {
    const p = page.locator('[data-testid=paragraph]');
    await p.nth(1).locator('[data-overlay=html]').waitFor();
    await p.nth(2).locator('[data-overlay=cell]').waitFor();
    await shots.take(page, 'overlay-contained');
    // What the user would click outside those results: the header, its
    // navigation, the first paragraph, the side panel. Each is itself.
    const hits = await page.evaluate(() =>
      ['.topbar', '[data-testid=nav-catalog]', '[data-testid=paragraph]', '[data-testid=run-paragraph]', '.side-panel'].map((sel) => {
        const el = document.querySelector(sel);
        if (!el) return `${sel}: missing`;
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + Math.min(r.width / 2, 40), r.top + Math.min(r.height / 2, 10));
        return hit && (el === hit || el.contains(hit)) ? null : `${sel}: covered by ${hit?.closest('[data-overlay]')?.getAttribute('data-overlay') ?? hit?.tagName}`;
      }),
    );
    assert.deepEqual(hits, [null, null, null, null, null], 'no overlay covers the page');
    // Each is clipped by a box that sits inside its paragraph.
    for (const [which, i] of [['html', 1], ['cell', 2]]) {
      // The visible box: the overlay's, cut by every clipping ancestor.
      const clip = await page.locator(`[data-overlay=${which}]`).evaluate((el) => {
        let { left, top, right, bottom } = el.getBoundingClientRect();
        for (let a = el.parentElement; a; a = a.parentElement) {
          const cs = getComputedStyle(a);
          if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible' || /paint|strict|content/.test(cs.contain)) {
            const r = a.getBoundingClientRect();
            left = Math.max(left, r.left);
            top = Math.max(top, r.top);
            right = Math.min(right, r.right);
            bottom = Math.min(bottom, r.bottom);
          }
        }
        return { x: left, y: top, width: right - left, height: bottom - top };
      });
      const para = await p.nth(i).boundingBox();
      assert.ok(clip && para && clip.y >= para.y && clip.y + clip.height <= para.y + para.height + 1 && clip.x >= para.x && clip.x + clip.width <= para.x + para.width + 1,
        `${which} overlay clipped inside its paragraph: ${JSON.stringify({ clip, para })}`);
    }
    await page.click('[data-testid=nav-catalog]');
    await page.waitForURL(/\/catalog$/);
    await page.goBack();
    await page.locator('[data-testid=paragraph]').first().waitFor();
  });

  test('an imported job link points at the cluster web UI through Eddy, never at the imported site', async () => {
    const link = page.locator('[data-testid=paragraph]').nth(1).locator('a', { hasText: 'Flink job' });
    await until(async () => (await link.getAttribute('href')) !== null, { message: 'a job link' });
    assert.equal(await link.getAttribute('href'), `/flink/#/job/running/${JOB}/overview`);
  });

  test('Markdown renders with the cluster down and opens no session', async () => {
    const md = page.locator('[data-testid=paragraph]').first();
    await md.locator('[data-testid=run-paragraph]').click();
    await md.locator('h1', { hasText: 'Heading from Markdown' }).waitFor({ timeout: 20_000 });
    // Not left "pending": the stored run says it finished.
    await until(async () => (await md.locator('[data-testid=paragraph-status]').textContent())?.trim().toLowerCase() === 'finished', { timeout: 5_000, message: 'status finished' });
    const sessions = await eddy.api('GET', '/api/v1/sessions');
    assert.equal(sessions.sessions.length, 0);
    assert.equal(sessions.kpusInUse, 0);
    const stored = await eddy.api('GET', `/api/notebook/${noteId}`);
    assert.equal(stored.paragraphs[0].status, 'FINISHED');
    await shots.take(page, 'markdown-no-session');
  });

  test('a second Eddy on the same host does not log the first out; the cookies hold no token', async () => {
    const other = await Eddy.start({ args: ['--flink-gateway', CLOSED, '--flink-rest', CLOSED], clean: false, logName: 'eddy-hardening-2.log' });
    try {
      await page.goto(other.loginURL);
      await page.waitForSelector('.home-page');
      const cookies = await page.context().cookies();
      const names = cookies.map((c) => c.name).sort();
      const port = (u) => new URL(u).port;
      for (const n of [`eddy_session_${port(eddy.baseURL)}`, `eddy_session_${port(other.baseURL)}`, `eddy_csrf_${port(eddy.baseURL)}`, `eddy_csrf_${port(other.baseURL)}`]) {
        assert.ok(names.includes(n), `cookie ${n} in ${names}`);
      }
      assert.ok(!cookies.some((c) => c.value.includes(eddy.token) || c.value.includes(other.token)), 'no cookie holds a token');
      // Back on the first: its session still works, reads and (with its CSRF cookie) writes.
      await page.goto(`${eddy.baseURL}/notebook/${noteId}`);
      await page.locator('[data-testid=paragraph]').first().waitFor();
      const status = await page.evaluate(async () => {
        const name = document.querySelector('meta[name="eddy-csrf-cookie"]').content;
        const csrf = document.cookie.split('; ').find((c) => c.startsWith(name + '='))?.split('=')[1] ?? '';
        const read = await fetch('/api/notebook');
        const write = await fetch('/api/notebook', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Eddy-CSRF': csrf }, body: JSON.stringify({ name: 'written after the second login' }) });
        return [read.status, write.status];
      });
      assert.deepEqual(status, [200, 200]);
    } finally {
      await other.stop();
    }
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
