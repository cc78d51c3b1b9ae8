// One paragraph: header (interpreter, title, status, elapsed time, Flink job
// link, run/cancel, menu), the editor, and the result area.

import { resultsConfigPatch } from '../model/chart';
import { formatDuration, formatTime } from '../model/format';
import { asSentence, refusalModel, refusalOf } from '../model/sessions';
import { restoredLabel, restoredOf } from '../model/restore';
import type { ParagraphLiveState } from '../model/live';
import { configOf, interpreterName, isEnabled, jobUrl, jobUrlOf, languageOf, parseDate, RUNNING_STATES } from '../model/note';
import type { CapacityRefusal, Paragraph } from '../schema';
import type { NoteSession } from '../noteSession';
import { refusalHolders } from './capacity';
import { button, clear, h, icon, setText, toggleClass } from './dom';
import { ParagraphEditor } from './editor';
import { confirm, showMenu, toast, type MenuItem } from './overlay';
import { ResultView } from './result';
import { ParagraphForms } from './forms';
import { actionFor, applyColWidth, clampColWidth, colWidthLabel, COL_WIDTHS, type ParagraphAction } from './shortcuts';
import { errorMarkOf, savedErrorSource } from '../model/errorPosition';
import { clearParagraphOutput } from './clearOutput';
import { InspectorView } from './inspector';
import type { Inspection } from '../model/inspect';
import { ChangelogPanel } from './changelog';
import type { Controls } from '../model/access';

export interface ParagraphHost {
  session: NoteSession;
  indexOf: (pid: string) => number;
  count: () => number;
  defaultGroup: string;
  /** Insert a new paragraph at index (with text, else an empty SQL one) and focus it. */
  insertAt: (index: number, text?: string) => void;
  /** A run was refused for want of KPUs. */
  onRefused: (r: CapacityRefusal) => void;
  /** The paragraph's editor got the focus. */
  onEditorFocus?: (pid: string) => void;
  /** The paragraph's text was typed in (its note forms may have changed). */
  onTextChange?: (pid: string) => void;
  /** The web UI of the Flink cluster, once known: job links point there. */
  webUi: () => string | undefined;
  /** Fetch the paragraph's raw changelog (the Changelog panel); without it the panel has no toggle. */
  changelog?: (pid: string) => Promise<unknown>;
  /** Fetch the latest inspection of the paragraph's job (undefined: none); without it the inspector shows only live ones. */
  inspection?: (pid: string) => Promise<Inspection | undefined>;
  /** A shortcut for the note rather than the paragraph: run from here, run above, find. */
  onNoteAction?: (pid: string, action: ParagraphAction) => void;
  /**
   * What the page may do (a share link's scope); undefined: everything.
   * Controls not allowed are left out of the page, not only disabled.
   */
  controls?: Controls;
  /** Open the Share dialog for this paragraph; offered in its menu while shareable() says so. */
  onShare?: (pid: string) => void;
  shareable?: () => boolean;
  /** Show the result alone, no header or editor (an embedded paragraph). */
  resultOnly?: boolean;
}

/** Shortcuts that only run or cancel: the ones a run-scoped page keeps. */
const RUN_ACTIONS: ReadonlySet<ParagraphAction> = new Set<ParagraphAction>(['run', 'cancel']);

const statusLabel: Record<string, string> = {
  READY: 'ready',
  PENDING: 'pending',
  RUNNING: 'running',
  FINISHED: 'finished',
  ERROR: 'error',
  ABORT: 'cancelled',
};

/**
 * syncViews keeps one view per paragraph id: it drops the views of
 * paragraphs gone, makes the new ones, updates the others when update is
 * set, and returns the views in the order of ids.
 */
export function syncViews(views: Map<string, ParagraphView>, ids: string[], host: ParagraphHost, update: boolean): ParagraphView[] {
  const keep = new Set(ids);
  for (const [id, v] of views) {
    if (!keep.has(id)) {
      v.destroy();
      v.el.remove();
      views.delete(id);
    }
  }
  return ids.map((id) => {
    let v = views.get(id);
    if (!v) {
      v = new ParagraphView(id, host);
      views.set(id, v);
    } else if (update) v.update();
    return v;
  });
}

