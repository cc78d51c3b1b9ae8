// End-to-end test of the catalog panel against a real bin/eddy and its local
// Flink cluster: a note defines a temporary table with a watermark, a primary
// key and a secret-looking option; the panel, opened beside the paragraphs,
// lists it once the paragraph has finished (no manual refresh), shows its
// columns, key, watermark and connector with the secret masked, and a click
// on its name inserts the quoted name into the paragraph being edited.
// Screenshots go to e2e/artifacts/catalog-NN-*.png.
//
//   npm run e2e        (after npm run build and go build -o bin/eddy ./cmd/eddy)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Eddy, Shots, launchBrowser, until, watch, textOf } from './harness.mjs';

const DDL = [
  '%flink.ssql',
  'CREATE TEMPORARY TABLE orders_e2e (',
  '  order_id BIGINT NOT NULL,',
  '  customer STRING,',
  '  amount DECIMAL(10, 2),',
  '  order_time TIMESTAMP(3),',
  "  WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND,",
  '  PRIMARY KEY (order_id) NOT ENFORCED',
  ") WITH ('connector' = 'datagen', 'rows-per-second' = '5', 'password' = 'hunter2');",
].join('\n');

const QUERY = '%flink.ssql\nSELECT * FROM ';
const QUALIFIED = '`eddy`.`default`.`orders_e2e`';

/** @type {Eddy} */
let eddy;
/** @type {import('playwright-core').Browser} */
let browser;
const shots = new Shots('catalog-');

