// Freshness benchmark: how long after an event happens does the browser show
// it? One command:
//
//   node bench/freshness/run.mjs [--bin bin/eddy] [--baseline-bin PATH]
//        [--rates 1000,100000] [--warmup 15] [--seconds 30]
//        [--flink-gateway URL --flink-rest URL] [--set KEY=VALUE ...]
//
// For each binary (the one under test and, if given, a baseline built from
// an older commit) it starts `eddy serve` on 127.0.0.1 with a temp data dir,
// and for each rate creates a note whose query is a streaming aggregation over
// a datagen table whose rows carry the time they were made (LOCALTIMESTAMP,
// ms precision, UTC), opens the note in Chromium and, from a MutationObserver
// on the query's paragraph, records Date.now() minus the event time of every
// newly shown value (one machine, one clock). It prints p50/p99 per rate,
// the events per second the query reached (from its COUNT column) and
// PASS/FAIL for the goal p50 <= 500 ms at 1,000 events/s.
//
// Without --flink-gateway (or EDDY_TEST_FLINK_GATEWAY/EDDY_TEST_FLINK_REST
// in the environment) Eddy runs in local mode and starts its own Flink
// cluster (no Kafka); with them it uses that cluster (remote mode), so the
// benchmark can run beside a dev cluster without starting a second one.
// --set adds a SET statement to the note's session (repeatable), to measure
// one knob, e.g. --set table.exec.mini-batch.enabled=true.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Eddy, launchBrowser, repoRoot, sleep } from '../../e2e/harness.mjs';

const GOAL_MS = 500; // p50 event→screen at 1,000 events/s
const GOAL_RATE = 1000;

function parseArgs(argv) {
  const o = {
    bin: path.join(repoRoot, 'bin', 'eddy'),
    baselineBin: '',
    rates: [1000, 100000],
    warmup: 15,
    seconds: 30,
    gateway: process.env.EDDY_TEST_FLINK_GATEWAY ?? '',
    rest: process.env.EDDY_TEST_FLINK_REST ?? '',
    sets: [],
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--bin': o.bin = path.resolve(v()); break;
      case '--baseline-bin': o.baselineBin = path.resolve(v()); break;
      case '--rates': o.rates = v().split(',').map(Number); break;
      case '--warmup': o.warmup = Number(v()); break;
      case '--seconds': o.seconds = Number(v()); break;
      case '--flink-gateway': o.gateway = v(); break;
      case '--flink-rest': o.rest = v(); break;
      case '--set': {
        const kv = v();
        const at = kv.indexOf('=');
        if (at <= 0) throw new Error(`--set ${kv}: want KEY=VALUE`);
        o.sets.push([kv.slice(0, at), kv.slice(at + 1)]);
        break;
      }
      default: throw new Error(`unknown argument ${a} (see the comment at the top of ${path.relative(repoRoot, fileURLToPath(import.meta.url))})`);
    }
  }
  if (o.rates.some((r) => !(r > 0)) || !(o.seconds > 0) || !(o.warmup >= 0)) throw new Error('--rates, --seconds must be positive');
  if (!!o.gateway !== !!o.rest) throw new Error('--flink-gateway and --flink-rest go together');
  return o;
}

/**
 * startEddy runs `eddy serve` (e2e/harness.mjs's Eddy, its log in
 * e2e/artifacts/freshness-eddy.log) and resolves once Flink is ready.
 */
async function startEddy(bin, o) {
  // Local mode names the repository's .flink (make flink) explicitly: a
  // binary's defaults are found next to it, and a baseline binary may live
  // anywhere.
  const dot = path.join(repoRoot, '.flink');
  const args = o.gateway
    ? ['--flink-gateway', o.gateway, '--flink-rest', o.rest]
    : ['--kafka=false', '--flink-home', path.join(dot, 'home'), '--catalog-jar', path.join(dot, 'catalog', 'eddy-catalog.jar'),
        '--connectors-dir', path.join(dot, 'connectors'), '--gateway-jar', path.join(dot, 'jars', 'flink-sql-gateway-2.3.0.jar'),
        '--python', path.join(dot, 'pyvenv', 'bin', 'python')];
  const eddy = await Eddy.start({ bin, args, clean: false, logName: 'freshness-eddy.log' });
  try {
    await eddy.mustClusterReady(300_000);
  } catch (e) {
    await eddy.stop();
    throw e;
  }
  return eddy;
}

// The note: events carry the time the datagen source made them; the query
// keeps, per key, how many there were and the newest event's time. 10 keys,
// so the table is small and the browser's work is not what is measured.
const quote = (s) => s.replaceAll("'", "''");
const tableSQL = (rate, sets) =>
  `%flink.ssql\nSET 'table.local-time-zone' = 'UTC';\n` +
  sets.map(([k, v]) => `SET '${quote(k)}' = '${quote(v)}';\n`).join('') +
  `CREATE TEMPORARY TABLE ev (k INT, ts AS LOCALTIMESTAMP) WITH ('connector'='datagen', ` +
  `'rows-per-second'='${rate}', 'fields.k.min'='0', 'fields.k.max'='9')`;
const querySQL = `%flink.ssql(type=update)\nSELECT k, COUNT(*) AS n, MAX(ts) AS last_event FROM ev GROUP BY k`;