export class ParagraphView {
  readonly el: HTMLElement;
  private readonly head: HTMLElement;
  private readonly interp: HTMLElement;
  private readonly titleInput: HTMLInputElement;
  private readonly statusEl: HTMLElement;
  private readonly elapsedEl: HTMLElement;
  private readonly jobLink: HTMLAnchorElement;
  private readonly provEl: HTMLElement;
  /** Where the job started from: the savepoint or checkpoint Flink restored it from. */
  private readonly restoredEl = h('span', { class: 'restored', 'data-testid': 'restored-from', hidden: true });
  private readonly runBtn: HTMLButtonElement;
  private readonly cancelBtn: HTMLButtonElement;
  private readonly editorBox: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly refusedEl: HTMLElement;
  private readonly forms: ParagraphForms;
  private readonly result: ResultView;
  /** The job inspector: diagnoses above the result, the Inspect toggle beside the job link. */
  private readonly inspector: InspectorView;
  /** The raw changelog: its toggle beside Inspect, its panel under the result. */
  private readonly changelog: ChangelogPanel;
  /** The run that was live when a run was refused; a later run clears the refusal. */
  private refusedRunKey: string | null = null;
  private editor: ParagraphEditor | null = null;
  /** Set between asking for a run and the server reporting on it. */
  private starting = false;
  /** The stored dateStarted when run was clicked: a newer one means the run began. */
  private startingFrom = '';
  /** What this page may do with the paragraph. */
  private readonly can: Controls;

  constructor(
    readonly id: string,
    private readonly host: ParagraphHost,
  ) {
    const s = host.session;
    this.can = host.controls ?? { run: true, edit: true };
    this.interp = h('span', { class: 'interp' });
    this.titleInput = h('input', {
      class: 'para-title',
      placeholder: 'Untitled',
      'aria-label': 'Paragraph title',
      oninput: () => s.editTitle(this.id, this.titleInput.value),
      readOnly: !this.can.edit,
    });
    this.statusEl = h('span', { class: 'pstatus', 'data-testid': 'paragraph-status' });
    this.elapsedEl = h('span', { class: 'elapsed', 'data-testid': 'elapsed', title: 'elapsed time' });
    this.jobLink = h('a', { class: 'joblink', target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'job-link', title: 'Open the job in the Flink web UI' }, 'Flink job ↗');
    this.provEl = h('span', { class: 'prov' });
    const inspection = host.inspection;
    this.inspector = new InspectorView({ insertBelow: (text) => host.insertAt(host.indexOf(this.id) + 1, text), load: inspection && (() => inspection(this.id)) });
    this.changelog = new ChangelogPanel({ load: () => (host.changelog ? host.changelog(this.id) : Promise.reject(new Error('no changelog here'))) });
    this.runBtn = button({ icon: 'play', title: 'Run (Shift+Enter)', cls: 'run', testid: 'run-paragraph', onClick: () => void this.run() });
    this.cancelBtn = button({ icon: 'stop', title: 'Cancel', cls: 'cancel', testid: 'cancel-paragraph', onClick: () => void this.cancel() });
    const moreBtn = button({ icon: 'more', title: 'More', cls: 'ghost', testid: 'paragraph-menu', onClick: () => this.openMenu(moreBtn) });
    const editorBtn = button({ icon: 'code', title: 'Show/hide editor', cls: 'ghost', testid: 'toggle-editor', onClick: () => this.toggleConfig('editorHide') });
    this.head = h(
      'header',
      { class: 'para-head' },
      h('span', { class: 'sdot' }),
      this.interp,
      this.titleInput,
      h('span', { class: 'spacer' }),
      this.restoredEl,
      this.provEl,
      this.inspector.toggle,
      this.changelog.toggle,
      this.jobLink,
      this.elapsedEl,
      this.statusEl,
      h('span', { class: 'para-actions' }, ...(this.can.run ? [this.runBtn, this.cancelBtn] : []), ...(this.can.edit ? [editorBtn, moreBtn] : [])),
    );
    this.editorBox = h('div', { class: 'para-editor' });
    this.progress = h('div', { class: 'para-progress' }, h('div', { class: 'bar' }));
    this.refusedEl = h('div', { class: 'run-refused', role: 'alert', 'data-testid': 'run-refused', hidden: true });
    this.forms = new ParagraphForms(s, id, () => void this.run());
    this.result = new ResultView({
      paragraph: () => this.para(),
      // A page that may not edit keeps a chart's settings to itself.
      saveGraph: (index, graph) => (this.can.edit ? s.edit(this.id, { config: resultsConfigPatch(this.para(), index, graph) }) : undefined),
    });
    this.result.el.addEventListener('dblclick', () => {
      if (this.can.edit && languageOf(this.para().text ?? '') === 'markdown' && this.para().config?.editorHide) this.toggleConfig('editorHide');
    });
    // Forms write the note's values, so a page that may not edit shows none.
    if (!this.can.edit) this.forms.el.hidden = true;
    this.el = host.resultOnly
      ? h('section', { class: 'para result-only', 'data-paragraph-id': id, 'data-testid': 'paragraph' }, this.progress, this.result.el)
      : h('section', { class: 'para', tabindex: '-1', 'data-paragraph-id': id, 'data-testid': 'paragraph' }, this.progress, this.head, this.editorBox, this.forms.el, this.refusedEl, this.inspector.el, this.result.el, this.changelog.el);
    if (!this.can.edit) this.el.dataset['readonly'] = '';
    this.el.addEventListener('keydown', (e) => this.onKey(e), true);
    this.update();
  }

