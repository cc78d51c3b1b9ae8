// Websocket load: N clients (default 200) follow one note whose paragraph
// streams a live table; the script samples eddy's own CPU and memory from
// /proc while they watch. Loopback only; bounded in time.
//
//   node --experimental-websocket e2e/ws-load.mjs [--clients 200] [--seconds 30]
//
// It starts bin/eddy like the e2e tests (temp data dir, random token) and
// needs the local Flink cluster to become ready. Results are printed and
// written to e2e/artifacts/ws-load.json.

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Eddy, artifactsDir, sleep, until } from './harness.mjs';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '30' },
    keys: { type: 'string', default: '500' },
    rate: { type: 'string', default: '2000' },
  },
});
const CLIENTS = Math.min(1000, Number(args.clients));
const SECONDS = Math.min(600, Number(args.seconds));
if (typeof WebSocket !== 'function') {
  console.error('run with node --experimental-websocket (Node 20) or Node ≥ 22');
  process.exit(2);
}

// Hard bound: whatever happens, stop.
const hardStop = setTimeout(() => {
  console.error('ws-load: time limit reached');
  process.exit(3);
}, (SECONDS + 240) * 1000);
hardStop.unref();

const CLK = 100; // USER_HZ on Linux: /proc times are in 1/100 s
function procSample(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const threads = Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { t: performance.now(), cpuSec: ticks / CLK, rssMiB: rssKiB / 1024, threads };
}

const eddy = await Eddy.start();
let clients = [];
try {
  console.log(`eddy at ${eddy.baseURL}; waiting for the Flink cluster…`);
  if (!(await eddy.waitClusterReady(240_000))) throw new Error('the Flink cluster did not become ready');
  const noteId = await eddy.api('POST', '/api/notebook', {
    name: '/load/ws',
    paragraphs: [
      {
        text: [
          '%flink.ssql(type=update)',
          `CREATE TEMPORARY TABLE load_src (k INT, v INT) WITH ('connector' = 'datagen', 'rows-per-second' = '${Number(args.rate)}', 'fields.k.min' = '1', 'fields.k.max' = '${Number(args.keys)}');`,
          'SELECT k, COUNT(*) AS n, MAX(v) AS top FROM load_src GROUP BY k',
        ].join('\n'),
      },
    ],
  });
  const note = await eddy.api('GET', `/api/notebook/${noteId}`);
  const pid = note.paragraphs[0].id;
  const wsURL = eddy.baseURL.replace(/^http/, 'ws') + `/ws?token=${eddy.token}`;

  // Connect the clients.
  clients = await Promise.all(
    Array.from(
      { length: CLIENTS },
      (_, i) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(wsURL);
          const c = { i, ws, msgs: 0, live: 0, bytes: 0, seq: -1, lastLiveAt: 0 };
          ws.onopen = () => ws.send(JSON.stringify({ op: 'hello', protocol: 1 }));
          ws.onerror = () => reject(new Error(`client ${i}: websocket error`));
          ws.onmessage = (e) => {
            const text = String(e.data);
            c.msgs++;
            c.bytes += text.length;
            const m = JSON.parse(text);
            if (m.op === 'welcome') ws.send(JSON.stringify({ op: 'subscribe', noteId }));
            if (m.op === 'note') resolve(c);
            if (m.op === 'live') {
              c.live++;
              c.lastLiveAt = performance.now();
              for (const p of m.paragraphs) if (p.paragraphId === pid && p.result) c.seq = Math.max(c.seq, p.result.seq);
            }
          };
        }),
    ),
  );
  console.log(`${clients.length} clients subscribed; starting the query`);
  await eddy.api('POST', `/api/notebook/job/${noteId}/${pid}`);
  await until(() => clients.every((c) => c.seq >= 0), { timeout: 180_000, message: 'live rows at every client' });
  console.log(`rows flowing; measuring for ${SECONDS} s`);

  for (const c of clients) Object.assign(c, { msgs: 0, live: 0, bytes: 0 });
  const samples = [procSample(eddy.proc.pid)];
  const lags = [];
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    await sleep(1000);
    samples.push(procSample(eddy.proc.pid));
    const seqs = clients.map((c) => c.seq);
    lags.push(Math.max(...seqs) - Math.min(...seqs));
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = [];
  for (let i = 1; i < samples.length; i++) cpu.push((100 * (samples[i].cpuSec - samples[i - 1].cpuSec)) / ((samples[i].t - samples[i - 1].t) / 1000));
  const rss = samples.map((s) => s.rssMiB);
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const pct = (xs, f) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * f))];
  const result = {
    clients: clients.length,
    seconds: Math.round(elapsed),
    query: `${args.keys} keys, ${args.rate} rows/s, type=update, default refreshInterval`,
    liveMessagesPerClientPerSecond: +(sum(clients.map((c) => c.live)) / clients.length / elapsed).toFixed(2),
    bytesPerSecondAllClients: Math.round(sum(clients.map((c) => c.bytes)) / elapsed),
    eddyCpuPercent: { mean: +(sum(cpu) / cpu.length).toFixed(1), p95: +pct(cpu, 0.95).toFixed(1), max: +Math.max(...cpu).toFixed(1) },
    eddyRssMiB: { start: +rss[0].toFixed(1), max: +Math.max(...rss).toFixed(1), end: +rss[rss.length - 1].toFixed(1) },
    eddyThreads: samples[samples.length - 1].threads,
    maxSeqSpreadBetweenClients: Math.max(...lags),
    cpus: os.cpus().length,
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(path.join(artifactsDir, 'ws-load.json'), JSON.stringify(result, null, 2) + '\n');
  await eddy.api('DELETE', `/api/notebook/job/${noteId}/${pid}`).catch(() => {});
} finally {
  for (const c of clients) c.ws.close();
  await eddy.stop();
}
