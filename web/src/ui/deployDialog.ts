// The deploy dialog of a note: Eddy builds the note as an application
// would run it and Flink validates it (nothing is stored yet); the dialog
// shows what the build kept and left out and why, the form values it bakes
// in, the script and the plan, and asks for the application's name,
// parallelism, target, tags and checkpoint interval. "Create" stores the
// application; "Create and start" starts it too, without state.

import type { Api } from '../api';
import { appHref, defaultAppName, paragraphLabel, parseTags, parseWhole, type Parsed } from '../model/applications';
import type { Application, ApplicationTarget, BakedForm, BuildPreview, Exclusion, Inclusion, NewApplication } from '../schema';
import { cancelButton, codeBlock, dialogShell, modal, problemBox } from './appParts';
import { button, clear, h, icon, setText } from './dom';
import { toast } from './overlay';

export interface DeployDeps {
  api: Api;
  navigate: (path: string) => void;
  noteId: string;
  /** Scrolls the note to a paragraph and highlights it (the dialog closes first). */
  showParagraph?: (paragraphId: string) => void;
}

/** The checkpoint interval offered, in seconds. */
const DEFAULT_CHECKPOINT_S = 60;

export class DeployDialog {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly problem: HTMLElement;
  private readonly createBtn: HTMLButtonElement;
  private readonly startBtn: HTMLButtonElement;
  private readonly cancelBtn: HTMLButtonElement;
  private readonly name = h('input', { class: 'input', name: 'name', autocomplete: 'off', spellcheck: false, 'data-testid': 'deploy-name' });
  private readonly parallelism = h('input', { class: 'input', name: 'parallelism', type: 'number', min: '1', step: '1', value: '1', 'data-testid': 'deploy-parallelism' });
  private readonly target = h(
    'select',
    { class: 'input', name: 'target', 'data-testid': 'deploy-target' },
    h('option', { value: 'standalone' }, 'standalone — its own Flink cluster'),
    h('option', { value: 'session' }, 'session — a job on the notebook cluster'),
  );
  private readonly checkpoint = h('input', { class: 'input', name: 'checkpoint', type: 'number', min: '1', step: '1', value: String(DEFAULT_CHECKPOINT_S), 'data-testid': 'deploy-checkpoint' });
  private readonly tags = h('textarea', { class: 'input textarea', name: 'tags', rows: 3, placeholder: 'team=data\nenv=prod', spellcheck: false, 'data-testid': 'deploy-tags' });
  private close: (() => void) | null = null;
  private preview: BuildPreview | null = null;
  /** The application once created: a failed start then retries the start only. */
  private created: Application | null = null;
  private busy = false;

  constructor(private readonly deps: DeployDeps) {
    this.body = h('div', { class: 'deploy-body' });
    this.problem = h('div', { class: 'deploy-problem', hidden: true });
    this.createBtn = button({ label: 'Create', testid: 'deploy-create', disabled: true, onClick: () => void this.create(false) });
    this.startBtn = button({ icon: 'play', label: 'Create and start', cls: 'primary', testid: 'deploy-create-start', disabled: true, onClick: () => void this.create(true) });
    this.cancelBtn = cancelButton(() => this.dismiss(), 'deploy-cancel');
    this.el = dialogShell('Deploy as an application', 'deploy-dialog', h('div', { class: 'deploy-main' }, this.body, this.problem), [this.cancelBtn, this.createBtn, this.startBtn], 'wide');
  }

  /** open shows the dialog and builds the note; it resolves once the build is shown (or refused). */
  async open(): Promise<void> {
    this.close = modal(this.el, () => this.dismiss());
    this.body.replaceChildren(h('div', { class: 'deploy-loading', role: 'status', 'data-testid': 'deploy-loading' }, h('span', { class: 'spinner' }), 'Building and validating with Flink…'));
    this.startBtn.focus();
    try {
      const p = await this.deps.api.previewApplication(this.deps.noteId);
      if (!this.close) return;
      this.preview = p;
      this.renderPreview(p);
    } catch (e) {
      if (!this.close) return;
      this.el.dataset['state'] = 'refused';
      // Nothing can be created from a refused build: only Close is left.
      this.createBtn.hidden = true;
      this.startBtn.hidden = true;
      const label = this.cancelBtn.querySelector('.btn-label');
      if (label) setText(label, 'Close');
      this.cancelBtn.focus();
      this.body.replaceChildren(
        problemBox(e, {
          title: 'This note cannot be deployed',
          testid: 'deploy-refusal',
          onParagraph: this.deps.showParagraph
            ? (pid) => {
                this.dismiss();
                this.deps.showParagraph?.(pid);
              }
            : undefined,
        }),
      );
    }
  }

