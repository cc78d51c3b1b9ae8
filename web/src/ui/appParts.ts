// Pieces the application views share: the status badge, the box that
// says why a request was refused (a build's paragraph at fault, the KPUs a
// start needed and who holds them, or the server's message), a read-only
// block of code behind a disclosure, a small modal, and polling that pauses
// while the tab is hidden.

import { ApiError } from '../api';
import { isStopped, paragraphLabel, statusLabel, statusTone } from '../model/applications';
import { explainError } from '../model/errors';
import type { Poller } from '../model/poller';
import { asSentence, refusalModel, refusalOf } from '../model/sessions';
import type { Application } from '../schema';
import { refusalHolders } from './capacity';
import { button, h, icon } from './dom';

/**
 * kpusHeld is what an application holds now: its KPUs while a run is under
 * way, none when it is READY, FAILED or being deleted (the API's kpus is
 * what it holds while it runs).
 */
export function kpusHeld(a: Pick<Application, 'status' | 'kpus'>): number {
  return isStopped(a.status) || a.status === 'DELETING' ? 0 : a.kpus;
}

/** setKpus shows the KPUs an application holds, and what it needs to run when it holds none. */
export function setKpus(el: HTMLElement, a: Pick<Application, 'status' | 'kpus'>): void {
  const held = kpusHeld(a);
  const key = `${held}/${a.kpus}`;
  if (el.dataset['kpus'] === key) return;
  el.dataset['kpus'] = key;
  el.title = held > 0 ? '' : `Holds no KPU while stopped; ${a.kpus} while it runs`;
  el.replaceChildren(String(held), ...(held > 0 || a.kpus <= 0 ? [] : [h('span', { class: 'kpus-hint' }, ` · ${a.kpus} to run`)]));
}

/** statusBadge shows an application's status, coloured by its tone; FAILED carries its failure as a tooltip. */
export function statusBadge(status: string, failure: string | undefined, testid: string): HTMLElement {
  const el = h('span', { class: 'app-status', 'data-testid': testid });
  setStatus(el, status, failure);
  return el;
}

/** setStatus updates a badge made by statusBadge. */
export function setStatus(el: HTMLElement, status: string, failure: string | undefined): void {
  el.dataset['status'] = status;
  el.dataset['tone'] = statusTone(status);
  if (el.textContent !== statusLabel(status)) el.textContent = statusLabel(status);
  el.title = status === 'FAILED' && failure ? explainError(failure).rootCause : '';
}

export interface ProblemOptions {
  /** What did not happen, e.g. "Not started". */
  title: string;
  testid: string;
  /** Called with a build refusal's paragraph when its name is clicked; without it the name is plain text. */
  onParagraph?: (paragraphId: string) => void;
}

/**
 * problemBox says why a request failed: for a refused build, the
 * paragraph at fault and the reason (root cause first); for a capacity
 * refusal, the KPUs needed and free and what holds them, each linked; else
 * the server's message.
 */
export function problemBox(err: unknown, o: ProblemOptions): HTMLElement {
  const body = h('div', { class: 'refused-body' });
  const capacity = refusalOf(err);
  const build = err instanceof ApiError ? err.build : undefined;
  let kind = 'other';
  if (capacity) {
    kind = 'capacity';
    const m = refusalModel(capacity);
    body.append(
      h('div', { class: 'refused-title' }, `${o.title}: the cluster’s KPUs are taken`),
      h('div', { class: 'refused-msg', 'data-testid': o.testid + '-message' }, m.summary),
      ...(m.holders.length > 0 ? [refusalHolders(m, o.testid + '-holders')] : []),
      h('div', { class: 'refused-hint' }, 'Stop a notebook session or an application to free KPUs, then try again.'),
    );
  } else if (build) {
    kind = 'build';
    const label = paragraphLabel(build);
    const pid = build.paragraphId;
    const onParagraph = o.onParagraph;
    body.append(
      h('div', { class: 'refused-title' }, o.title),
      pid && onParagraph
        ? h('button', { type: 'button', class: 'link-btn', 'data-testid': o.testid + '-paragraph', 'data-paragraph-id': pid, title: 'Show this paragraph in the note', onclick: () => onParagraph(pid) }, label)
        : h('div', { class: 'refused-para', 'data-testid': o.testid + '-paragraph', 'data-paragraph-id': pid ?? '' }, label),
      ...explained(build.reason, o.testid),
    );
  } else {
    body.append(h('div', { class: 'refused-title' }, o.title), ...explained(err instanceof Error ? err.message : String(err), o.testid));
  }
  return h('div', { class: 'run-refused app-problem', role: 'alert', 'data-testid': o.testid, 'data-kind': kind }, icon('alert', 'refused-icon'), body);
}

