// End-to-end test of the example notes against a real bin/eddy with its
// local Flink cluster and Kafka broker: the home page lists the examples;
// the generator note writes stock ticks into Kafka; the analysis note reads
// them with event time and shows windows and a joined aggregate live, as
// table and chart. Screenshots go to e2e/artifacts/ex-NN-*.png.
//
//   npm run e2e        (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, until, watch } from './harness.mjs';

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('ex-');

before(async () => {
  eddy = await Eddy.start({ clean: 'ex-', logName: 'eddy-examples.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

const paras = (page) => page.locator('[data-testid=paragraph]');
const statusOf = async (p) => ((await p.locator('[data-testid=paragraph-status]').textContent({ timeout: 2_000 })) ?? '').trim().toLowerCase();

/** run clicks a paragraph's run button and waits until its status is one of want. */
async function run(p, want, timeout = 120_000) {
  await p.scrollIntoViewIfNeeded();
  await p.locator('[data-testid=run-paragraph]').click();
  await until(
    async () => {
      const st = await statusOf(p);
      if (st === 'error') throw new Error(`paragraph failed: ${await p.innerText()}`);
      return want.includes(st);
    },
    { timeout, message: `status ${want.join(' or ')}` },
  );
}

/** receivedRows waits until a running paragraph's live result has received rows. */
async function receivedRows(p, timeout = 120_000) {
  await until(
    async () => {
      if ((await statusOf(p)) === 'error') throw new Error(`paragraph failed: ${await p.innerText()}`);
      const stats = (await p.locator('[data-testid=result-stats]').textContent({ timeout: 1_000 }).catch(() => '')) ?? '';
      return /received [1-9]/.test(stats);
    },
    { timeout, message: 'live rows' },
  );
}

/** openExample clicks an example on the home page and waits for its note. */
async function openExample(page, name) {
  await page.goto(eddy.baseURL + '/');
  await page.locator(`[data-testid=open-example-${name}]`).click();
  await page.waitForURL(/\/notebook\//);
  await paras(page).first().waitFor();
  await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
}

describe('example notes (needs a ready Flink cluster and Kafka)', () => {
  let page;
  let errors;

  before(async () => {
    await eddy.mustClusterReady();
    await until(async () => (await eddy.cluster()).kafka?.ready === true, { timeout: 120_000, message: 'kafka ready' });
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
  });

  test('the home page lists the examples', async () => {
    const panel = page.locator('[data-testid=examples]');
    await panel.locator('[data-testid^=example-]').first().waitFor();
    assert.equal(await panel.locator('.example').count(), 3);
    assert.match(await panel.innerText(), /Stock ticks into Kafka/);
    await panel.scrollIntoViewIfNeeded();
    await shots.take(page, 'home-examples', { fullPage: true });
  });

  test('the generator note writes ticks into Kafka and shows them', async () => {
    await openExample(page, 'stock-ticks-into-kafka');
    assert.match(await page.locator('.crumbs').innerText(), /Stock ticks into Kafka/);
    const ps = paras(page);
    await run(ps.nth(1), ['finished']);
    await run(ps.nth(2), ['running']);
    await run(ps.nth(3), ['running']);
    await receivedRows(ps.nth(3));
    await shots.take(page, 'generator-running', { fullPage: true });
  });

  test('the analysis note shows event-time windows and a joined aggregate live', async () => {
    await openExample(page, 'stock-ticks-analysis');
    const ps = paras(page);
    await run(ps.nth(1), ['finished']);
    // Tumbling windows (a line chart per symbol) and the per-sector join (a bar chart).
    await run(ps.nth(2), ['running']);
    await run(ps.nth(5), ['running']);
    await receivedRows(ps.nth(5));
    await ps.nth(5).locator('[data-testid=chart]').waitFor();
    await receivedRows(ps.nth(2), 120_000); // the first window closes ~12 s after the first tick
    await ps.nth(2).locator('[data-testid=chart]').waitFor();
    await ps.nth(2).scrollIntoViewIfNeeded();
    await shots.take(page, 'analysis-windows');
    await ps.nth(5).scrollIntoViewIfNeeded();
    await shots.take(page, 'analysis-sectors');
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  test('kill -9 of the Kafka broker mid-query: the paragraph says why it stalled, the broker is restarted, the query resumes and a rerun works', async () => {
    const p = paras(page).nth(5); // per-sector join, reading the ticks topic; the generator note still writes it
    await p.scrollIntoViewIfNeeded();
    const before = await eddy.cluster();
    const pid = await eddy.kafkaBrokerPid();
    assert.ok(pid > 0, 'the local broker JVM is running');
    process.kill(pid, 'SIGKILL');

    const notice = p.locator('[data-testid=result-notice]');
    await until(async () => (await notice.getAttribute('data-level', { timeout: 1_000 }).catch(() => null)) === 'error', { timeout: 30_000, message: 'a notice that Kafka is unreachable' });
    // A probe may find the broker gone before the supervisor has seen it exit; the notice then
    // says so within a probe or two.
    await until(async () => /exited \(signal: killed\)/.test(await notice.innerText()), { timeout: 10_000, message: 'the notice names the broker\'s exit' });
    const down = await notice.innerText();
    assert.match(down, new RegExp(`The Kafka broker at ${before.kafka.bootstrap} is unreachable since`));
    assert.equal(await statusOf(p), 'running');
    await shots.take(page, 'kafka-killed');

    // The supervisor restarts the broker on the same port; the job's Kafka
    // clients reconnect and rows flow again.
    await until(
      async () => {
        const k = (await eddy.cluster()).kafka;
        return k.ready && k.restarts === (before.kafka.restarts ?? 0) + 1 && /signal: killed/.test(k.lastExit ?? '');
      },
      { timeout: 120_000, message: 'the broker restarted and ready' },
    );
    assert.notEqual(await eddy.kafkaBrokerPid(), pid);
    await until(async () => (await notice.getAttribute('data-level', { timeout: 1_000 }).catch(() => null)) === 'info', { timeout: 30_000, message: 'a notice that Kafka is back' });
    assert.match(await notice.innerText(), /was unreachable from .* It is back/);
    const received = async () => Number(/received ([\d,]+)/.exec((await p.locator('[data-testid=result-stats]').textContent()) ?? '')?.[1].replace(/,/g, '') ?? 0);
    const atBack = await received();
    await until(async () => (await received()) > atBack, { timeout: 90_000, message: 'rows after the restart' });
    await shots.take(page, 'kafka-back');

    // Cancel and rerun: a new job on the restarted broker shows rows.
    await p.locator('[data-testid=cancel-paragraph]').click();
    await until(async () => ['cancelled', 'finished', 'ready'].includes(await statusOf(p)), { timeout: 60_000, message: 'paragraph cancelled' });
    await run(p, ['running']);
    await receivedRows(p);
    assert.equal(await notice.count(), 0, 'a new run starts without the old notice');
    await shots.take(page, 'kafka-rerun');
  });

  test('stopping the notes ends their jobs', async () => {
    const notes = (await eddy.api('GET', '/api/notebook')).filter((n) => n.path.startsWith('/Examples/'));
    assert.equal(notes.length, 2);
    for (const n of notes) await eddy.api('DELETE', `/api/notebook/job/${n.id}`);
    await until(async () => (await eddy.cluster()).jobsRunning === 0, { timeout: 60_000, message: 'no job running' });
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