/** observe runs in the page: it records the delay of every new event time shown. */
function observe() {
  const re = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/g;
  const para = document.querySelectorAll('[data-testid=paragraph]')[1];
  const w = (window.__fresh = { samples: [], seen: new Set(), recording: false });
  const scan = () => {
    const now = Date.now();
    for (const m of para.textContent.matchAll(re)) {
      if (w.seen.has(m[0])) continue;
      w.seen.add(m[0]);
      if (w.recording) w.samples.push(now - Date.parse(m[0].replace(' ', 'T') + 'Z'));
    }
  };
  new MutationObserver(scan).observe(para, { subtree: true, childList: true, characterData: true });
  scan();
}

/** counts sums the query's COUNT column as the page shows it. */
function counts() {
  const para = document.querySelectorAll('[data-testid=paragraph]')[1];
  let sum = 0;
  for (const tr of para.querySelectorAll('tr')) {
    const td = tr.querySelectorAll('td');
    if (td.length >= 3 && /^\d+$/.test(td[1].textContent.trim())) sum += Number(td[1].textContent.trim());
  }
  return sum;
}

async function measure(browser, eddy, rate, o) {
  const noteID = await eddy.api('POST', '/api/notebook', {
    name: `freshness-${rate}-${Date.now()}`,
    paragraphs: [{ text: tableSQL(rate, o.sets) }, { text: querySQL }],
  });
  const note = await eddy.api('GET', `/api/notebook/${noteID}`);
  const [tablePID, queryPID] = note.paragraphs.map((p) => p.id);
  await eddy.api('POST', `/api/notebook/run/${noteID}/${tablePID}`);
  const page = await browser.newPage();
  try {
    await page.goto(`${eddy.baseURL}/?token=${eddy.token}`);
    await page.waitForSelector('.home-page');
    await page.goto(`${eddy.baseURL}/notebook/${noteID}`);
    await page.locator('[data-testid=paragraph]').nth(1).waitFor();
    await page.evaluate(observe);
    await eddy.api('POST', `/api/notebook/job/${noteID}/${queryPID}`);
    const started = Date.now();
    while ((await page.evaluate(counts)) === 0) {
      if (Date.now() - started > 120_000) throw new Error(`no rows shown within 2 min at ${rate} events/s`);
      await sleep(200);
    }
    await sleep(o.warmup * 1000);
    const c0 = await page.evaluate(counts);
    const t0 = Date.now();
    await page.evaluate(() => { window.__fresh.recording = true; });
    await sleep(o.seconds * 1000);
    const samples = await page.evaluate(() => { window.__fresh.recording = false; return window.__fresh.samples; });
    const c1 = await page.evaluate(counts);
    const evps = ((c1 - c0) * 1000) / (Date.now() - t0);
    return { rate, n: samples.length, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), max: quantile(samples, 1), evps };
  } finally {
    await page.close();
    await eddy.api('DELETE', `/api/notebook/job/${noteID}/${queryPID}`).catch(() => {});
  }
}

function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1 < 0 ? 0 : Math.ceil(q * s.length) - 1)];
}

async function run(label, bin, o, browser) {
  const eddy = await startEddy(bin, o);
  const out = [];
  try {
    for (const rate of o.rates) {
      process.stderr.write(`${label}: ${rate} events/s...\n`);
      out.push({ label, ...(await measure(browser, eddy, rate, o)) });
    }
  } catch (e) {
    e.message += `\n(eddy's log: e2e/artifacts/${eddy.logName})`;
    throw e;
  } finally {
    await eddy.stop();
  }
  return out;
}

const o = parseArgs(process.argv);
const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
const browser = await launchBrowser();
const results = [];
let failed = false;
try {
  if (o.baselineBin) results.push(...(await run('baseline', o.baselineBin, o, browser)));
  results.push(...(await run('current', o.bin, o, browser)));
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await browser.close();
}
const ms = (v) => (Number.isNaN(v) ? '-' : `${Math.round(v)} ms`);
console.log(`freshness: event→screen latency (${o.gateway ? `remote cluster ${o.gateway}` : 'local cluster'}, ` +
  `${os.cpus().length} cores, load average at start ${load}; warm-up ${o.warmup} s, measured ${o.seconds} s` +
  `${o.sets.length ? `; session: ${o.sets.map(([k, v]) => `${k}=${v}`).join(', ')}` : ''})`);
console.log('binary    events/s   samples   p50        p99        max        reached events/s');
for (const r of results) {
  console.log(`${r.label.padEnd(9)} ${String(r.rate).padStart(8)}   ${String(r.n).padStart(7)}   ${ms(r.p50).padEnd(10)} ` +
    `${ms(r.p99).padEnd(10)} ${ms(r.max).padEnd(10)} ${Math.round(r.evps)}`);
}
const goal = results.find((r) => r.label === 'current' && r.rate === GOAL_RATE);
if (goal) {
  const pass = goal.n > 0 && goal.p50 <= GOAL_MS;
  console.log(`goal p50 <= ${GOAL_MS} ms at ${GOAL_RATE} events/s: ${pass ? 'PASS' : 'FAIL'} (p50 ${ms(goal.p50)})`);
  failed ||= !pass;
}
process.exit(failed ? 1 : 0);