  private para(): Paragraph {
    return this.host.session.paragraph(this.id) ?? { id: this.id, text: '', status: 'READY', progress: 0 };
  }

  private liveState(): ParagraphLiveState | undefined {
    return this.host.session.live.get(this.id);
  }

  /** update re-renders from the paragraph data (after an edit here or elsewhere). */
  update(): void {
    const p = this.para();
    const cfg = configOf(p);
    const text = p.text ?? '';
    setText(this.interp, interpreterName(text) || this.host.defaultGroup);
    this.interp.dataset['lang'] = languageOf(text, this.host.defaultGroup);
    if (document.activeElement !== this.titleInput && this.titleInput.value !== (p.title ?? '')) this.titleInput.value = p.title ?? '';
    this.titleInput.hidden = !cfg.title;
    toggleClass(this.el, 'disabled', !isEnabled(p));
    const hideEditor = !!cfg.editorHide;
    this.editorBox.hidden = hideEditor;
    if (!hideEditor && !this.host.resultOnly) {
      if (!this.editor) {
        this.editor = new ParagraphEditor({
          parent: this.editorBox,
          text,
          readOnly: !this.can.edit,
          defaultGroup: this.host.defaultGroup,
          lineNumbers: !!cfg.lineNumbers,
          onChange: (t) => {
            this.host.session.editText(this.id, t);
            this.forms.render();
            this.host.onTextChange?.(this.id);
            setText(this.interp, interpreterName(t) || this.host.defaultGroup);
          },
          onRun: () => void this.run(),
          complete: (t, pos) => this.host.session.complete(t, pos),
          onFocus: () => this.host.onEditorFocus?.(this.id),
        });
      } else if (!this.host.session.hasUnsavedText(this.id)) {
        this.editor.setText(text);
      }
    }
    if (this.can.edit) this.forms.render();
    this.result.el.hidden = !!cfg.tableHide;
    applyColWidth(this.el, cfg.colWidth);
    this.updateLive();
  }

  /** updateLive re-renders status and result from the live state. */
  updateLive(): void {
    const p = this.para();
    const live = this.liveState();
    // The run has begun once it has live state, or once the stored paragraph
    // shows a newer start (a run without a session, e.g. Markdown, has none).
    if (live || (this.starting && (p.dateStarted ?? '') !== this.startingFrom)) this.starting = false;
    // A run that started after the refusal (here or in another tab) clears it.
    if (this.refusedRunKey !== null && live && RUNNING_STATES.has(live.status) && live.runKey !== this.refusedRunKey) this.showRefused(null);
    const status = this.starting ? 'PENDING' : live?.status ?? p.status ?? 'READY';
    this.el.dataset['status'] = status;
    setText(this.statusEl, statusLabel[status] ?? status.toLowerCase());
    const running = RUNNING_STATES.has(status);
    this.runBtn.hidden = running;
    this.cancelBtn.hidden = !running;
    this.runBtn.disabled = !isEnabled(p);
    const progress = live?.progress ?? p.progress;
    toggleClass(this.progress, 'on', running);
    toggleClass(this.progress, 'indeterminate', running && !(progress > 0));
    (this.progress.firstChild as HTMLElement).style.width = running && progress > 0 ? `${progress}%` : '';
    const url = (live?.jobId ? jobUrl(this.host.webUi(), live.jobId) : undefined) ?? jobUrlOf(p, this.host.webUi());
    this.jobLink.hidden = !url;
    if (url && this.jobLink.href !== url) this.jobLink.href = url;
    this.tick();
    this.inspector.render(live, !!(url || live?.jobId), live ? undefined : this.host.session.live.keptInspection?.(this.id));
    this.result.render(live);
    if (this.host.changelog) this.changelog.render(live, !live && (p.results?.msg ?? []).some((m) => m.type === 'TABLE'));
    else this.changelog.render(undefined);
    // The result hides itself only when empty; a hidden output (Zeppelin's tableHide) stays hidden.
    if (configOf(p).tableHide) this.result.el.hidden = true;
    this.editor?.setErrorMark(errorMarkOf(p.text ?? '', live ?? savedErrorSource(p)));
  }