/** explained shows a message's root cause, and the full text behind a disclosure when it has more. */
function explained(text: string, testid: string): HTMLElement[] {
  const e = explainError(text);
  const out: HTMLElement[] = [h('div', { class: 'refused-msg', 'data-testid': testid + '-message' }, asSentence(e.rootCause || text))];
  if (e.hasMore) out.push(h('details', { class: 'err-trace' }, h('summary', null, 'Full error'), h('pre', null, e.full)));
  return out;
}

/**
 * codeBlock shows read-only text (a script, a plan) in monospace behind a
 * disclosure. wrap folds long lines (a script's one-line CREATE TABLE is
 * read whole); without it they scroll (a plan's tree keeps its shape).
 */
export function codeBlock(summary: string, text: string, testid: string, open: boolean, wrap = false): HTMLDetailsElement {
  return h('details', { class: 'code-block', open, 'data-testid': testid }, h('summary', null, summary), h('pre', { class: 'code-text' + (wrap ? ' wrap' : '') }, text));
}

/** modal shows content in a dialog over the page; the returned function closes it. Escape and a click outside call onClose. */
export function modal(content: HTMLElement, onClose: () => void): () => void {
  const backdrop = h('div', { class: 'backdrop', onmousedown: (e: Event) => e.target === backdrop && onClose() }, content);
  backdrop.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') onClose();
  });
  document.body.appendChild(backdrop);
  return () => backdrop.remove();
}

/** dialogShell is the frame of a modal: a title, a body and the action buttons. */
export function dialogShell(title: string, testid: string, body: HTMLElement, actions: HTMLElement[], cls = ''): HTMLElement {
  return h(
    'div',
    { class: 'dialog' + (cls ? ' ' + cls : ''), role: 'dialog', 'aria-modal': 'true', 'aria-label': title, 'data-testid': testid },
    h('div', { class: 'dialog-title' }, title),
    body,
    h('div', { class: 'dialog-actions' }, ...actions),
  );
}

/** cancelButton closes a dialog. */
export function cancelButton(onClick: () => void, testid: string): HTMLButtonElement {
  return button({ label: 'Cancel', cls: 'ghost', testid, onClick });
}

/**
 * pollWhileVisible starts the poller now and pauses it while the tab is
 * hidden; the returned function stops it for good.
 */
export function pollWhileVisible(p: Poller): () => void {
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') p.stop();
    else p.start();
  };
  document.addEventListener('visibilitychange', onVisibility);
  if (document.visibilityState !== 'hidden') p.start();
  return () => {
    document.removeEventListener('visibilitychange', onVisibility);
    p.stop();
  };
}

/**
 * liveUpdates keeps a page live: the poller runs while the tab is visible
 * (pollWhileVisible) and tick, which redraws what ages (uptimes), runs every
 * second. The returned function stops both.
 */
export function liveUpdates(p: Poller, tick: () => void): () => void {
  const stopPolling = pollWhileVisible(p);
  const ticker = setInterval(tick, 1000);
  return () => {
    stopPolling();
    clearInterval(ticker);
  };
}

/**
 * syncRows makes parent hold one row per item, in the items' order: rows
 * are kept by key and updated in place (so a poll never replaces the link
 * under the pointer), made with create for new keys, and removed for keys
 * gone.
 */
export function syncRows<T, R extends { el: HTMLElement }>(
  parent: HTMLElement,
  rows: Map<string, R>,
  items: readonly T[],
  key: (item: T) => string,
  create: (item: T) => R,
  update: (row: R, item: T) => void,
): void {
  const keep = new Set(items.map(key));
  for (const [k, r] of rows) {
    if (!keep.has(k)) {
      r.el.remove();
      rows.delete(k);
    }
  }
  let cursor: ChildNode | null = parent.firstChild;
  for (const item of items) {
    const k = key(item);
    let r = rows.get(k);
    if (!r) {
      r = create(item);
      rows.set(k, r);
    }
    update(r, item);
    if (cursor === r.el) cursor = r.el.nextSibling;
    else parent.insertBefore(r.el, cursor);
  }
}
