// End-to-end test that nothing a note holds runs as script in the page,
// against a real bin/eddy with its own local Flink cluster, in Chromium.
//
// The corpus: an imported Zeppelin note whose stored results carry markup
// of every kind Zeppelin stores (HTML, ANGULAR, TEXT, TABLE, SVG, IMG),
// Markdown with raw HTML and javascript: links, markup in the note's name,
// its folder, paragraph titles and dynamic forms; then Flink queries run
// from the page whose column names and values are markup (a table and a
// chart over them, hovered so tooltips render) and a failing statement
// whose error text echoes markup. Every payload, if it ran, would call
// window.__xss(n) (an exposed function that records n), set the title to
// pwned-n, or open a dialog; the page's securitypolicyviolation events are
// recorded too, so markup that reached the DOM alive but was stopped only
// by the Content-Security-Policy still fails the test. The same corpus is
// then opened through a share link's view and embed pages, and the embed
// page's framing rule is checked. Screenshots: e2e/artifacts/xss-*.png.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, paragraphs, statusOf, until, watch } from './harness.mjs';

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('xss-');

/** What ran or was stopped, over every page of the test. */
const seen = { executed: /** @type {string[]} */ ([]), violations: /** @type {string[]} */ ([]), dialogs: /** @type {string[]} */ ([]) };

/** CSP reports of markup parsed into an inert document (see guard): expected while sanitising, logged, not failures. */
const parsed = /** @type {string[]} */ ([]);

/** The payloads, by number, so a failure names the one that ran. */
const corpus = new Map();
/** p registers payload n (what it tests) and returns its markup, built by make(call) from the call that reports it. */
function p(n, what, make) {
  if (corpus.has(n)) throw new Error(`payload ${n} twice`);
  corpus.set(n, what);
  return make(`__xss(${n})`, n);
}

// Markup that runs script when parsed as HTML, in the forms sanitisers have
// missed over the years.
const htmlPayloads = (base) =>
  [
    p(base + 0, 'script element', (x) => `<script>${x}</script>`),
    p(base + 1, 'img onerror', (x) => `<img src=x onerror=${x}>`),
    p(base + 2, 'svg onload', (x) => `<svg onload=${x}><circle r=4></circle></svg>`),
    p(base + 3, 'javascript: link', (x, n) => `<a href="javascript:${x}" data-xss-click="${n}">javascript link</a>`),
    p(base + 4, 'entity-encoded javascript: link', (x, n) => `<a href="&#106;avascript&#58;${x}" data-xss-click="${n}">encoded link</a>`),
    p(base + 5, 'mouseover handler', (x, n) => `<div onmouseover=${x} data-xss-hover="${n}" style="padding:8px;border:1px dashed #c00">hover me</div>`),
    p(base + 6, 'iframe srcdoc', (x) => `<iframe srcdoc="<script>parent.${x}</script>"></iframe>`),
    p(base + 7, 'details ontoggle', (x) => `<details open ontoggle=${x}><summary>details</summary></details>`),
    p(base + 8, 'mXSS through math/style', (x) => `<math><mtext><table><mglyph><style><img src=x onerror=${x}></style></mglyph></table></mtext></math>`),
    p(base + 9, 'meta refresh to javascript:', (x) => `<meta http-equiv="refresh" content="0;url=javascript:${x}">`),
    p(base + 10, 'object data javascript:', (x) => `<object data="javascript:${x}"></object><embed src="javascript:${x}">`),
    p(base + 11, 'form action and autofocus', (x) => `<form action="javascript:${x}"><input autofocus onfocus=${x}><button>go</button></form>`),
    p(base + 12, 'svg animate onbegin', (x) => `<svg><animate onbegin=${x} attributeName=x dur=1s></animate></svg>`),
    p(base + 13, 'title via onerror', (_x, n) => `<img src=y onerror="document.title='pwned-${n}'">`),
    p(base + 14, 'svg script with xlink', (x) => `<svg><script xlink:href="data:,${x}"></script><a xlink:href="javascript:${x}"><text y=20>svg link</text></a></svg>`),
    p(base + 15, 'video source onerror', (x) => `<video><source onerror=${x}></video>`),
    p(base + 16, 'alert dialog', () => `<img src=z onerror=alert(${base + 16})>`),
    p(base + 17, 'base href', (_x, n) => `<base href="https://evil.example/${n}/">`),
  ].join('\n');

