// End-to-end test of sharing and access control against a real bin/eddy and
// its local Flink cluster: the sign-in page; the owner runs a streaming
// COUNT(*) over a datagen table and makes a view link in the Share dialog; a
// second browser context with no cookies opens the link and sees the count
// grow live with no control to run, edit, cancel or add, and its attempts
// to run or edit through the API with the link's token are refused 403; a
// paragraph link's embed form shows the live table inside an iframe of
// another page; the owner revokes the view link, the viewer's websocket is
// closed and the page (and a reload) says the link does not open; the
// note's permissions set in the same dialog; an API token made, used and
// revoked; the admin's Users and Audit pages. Screenshots go to e2e/artifacts/sharing-NN-*.png.
//
//   node --test --test-concurrency=1 e2e/sharing.test.mjs
//   (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, paragraphs, statusOf, textOf, until, watch } from './harness.mjs';

const COUNT = [
  '%flink.ssql(type=update)',
  // IF NOT EXISTS: the run link runs the paragraph again in the same session.
  "CREATE TEMPORARY TABLE IF NOT EXISTS ticks (k INT) WITH ('connector'='datagen','rows-per-second'='5');",
  "SET 'parallelism.default' = '1';",
  'SELECT COUNT(*) AS n FROM ticks',
].join('\n');

const MEMBER = { name: 'bea', password: 'correct horse battery' };

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('sharing-');

/**
 * The page of another site that embeds a paragraph: served by the test on
 * its own port (another origin), which Eddy is told may frame the embed view.
 */