  /** tick refreshes the elapsed time (called every second by the page). */
  tick(): void {
    const p = this.para();
    const live = this.liveState();
    const started = parseDate(live?.dateStarted ?? p.dateStarted);
    const finished = parseDate(live?.dateFinished ?? p.dateFinished);
    const status = live?.status ?? p.status ?? 'READY';
    let text = '';
    let title = '';
    if (started !== undefined && RUNNING_STATES.has(status)) {
      text = formatDuration(Math.max(0, Date.now() - started));
      title = `running since ${formatTime(started)}`;
    } else if (started !== undefined && finished !== undefined && finished >= started) {
      text = formatDuration(finished - started);
      title = `took ${text}, finished ${formatTime(finished)}`;
    }
    setText(this.elapsedEl, text);
    this.elapsedEl.title = title;
    // Where the shown result comes from: saved with the note, or live now.
    // (Markdown output is the same live or not, saved tables carry their own
    // badge, and a failed paragraph's saved output is its error, not a result.)
    const msgs = p.results?.msg ?? [];
    const saved = !live && p.status !== 'ERROR' && msgs.length > 0 && !msgs.some((m) => (m.type || '').toUpperCase() === 'TABLE') && languageOf(p.text ?? '', this.host.defaultGroup) !== 'markdown';
    setText(this.provEl, saved ? 'saved result · not live' : '');
    this.provEl.title = saved ? `Result saved with the note${finished !== undefined ? ' at ' + formatTime(finished) : ''}. Run the paragraph for live results.` : '';
    this.provEl.hidden = !saved;
    const restored = restoredOf(p, live);
    setText(this.restoredEl, restored ? restoredLabel(restored) : '');
    this.restoredEl.title = restored ? `${restoredLabel(restored)}: the job started from the state in this ${restored.kind}.` : '';
    this.restoredEl.hidden = !restored;
  }

  focusEditor(): void {
    if (this.para().config?.editorHide) this.toggleConfig('editorHide');
    this.editor?.focus(true);
  }

  /** insertText puts text at the editor's cursor (replacing a selection) and focuses it; false when it has no editor. */
  insertText(text: string): boolean {
    if (this.para().config?.editorHide) this.toggleConfig('editorHide');
    if (!this.editor) return false;
    this.editor.insert(text);
    return true;
  }

  /** selectText shows the editor and selects from–to in it (a find match). */
  selectText(from: number, to: number): void {
    if (this.para().config?.editorHide) this.toggleConfig('editorHide');
    this.editor?.select(from, to);
    this.el.scrollIntoView({ block: 'nearest' });
  }

  /** replaceText puts text in place of from–to: through the editor as typing does, or into the text when the editor is hidden. */
  replaceText(from: number, to: number, text: string): void {
    if (this.editor && !this.para().config?.editorHide) {
      this.editor.replace(from, to, text);
      return;
    }
    const cur = this.para().text ?? '';
    const next = cur.slice(0, from) + text + cur.slice(to);
    this.host.session.editText(this.id, next);
    this.editor?.setText(next);
  }

  destroy(): void {
    this.editor?.destroy();
    this.result.destroy();
    this.changelog.destroy();
  }

  private async run(): Promise<void> {
    const p = this.para();
    if (!isEnabled(p)) {
      toast('This paragraph is disabled; enable it to run.', 'info');
      return;
    }
    this.starting = true;
    this.startingFrom = p.dateStarted ?? '';
    this.updateLive();
    try {
      await this.host.session.run(this.id);
      this.showRefused(null);
      if (this.can.edit && languageOf(p.text ?? '') === 'markdown' && !p.config?.editorHide) this.host.session.edit(this.id, { config: { editorHide: true } });
    } catch (e) {
      this.starting = false;
      this.showRefused(e as Error);
      this.updateLive();
      const refusal = refusalOf(e);
      if (refusal) this.host.onRefused(refusal);
      toast(refusal ? `Not started: ${refusalModel(refusal).summary}` : `Run failed: ${(e as Error).message}`, 'error');
    }
    // If the server never reports (no live state), stop showing "pending".
    setTimeout(() => {
      if (this.starting) {
        this.starting = false;
        this.updateLive();
      }
    }, 15_000);
  }