const markdown = [
  '# Markdown with markup',
  p(100, 'raw HTML in %md', (x) => `<img src=x onerror=${x}> and <script>${x}</script>`),
  p(101, 'markdown javascript: link', (x, n) => `[click me ${n}](javascript:${x})`),
  p(102, 'markdown javascript: image', (x) => `![pic](javascript:${x})`),
  p(103, 'markdown autolink javascript:', (x) => `<javascript:${x}>`),
  p(104, 'markdown link with quoted handler', (x) => `[q](https://example.com/" onmouseover="${x})`),
].join('\n\n');

const noteFolder = p(110, 'folder name', (x) => `Folder <img src=x onerror=${x}>`);
const noteName = p(111, 'note name', (x) => `Note <svg onload=${x}>`);
const paraTitle = (n) => p(n, `paragraph title ${n}`, (x) => `Title <img src=x onerror=${x}>`);

const tableHead = [p(120, 'stored table column name', (x) => `<img src=x onerror=${x}>`), p(121, 'stored table column name 2', (x) => `<b onmouseover=${x}>n</b>`)];
const tableRows = [
  [p(122, 'stored table value', (x) => `<svg onload=${x}>`), '3'],
  [p(123, 'stored %html table value', (x) => `%html<img src=x onerror=${x}><b>bold</b>`), '5'],
  [p(124, 'stored table value script', (x) => `<script>${x}</script>`), '2'],
];
const tsv = [tableHead, ...tableRows].map((r) => r.join('\t')).join('\n') + '\n';
/** A chart setting over the stored table: category = column 0, value = column 1. */
const barChart = (cols) => ({
  graph: { mode: 'multiBarChart', keys: [{ name: cols[0], index: 0, aggr: 'sum' }], values: [{ name: cols[1], index: 1, aggr: 'sum' }], groups: [] },
});

// Flink: column names and values that are markup, and an error that echoes markup.
const liveCols = [p(200, 'Flink column name', (x) => `<img src=x onerror=${x}>`), p(201, 'Flink column name 2', (x) => `<b onmouseover=${x}>n</b>`)];
const liveValues = [
  p(202, 'Flink value img', (x) => `<img src=x onerror=${x}>`),
  p(203, 'Flink value svg', (x) => `<svg onload=${x}>`),
  p(204, 'Flink %html value', (x) => `%html<img src=x onerror=${x}><i>html cell</i>`),
  p(205, 'Flink value script', (x) => `<script>${x}</script>`),
];
const sqlString = (s) => `'${s.replace(/'/g, "''")}'`;
const liveSelect =
  'SELECT * FROM (VALUES ' + liveValues.map((v, i) => `(${sqlString(v)}, ${i + 1})`).join(', ') + `) AS t(${liveCols.map((c) => '`' + c + '`').join(', ')})`;
const failing = p(206, 'Flink error text', (x) => `<img src=x onerror=${x}>`);

const htmlResult = htmlPayloads(0);
const angularResult = p(140, 'angular expression', (x) => `<div ng-app ng-init="${x}">{{constructor.constructor('${x}')()}}</div>`) + htmlPayloads(20);

