// The note page: title bar (path, rename, run all, add, export, save and
// connection state), the paragraphs, and beside them the session panel and
// the catalog panel.

import { ApiError, type Api } from '../api';
import { noteFolder, noteName, joinPath } from '../model/note';
import { Poller } from '../model/poller';
import { finishedSince, type RunState } from '../model/catalog';
import { refusalModel, refusalOf } from '../model/sessions';
import { firstRunnable } from '../model/runAll';
import { NoteSession, type SaveState } from '../noteSession';
import type { CapacityRefusal, ClusterStatus, Note } from '../schema';
import { ServerTransport } from '../transport';
import type { ConnState, WsClient } from '../ws';
import { refusalHolders } from './capacity';
import { button, clear, h, setText } from './dom';
import { prompt, toast } from './overlay';
import { CatalogPanel } from './catalogPanel';
import { DeployDialog } from './deployDialog';
import { RevisionsDialog } from './revisions';
import { ParagraphView, syncViews } from './paragraph';
import { NoteForms } from './forms';
import { FindPanel } from './findReplace';
import { actionFor, isTyping, runInSequence, showShortcutList, type ParagraphAction } from './shortcuts';
import { SessionPanel } from './sessionPanel';
import { clearAllOutputs } from './clearOutput';
import { ShareDialog } from './shareDialog';

export interface PageDeps {
  api: Api;
  ws: WsClient;
  navigate: (path: string) => void;
}

/** How often the capacity is polled while the note has a session. */
const CAPACITY_POLL_MS = 3_000;

const saveText: Record<SaveState, string> = {
  saved: 'All changes saved',
  saving: 'Saving…',
  error: 'Not saved',
  offline: 'Offline — will save on reconnect',
};