before(async () => {
  eddy = await Eddy.start({ clean: 'catalog-', logName: 'eddy-catalog.log' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await eddy?.stop();
});

/** text is an element's rendered text, whitespace collapsed. */
const text = (loc) => textOf(loc);

describe('the catalog panel (needs a ready Flink cluster)', () => {
  let page;
  let errors;
  let noteId;
  const paras = () => page.locator('[data-testid=paragraph]');
  const panel = () => page.locator('[data-testid=catalog-panel]');
  const orders = () => panel().locator('[data-testid=catalog-object][data-name=orders_e2e]');

  before(async () => {
    await eddy.mustClusterReady();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    errors = watch(page);
    await page.goto(eddy.loginURL);
    await page.waitForSelector('.home-page');
    noteId = await eddy.api('POST', '/api/notebook', { name: '/e2e/catalog/Orders', paragraphs: [{ text: DDL }, { text: QUERY }] });
    await page.goto(`${eddy.baseURL}/notebook/${noteId}`);
    await paras().first().waitFor();
    await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
  });

  test('the panel starts closed; opened, it shows the catalogs without a session', async () => {
    assert.equal(await panel().locator('[data-testid=catalog-tree]').isHidden(), true);
    await page.click('[data-testid=catalog-toggle]');
    const db = panel().locator('[data-testid=catalog-database][data-name=default]');
    await db.waitFor({ timeout: 30_000 });
    assert.match(await text(db), /current/i);
    assert.equal(await orders().count(), 0, 'no session yet: the note has no temporary table');
    await shots.take(page, 'panel-before-run');
  });

  test('running the CREATE TEMPORARY TABLE paragraph refreshes the panel by itself', async () => {
    await paras().first().locator('.cm-content').click();
    await page.keyboard.press('Shift+Enter');
    const status = paras().first().locator('[data-testid=paragraph-status]');
    await until(async () => (await status.textContent())?.trim() === 'finished', { timeout: 120_000, message: 'the DDL paragraph to finish' });
    await orders().waitFor({ timeout: 20_000 });
    assert.equal(await orders().getAttribute('data-kind'), 'table');
    await shots.take(page, 'table-listed');
  });

  test('expanding the table shows its columns, key, watermark and connector, the secret masked', async () => {
    await orders().locator('[data-testid=catalog-expand]').click();
    const details = orders().locator('[data-testid=catalog-details]');
    await details.waitFor({ timeout: 20_000 });
    const cols = await text(details.locator('[data-testid=catalog-columns]'));
    for (const want of ['order_id', 'BIGINT', 'NOT NULL', 'customer', 'STRING', 'amount', 'DECIMAL(10, 2)', 'order_time', 'TIMESTAMP(3) *ROWTIME*']) assert.ok(cols.includes(want), `columns lack ${want}: ${cols}`);
    assert.match(await text(details.locator('[data-testid=catalog-pk]')), /order_id/);
    assert.match(await text(details.locator('[data-testid=catalog-watermark]')), /order_time: `order_time` - INTERVAL '5' SECOND/);
    assert.equal(await text(details.locator('[data-testid=catalog-connector]')), 'datagen');
    const secret = details.locator('[data-option=password] td').nth(1);
    assert.equal(await text(secret), '******');
    assert.ok(!(await text(details)).includes('hunter2'), 'the password is shown');
    assert.match(await text(details), /temporary/i);
    // A refresh of the panel (the session's state changed) may swap the node under the locator.
    await until(async () => orders().scrollIntoViewIfNeeded({ timeout: 2_000 }).then(() => true, () => false), { message: 'the table in view' });
    await shots.take(page, 'table-details');
  });

  test('clicking the name inserts it, quoted, at the cursor of the paragraph being edited', async () => {
    const editor = paras().nth(1).locator('.cm-content');
    await editor.click();
    await page.keyboard.press('Control+End');
    await orders().locator('[data-testid=catalog-insert]').click();
    await until(async () => (await editor.textContent())?.includes(QUALIFIED), { message: 'the inserted name in the editor' });
    // The cursor stays after the name: typing goes on from there.
    await page.keyboard.insertText(' LIMIT 1');
    await until(async () => (await page.textContent('[data-testid=save-state]')) === 'All changes saved', { message: 'autosave' });
    const stored = await eddy.api('GET', `/api/notebook/${noteId}`);
    assert.equal(stored.paragraphs[1].text, `${QUERY}${QUALIFIED} LIMIT 1`);
    assert.equal(stored.paragraphs[0].text, DDL, 'the DDL paragraph is untouched');
    await shots.take(page, 'name-inserted');
  });

  test('the REST API describes the same table', async () => {
    const obj = await eddy.api('GET', `/api/v1/notebook/${noteId}/catalog/eddy/default/orders_e2e`);
    assert.deepEqual(obj.primaryKey, ['order_id']);
    assert.equal(obj.temporary, true);
    assert.equal(obj.options.find((o) => o.key === 'password')?.value, '******');
  });

  test('the catalog page lists a permanent table made in a note, as every note sees it', async () => {
    const id = await eddy.api('POST', '/api/notebook', {
      name: '/e2e/catalog/Permanent',
      paragraphs: [{ text: "%flink.ssql\nCREATE TABLE perm_e2e (id BIGINT, name STRING, PRIMARY KEY (id) NOT ENFORCED) COMMENT 'kept' WITH ('connector' = 'datagen')" }],
    });
    const note = await eddy.api('GET', `/api/notebook/${id}`);
    await eddy.api('POST', `/api/notebook/run/${id}/${note.paragraphs[0].id}`);
    await page.click('[data-testid=nav-catalog]');
    await page.waitForURL(/\/catalog$/);
    const cat = page.locator('[data-testid=catalog-page]');
    const perm = cat.locator('[data-testid=catalog-object][data-name=perm_e2e]');
    await perm.waitFor({ timeout: 30_000 });
    assert.equal(await cat.locator('[data-testid=catalog-object][data-name=orders_e2e]').count(), 0, "another note's temporary table is not listed");
    await perm.locator('[data-testid=catalog-expand]').click();
    const details = perm.locator('[data-testid=catalog-details]');
    await details.waitFor({ timeout: 20_000 });
    assert.match(await text(details), /id/);
    assert.match(await text(details.locator('[data-testid=catalog-pk]')), /id/);
    assert.doesNotMatch(await text(details), /temporary/i);
    await shots.take(page, 'page');
  });

  test('the catalog page lists the connectors; a suggested format added there (checksum, restart) is known to a new note', async () => {
    const conns = page.locator('[data-testid=connectors]');
    await conns.locator('[data-testid=connector]').first().waitFor({ timeout: 20_000 });
    assert.match(await text(conns), /flink-sql-connector-kafka-5\.0\.0-2\.2\.jar/);
    const avro = conns.locator('[data-testid=connector-suggestion]', { hasText: 'flink-sql-avro-confluent-registry' });
    await avro.scrollIntoViewIfNeeded();
    await shots.take(page, 'connectors', { fullPage: true });

    // Before: planning a Kafka sink in the Confluent Avro format fails, the format is unknown.
    const cluster = await eddy.cluster();
    const sink = `CREATE TEMPORARY TABLE s (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'avro_e2e', 'properties.bootstrap.servers' = '${cluster.kafka.bootstrap}', 'format' = 'avro-confluent', 'avro-confluent.url' = 'http://127.0.0.1:9');`;
    const explain = async () => {
      const id = await eddy.api('POST', '/api/notebook', { name: `/e2e/catalog/Avro ${Date.now()}`, paragraphs: [{ text: `%flink.ssql\n${sink}\nEXPLAIN INSERT INTO s VALUES (1, 'a')` }] });
      const note = await eddy.api('GET', `/api/notebook/${id}`);
      const r = await eddy.api('POST', `/api/notebook/run/${id}/${note.paragraphs[0].id}`).catch((e) => ({ error: e.message }));
      await eddy.api('DELETE', `/api/notebook/${id}`);
      return r;
    };
    const before = await explain();
    assert.match(before.error ?? '', /avro-confluent/);

    await avro.locator('[data-testid=add-suggested]').click();
    assert.match(await text(page.locator('.dialog')), /restart the Flink JVMs/);
    await page.click('[data-testid=dialog-ok]');
    await conns.locator('[data-testid=connectors-status]').waitFor();
    assert.match(await text(conns.locator('[data-testid=connectors-status]')), /restarting Flink/);
    await shots.take(page, 'connector-adding');
    await until(async () => /installed/i.test(await text(avro)), { timeout: 240_000, message: 'the Confluent Avro format installed' });
    assert.match(await text(conns), /flink-sql-avro-confluent-registry-2\.3\.0\.jar added/i);
    await shots.take(page, 'connector-added', { fullPage: true });

    await eddy.mustClusterReady();
    const after = await explain();
    assert.equal(after.error, undefined, `EXPLAIN after the add: ${after.error}`);
    assert.match(after.msg.map((m) => m.data).join('\n'), /avro_e2e|Sink/);
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