/** The imported note: Zeppelin's shape, results stored as Zeppelin stores them. */
function zeppelinNote() {
  return {
    name: `/${noteFolder}/${noteName}`,
    paragraphs: [
      { title: paraTitle(130), config: { title: true }, text: '%md\n' + markdown, status: 'READY' },
      {
        title: paraTitle(131),
        config: { title: true },
        text: '%html\n' + htmlResult,
        status: 'FINISHED',
        results: { code: 'SUCCESS', msg: [{ type: 'HTML', data: htmlResult }] },
      },
      {
        text: '%angular\n<div ng-app>{{constructor.constructor("__xss(140)")()}}</div>',
        status: 'FINISHED',
        results: {
          code: 'SUCCESS',
          msg: [{ type: 'ANGULAR', data: angularResult }],
        },
      },
      {
        text: '%sh\necho markup',
        status: 'FINISHED',
        results: {
          code: 'SUCCESS',
          msg: [
            { type: 'TEXT', data: p(141, 'TEXT result', (x) => `<img src=x onerror=${x}> <script>${x}</script>`) },
            { type: 'SVG', data: p(142, 'SVG result', (x) => `<svg xmlns="http://www.w3.org/2000/svg" onload="${x}" width="60" height="20"><script>${x}</script><rect width="60" height="20" fill="#ddd"></rect></svg>`) },
            { type: 'IMG', data: p(143, 'IMG result data', (x) => `"><img src=x onerror=${x}>`) },
          ],
        },
      },
      {
        title: paraTitle(132),
        config: { title: true, results: { 0: { graph: { mode: 'table' } } } },
        text: '%flink.bsql\nSELECT 1',
        status: 'FINISHED',
        results: { code: 'SUCCESS', msg: [{ type: 'TABLE', data: tsv }] },
      },
      {
        config: { results: { 0: barChart(tableHead) } },
        text: '%flink.bsql\nSELECT 2',
        status: 'FINISHED',
        results: { code: 'SUCCESS', msg: [{ type: 'TABLE', data: tsv }] },
      },
      {
        text: '%flink.bsql\nSELECT 3',
        status: 'ERROR',
        results: { code: 'ERROR', msg: [{ type: 'TEXT', data: p(144, 'stored error text', (x) => `org.apache.flink.table.api.ValidationException: Object '<img src=x onerror=${x}>' not found\n\tat x.y(Z.java:1)`) }] },
      },
      {
        text: '%flink.bsql\nSELECT ' + sqlString(p(150, 'form default value', (x) => `\${v=<img src=x onerror=${x}>}`)) + ' AS v, ' + sqlString(p(151, 'form option label', (x) => `\${checkbox:c=a,a(<svg onload=${x}>)|b}`)) + ' AS c',
        status: 'READY',
      },
      // Run from the page below (Flink): a table and a chart over markup, and an error echoing markup.
      { title: paraTitle(133), config: { title: true, results: { 0: { graph: { mode: 'table' } } } }, text: '%flink.bsql\n' + liveSelect, status: 'READY' },
      { config: { results: { 0: barChart(liveCols) } }, text: '%flink.bsql\n' + liveSelect, status: 'READY' },
      { text: '%flink.bsql\nSELECT * FROM `' + failing + '`', status: 'READY' },
    ],
  };
}
/** The indices of the paragraphs run from the page. */
const RUN = { markdown: 0, table: 8, chart: 9, error: 10 };

/**
 * guard installs the detectors on a browser context: __xss(n) records that
 * payload n ran, CSP violations and dialogs are recorded, pages opened by
 * clicks are closed.
 *
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} where
 */