  /**
   * showRefused shows why the server refused to start the paragraph, in full,
   * under the editor (null hides it). A capacity refusal lists the notes that
   * hold the KPUs, each linking to its note, where its session can be stopped.
   */
  showRefused(err: Error | null): void {
    const el = this.refusedEl;
    if (err === null) {
      if (el.hidden) return;
      el.hidden = true;
      clear(el);
      this.refusedRunKey = null;
      return;
    }
    this.refusedRunKey = this.liveState()?.runKey ?? '';
    const refusal = refusalOf(err);
    const m = refusal ? refusalModel(refusal) : null;
    el.dataset['kind'] = m ? 'capacity' : 'other';
    clear(el);
    el.append(
      icon('stop', 'refused-icon'),
      h(
        'div',
        { class: 'refused-body' },
        h('div', { class: 'refused-title' }, m ? (m.never?.title ?? 'Not started: the cluster’s KPUs are taken') : 'Not started'),
        h('div', { class: 'refused-msg', 'data-testid': 'run-refused-message' }, m ? m.summary : asSentence(err.message)),
        m && m.holders.length > 0 ? refusalHolders(m, 'run-refused-holders') : null,
        m ? h('div', { class: 'refused-hint' }, ...(m.never ? [m.never.hint] : refusedHint(m.holders))) : null,
      ),
      button({ icon: 'x', title: 'Dismiss', cls: 'ghost', testid: 'dismiss-refused', onClick: () => this.showRefused(null) }),
    );
    el.hidden = false;
  }

  private async cancel(): Promise<void> {
    try {
      await this.host.session.cancel(this.id);
    } catch (e) {
      toast(`Cancel failed: ${(e as Error).message}`, 'error');
    }
  }

  /** onKey runs Zeppelin's paragraph shortcuts while the paragraph (or its editor) has the focus. */
  private onKey(e: KeyboardEvent): void {
    const action = actionFor(e);
    if (action && !this.can.edit && !(this.can.run && RUN_ACTIONS.has(action))) return;
    // In the editor, Shift+Enter is the editor's own (it closes the completion list first).
    if (!action || (action === 'run' && (e.target as HTMLElement).closest?.('.cm-editor'))) return;
    e.preventDefault();
    e.stopPropagation();
    this.doAction(action);
  }

  /** doAction does what a shortcut asks of this paragraph, keeping the focus in it. */
  doAction(action: ParagraphAction): void {
    const s = this.host.session;
    const i = this.host.indexOf(this.id);
    const cfg = configOf(this.para());
    const refocus = () => requestAnimationFrame(() => (this.editor && !cfg.editorHide ? this.editor.focus() : this.el.focus()));
    switch (action) {
      case 'run':
        void this.run();
        return;
      case 'cancel':
        void this.cancel();
        return;
      case 'delete':
        void this.deleteAsked();
        return;
      case 'insertAbove':
        this.host.insertAt(i);
        return;
      case 'insertBelow':
        this.host.insertAt(i + 1);
        return;
      case 'copyBelow':
        this.host.insertAt(i + 1, this.para().text ?? '');
        return;
      case 'moveUp':
      case 'moveDown':
        void s.moveParagraph(this.id, action === 'moveUp' ? i - 1 : i + 1).then(refocus);
        return;
      case 'toggleEditor':
        this.toggleConfig('editorHide');
        if (!cfg.editorHide) this.el.focus();
        return;
      case 'toggleOutput':
        this.toggleConfig('tableHide');
        return;
      case 'clearOutput':
        void clearParagraphOutput(s, this.id);
        return;
      case 'toggleEnabled':
        this.toggleConfig('enabled');
        return;
      case 'toggleLineNumbers':
        this.toggleConfig('lineNumbers');
        return;
      case 'toggleTitle':
        this.toggleConfig('title');
        return;
      case 'narrower':
      case 'wider':
        this.setColWidth(clampColWidth(cfg.colWidth) + (action === 'wider' ? 1 : -1));
        return;
      default:
        this.host.onNoteAction?.(this.id, action);
    }
  }

  /** setColWidth saves the paragraph's width on the 12-column grid (Zeppelin's colWidth). */
  private setColWidth(n: number): void {
    const w = clampColWidth(n);
    this.host.session.edit(this.id, { config: { colWidth: w } });
    applyColWidth(this.el, w);
  }