  /** dismiss closes the dialog; nothing more is shown once a late reply comes. */
  dismiss(): void {
    this.close?.();
    this.close = null;
  }

  private renderPreview(p: BuildPreview): void {
    this.el.dataset['state'] = 'ready';
    this.name.value = defaultAppName(p.noteName);
    const field = (label: string, input: HTMLElement, hint?: string) => h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, hint ? h('span', { class: 'field-hint' }, hint) : null);
    const form = h(
      'div',
      { class: 'deploy-form', 'data-testid': 'deploy-form' },
      field('Name', this.name, 'Unique among applications.'),
      h('div', { class: 'field-row' }, field('Parallelism', this.parallelism), field('Checkpoint every (s)', this.checkpoint)),
      field('Target', this.target, 'standalone starts a small Flink cluster for it alone; session runs it as a detached job on the notebook cluster.'),
      field('Tags', this.tags, 'One key=value per line.'),
    );
    const forms = p.forms ?? [];
    const paragraphs = new Map([...p.included, ...p.excluded].map((x) => [x.paragraphId, paragraphLabel(x)]));
    const settings = Object.entries(p.settings ?? {});
    const build = h(
      'div',
      { class: 'deploy-build' },
      p.batch ? h('div', { class: 'result-notice info', 'data-testid': 'deploy-batch' }, icon('alert', 'notice-icon'), h('span', null, 'The script runs in batch mode: its job ends when its input does.')) : null,
      section(`Included (${p.included.length})`, 'deploy-included', p.included.length === 0 ? h('p', { class: 'muted small' }, 'No paragraph.') : h('ul', { class: 'build-list' }, p.included.map(includedRow))),
      section(
        `Left out (${p.excluded.length})`,
        'deploy-excluded',
        p.excluded.length === 0 ? h('p', { class: 'muted small' }, 'Nothing: every paragraph is in the script.') : h('ul', { class: 'build-list' }, p.excluded.map(excludedRow)),
      ),
      forms.length > 0 ? section(`Form values baked in (${forms.length})`, 'deploy-forms', table(forms.map((f) => formRow(f, paragraphs)))) : null,
      settings.length > 0 ? section(`Settings (${settings.length})`, 'deploy-settings', table(settings.map(([k, v]) => h('tr', null, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, v))))) : null,
      codeBlock('Script', p.script, 'deploy-script', true, true),
      codeBlock('Plan', p.plan, 'deploy-plan', false),
    );
    this.body.replaceChildren(h('div', { class: 'deploy-cols' }, build, form));
    this.createBtn.disabled = false;
    this.startBtn.disabled = false;
    this.name.focus();
    this.name.select();
  }

  /** readForm reads the inputs into the request, or says what is wrong. */
  private readForm(): Parsed<NewApplication> {
    const name = this.name.value.trim();
    if (!name) return { ok: false, error: 'The application needs a name.' };
    const par = parseWhole(this.parallelism.value, 'Parallelism', 1);
    if (!par.ok) return par;
    const cp = parseWhole(this.checkpoint.value, 'The checkpoint interval', 1);
    if (!cp.ok) return cp;
    const tags = parseTags(this.tags.value);
    if (!tags.ok) return tags;
    return {
      ok: true,
      value: { noteId: this.deps.noteId, name, parallelism: par.value, target: this.target.value as ApplicationTarget, tags: tags.value, checkpointIntervalMs: cp.value * 1000 },
    };
  }

  private async create(start: boolean): Promise<void> {
    if (this.busy || !this.preview) return;
    let app = this.created;
    let body: NewApplication | null = null;
    if (!app) {
      const f = this.readForm();
      if (!f.ok) {
        this.showProblem(new Error(f.error), 'Not created');
        return;
      }
      body = f.value;
    }
    this.setBusy(true, start);
    try {
      if (!app && body) {
        app = await this.deps.api.createApplication(body);
        this.created = app;
      }
      if (!app) return;
      if (start) await this.deps.api.startApplication(app.id, 'NONE');
      this.dismiss();
      toast(start ? `Application “${app.name}” is starting` : `Application “${app.name}” created`, 'ok');
      this.deps.navigate(appHref(app.id));
    } catch (e) {
      this.showProblem(e, this.created ? 'Created, but not started' : 'Not created');
    } finally {
      this.setBusy(false, start);
    }
  }

  private showProblem(err: unknown, title: string): void {
    clear(this.problem);
    this.problem.append(
      problemBox(err, {
        title,
        testid: 'deploy-error',
        onParagraph: this.deps.showParagraph
          ? (pid) => {
              this.dismiss();
              this.deps.showParagraph?.(pid);
            }
          : undefined,
      }),
    );
    const app = this.created;
    if (app) this.problem.append(h('p', { class: 'small' }, h('a', { href: appHref(app.id), 'data-link': '', 'data-testid': 'deploy-open-app', onclick: () => this.dismiss() }, `Open “${app.name}”`), ' to start it later.'));
    this.problem.hidden = false;
    this.problem.scrollIntoView?.({ block: 'nearest' });
  }

  private setBusy(busy: boolean, start: boolean): void {
    this.busy = busy;
    const created = this.created !== null;
    this.createBtn.hidden = created;
    this.createBtn.disabled = busy;
    this.startBtn.disabled = busy;
    for (const i of [this.name, this.parallelism, this.target, this.checkpoint, this.tags]) i.disabled = busy || created;
    const label = this.startBtn.querySelector('.btn-label');
    if (label) setText(label, busy && start ? (created ? 'Starting…' : 'Creating…') : created ? 'Start' : 'Create and start');
    if (busy) this.problem.hidden = true;
  }
}