async function guard(context, where) {
  await context.exposeFunction('__xss', (n) => seen.executed.push(`${where}: payload ${n} (${corpus.get(n) ?? 'control'})`));
  await context.exposeFunction('__csp', (live, v) => (live ? seen.violations : parsed).push(`${where}: ${v}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      // @ts-ignore: exposed by the test
      // Chromium reports markup with handlers or <base> already when it is
      // parsed into an inert document (DOMParser, <template>: how any
      // sanitiser reads HTML), aimed at the document. Markup that reached
      // the page alive is reported at its element: only that is a failure.
      const t = e.target instanceof Element ? e.target : null;
      const at = t ? `${t.outerHTML.slice(0, 100)} inside ${t.parentElement?.closest('[class]')?.className ?? '?'}` : String(e.target?.nodeName);
      // @ts-ignore: exposed by the test
      window.__csp(t !== null, `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.documentURI.replace(/#.*/, '')}: ${at} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  context.on('page', (pg) => {
    pg.on('dialog', (d) => {
      seen.dialogs.push(`${where}: ${d.type()} ${d.message()}`);
      void d.dismiss();
    });
  });
}

/** pageErrors leaves out Chromium's console lines for CSP reports: the guard's listener judges those. */
const pageErrors = (errors) => errors.filter((e) => !/^console: .*Content Security Policy/.test(e));

/** titleCheck records a page title set by a payload. */
async function titleCheck(page, where) {
  const t = await page.title();
  if (/pwned/.test(t)) seen.executed.push(`${where}: title set to ${t}`);
}

/**
 * provoke does what a reader would: hovers every element a payload asked to
 * be hovered, every result block and table cell, the charts (so tooltips
 * render), and clicks every link a payload made, closing what opens.
 *
 * @param {import('playwright-core').Page} page
 */
async function provoke(page) {
  for (const sel of ['[data-xss-hover]', '.user-html', '[data-testid=result-table] th', '[data-testid=result-table] td', '[data-testid=chart] canvas', '.para-title', '[data-testid=error-mark]']) {
    const all = page.locator(sel);
    const n = Math.min(await all.count(), 40);
    for (let i = 0; i < n; i++) await all.nth(i).hover({ timeout: 2_000, force: true }).catch(() => {});
  }
  const charts = page.locator('[data-testid=chart] canvas');
  for (let i = 0; i < (await charts.count()); i++) {
    const box = await charts.nth(i).boundingBox();
    if (!box) continue;
    for (const fx of [0.25, 0.5, 0.75]) await page.mouse.move(box.x + box.width * fx, box.y + box.height * 0.6, { steps: 3 });
  }
  const links = page.locator('a[data-xss-click], .user-html a');
  const n = await links.count();
  for (let i = 0; i < n; i++) {
    const href = (await links.nth(i).getAttribute('href')) ?? '';
    assert.ok(!/^\s*(javascript|vbscript|data):/i.test(href), `a result link kept a script address: ${href}`);
    const popup = page.context().waitForEvent('page', { timeout: 1_500 }).catch(() => null);
    await links.nth(i).click({ timeout: 2_000, modifiers: [] }).catch(() => {});
    const opened = await popup;
    if (opened) await opened.close();
  }
}

/** mustShowCorpus checks that the markup is on the page as text or inert elements: the corpus really was rendered. */
async function mustShowCorpus(page) {
  const text = await page.locator('body').innerText();
  for (const want of ['javascript link', 'hover me', 'Markdown with markup', 'bold', 'Object \'<img src=x onerror=__xss(144)>\' not found']) {
    assert.ok(text.includes(want), `the page shows ${JSON.stringify(want)}`);
  }
}

before(async () => {
  eddy = await Eddy.start({ clean: 'xss-', logName: 'eddy-xss.log' });
  browser = await launchBrowser();
});

after(async () => {
  if (parsed.length) console.log(`${parsed.length} CSP reports of markup parsed inertly while sanitising (not failures), e.g. ${parsed[0]}`);
  await browser?.close();
  await eddy?.stop();
});

describe('an XSS corpus rendered in Chromium', () => {
  /** @type {import('playwright-core').Page} */
  let page;
  let errors;
  let noteId;

  before(async () => {
    noteId = await eddy.api('POST', '/api/notebook/import', zeppelinNote());
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await guard(context, 'note page');
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
  });

  test('the detectors work: markup put into the page by hand is stopped by the CSP, and runs where there is none', async () => {
    await eddy.openNote(page, noteId);
    await page.evaluate(() => {
      const d = document.createElement('div');
      d.innerHTML = '<img src=x onerror=__xss(9999)>';
      document.body.append(d);
      setTimeout(() => d.remove(), 500);
    });
    await until(() => seen.violations.some((v) => v.includes('script-src-attr') && v.includes('9999')), { timeout: 5_000, message: 'a CSP violation for an inline handler' });
    assert.deepEqual(seen.executed, [], 'the CSP stopped the inline handler');
    // The same markup on a page without Eddy's policy runs, and is seen.
    const bare = await page.context().newPage();
    await bare.setContent('<p>no policy</p>');
    await bare.evaluate(() => {
      document.body.innerHTML = '<img src=x onerror=__xss(9998)>';
    });
    await until(() => seen.executed.length > 0, { timeout: 5_000, message: 'the control payload to run' });
    await bare.close();
    seen.executed.length = 0;
    seen.violations.length = 0;
  });

  test('the home page lists the note by its folder and name as text', async () => {
    await page.goto(eddy.baseURL + '/');
    await page.waitForSelector('.home-page');
    const folder = page.getByText('Folder <img', { exact: false }).first();
    const note = page.getByText('Note <svg', { exact: false }).first();
    await folder.waitFor();
    if (!(await note.isVisible())) await folder.click();
    await note.waitFor();
    await titleCheck(page, 'home');
    await shots.take(page, 'home-names');
  });

  test('stored results, Markdown, titles and forms on the note page run nothing', async () => {
    await eddy.openNote(page, noteId);
    const ps = paragraphs(page);
    // Markdown is rendered by the server when run: run it from the page.
    await ps.nth(RUN.markdown).locator('[data-testid=run-paragraph]').click();
    await ps.nth(RUN.markdown).locator('h1', { hasText: 'Markdown with markup' }).waitFor({ timeout: 20_000 });
    await ps.nth(5).locator('[data-testid=chart] canvas').first().waitFor();
    await mustShowCorpus(page);
    await shots.take(page, 'note-top');
    await provoke(page);
    await titleCheck(page, 'note page');
    await shots.take(page, 'note-stored', { fullPage: true });
    assert.equal(await page.locator('.user-html script, .user-html iframe, .user-html object, .user-html embed, .user-html form, .user-html base, .user-html meta').count(), 0, 'no active elements survive sanitising');
    assert.equal(await page.locator('.user-html [onerror], .user-html [onload], .user-html [onmouseover], .user-html [ontoggle], .user-html [onbegin]').count(), 0, 'no handlers survive sanitising');
  });

  test('Flink results whose column names, values and errors are markup run nothing, live and reloaded', async () => {
    await eddy.mustClusterReady();
    const ps = paragraphs(page);
    for (const [i, want] of [[RUN.table, 'FINISHED'], [RUN.chart, 'FINISHED'], [RUN.error, 'ERROR']]) {
      await ps.nth(i).scrollIntoViewIfNeeded();
      await ps.nth(i).locator('[data-testid=run-paragraph]').click();
      await until(async () => (await statusOf(ps.nth(i))) === want, { timeout: 180_000, message: `paragraph ${i} ${want}` });
    }
    const table = ps.nth(RUN.table).locator('[data-testid=result-table]');
    await table.locator('td', { hasText: '<svg onload=' }).first().waitFor();
    await ps.nth(RUN.table).locator('.cell-html i', { hasText: 'html cell' }).waitFor();
    assert.ok((await table.locator('th').allInnerTexts()).some((t) => t.includes('<img src=x onerror=')), 'the column name shows as text');
    await ps.nth(RUN.chart).locator('[data-testid=chart] canvas').first().waitFor();
    const err = ps.nth(RUN.error).locator('[data-testid=result-error]');
    await err.waitFor();
    assert.match(await err.innerText(), /<img src=x onerror=__xss\(206\)>/, 'the error shows the markup as text');
    await provoke(page);
    // Hovering scrolled the page: show the live table.
    await ps.nth(RUN.table).scrollIntoViewIfNeeded();
    await shots.take(page, 'flink-live-table');
    await ps.nth(RUN.chart).scrollIntoViewIfNeeded();
    const box = await ps.nth(RUN.chart).locator('[data-testid=chart] canvas').first().boundingBox();
    if (box) await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6, { steps: 4 });
    await shots.take(page, 'flink-live-chart-tooltip');
    await ps.nth(RUN.error).scrollIntoViewIfNeeded();
    await shots.take(page, 'flink-live-error');
    // Reloaded: the same results from the store.
    await eddy.openNote(page, noteId);
    await paragraphs(page).nth(RUN.table).locator('[data-testid=result-table] td', { hasText: '<svg onload=' }).first().waitFor();
    await provoke(page);
    await titleCheck(page, 'note page reloaded');
    await shots.take(page, 'note-reloaded', { fullPage: true });
  });

  test('no payload ran, no CSP violation, no dialog, no page error on the note page', () => {
    assert.deepEqual(seen, { executed: [], violations: [], dialogs: [] });
    assert.deepEqual(pageErrors(errors), []);
  });

  describe('through share links', () => {
    /** @type {{url: string, token: string}} */
    let view;
    /** @type {{url: string, embedUrl?: string, token: string}} */
    let embed;
    let embedPid;

    before(async () => {
      const note = await eddy.api('GET', `/api/notebook/${noteId}`);
      embedPid = note.paragraphs[RUN.table].id;
      view = await eddy.api('POST', `/api/v1/notebook/${noteId}/shares`, { scope: 'view' });
      embed = await eddy.api('POST', `/api/v1/notebook/${noteId}/shares`, { scope: 'view', paragraphId: embedPid });
    });

    test('the shared view runs nothing', async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      await guard(context, 'shared view');
      const pg = await context.newPage();
      const errs = watch(pg);
      await pg.goto(new URL(view.url, eddy.baseURL).href);
      await pg.locator('[data-testid=shared-view]').waitFor();
      await paragraphs(pg).nth(RUN.table).locator('[data-testid=result-table] td', { hasText: '<svg onload=' }).first().waitFor();
      await mustShowCorpus(pg);
      await provoke(pg);
      await titleCheck(pg, 'shared view');
      await shots.take(pg, 'shared-view', { fullPage: true });
      await context.close();
      assert.deepEqual(seen, { executed: [], violations: [], dialogs: [] });
      assert.deepEqual(pageErrors(errs), []);
    });

    test('the embed view runs nothing, framed by Eddy; another site may not frame it', async () => {
      assert.ok(embed.embedUrl, 'a paragraph link has an embed form');
      const embedURL = new URL(/** @type {string} */ (embed.embedUrl), eddy.baseURL).href;
      const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
      await guard(context, 'embed view');
      const pg = await context.newPage();
      await pg.goto(embedURL);
      await pg.locator('[data-testid=shared-embed]').waitFor();
      await pg.locator('[data-testid=result-table] td', { hasText: '<svg onload=' }).first().waitFor();
      await provoke(pg);
      await titleCheck(pg, 'embed view');
      await shots.take(pg, 'embed-view');

      // Framed by a page of Eddy's own origin (frame-ancestors 'self'): it loads.
      await pg.goto(eddy.baseURL + '/healthz');
      await pg.evaluate((src) => {
        document.body.innerHTML = '';
        const f = document.createElement('iframe');
        f.src = src;
        f.width = '900';
        f.height = '500';
        document.body.append(f);
      }, embedURL);
      await until(async () => {
        const fr = pg.frames().find((f) => f.url().startsWith(embedURL.split('#')[0]));
        return fr && (await fr.locator('[data-testid=result-table] td', { hasText: '<svg onload=' }).count()) > 0;
      }, { timeout: 20_000, message: 'the embed view in a frame of Eddy' });
      await shots.take(pg, 'embed-framed-by-eddy');
      const before = seen.violations.length;

      // Framed by another origin: the browser refuses (a frame-ancestors violation in the frame, an error page).
      const other = http.createServer((_req, res) => {
        res.setHeader('Content-Type', 'text/html');
        res.end(`<p>another site</p><iframe src="${embedURL}" width="900" height="500"></iframe>`);
      });
      await new Promise((r) => other.listen(0, '127.0.0.1', r));
      try {
        // localhost is another origin than 127.0.0.1.
        const port = /** @type {import('node:net').AddressInfo} */ (other.address()).port;
        // Chromium says so on the console of the page that tried.
        const refused = pg.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()), timeout: 20_000 });
        await pg.goto(`http://localhost:${port}/`);
        assert.match((await refused).text(), /frame-ancestors 'self'.*blocked/);
        const framed = pg.frames().find((f) => f !== pg.mainFrame());
        const inside = framed ? await framed.locator('[data-testid=shared-embed]').count().catch(() => 0) : 0;
        await shots.take(pg, 'embed-refused-elsewhere');
        assert.equal(inside, 0, 'another site cannot show the embed view in a frame');
      } finally {
        other.close();
      }
      await context.close();
      // The refusal is a frame-ancestors report, the only violation allowed here.
      const extra = seen.violations.slice(before).filter((v) => !v.startsWith('embed view: frame-ancestors'));
      assert.deepEqual({ ...seen, violations: [...seen.violations.slice(0, before), ...extra] }, { executed: [], violations: [], dialogs: [] });
    });
  });

  test('the Flink web UI through Eddy loads under its headers', async () => {
    const before = seen.violations.length;
    await page.goto(eddy.baseURL + '/flink/');
    await page.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => {});
    await shots.take(page, 'flink-ui');
    assert.ok((await page.locator('body').innerText()).length > 0, 'the Flink UI shows something');
    assert.deepEqual(seen.violations.slice(before), []);
  });
});