  private async deleteAsked(): Promise<void> {
    if (!(await confirm('Delete paragraph?', 'The paragraph and its result are removed from the note.'))) return;
    try {
      await this.host.session.deleteParagraph(this.id);
    } catch (e) {
      toast(`Could not delete: ${(e as Error).message}`, 'error');
    }
  }

  private toggleConfig(key: 'editorHide' | 'tableHide' | 'title' | 'lineNumbers' | 'enabled'): void {
    const cfg = configOf(this.para());
    const cur = key === 'enabled' ? cfg.enabled !== false : !!cfg[key];
    this.host.session.edit(this.id, { config: { [key]: !cur } });
    if (key === 'lineNumbers') this.editor?.setLineNumbers(!cur);
    this.update();
    if (key === 'title' && !cur) this.titleInput.focus();
    if (key === 'editorHide' && cur) this.editor?.focus();
  }

  private openMenu(anchor: HTMLElement): void {
    const p = this.para();
    const cfg = configOf(p);
    const i = this.host.indexOf(this.id);
    const n = this.host.count();
    const s = this.host.session;
    const items: Array<MenuItem | 'sep'> = [
      { label: 'Move up', icon: 'up', disabled: i <= 0, testid: 'menu-move-up', onSelect: () => void s.moveParagraph(this.id, i - 1) },
      { label: 'Move down', icon: 'down', disabled: i >= n - 1, testid: 'menu-move-down', onSelect: () => void s.moveParagraph(this.id, i + 1) },
      { label: 'Insert above', icon: 'plus', testid: 'menu-insert-above', onSelect: () => this.host.insertAt(i) },
      { label: 'Insert below', icon: 'plus', testid: 'menu-insert-below', onSelect: () => this.host.insertAt(i + 1) },
      'sep',
      { label: cfg.title ? 'Hide title' : 'Show title', icon: 'title', onSelect: () => this.toggleConfig('title') },
      { label: cfg.lineNumbers ? 'Hide line numbers' : 'Show line numbers', icon: 'list', onSelect: () => this.toggleConfig('lineNumbers') },
      { label: cfg.tableHide ? 'Show output' : 'Hide output', icon: 'eye', onSelect: () => this.toggleConfig('tableHide') },
      { label: 'Clear output', icon: 'x', testid: 'menu-clear-output', disabled: RUNNING_STATES.has(this.liveState()?.status ?? p.status ?? ''), onSelect: () => void clearParagraphOutput(s, this.id) },
      { label: isEnabled(p) ? 'Disable run' : 'Enable run', icon: 'power', testid: 'menu-toggle-enabled', onSelect: () => this.toggleConfig('enabled') },
      { label: `${colWidthLabel(clampColWidth(cfg.colWidth))}…`, icon: 'table', testid: 'menu-width', onSelect: () => this.openWidthMenu(anchor) },
      ...(this.host.onShare && this.host.shareable?.() ? [{ label: 'Share paragraph…', icon: 'link', testid: 'menu-share', onSelect: () => this.host.onShare?.(this.id) } satisfies MenuItem] : []),
      'sep',
      {
        label: 'Delete',
        icon: 'trash',
        danger: true,
        testid: 'menu-delete',
        onSelect: () => void this.deleteAsked(),
      },
    ];
    showMenu(anchor, items);
  }

  private openWidthMenu(anchor: HTMLElement): void {
    const cur = clampColWidth(configOf(this.para()).colWidth);
    showMenu(
      anchor,
      COL_WIDTHS.map((n) => ({ label: colWidthLabel(n) + (n === cur ? ' ✓' : ''), testid: `menu-width-${n}`, onSelect: () => this.setColWidth(n) })),
    );
  }
}

/** refusedHint says how to free capacity: stop a note's session, or an application. */
function refusedHint(holders: { applicationId?: string }[]): (string | Node)[] {
  const apps = holders.filter((x) => x.applicationId).length;
  const notes = holders.length - apps;
  const sessions = h('a', { href: '/', 'data-link': '' }, 'Notebooks page');
  const applications = h('a', { href: '/applications', 'data-link': '' }, 'Applications page');
  if (apps === 0) {
    return [`Open ${notes === 1 ? 'that note' : 'one of those notes'} to stop its session, or stop one on the `, sessions, ', then run again.'];
  }
  if (notes === 0) {
    return [`Stop ${apps === 1 ? 'that application' : 'one of those applications'} on the `, applications, ', then run again.'];
  }
  return ['Stop a session on the ', sessions, ' or an application on the ', applications, ', then run again.'];
}