function includedRow(x: Inclusion): HTMLElement {
  return h(
    'li',
    { 'data-testid': 'deploy-included-row', 'data-paragraph-id': x.paragraphId },
    h('div', { class: 'build-head' }, h('span', { class: 'build-para' }, paragraphLabel(x)), h('span', { class: 'build-kinds' }, runs(x.statements ?? []).map(([k, n]) => h('span', { class: 'kind-chip', title: n > 1 ? `${n} ${k} statements` : '' }, n > 1 ? `${k} ×${n}` : k)))),
    x.notes?.length ? h('ul', { class: 'build-notes' }, x.notes.map((n) => h('li', null, n))) : null,
  );
}

function excludedRow(x: Exclusion): HTMLElement {
  return h(
    'li',
    { 'data-testid': 'deploy-excluded-row', 'data-paragraph-id': x.paragraphId },
    h('div', { class: 'build-head' }, h('span', { class: 'build-para' }, paragraphLabel(x))),
    h('div', { class: 'build-reason' }, x.reason),
  );
}

/**
 * formRow shows a baked form as it is written in the note ($${name} for a
 * paragraph's, $$${name} for the note's), its value, and where it is.
 */
function formRow(f: BakedForm, paragraphs: Map<string, string>): HTMLElement {
  const ref = (f.note ? '$$' : '$') + '{' + f.name + '}';
  const where = f.note ? 'note form' : (paragraphs.get(f.paragraphId) ?? '');
  return h('tr', { 'data-testid': 'deploy-form-row', 'data-name': f.name }, h('td', { class: 'mono' }, ref), h('td', { class: 'mono form-value' }, f.value), h('td', { class: 'muted' }, where));
}

/** runs groups repeated kinds that follow each other: DDL, DDL, DML → [DDL, 2], [DML, 1]. */
function runs(kinds: string[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const k of kinds) {
    const last = out[out.length - 1];
    if (last && last[0] === k) last[1]++;
    else out.push([k, 1]);
  }
  return out;
}

function table(rows: HTMLElement[]): HTMLElement {
  return h('table', { class: 'kv-table' }, h('tbody', null, rows));
}

function section(title: string, testid: string, content: HTMLElement): HTMLElement {
  return h('section', { class: 'build-section', 'data-testid': testid }, h('h3', null, title), content);
}
