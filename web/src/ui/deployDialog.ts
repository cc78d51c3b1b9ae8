// The deploy dialog of a note: Eddy builds the note as an application
// would run it and Flink validates it (nothing is stored yet); the dialog
// shows what the build kept and left out and why, the form values it bakes
// in, the script and the plan, and asks for the application's name,
// parallelism, target, tags and checkpoint interval. "Create" stores the
// application; "Create and start" starts it too, without state.
//
// When the note runs an INSERT job, the dialog offers "Deploy with state":
// the job is stopped with a savepoint and the application starts from it.
// It shows which paragraph's job that is and, operator by operator,
// whether the application restores its state. Should the server refuse
// because some state would be lost, it offers the three ways on: start
// without state (the notebook job keeps running), allow non-restored
// state, or cancel (nothing was stopped).

import type { Api } from '../api';
import { appHref, defaultAppName, paragraphLabel, parseTags, parseWhole, type Parsed } from '../model/applications';
import { ApiError } from '../api';
import type { Application, ApplicationTarget, BakedForm, BuildPreview, Exclusion, Inclusion, NewApplication, StateRefusal, StateSource } from '../schema';
import { cancelButton, codeBlock, dialogShell, modal, problemBox } from './appParts';
import { button, clear, h, icon, setText } from './dom';
import { checkView } from './stateCheck';
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
  /** With state (the note's running INSERT job handed over) or without; shown only when the note runs one. */
  private readonly withState = h('input', { type: 'radio', name: 'deploy-state', value: 'with', 'data-testid': 'deploy-with-state' });
  private readonly withoutState = h('input', { type: 'radio', name: 'deploy-state', value: 'without', checked: true, 'data-testid': 'deploy-without-state' });
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
    const src = p.stateSource;
    if (src) {
      form.prepend(this.stateChoices(src, paragraphs));
      build.prepend(stateSection(src, paragraphs));
    }
    this.body.replaceChildren(h('div', { class: 'deploy-cols' }, build, form));
    this.createBtn.disabled = false;
    this.startBtn.disabled = false;
    this.showStateChoice();
    this.name.focus();
    this.name.select();
  }

  /**
   * stateChoices is the choice between deploying with the running job's
   * state and without; with state is the default when it can be taken
   * over, unavailable (with the reason) when it cannot.
   */
  private stateChoices(src: StateSource, paragraphs: Map<string, string>): HTMLElement {
    const para = paragraphs.get(src.paragraphId ?? '') ?? 'a paragraph';
    const can = !src.unavailable && !!src.check;
    this.withState.disabled = !can;
    this.withState.checked = can;
    this.withoutState.checked = !can;
    for (const r of [this.withState, this.withoutState]) r.addEventListener('change', () => this.showStateChoice());
    return h(
      'div',
      { class: 'state-choices', role: 'radiogroup', 'aria-label': 'State', 'data-testid': 'deploy-state-choices' },
      h(
        'label',
        { class: 'choice' },
        this.withState,
        h(
          'span',
          null,
          h('b', null, 'Deploy with state'),
          h('span', { class: 'muted small' }, can ? `${para}’s running job stops with a savepoint; the application starts from it at once.` : `Unavailable: ${src.unavailable ?? 'the job’s plan cannot be compared'}`),
        ),
      ),
      h('label', { class: 'choice' }, this.withoutState, h('span', null, h('b', null, 'Without state'), h('span', { class: 'muted small' }, 'The notebook job keeps running; the application starts from scratch.'))),
    );
  }

  /** showStateChoice fits the buttons to the choice: a deploy with state creates and starts in one step. */
  private showStateChoice(): void {
    const withState = this.withState.checked && !this.created;
    this.el.dataset['withState'] = String(withState);
    this.createBtn.hidden = withState || this.created !== null;
    const label = this.startBtn.querySelector('.btn-label');
    if (label && !this.busy) setText(label, withState ? 'Deploy with state' : this.created ? 'Start' : 'Create and start');
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

  /**
   * create stores the application and, with start, starts it without
   * state. state, when given, overrides the dialog's choice of state: a
   * deploy with state (allowNonRestoredState once the user allowed it)
   * creates and starts in one request.
   */
  private async create(start: boolean, state?: { withState: boolean; allowNonRestoredState?: boolean }): Promise<void> {
    if (this.busy || !this.preview) return;
    let app = this.created;
    let body: NewApplication | null = null;
    const withState = state ? state.withState : this.withState.checked && !!this.preview.stateSource;
    if (!app) {
      const f = this.readForm();
      if (!f.ok) {
        this.showProblem(new Error(f.error), 'Not created');
        return;
      }
      body = withState ? { ...f.value, withState: true, ...(state?.allowNonRestoredState ? { allowNonRestoredState: true } : {}) } : f.value;
    }
    this.setBusy(true, start);
    try {
      if (!app && body) {
        app = await this.deps.api.createApplication(body);
        this.created = app;
      }
      if (!app) return;
      if (start && !withState) await this.deps.api.startApplication(app.id, 'NONE');
      this.dismiss();
      toast(withState ? `Application “${app.name}” is starting from the notebook job’s state` : start ? `Application “${app.name}” is starting` : `Application “${app.name}” created`, 'ok');
      this.deps.navigate(appHref(app.id));
    } catch (e) {
      const refusal = e instanceof ApiError ? e.state : undefined;
      if (refusal && !this.created) this.showStateRefusal(e as ApiError, refusal);
      else this.showProblem(e, this.created ? 'Created, but not started' : 'Not created');
    } finally {
      this.setBusy(false, start);
    }
  }

  /**
   * showStateRefusal says which operators would lose their state and
   * offers the three ways on: start without state, allow non-restored
   * state, or cancel. Nothing was stopped.
   */
  private showStateRefusal(err: ApiError, refusal: StateRefusal): void {
    clear(this.problem);
    const act = (label: string, testid: string, cls: string, run: () => void) => button({ label, cls, testid, onClick: run });
    this.problem.append(
      h(
        'div',
        { class: 'state-refusal', role: 'alert', 'data-testid': 'deploy-state-refused' },
        h('div', { class: 'state-refusal-title' }, 'The application cannot restore all of the notebook job’s state'),
        h('p', { class: 'small', 'data-testid': 'deploy-state-refused-message' }, err.message),
        checkView(refusal.check, 'deploy-refused-check'),
        h('p', { class: 'muted small' }, 'Nothing was stopped: the notebook job runs on.'),
        h(
          'div',
          { class: 'state-refusal-actions' },
          act('Start without state', 'deploy-refused-without-state', 'primary', () => void this.create(true, { withState: false })),
          act('Allow non-restored state', 'deploy-refused-allow', 'danger-outline', () => void this.create(true, { withState: true, allowNonRestoredState: true })),
          act('Cancel', 'deploy-refused-cancel', 'ghost', () => this.dismiss()),
        ),
      ),
    );
    this.problem.hidden = false;
    this.problem.scrollIntoView?.({ block: 'nearest' });
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
    for (const i of [this.name, this.parallelism, this.target, this.checkpoint, this.tags, this.withoutState]) i.disabled = busy || created;
    this.withState.disabled = busy || created || !this.preview?.stateSource?.check || !!this.preview.stateSource.unavailable;
    const label = this.startBtn.querySelector('.btn-label');
    if (label && busy && start) setText(label, created ? 'Starting…' : 'Creating…');
    if (busy) this.problem.hidden = true;
    else this.showStateChoice();
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

/** stateSection shows which paragraph's job a deploy with state takes over and what of its state the application restores. */
function stateSection(src: StateSource, paragraphs: Map<string, string>): HTMLElement {
  const para = paragraphs.get(src.paragraphId ?? '') ?? 'A paragraph';
  return section(
    'State of the running job',
    'deploy-state',
    h(
      'div',
      null,
      h('p', { class: 'small', 'data-testid': 'deploy-state-source', 'data-paragraph-id': src.paragraphId ?? '' }, `${para} runs INSERT job `, h('span', { class: 'mono' }, src.jobId ?? '—'), '.'),
      src.check
        ? checkView(src.check, 'deploy-state-check')
        : h('p', { class: 'muted small', 'data-testid': 'deploy-state-unavailable' }, `Its state cannot be taken over: ${src.unavailable ?? 'unknown'}`),
    ),
  );
}

function table(rows: HTMLElement[]): HTMLElement {
  return h('table', { class: 'kv-table' }, h('tbody', null, rows));
}

function section(title: string, testid: string, content: HTMLElement): HTMLElement {
  return h('section', { class: 'build-section', 'data-testid': testid }, h('h3', null, title), content);
}