const connText: Record<ConnState, string> = {
  open: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

export class NotePage {
  readonly el: HTMLElement;
  private readonly session: NoteSession;
  private readonly crumbs: HTMLElement;
  private readonly parasEl: HTMLElement;
  private readonly saveEl: HTMLElement;
  private readonly connEl: HTMLElement;
  private readonly panel: SessionPanel;
  private readonly catalog: CatalogPanel;
  /** The note's forms ($${...}), above its paragraphs. */
  private readonly noteForms: NoteForms;
  /** The paragraph whose editor had the focus last: where catalog names are inserted. */
  private lastEditor: string | null = null;
  /** Each paragraph's run and status at the last live update, to see runs finish. */
  private runStates = new Map<string, RunState>();
  /** Polls the KPUs in use (and the session's cost) while this note has a session. */
  private readonly capacityPoller: Poller;
  private capacityReads = 0;
  private afterSessionTimer: ReturnType<typeof setTimeout> | null = null;
  private views = new Map<string, ParagraphView>();
  private disposers: Array<() => void> = [];
  private ticker: ReturnType<typeof setInterval> | null = null;
  private clusterTimer: ReturnType<typeof setTimeout> | null = null;
  private focusOnAdd: string | null = null;
  /** The Share button: shown once listing the note's shares succeeds (only its owners may). */
  private readonly shareBtn: HTMLButtonElement;
  private canShare = false;
  /** The Flink web UI of the cluster, from the last cluster read. */
  private webUi: string | undefined;
  /** Find and replace across the note's paragraphs. */
  private readonly find = new FindPanel({
    paragraphs: () => (this.session.note?.paragraphs ?? []).map((p) => ({ id: p.id, text: p.text ?? '' })),
    select: (m) => this.views.get(m.pid)?.selectText(m.from, m.to),
    replace: (pid, from, to, text) => this.views.get(pid)?.replaceText(from, to, text),
  });

  constructor(
    readonly noteId: string,
    private readonly deps: PageDeps,
    private readonly focusParagraph?: string,
  ) {
    this.session = new NoteSession(noteId, new ServerTransport(deps.api, deps.ws));
    this.panel = new SessionPanel({
      api: deps.api,
      onStopped: (stopped) => {
        // The websocket says so too; do not wait for it to free the panel.
        if (this.session.live.session?.id === stopped.id) this.panel.setSession(null);
        void this.refreshCapacity().catch(() => undefined);
      },
    });
    this.capacityPoller = new Poller({ intervalMs: CAPACITY_POLL_MS, maxIntervalMs: 30_000, run: () => this.refreshCapacity() });
    this.crumbs = h('div', { class: 'crumbs' });
    this.saveEl = h('span', { class: 'save-state', 'data-testid': 'save-state' });
    this.connEl = h('span', { class: 'conn-state', 'data-testid': 'conn-state' });
    this.shareBtn = button({ icon: 'link', label: 'Share', title: 'Share a link to this note, and set who may see, run and edit it', testid: 'share-button', onClick: () => this.share() });
    this.shareBtn.hidden = true;
    const bar = h(
      'div',
      { class: 'note-bar' },
      this.crumbs,
      h('span', { class: 'spacer' }),
      this.saveEl,
      this.connEl,
      h('span', { class: 'bar-sep' }),
      button({ icon: 'play', label: 'Run all', cls: 'primary', testid: 'run-all', onClick: () => void this.runAll() }),
      button({ icon: 'upload', label: 'Deploy', title: 'Deploy this note as an application: a Flink job that keeps running', testid: 'deploy-button', onClick: () => this.deploy() }),
      button({ icon: 'plus', label: 'Paragraph', testid: 'add-paragraph', onClick: () => this.insertAt(this.session.note?.paragraphs.length ?? 0) }),
      button({ icon: 'download', title: 'Export .zpln', testid: 'export-note', onClick: () => void this.exportNote() }),
      button({ icon: 'search', title: 'Find and replace (Ctrl+Alt+F)', testid: 'find-button', onClick: () => this.find.open() }),
      button({ icon: 'x', title: 'Clear all outputs', testid: 'clear-all-outputs', onClick: () => void clearAllOutputs(this.session) }),
      button({ label: '?', title: 'Keyboard shortcuts (?)', cls: 'ghost', testid: 'shortcuts-button', onClick: () => showShortcutList() }),
      button({ icon: 'restore', label: 'Revisions', title: 'Saved revisions of this note: save, compare, restore', testid: 'revisions-button', onClick: () => void this.revisions() }),
      this.shareBtn,
    );
    this.parasEl = h('div', { class: 'paras', 'data-testid': 'paragraphs' });
    this.catalog = new CatalogPanel({ api: deps.api, noteId, onInsert: (text) => this.insertIntoEditor(text) });
    this.noteForms = new NoteForms(this.session);
    this.el = h(
      'div',
      { class: 'page note-page' },
      bar,
      h('div', { class: 'note-main' }, h('div', { class: 'paras-col' }, this.find.el, this.noteForms.el, this.parasEl), h('div', { class: 'side-col' }, this.panel.el, this.catalog.el)),
    );
  }

  async mount(): Promise<void> {
    const s = this.session;
    this.disposers.push(
      s.on('reset', () => this.reconcile(true)),
      s.on('structure', () => this.reconcile(false)),
      s.on('paragraph', (pid) => this.views.get(pid)?.update()),
      s.on('paragraph', () => this.noteForms.render()),
      s.on('live', (pids) => {
        for (const pid of pids) this.views.get(pid)?.updateLive();
        this.watchRuns();
      }),
      s.on('session', () => {
        this.onSession();
        // Temporary objects come and go with the session.
        this.catalog.changed();
      }),
      s.on('save', (st, detail) => this.showSave(st, detail)),
      s.on('removed', () => {
        toast('This note was deleted.', 'error');
        this.deps.navigate('/');
      }),
      s.on('error', (m) => toast(m, 'error')),
      this.deps.ws.onState((st) => this.showConn(st)),
      s.on('paragraph', () => this.find.refresh()),
      s.on('structure', () => this.find.refresh()),
      this.listenKeys(),
    );
    this.showSave('saved', '');
    this.showConn(this.deps.ws.state);
    this.ticker = setInterval(() => {
      for (const v of this.views.values()) v.tick();
    }, 1000);
    this.clusterTimer = setTimeout(() => void this.refreshCluster(), 0);
    this.catalog.mount();
    void this.checkShareable();
    try {
      await s.start();
    } catch (e) {
      clear(this.parasEl);
      const msg = e instanceof ApiError && e.status === 404 ? `Note ${this.noteId} does not exist.` : `Could not open the note: ${(e as Error).message}`;
      this.parasEl.append(h('div', { class: 'empty' }, h('p', null, msg), h('a', { href: '/', 'data-link': '' }, 'Back to notebooks')));
      throw e;
    }
    if (this.focusParagraph) this.views.get(this.focusParagraph)?.el.scrollIntoView({ block: 'center' });
  }

  destroy(): void {
    for (const d of this.disposers) d();
    this.disposers = [];
    if (this.ticker) clearInterval(this.ticker);
    if (this.clusterTimer) clearTimeout(this.clusterTimer);
    this.clusterTimer = null;
    this.capacityPoller.stop();
    this.catalog.destroy();
    if (this.afterSessionTimer) clearTimeout(this.afterSessionTimer);
    this.afterSessionTimer = null;
    this.session.stop();
    for (const v of this.views.values()) v.destroy();
    this.views.clear();
  }

  /** checkShareable shows Share when the note's shares can be listed: a refusal (not the owner) keeps it hidden. */
  private async checkShareable(): Promise<void> {
    try {
      await this.deps.api.listShares(this.noteId);
      this.canShare = true;
    } catch {
      this.canShare = false;
    }
    this.shareBtn.hidden = !this.canShare;
  }

  /** share opens the Share dialog, for the whole note or preselecting one paragraph. */
  private share(paragraphId?: string): void {
    const paragraphs = (this.session.note?.paragraphs ?? []).map((p, i) => ({ id: p.id, label: p.title?.trim() || firstLine(p.text ?? '') || `#${i + 1}` }));
    void new ShareDialog({ api: this.deps.api, noteId: this.noteId, paragraphs, paragraphId }).open();
  }

  /** watchRuns refreshes the catalog panel when a paragraph of this note finishes a run (it may have run DDL). */
  private watchRuns(): void {
    const now = new Map<string, RunState>();
    for (const p of this.session.note?.paragraphs ?? []) {
      const l = this.session.live.get(p.id);
      if (l) now.set(p.id, { runKey: l.runKey, status: l.status });
    }
    const finished = finishedSince(this.runStates, now);
    this.runStates = now;
    if (finished) this.catalog.changed();
  }

  /** insertIntoEditor puts a catalog name at the cursor of the paragraph edited last, else of the last paragraph. */
  private insertIntoEditor(text: string): void {
    const ids = this.session.note?.paragraphs.map((p) => p.id) ?? [];
    const pid = this.lastEditor && ids.includes(this.lastEditor) ? this.lastEditor : ids[ids.length - 1];
    const v = pid ? this.views.get(pid) : undefined;
    if (!v || !v.insertText(text)) toast('Add a paragraph to insert names into.', 'info');
  }

  /** refreshCluster updates the panel: every 3 s until the cluster is ready, then every 10 s. */
  private async refreshCluster(): Promise<void> {
    let next = 10_000;
    try {
      const c = await this.readCluster();
      if (!c.ready) next = 3_000;
    } catch {
      this.panel.setCluster(null);
    }
    if (this.clusterTimer !== null) this.clusterTimer = setTimeout(() => void this.refreshCluster(), next);
  }

  /** readCluster shows the cluster; its KPU figures only when no newer read was issued. */
  private async readCluster(): Promise<ClusterStatus> {
    const n = ++this.capacityReads;
    const c = await this.deps.api.cluster();
    if (c.webUiUrl !== this.webUi) {
      this.webUi = c.webUiUrl;
      for (const v of this.views.values()) v.update();
    }
    this.panel.setCluster(c, n === this.capacityReads);
    return c;
  }

  /** onSession shows the note's session and polls the capacity while there is one. */
  private onSession(): void {
    const live = this.session.live.session;
    this.panel.setSession(live);
    if (live && live.state !== 'stopped') {
      if (this.capacityPoller.running) this.capacityPoller.poke();
      else this.capacityPoller.start();
    } else {
      // The session ended: read now, and once more when Flink has caught up
      // with its cancelled jobs.
      this.capacityPoller.stop();
      void this.refreshCapacity().catch(() => undefined);
      if (this.afterSessionTimer) clearTimeout(this.afterSessionTimer);
      this.afterSessionTimer = setTimeout(() => {
        this.afterSessionTimer = null;
        void this.refreshCapacity().catch(() => undefined);
      }, CAPACITY_POLL_MS + 1_000);
    }
  }

  /**
   * refreshCapacity reads the sessions listing (the KPUs in use, this note's
   * session's cost so far) and the cluster (slots, jobs running).
   */
  private async refreshCapacity(): Promise<void> {
    const cluster = this.readCluster().catch(() => undefined);
    const n = ++this.capacityReads;
    const l = await this.deps.api.listSessions();
    await cluster;
    if (n !== this.capacityReads) return; // a newer read was issued: keep its answer
    this.panel.setCapacity(l.kpusInUse, l.kpuCapacity);
    const mine = l.sessions.find((x) => x.noteId === this.noteId);
    if (mine) this.panel.updateUsage(mine);
  }

  private renderCrumbs(note: Note): void {
    const path = note.path ?? '/' + (note.name ?? note.id);
    const folder = noteFolder(path);
    const name = noteName(path) || note.name || note.id;
    document.title = `${name} · Eddy`;
    clear(this.crumbs);
    this.crumbs.append(h('a', { href: '/', 'data-link': '', class: 'crumb' }, 'Notebooks'));
    for (const part of folder.split('/').filter(Boolean)) this.crumbs.append(h('span', { class: 'crumb-sep' }, '/'), h('span', { class: 'crumb' }, part));
    this.crumbs.append(
      h('span', { class: 'crumb-sep' }, '/'),
      h('button', { type: 'button', class: 'note-name', title: 'Rename or move', 'data-testid': 'note-name', onclick: () => void this.rename(path) }, name),
    );
  }

  private async rename(path: string): Promise<void> {
    const v = await prompt({
      title: 'Rename note',
      fields: [
        { name: 'name', label: 'Name', value: noteName(path) },
        { name: 'folder', label: 'Folder', value: noteFolder(path), placeholder: '(top level)' },
      ],
      ok: 'Rename',
    });
    if (!v || !v['name']?.trim()) return;
    const next = joinPath(v['folder'] ?? '', v['name']);
    try {
      await this.deps.api.renameNote(this.noteId, next);
      if (this.session.note) {
        this.session.note.path = next;
        this.session.note.name = noteName(next);
        this.renderCrumbs(this.session.note);
      }
    } catch (e) {
      toast(`Rename failed: ${(e as Error).message}`, 'error');
    }
  }

  /** reconcile makes the paragraph views match the note's paragraphs, in order. */
  private reconcile(full: boolean): void {
    const note = this.session.note;
    if (!note) return;
    this.renderCrumbs(note);
    this.noteForms.render();
    const ids = note.paragraphs.map((p) => p.id);
    const host = {
      session: this.session,
      indexOf: (pid: string) => this.session.note?.paragraphs.findIndex((p) => p.id === pid) ?? -1,
      count: () => this.session.note?.paragraphs.length ?? 0,
      defaultGroup: note.defaultInterpreterGroup || 'flink',
      insertAt: (i: number, text?: string) => this.insertAt(i, text),
      onNoteAction: (pid: string, action: ParagraphAction) => this.noteAction(pid, action),
      onRefused: (r: CapacityRefusal) => this.onRefused(r),
      onEditorFocus: (pid: string) => {
        this.lastEditor = pid;
      },
      webUi: () => this.webUi,
      changelog: (pid: string) => this.deps.api.paragraphChangelog(this.noteId, pid),
      inspection: (pid: string) => this.deps.api.paragraphInspection(this.noteId, pid),
      onTextChange: () => this.noteForms.render(),
      onShare: (pid: string) => this.share(pid),
      shareable: () => this.canShare,
    };
    const children: HTMLElement[] = [];
    syncViews(this.views, ids, host, full).forEach((v, i) => children.push(this.insertBar(i), v.el));
    children.push(
      h(
        'div',
        { class: 'add-last' },
        button({ icon: 'plus', label: 'Add paragraph', cls: 'ghost', testid: 'add-paragraph-bottom', onClick: () => this.insertAt(ids.length) }),
      ),
    );
    if (ids.length === 0) children.unshift(h('div', { class: 'empty small' }, 'This note has no paragraphs yet.'));
    // Reorder without recreating: editors keep focus and state.
    let cursor: ChildNode | null = this.parasEl.firstChild;
    for (const c of children) {
      if (cursor === c) cursor = c.nextSibling;
      else this.parasEl.insertBefore(c, cursor);
    }
    while (cursor) {
      const next: ChildNode | null = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
    if (this.focusOnAdd) {
      const v = this.views.get(this.focusOnAdd);
      if (v) {
        this.focusOnAdd = null;
        v.focusEditor();
        v.el.scrollIntoView({ block: 'nearest' });
      }
    }
  }

  private insertBar(index: number): HTMLElement {
    return h('div', { class: 'insert-bar' }, button({ icon: 'plus', title: 'Insert paragraph here', cls: 'insert-btn', onClick: () => this.insertAt(index) }));
  }

  private insertAt(index: number, text?: string): void {
    void (async () => {
      try {
        const pid = await this.session.addParagraph(index, text);
        this.focusOnAdd = pid;
        this.reconcile(false);
      } catch (e) {
        toast(`Could not add a paragraph: ${(e as Error).message}`, 'error');
      }
    })();
  }

  private async runAll(): Promise<void> {
    try {
      await this.session.runAll();
    } catch (e) {
      const refusal = refusalOf(e);
      if (refusal) this.onRefused(refusal);
      // The reason shows on the paragraph run-all stopped at, as a refused run's does.
      const first = firstRunnable(this.session.note?.paragraphs ?? [], this.session.note?.defaultInterpreterGroup);
      const v = first && this.views.get(first.id);
      if (v) {
        v.showRefused(e as Error);
        v.el.scrollIntoView({ block: 'nearest' });
        return;
      }
      if (!refusal) {
        toast(`Run all failed: ${(e as Error).message}`, 'error');
        return;
      }
      const m = refusalModel(refusal);
      toast(h('div', null, h('div', null, `Run all not started: ${m.summary}`), m.holders.length > 0 ? refusalHolders(m, 'run-all-refused-holders') : null), 'error');
    }
  }

  /**
   * listenKeys follows the page's own keys: '?' (outside text fields) lists
   * the shortcuts, Ctrl+Alt+F opens find and replace. The browser's Ctrl+F
   * stays the browser's.
   */
  private listenKeys(): () => void {
    const onKey = (e: KeyboardEvent) => {
      if (!this.el.isConnected || e.defaultPrevented) return;
      if (e.key === '?' && !e.ctrlKey && !e.altKey && !e.metaKey && !isTyping(e.target) && !document.querySelector('.backdrop')) {
        e.preventDefault();
        showShortcutList();
      } else if (actionFor(e) === 'find') {
        e.preventDefault();
        this.find.open(window.getSelection()?.toString() ?? '');
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }

  /** noteAction does what a paragraph's shortcut asks of the note: run from it or above it, find. */
  private noteAction(pid: string, action: ParagraphAction): void {
    const ids = this.session.note?.paragraphs.map((p) => p.id) ?? [];
    const i = ids.indexOf(pid);
    if (action === 'find') {
      this.find.open(window.getSelection()?.toString() ?? '');
      return;
    }
    if (i < 0 || (action !== 'runBelow' && action !== 'runAbove')) return;
    const pids = action === 'runBelow' ? ids.slice(i) : ids.slice(0, i);
    void runInSequence(this.session, pids).catch((e) => {
      const refusal = refusalOf(e);
      if (refusal) this.onRefused(refusal);
      toast(refusal ? `Not started: ${refusalModel(refusal).summary}` : `Run failed: ${(e as Error).message}`, 'error');
    });
  }

  /** onRefused shows a refusal's figures in the session panel and reads the capacity afresh. */
  private onRefused(r: CapacityRefusal): void {
    this.panel.showRefusal(r);
    void this.refreshCapacity().catch(() => undefined);
  }

  /** revisions opens the note's revisions: save one, compare one with the note, restore one. */
  private async revisions(): Promise<void> {
    const s = this.session;
    const flush = async () => void (await Promise.all((s.note?.paragraphs ?? []).map((p) => s.flush(p.id))));
    await new RevisionsDialog({ api: this.deps.api, noteId: this.noteId, current: () => s.note, flush, onRestored: () => s.reload() }).open();
  }

  /** deploy opens the dialog that builds this note into an application. */
  private deploy(): void {
    void new DeployDialog({ api: this.deps.api, navigate: this.deps.navigate, noteId: this.noteId, showParagraph: (pid) => this.showParagraph(pid) }).open();
  }

  /** showParagraph scrolls to a paragraph and highlights it for a moment. */
  private showParagraph(pid: string): void {
    const el = this.views.get(pid)?.el;
    if (!el) return;
    el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    el.classList.remove('flash');
    void el.offsetWidth; // restart the animation
    el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 2_400);
  }

  private async exportNote(): Promise<void> {
    try {
      const json = await this.deps.api.exportNote(this.noteId);
      const note = this.session.note;
      download(`${noteName(note?.path ?? note?.name ?? this.noteId)}_${this.noteId}.zpln`, json);
    } catch (e) {
      toast(`Export failed: ${(e as Error).message}`, 'error');
    }
  }

  private showSave(st: SaveState, detail: string): void {
    this.saveEl.dataset['state'] = st;
    setText(this.saveEl, saveText[st]);
    this.saveEl.title = detail;
  }

  private showConn(st: ConnState): void {
    this.connEl.dataset['state'] = st;
    setText(this.connEl, connText[st]);
    this.connEl.title = st === 'open' ? 'Connected: results and edits arrive live' : 'The live connection is down; it reconnects by itself';
  }
}

/** firstLine is a paragraph's first line of text without its interpreter prefix, cut to 60 characters. */
function firstLine(text: string): string {
  const line = text.replace(/^%[\w.]+(\([^)]*\))?\s*/, '').split('\n').find((l) => l.trim()) ?? '';
  return line.length > 60 ? line.slice(0, 59) + '…' : line.trim();
}

/** download saves text as a file in the browser. */
export function download(filename: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