const hostSite = { server: createServer(), origin: '', embedUrl: '' };
hostSite.server.on('request', (req, res) => {
  const src = hostSite.embedUrl.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><body style="margin:0;font-family:sans-serif;background:#eef0f3"><h2 style="margin:12px 16px">A wiki page embedding a live count</h2><iframe id="eddy" src="${src}" width="860" height="420" style="border:1px solid #ccd;margin:0 16px;background:#fff"></iframe></body></html>`);
});

before(async () => {
  await new Promise((resolve) => hostSite.server.listen(0, '127.0.0.1', resolve));
  hostSite.origin = `http://127.0.0.1:${hostSite.server.address().port}`;
  eddy = await Eddy.start({ args: ['--kpu-capacity', '8', '--embed-frame-ancestors', hostSite.origin], clean: 'sharing-', logName: 'eddy-sharing.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
  hostSite.server.close();
});

/** asLink calls the REST API with a share link's token, as a script that copied it would. */
async function asLink(token, method, p, body) {
  const r = await fetch(eddy.baseURL + p, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r.status;
}

/** countOf reads the single COUNT(*) cell of a paragraph's live table; NaN before it has one. */
async function countOf(p) {
  const cell = p.locator('[data-testid=result-table] tr.rt-row td:not(.rt-fill)').first();
  if ((await cell.count()) === 0) return NaN;
  return Number(((await cell.textContent({ timeout: 2_000 })) ?? '').replace(/[^\d]/g, ''));
}

describe('Sign-in', () => {
  test('a browser without a session gets the sign-in form; a wrong password is refused in the server’s words; the right one shows who is signed in', async () => {
    await eddy.api('POST', '/api/v1/users', { ...MEMBER, role: 'member' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watch(page);
    try {
      await page.goto(`${eddy.baseURL}/catalog`);
      await page.waitForSelector('[data-testid=login-page]');
      await page.fill('[data-testid=login-name]', MEMBER.name);
      await page.fill('[data-testid=login-password]', 'wrong');
      await page.click('[data-testid=login-submit]');
      await page.waitForSelector('[data-testid=login-error]:not([hidden])');
      assert.equal(await textOf(page.locator('[data-testid=login-error]')), 'wrong name or password');
      await shots.take(page, 'login');
      await page.fill('[data-testid=login-password]', MEMBER.password);
      await page.click('[data-testid=login-submit]');
      // Back where the user was going, signed in.
      await page.waitForSelector('[data-testid=account-who]');
      assert.equal(new URL(page.url()).pathname, '/catalog');
      assert.equal(await page.locator('[data-testid=account-who] .account-name').textContent(), MEMBER.name);
      assert.equal(await page.locator('[data-testid=account-who] .role-badge').getAttribute('data-role'), 'member');
      assert.equal(await page.locator('[data-testid=nav-users]').count(), 0, 'a member has no Users page');
      assert.equal(await page.locator('[data-testid=nav-tokens]').count(), 1);
      await page.click('[data-testid=sign-out]');
      await page.waitForSelector('[data-testid=login-page]');
      const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
      assert.equal(me, 401, 'signed out: the session no longer holds');
      assert.deepEqual(errors.filter((e) => !/401|Unauthorized/i.test(e)), []);
    } finally {
      await context.close();
    }
  });
});

describe('Sharing a streaming note (needs a ready Flink cluster)', () => {
  /** @type {import('playwright-core').Page} */
  let owner;
  let ownerErrors;
  let noteId = '';
  let pid = '';

  before(async () => {
    await eddy.mustClusterReady();
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    owner = await context.newPage();
    ownerErrors = watch(owner);
    await owner.goto(eddy.loginURL);
    await owner.waitForSelector('.home-page');
    noteId = await eddy.api('POST', '/api/notebook', { name: '/e2e/sharing/Ticks', paragraphs: [{ text: COUNT }] });
    await eddy.openNote(owner, noteId);
    const p = paragraphs(owner).first();
    pid = (await p.getAttribute('data-paragraph-id')) ?? '';
    await p.locator('[data-testid=run-paragraph]').click();
    await until(async () => (await statusOf(p)) === 'RUNNING' && (await countOf(p)) > 0, { timeout: 150_000, interval: 500, message: 'the count running' });
  });

  after(async () => {
    if (noteId) await eddy.api('DELETE', `/api/notebook/job/${noteId}/${pid}`).catch(() => undefined);
  });

  test('a view link shows the note live and read-only to a browser with no cookies; the link cannot run or edit; revoking it closes the viewer', async () => {
    // The owner creates a view link of the whole note in the Share dialog.
    await owner.locator('[data-testid=share-button]').waitFor({ state: 'visible' });
    await owner.click('[data-testid=share-button]');
    const dialog = owner.locator('[data-testid=share-dialog]');
    await dialog.waitFor();
    await dialog.locator('[data-testid=share-scope]').selectOption('view');
    await dialog.locator('[data-testid=share-target]').selectOption('');
    await dialog.locator('[data-testid=share-create]').click();
    const urlField = dialog.locator('[data-testid=share-url]');
    await urlField.waitFor();
    const url = await urlField.inputValue();
    assert.match(url, new RegExp(`^${eddy.baseURL}/view/${noteId}#share=[^&]+$`));
    const token = new URL(url).hash.replace('#share=', '');
    await until(async () => (await dialog.locator('[data-testid=share-row]').count()) === 1, { message: 'the link listed' });
    await shots.take(owner, 'share-dialog');

    // A second browser, no cookies, opens the link.
    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const viewer = await viewerContext.newPage();
    const viewerErrors = watch(viewer);
    const sockets = [];
    viewer.on('websocket', (ws) => sockets.push(ws));
    try {
      await viewer.goto(url);
      await viewer.waitForSelector('[data-testid=shared-view]');
      assert.equal(new URL(viewer.url()).hash, '', 'the token left the address bar');
      await until(async () => (await viewer.textContent('[data-testid=conn-state]')) === 'Live', { message: 'the viewer’s websocket' });
      const vp = paragraphs(viewer).first();
      await until(async () => (await countOf(vp)) > 0, { timeout: 30_000, message: 'the count shown to the viewer' });
      const first = await countOf(vp);
      await until(async () => (await countOf(vp)) > first, { timeout: 30_000, message: 'the count growing live for the viewer' });
      assert.equal(await viewer.locator('[data-testid=shared-scope]').getAttribute('data-scope'), 'view');
      for (const id of ['run-paragraph', 'cancel-paragraph', 'paragraph-menu', 'toggle-editor', 'add-paragraph', 'add-paragraph-bottom', 'run-all', 'share-button']) {
        assert.equal(await viewer.locator(`[data-testid=${id}]`).count(), 0, `no ${id} for a view link`);
      }
      assert.equal(await viewer.locator('.insert-btn').count(), 0, 'no insert buttons');
      const editor = vp.locator('.cm-content');
      assert.equal(await editor.getAttribute('contenteditable'), 'false', 'the editor is not editable');
      const textBefore = await editor.textContent();
      await editor.click();
      await viewer.keyboard.type('DROP TABLE x;');
      assert.equal(await editor.textContent(), textBefore, 'typing changes nothing');
      await shots.take(viewer, 'shared-view');

      // The link's token through the API: read yes, run and edit no.
      assert.equal(await asLink(token, 'GET', `/api/notebook/${noteId}`), 200);
      assert.equal(await asLink(token, 'POST', `/api/notebook/job/${noteId}/${pid}`), 403, 'run refused');
      assert.equal(await asLink(token, 'DELETE', `/api/notebook/job/${noteId}/${pid}`), 403, 'cancel refused');
      assert.equal(await asLink(token, 'PUT', `/api/notebook/${noteId}/paragraph/${pid}`, { text: '%md\nowned' }), 403, 'edit refused');
      assert.equal(await asLink(token, 'POST', `/api/notebook/${noteId}/paragraph`, { title: 'x', text: '%md x' }), 403, 'add refused');
      // The reads above left the note as it was.
      assert.equal((await eddy.api('GET', `/api/notebook/${noteId}`)).paragraphs[0].text, COUNT);

      // The owner revokes the link: the viewer's websocket is closed and the page says so.
      await owner.bringToFront();
      await dialog.locator('[data-testid=share-row] [data-testid=share-revoke]').click();
      await owner.click('[data-testid=dialog-ok]');
      await until(async () => (await dialog.locator('[data-testid=share-row]').count()) === 0, { message: 'the link gone from the list' });
      await until(async () => sockets.length > 0 && sockets.every((s) => s.isClosed()), { timeout: 10_000, message: 'the viewer’s websocket closed' });
      await viewer.waitForSelector('[data-testid=share-error]', { timeout: 15_000 });
      assert.match(await textOf(viewer.locator('[data-testid=share-error]')), /revoked/);
      assert.equal(await paragraphs(viewer).count(), 0, 'the results are gone');
      await viewer.reload();
      await viewer.waitForSelector('[data-testid=share-error]');
      assert.equal(await paragraphs(viewer).count(), 0);
      await shots.take(viewer, 'revoked');
      assert.equal(await asLink(token, 'GET', `/api/notebook/${noteId}`), 401, 'the revoked token reads nothing');
      assert.deepEqual(viewerErrors.filter((e) => !/40[13]|Unauthorized|Forbidden|WebSocket/i.test(e)), []);
    } finally {
      await viewerContext.close();
    }
    await dialog.locator('[data-testid=share-close]').click();
  });

  test('a paragraph link’s embed form shows the live table alone inside an iframe of another page', async () => {
    await owner.click('[data-testid=share-button]');
    const dialog = owner.locator('[data-testid=share-dialog]');
    await dialog.locator('[data-testid=share-target]').selectOption(pid);
    await dialog.locator('[data-testid=share-create]').click();
    const embedField = dialog.locator('[data-testid=share-embed-url]');
    await embedField.waitFor();
    const embedUrl = await embedField.inputValue();
    assert.match(embedUrl, new RegExp(`^${eddy.baseURL}/embed/${noteId}/${pid}#share=`));
    assert.match(await dialog.locator('[data-testid=share-embed-snippet]').inputValue(), /^<iframe src="[^"]+\/embed\//);
    // The same dialog sets who may read the note: the member gets read access.
    await dialog.locator('[data-testid=perm-readers]').fill(`admin, ${MEMBER.name}`);
    await dialog.locator('[data-testid=perm-save]').click();
    await until(async () => (await textOf(dialog.locator('[data-testid=permissions-state]'))) === 'Saved.', { message: 'permissions saved' });
    const perms = await eddy.api('GET', `/api/notebook/${noteId}/permissions`);
    assert.deepEqual(perms.readers, ['admin', MEMBER.name]);
    assert.deepEqual(perms.owners, ['admin']);
    await dialog.locator('[data-testid=share-close]').click();

    // Another site's page, in a browser with no Eddy cookie, embeds it.
    hostSite.embedUrl = embedUrl;
    const hostContext = await browser.newContext({ viewport: { width: 900, height: 560 } });
    const host = await hostContext.newPage();
    try {
      await host.goto(`${hostSite.origin}/wiki.html`);
      const frame = host.frameLocator('#eddy');
      await frame.locator('[data-testid=shared-embed]').waitFor({ timeout: 20_000 });
      const ep = frame.locator('[data-testid=paragraph]');
      await until(async () => (await countOf(ep)) > 0, { timeout: 30_000, message: 'the embedded count' });
      const first = await countOf(ep);
      await until(async () => (await countOf(ep)) > first, { timeout: 30_000, message: 'the embedded count growing' });
      assert.equal(await ep.count(), 1);
      assert.equal(await frame.locator('.para-head').count(), 0, 'no paragraph header');
      assert.equal(await frame.locator('.cm-editor').count(), 0, 'no editor');
      assert.equal(await frame.locator('.topbar').count(), 0, 'no app chrome');
      await shots.take(host, 'embed');
    } finally {
      await hostContext.close();
    }
  });

  test('the admin manages users and reads the audit log', async () => {
    await owner.click('[data-testid=nav-users]');
    await owner.waitForSelector('[data-testid=users-table]');
    assert.ok((await owner.locator(`[data-testid=user-row][data-user=${MEMBER.name}]`).count()) === 1, 'the member made earlier is listed');
    await owner.fill('[data-testid=user-name]', 'cato');
    await owner.fill('[data-testid=user-password]', 'another long password');
    await owner.selectOption('[data-testid=user-role]', 'admin');
    await owner.click('[data-testid=user-create]');
    await owner.waitForSelector('[data-testid=user-row][data-user=cato]');
    await shots.take(owner, 'admin-users');
    await owner.click('[data-testid=user-row][data-user=cato] [data-testid=user-delete]');
    await owner.click('[data-testid=dialog-ok]');
    await until(async () => (await owner.locator('[data-testid=user-row][data-user=cato]').count()) === 0, { message: 'cato deleted' });

    // A personal API token: shown once, acts as its user, revoked at once.
    await owner.click('[data-testid=nav-tokens]');
    await owner.fill('[data-testid=token-name]', 'ci pipeline');
    await owner.click('[data-testid=token-create]');
    const tokenField = owner.locator('[data-testid=token-value]');
    await tokenField.waitFor();
    const apiToken = await tokenField.inputValue();
    const meWith = async (t) => (await fetch(eddy.baseURL + '/api/v1/me', { headers: { Authorization: `Bearer ${t}` } })).status;
    assert.equal(await meWith(apiToken), 200);
    await owner.click('[data-testid=token-row] [data-testid=token-revoke]');
    await owner.click('[data-testid=dialog-ok]');
    await owner.waitForSelector('[data-testid=tokens-none]');
    assert.equal(await meWith(apiToken), 401, 'a revoked token is refused');

    await owner.click('[data-testid=nav-audit]');
    await owner.waitForSelector('[data-testid=audit-row]');
    const actions = await owner.locator('[data-testid=audit-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    for (const a of ['share-created', 'share-used', 'share-revoked', 'permissions-changed', 'user-created', 'user-deleted', 'token-created', 'token-revoked', 'login', 'login-failed', 'logout', 'run']) assert.ok(actions.includes(a), `audit has ${a}: ${actions.join(', ')}`);
    // Newest first: the token revoked last comes before the link revoked earlier.
    assert.ok(actions.indexOf('token-revoked') < actions.indexOf('share-revoked'), 'newest first');
    await shots.take(owner, 'audit');
    assert.deepEqual(ownerErrors, []);
  });

  test('a run link shows Run and Cancel and nothing to edit, and they work; an edit link opens the note page itself', async () => {
    const link = async (scope) => {
      const created = await eddy.api('POST', `/api/v1/notebook/${noteId}/shares`, { scope });
      assert.ok(created.url, `a ${scope} link: ${JSON.stringify(created)}`);
      return created.url;
    };
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    try {
      await page.goto(await link('run'));
      await page.waitForSelector('[data-testid=shared-view][data-scope=run]');
      await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
      const p = paragraphs(page).first();
      await until(async () => (await statusOf(p)) === 'RUNNING', { message: 'the running paragraph' });
      for (const id of ['paragraph-menu', 'toggle-editor', 'add-paragraph', 'add-paragraph-bottom', 'share-button']) assert.equal(await page.locator(`[data-testid=${id}]`).count(), 0, `no ${id} for a run link`);
      assert.equal(await p.locator('.cm-content').getAttribute('contenteditable'), 'false');
      await p.locator('[data-testid=cancel-paragraph]').click();
      await until(async () => !['RUNNING', 'PENDING'].includes(await statusOf(p)), { timeout: 60_000, message: 'cancelled through the run link' });
      await p.locator('[data-testid=run-paragraph]').click();
      await until(async () => (await statusOf(p)) === 'RUNNING' && (await countOf(p)) > 0, { timeout: 120_000, interval: 500, message: 'run again through the run link' });
      await shots.take(page, 'run-link');

      await page.goto(await link('edit'));
      await page.waitForSelector('[data-testid=add-paragraph]');
      await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
      assert.equal(await page.locator('[data-testid=shared-view]').count(), 0, 'the note page, not the shared view');
      assert.equal(await paragraphs(page).first().locator('.cm-content').getAttribute('contenteditable'), 'true');
      assert.equal(await page.locator('[data-testid=share-button]').isHidden(), true, 'sharing stays with the owners');
    } finally {
      await context.close();
    }
  });

  test('a run link cannot edit through a run that carries text', async () => {
    const { url } = await eddy.api('POST', `/api/v1/notebook/${noteId}/shares`, { scope: 'run' });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(url);
      await page.waitForSelector('[data-testid=shared-view][data-scope=run]');
      // A run that carries text would be an edit: over the websocket, with the run link's token, it is refused.
      const reply = await page.evaluate(
        async ({ noteId, pid }) => {
          const token = sessionStorage.getItem('eddy.share');
          const ws = new WebSocket(`ws://${location.host}/ws`, ['eddy', 'bearer.' + token]);
          /** next resolves with the first message that pred accepts. */
          const next = (pred) =>
            new Promise((resolve) => {
              const on = (ev) => {
                const m = JSON.parse(ev.data);
                if (!pred(m)) return;
                ws.removeEventListener('message', on);
                resolve(m);
              };
              ws.addEventListener('message', on);
            });
          await new Promise((resolve, reject) => {
            ws.onopen = resolve;
            ws.onerror = reject;
          });
          const welcome = next((m) => m.op === 'welcome');
          ws.send(JSON.stringify({ op: 'hello', protocol: 2, client: 'e2e' }));
          await welcome;
          const answer = next((m) => m.reqId === 'edit-by-run');
          ws.send(JSON.stringify({ op: 'run', reqId: 'edit-by-run', noteId, paragraphId: pid, text: '%md\nchanged through a run link' }));
          const m = await answer;
          ws.close();
          return m;
        },
        { noteId, pid },
      );
      assert.equal((await eddy.api('GET', `/api/notebook/${noteId}`)).paragraphs[0].text, COUNT, `the text is unchanged (the reply: ${JSON.stringify(reply)})`);
      assert.equal(reply.op, 'error');
      assert.equal(reply.code, 'forbidden', `refused as an edit: ${JSON.stringify(reply)}`);
    } finally {
      await context.close();
    }
  });
});
