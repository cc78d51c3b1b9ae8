// End-to-end harness: starts the real bin/eddy (temp data dir, random token,
// port 0), drives Debian's Chromium through playwright-core, and writes a
// screenshot of every step to e2e/artifacts/. It builds nothing: run
// `npm run build` and `go build -o bin/eddy ./cmd/eddy` first (make does).

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const execFileAsync = promisify(execFile);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const artifactsDir = path.join(repoRoot, 'e2e', 'artifacts');
/** The shared Zeppelin fixtures sit beside the repository, never inside it. */
export const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'zeppelin');
/** How long a test that runs paragraphs waits for the Flink cluster to be ready (EDDY_E2E_CLUSTER_WAIT_MS, default 180 s). */
export const CLUSTER_WAIT_MS = Number(process.env.EDDY_E2E_CLUSTER_WAIT_MS ?? 180_000);

const CHROMIUM = process.env.EDDY_E2E_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Eddy is one running `bin/eddy serve`. */
export class Eddy {
  /**
   * start runs `bin/eddy serve` on a free loopback port with a fresh data dir.
   *
   * - args: more arguments for `eddy serve` (e.g. ['--kpu-capacity', '3']).
   * - clean: which screenshots of e2e/artifacts to delete first. By default
   *   the unprefixed ones (`NN-name.png`, what `new Shots()` writes); a string
   *   deletes only the PNGs that start with it (a test file's own prefix, see
   *   Shots); false deletes none. Test files that run in one `npm run e2e`
   *   therefore never delete each other's screenshots.
   * - logName: the log file in e2e/artifacts (default eddy.log).
   *
   * @param {{bin?: string, startTimeoutMs?: number, args?: string[], clean?: string | false, logName?: string}} [opts]
   */
  static async start(opts = {}) {
    const bin = opts.bin ?? process.env.EDDY_BIN ?? path.join(repoRoot, 'bin', 'eddy');
    if (!existsSync(bin)) throw new Error(`${bin} not found: build it first (go build -o bin/eddy ./cmd/eddy)`);
    await mkdir(artifactsDir, { recursive: true });
    await cleanShots(opts.clean);
    const token = randomBytes(16).toString('hex');
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'eddy-e2e-'));
    const logName = opts.logName ?? 'eddy.log';
    const log = createWriteStream(path.join(artifactsDir, logName));
    const args = ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--token', token, ...(opts.args ?? [])];
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const eddy = new Eddy(proc, token, dataDir, log, logName);
    eddy.baseURL = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('eddy did not print its URL within the start timeout')), opts.startTimeoutMs ?? 60_000);
      let buf = '';
      const onData = (chunk) => {
        log.write(chunk);
        buf += chunk.toString();
        const m = /Eddy is running at (http:\/\/[^\s/]+)\s/.exec(buf);
        if (m && buf.includes(token)) {
          // A token given to Eddy stays out of its log.
          clearTimeout(timer);
          reject(new Error('eddy printed the token it was given'));
        } else if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`eddy exited with ${code} before it was ready; see e2e/artifacts/${logName}`));
      });
    });
    await eddy.waitHealthy();
    return eddy;
  }

  constructor(proc, token, dataDir, log, logName) {
    this.proc = proc;
    this.token = token;
    this.dataDir = dataDir;
    this.log = log;
    this.logName = logName;
    /** @type {string} */
    this.baseURL = '';
  }

  /**
   * openNote opens a note's page in a page already logged in (see loginURL) and waits until its
   * paragraphs show and its websocket is live.
   *
   * @param {import('playwright-core').Page} page
   * @param {string} id
   */
  async openNote(page, id) {
    await page.goto(`${this.baseURL}/notebook/${id}`);
    await paragraphs(page).first().waitFor();
    await until(async () => (await page.textContent('[data-testid=conn-state]')) === 'Live', { message: 'websocket' });
  }

  /** loginURL is what a user opens: it sets the cookies and redirects to the app. */
  get loginURL() {
    return `${this.baseURL}/?token=${this.token}`;
  }

  async waitHealthy(timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const r = await fetch(this.baseURL + '/healthz');
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error('eddy /healthz did not answer');
      await sleep(200);
    }
  }

  /** api calls Eddy's REST API with the token and unwraps Zeppelin's envelope. */
  async api(method, p, body) {
    const r = await fetch(this.baseURL + p, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${json?.message ?? text}`);
    return json && typeof json === 'object' && 'status' in json && 'body' in json ? json.body : json;
  }

  cluster() {
    return this.api('GET', '/api/v1/cluster');
  }

  /** kafkaBrokerPid returns the pid of this Eddy's local Kafka broker JVM (found by its data dir), or 0. */
  async kafkaBrokerPid() {
    const { stdout } = await execFileAsync('ps', ['-eo', 'pid=,args=']);
    for (const line of stdout.split('\n')) {
      if (line.includes(' kafka.Kafka ') && line.includes(this.dataDir + '/')) return Number(line.trim().split(/\s+/)[0]);
    }
    return 0;
  }

  /** waitClusterReady polls /api/v1/cluster until ready or the time is up. */
  async waitClusterReady(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await this.cluster()).ready) return true;
      } catch {
        /* keep polling */
      }
      if (Date.now() > deadline) return false;
      await sleep(1000);
    }
  }

  /**
   * mustClusterReady waits for the cluster to be ready and throws, saying
   * what the cluster reported, when it is not within timeoutMs: a test that
   * needs Flink fails without it, it never passes untested.
   */
  async mustClusterReady(timeoutMs = CLUSTER_WAIT_MS) {
    if (await this.waitClusterReady(timeoutMs)) return;
    const c = await this.cluster().catch((e) => ({ error: e.message }));
    throw new Error(`the Flink cluster was not ready within ${timeoutMs / 1000} s (GET /api/v1/cluster: ${JSON.stringify(c)}); see e2e/artifacts/${this.logName}`);
  }

  /**
   * logTails returns the last lines of every log in a folder of eddy's data
   * directory (an application's JVM logs, say), for a failure message that
   * must say what happened after the data directory is gone.
   */
  async logTails(dir, lines = 15) {
    const full = path.join(this.dataDir, dir);
    const names = (await readdir(full).catch(() => [])).filter((n) => /\.(log|out)$/.test(n)).sort();
    const parts = [];
    for (const n of names) {
      const body = (await readFile(path.join(full, n), 'utf8').catch((e) => e.message)).trimEnd().split('\n');
      parts.push(`--- ${dir}/${n} (last ${Math.min(lines, body.length)} of ${body.length} lines)\n${body.slice(-lines).join('\n')}`);
    }
    return parts.length ? parts.join('\n') : `(no logs in ${dir})`;
  }

  /** stop ends eddy (SIGTERM, then SIGKILL after 30 s) and removes its data dir. */
  async stop() {
    const p = this.proc;
    if (p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    }
    this.log.end();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * mustFixture returns the path of a shared Zeppelin fixture and throws when
 * the file is missing: a test that needs it fails rather than passing untested.
 */
export function mustFixture(name) {
  const file = path.join(fixturesDir, name);
  if (!existsSync(file)) throw new Error(`fixture missing: ${file} (the shared Zeppelin fixtures belong in ${fixturesDir})`);
  return file;
}

/** launchBrowser starts headless Chromium. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * cleanShots deletes screenshots from e2e/artifacts: by default the
 * unprefixed `NN-name.png`; with a prefix only those that start with it;
 * with false none.
 * @param {string | false | undefined} which
 */
async function cleanShots(which) {
  if (which === false) return;
  const match = typeof which === 'string' && which !== '' ? (f) => f.startsWith(which) : (f) => /^\d+-/.test(f);
  for (const f of await readdir(artifactsDir)) if (f.endsWith('.png') && match(f)) await rm(path.join(artifactsDir, f));
}

/** Shots numbers screenshots in the order they are taken, after an optional file-name prefix. */
export class Shots {
  /** @param {string} [prefix] e.g. 'kpu-': files are kpu-01-name.png */
  constructor(prefix = '') {
    this.prefix = prefix;
    this.n = 0;
    /** @type {string[]} */
    this.taken = [];
  }

  /** take saves what the viewport shows (fullPage: the whole page). */
  async take(page, name, { fullPage = false } = {}) {
    this.n++;
    const file = path.join(artifactsDir, `${this.prefix}${String(this.n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage });
    this.taken.push(file);
    return file;
  }
}

/**
 * watch records a page's uncaught errors and console errors so tests can
 * assert there were none.
 */
export function watch(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.stack ?? e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** until polls fn until it returns a truthy value. */
export async function until(fn, { timeout = 30_000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(interval);
  }
}

/**
 * textOf is an element's rendered text with white space collapsed, waiting
 * at most timeoutMs for the element.
 *
 * @param {import('playwright-core').Locator} loc
 */
/**
 * paragraphs are the paragraphs of the note page, in order.
 *
 * @param {import('playwright-core').Page} page
 */
export const paragraphs = (page) => page.locator('[data-testid=paragraph]');

/**
 * statusOf is a paragraph's run status (PENDING, RUNNING, FINISHED, ERROR, ABORT, READY) as its
 * data-status attribute says.
 *
 * @param {import('playwright-core').Locator} p
 */
export const statusOf = (p) => p.getAttribute('data-status', { timeout: 2_000 });

export async function textOf(loc, timeoutMs = 2_000) {
  return ((await loc.innerText({ timeout: timeoutMs })) ?? '').replace(/\s+/g, ' ').trim();
}
