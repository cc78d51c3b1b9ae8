// The page of one application: its status and the actions that status
// allows (start with a restore choice, stop with a snapshot, force stop,
// take a snapshot, rescale, update to the note's current content with a
// state check, rebuild from the note, export its spec, delete), why it
// failed, its facts (target, parallelism, KPUs, checkpoints, job, uptime,
// metering, tags, note), its versions, its snapshots and its events. The
// application, its events and its snapshots are read every 2 s while shown;
// the versions when the application's version changes.

import { ApiError, type Api } from '../api';
import { actionsFor, formatDollars, formatInterval, formatUptime, noteHref, paragraphLabel, uptimeOf, type Actions } from '../model/applications';
import { explainError } from '../model/errors';
import { formatTime } from '../model/format';
import { Poller } from '../model/poller';
import { formatKpuHours } from '../model/sessions';
import type { AppEvent, Application, AppVersion, RestoreChoice, Snapshot, UpdateReport } from '../schema';
import { cancelButton, codeBlock, dialogShell, liveUpdates, modal, problemBox, setKpus, setStatus, statusBadge, syncRows } from './appParts';
import { button, clear, h, setText } from './dom';
import { download } from './notePage';
import { confirm, toast } from './overlay';
import { checkSummary, checkView, diffView } from './stateCheck';

/** How often the page reads the application, its events and its snapshots. */
export const APP_POLL_MS = 2_000;

export interface ApplicationPageDeps {
  api: Api;
  navigate: (path: string) => void;
  now?: () => number;
}

type ActionKey = 'start' | 'stop' | 'forceStop' | 'snapshot' | 'rescale' | 'update' | 'rebuild' | 'delete';

export class ApplicationPage {
  readonly el: HTMLElement;
  private readonly nameEl = h('h1', { class: 'app-name', 'data-testid': 'app-name' });
  private readonly crumbName = h('span', { class: 'crumb' });
  private readonly status = statusBadge('READY', undefined, 'app-status');
  private readonly versionPill = h('span', { class: 'pill', 'data-testid': 'app-version' });
  private readonly failure = h('div', { class: 'app-failure', role: 'alert', 'data-testid': 'app-failure', hidden: true });
  private readonly actionError = h('div', { class: 'app-action-error', hidden: true });
  private readonly missing = h('div', { class: 'empty', 'data-testid': 'app-missing', hidden: true });
  private readonly loadError = h('div', { class: 'inline-error', role: 'alert', 'data-testid': 'app-load-error', hidden: true });
  private readonly content: HTMLElement;
  private readonly buttons: Record<ActionKey, HTMLButtonElement>;
  private readonly facts = new Facts();
  private readonly versionsEl = h('div', { class: 'versions', 'data-testid': 'app-versions' });
  private readonly snapshotsBody = h('tbody');
  /** Hidden while there is no snapshot: column headings over nothing say nothing. */
  private readonly snapshotsHead = h('thead', null, h('tr', null, ['Snapshot', 'Taken', 'Trigger', 'Version', 'Path', ''].map((t) => h('th', t === 'Version' ? { class: 'num' } : null, t))));
  private readonly snapshotsEmpty = h('p', { class: 'muted small', hidden: true }, 'No snapshot yet. Stopping takes one, and so does Take snapshot while it runs.');
  private readonly eventsEl = h('ol', { class: 'events', 'data-testid': 'app-events' });
  private readonly poller: Poller;
  private stopLive: (() => void) | null = null;
  private app: Application | null = null;
  private snapshots: Snapshot[] = [];
  private readonly snapshotRows = new Map<string, SnapshotRow>();
  private versions: AppVersion[] | null = null;
  private versionsOf = -1;
  private eventsKey = '';
  /** The action in flight: every action button is disabled meanwhile. */
  private busy: ActionKey | null = null;
  private reads = 0;

  constructor(
    readonly applicationId: string,
    private readonly deps: ApplicationPageDeps,
  ) {
    const act = (key: ActionKey, o: { icon?: string; label: string; title: string; cls?: string; run: () => Promise<void> }) =>
      button({ icon: o.icon, label: o.label, title: o.title, cls: o.cls, testid: 'app-' + testidOf(key), disabled: true, onClick: () => void this.act(key, o.run) });
    this.buttons = {
      start: act('start', { icon: 'play', label: 'Start', title: 'Start it, restoring state from a snapshot or without state', cls: 'primary', run: () => this.start() }),
      stop: act('stop', { icon: 'stop', label: 'Stop', title: 'Take a snapshot, then stop its job and free its KPUs', run: () => this.stop(true) }),
      forceStop: act('forceStop', { label: 'Force stop', title: 'Stop its job at once, without a snapshot', cls: 'danger-outline', run: () => this.stop(false) }),
      snapshot: act('snapshot', { icon: 'download', label: 'Take snapshot', title: 'Take a savepoint of its running job', run: () => this.takeSnapshot() }),
      rescale: act('rescale', { label: 'Scale…', title: 'Change its parallelism: at once while it runs, keeping its state; from its next start while stopped', run: () => this.rescale() }),
      update: act('update', {
        icon: 'refresh',
        label: 'Update…',
        title: 'Build the note as it is now into a new version: see the script diff and which operators keep their state, then deploy it (a running application continues from a snapshot)',
        run: () => this.update(),
      }),
      rebuild: act('rebuild', { icon: 'refresh', label: 'Rebuild from note', title: 'Build the note as it is now into a new version, run from the next start', run: () => this.rebuild() }),
      delete: act('delete', { icon: 'trash', label: 'Delete', title: 'Delete it with its versions, snapshots and events', cls: 'ghost danger', run: () => this.remove() }),
    };
    const exportBtn = button({ icon: 'code', label: 'Export spec', title: 'Download it as a YAML spec, to apply later or elsewhere', cls: 'ghost', testid: 'app-export', onClick: () => void this.exportSpec() });
    const k8sBtn = button({
      icon: 'code',
      label: 'Kubernetes',
      title: 'Download it as a FlinkDeployment for the Flink Kubernetes Operator, starting from its latest snapshot (see docs/kubernetes.md)',
      cls: 'ghost',
      testid: 'app-export-kubernetes',
      onClick: () => void this.exportKubernetes(),
    });
    this.content = h(
      'div',
      { class: 'app-content' },
      h(
        'div',
        { class: 'app-head' },
        this.nameEl,
        this.status,
        this.versionPill,
        h('span', { class: 'spacer' }),
        h('div', { class: 'app-actions' }, this.buttons.start, this.buttons.stop, this.buttons.forceStop, this.buttons.snapshot, this.buttons.rescale, this.buttons.update, this.buttons.rebuild, exportBtn, k8sBtn, this.buttons.delete),
      ),
      this.failure,
      this.actionError,
      h(
        'div',
        { class: 'app-grid' },
        h('section', { class: 'card app-card' }, h('h2', null, 'Details'), this.facts.el),
        h(
          'div',
          { class: 'app-col' },
          h(
            'section',
            { class: 'card app-card' },
            h('h2', null, 'Snapshots'),
            h(
              'table',
              { class: 'apps-table snapshots', 'data-testid': 'app-snapshots' },
              this.snapshotsHead,
              this.snapshotsBody,
            ),
            this.snapshotsEmpty,
          ),
          h('section', { class: 'card app-card' }, h('h2', null, 'Versions'), this.versionsEl),
          h('section', { class: 'card app-card' }, h('h2', null, 'Events'), this.eventsEl),
        ),
      ),
    );
    this.el = h(
      'div',
      { class: 'page app-page', 'data-testid': 'app-page' },
      h('div', { class: 'crumbs app-crumbs' }, h('a', { href: '/applications', 'data-link': '', class: 'crumb' }, 'Applications'), h('span', { class: 'crumb-sep' }, '/'), this.crumbName),
      this.loadError,
      this.missing,
      this.content,
    );
    this.content.hidden = true;
    this.poller = new Poller({ intervalMs: APP_POLL_MS, maxIntervalMs: 15_000, run: () => this.refresh() });
  }

  async mount(): Promise<void> {
    document.title = 'Application · Eddy';
    this.stopLive = liveUpdates(this.poller, () => this.tick());
  }

  destroy(): void {
    this.stopLive?.();
    this.stopLive = null;
  }

  /** refresh reads the application, its snapshots and events (and its versions when they may have changed) and shows them. */
  async refresh(): Promise<void> {
    const n = ++this.reads;
    const api = this.deps.api;
    const id = this.applicationId;
    let app: Application;
    let snapshots: Snapshot[];
    let events: AppEvent[];
    try {
      [app, snapshots, events] = await Promise.all([api.getApplication(id), api.listSnapshots(id), api.listApplicationEvents(id)]);
    } catch (e) {
      if (n !== this.reads) return;
      if (e instanceof ApiError && e.status === 404) {
        this.showMissing();
        return;
      }
      this.showLoadError(e);
      throw e;
    }
    if (n !== this.reads) return;
    this.loadError.hidden = true;
    this.show(app, snapshots, events);
    if (this.versions === null || this.versionsOf !== app.version) {
      try {
        await this.refreshVersions();
      } catch (e) {
        this.showLoadError(e);
        throw e;
      }
    }
  }

  /** showLoadError says why the last read failed; the page keeps what it showed and reads again. */
  private showLoadError(e: unknown): void {
    this.loadError.hidden = false;
    setText(this.loadError, `Could not read the application: ${(e as Error).message}. Trying again…`);
  }

  private async refreshVersions(): Promise<void> {
    const app = this.app;
    if (!app) return;
    const versions = await this.deps.api.listVersions(this.applicationId);
    this.versions = versions;
    this.versionsOf = app.version;
    this.renderVersions();
  }

  private showMissing(): void {
    this.destroy();
    this.content.hidden = true;
    this.missing.hidden = false;
    this.missing.replaceChildren(h('p', null, `There is no application ${this.applicationId}.`), h('a', { href: '/applications', 'data-link': '' }, 'Back to the applications'));
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** show renders what the last read returned. */
  show(app: Application, snapshots: Snapshot[], events: AppEvent[]): void {
    this.app = app;
    this.snapshots = snapshots;
    this.content.hidden = false;
    this.missing.hidden = true;
    document.title = `${app.name} · Applications · Eddy`;
    setText(this.nameEl, app.name);
    setText(this.crumbName, app.name);
    setStatus(this.status, app.status, app.failure);
    this.el.dataset['status'] = app.status;
    setText(this.versionPill, `version ${app.version}`);
    this.renderFailure(app);
    this.renderActions();
    this.facts.update(app, this.now());
    this.renderSnapshots();
    this.renderEvents(events);
    if (this.versions !== null) this.markCurrentVersion();
  }

  private tick(): void {
    if (this.app) this.facts.tick(this.app, this.now());
  }

  private renderFailure(app: Application): void {
    const failed = app.status === 'FAILED' && !!app.failure;
    this.failure.hidden = !failed;
    const text = failed ? (app.failure ?? '') : '';
    if (this.failure.dataset['text'] === text) return;
    this.failure.dataset['text'] = text;
    clear(this.failure);
    if (!failed) return;
    const e = explainError(text);
    this.failure.append(
      h('div', { class: 'refused-title' }, 'The application failed'),
      h('div', { class: 'err-cause', 'data-testid': 'app-failure-cause' }, e.rootCause || text),
    );
    if (e.hasMore) this.failure.append(h('details', { class: 'err-trace' }, h('summary', null, 'Full error'), h('pre', null, e.full)));
  }

  /** actions returns what the shown status allows, nothing while an action is in flight. */
  private actions(): Actions | null {
    return this.app && this.busy === null ? actionsFor(this.app.status) : null;
  }

  private renderActions(): void {
    const a = this.actions();
    for (const [key, b] of Object.entries(this.buttons) as Array<[ActionKey, HTMLButtonElement]>) b.disabled = !a || !a[key];
    for (const r of this.snapshotRows.values()) r.enable(a);
  }

  /** act runs one action with the buttons disabled, shows its failure inline and reads the application afresh. */
  private async act(key: ActionKey, run: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = key;
    this.el.dataset['busy'] = key;
    this.renderActions();
    try {
      await run();
      this.clearActionError();
    } catch (e) {
      this.showActionError(e, failureTitle[key]);
    } finally {
      this.busy = null;
      delete this.el.dataset['busy'];
      this.renderActions();
      this.poller.poke();
    }
  }

  private showActionError(err: unknown, title: string): void {
    const app = this.app;
    clear(this.actionError);
    this.actionError.append(
      problemBox(err, {
        title,
        testid: 'app-action-error',
        onParagraph: app ? (pid) => this.deps.navigate(`${noteHref(app.noteId)}/paragraph/${encodeURIComponent(pid)}`) : undefined,
      }),
    );
    this.actionError.firstElementChild?.append(button({ icon: 'x', title: 'Dismiss', cls: 'ghost', testid: 'app-action-error-dismiss', onClick: () => this.clearActionError() }));
    this.actionError.hidden = false;
  }

  private clearActionError(): void {
    this.actionError.hidden = true;
    clear(this.actionError);
  }

  private async start(restore?: RestoreChoice): Promise<void> {
    const app = this.app;
    if (!app) return;
    const choice = restore ?? (await chooseRestore(app, this.snapshots));
    if (choice === null) return;
    const out = await this.deps.api.startApplication(app.id, choice);
    toast(`“${out.name}” is starting`, 'ok');
  }

  private async stop(snapshot: boolean): Promise<void> {
    const app = this.app;
    if (!app) return;
    if (!snapshot && !(await confirm(`Force stop “${app.name}”?`, 'Its job stops at once, without a snapshot: the state since its last snapshot is lost unless a checkpoint of it is kept.', 'Force stop'))) return;
    await this.deps.api.stopApplication(app.id, snapshot);
    toast(snapshot ? `“${app.name}” is stopping with a snapshot` : `“${app.name}” is stopping`, 'ok');
  }

  private async takeSnapshot(): Promise<void> {
    const app = this.app;
    if (!app) return;
    const s = await this.deps.api.takeSnapshot(app.id);
    toast(`Snapshot ${s.id} taken`, 'ok');
  }

  private async rescale(): Promise<void> {
    const app = this.app;
    if (!app) return;
    const choice = await chooseScaling(app);
    if (choice === null) return;
    const change: { parallelism?: number; autoScalingEnabled?: boolean } = {};
    if (choice.parallelism !== app.parallelism) change.parallelism = choice.parallelism;
    if (choice.autoScalingEnabled !== app.autoScalingEnabled) change.autoScalingEnabled = choice.autoScalingEnabled;
    if (Object.keys(change).length === 0) return;
    const out = await this.deps.api.updateApplication(app.id, change);
    const n = choice.parallelism;
    if (change.parallelism !== undefined) toast(out.status === 'UPDATING' ? `“${out.name}” is rescaling to parallelism ${n}` : `“${out.name}” runs with parallelism ${n} from its next start`, 'ok');
    else toast(`Autoscaling of “${out.name}” is ${choice.autoScalingEnabled ? 'on' : 'off'}`, 'ok');
  }

  /**
   * update runs a dry run, shows its diff and state check, and deploys the
   * new version when confirmed (dropping the state that cannot be restored
   * only when the user chose to).
   */
  private async update(): Promise<void> {
    const app = this.app;
    if (!app) return;
    const label = this.buttons.update.querySelector('.btn-label');
    if (label) setText(label, 'Checking…');
    let dry: UpdateReport;
    try {
      dry = await this.deps.api.updateApplicationVersion(app.id, { dryRun: true });
    } finally {
      if (label) setText(label, 'Update…');
    }
    const choice = await chooseUpdate(app, dry);
    if (choice === null) return;
    const out = await this.deps.api.updateApplicationVersion(app.id, { allowNonRestoredState: choice.allowNonRestoredState });
    const a = out.application;
    toast(a?.status === 'UPDATING' ? `“${app.name}” is updating to version ${out.to}` : `Version ${out.to} is current; it runs from the next start`, 'ok');
    await this.refreshVersions();
  }

  private async rebuild(): Promise<void> {
    const app = this.app;
    if (!app) return;
    const v = await this.deps.api.rebuildApplication(app.id);
    toast(`Version ${v.number} built from the note; it runs from the next start`, 'ok');
    await this.refreshVersions();
  }

  private async remove(): Promise<void> {
    const app = this.app;
    if (!app) return;
    if (!(await confirm(`Delete “${app.name}”?`, 'The application is deleted with its versions, snapshots and events. Its note stays. This cannot be undone.'))) return;
    await this.deps.api.deleteApplication(app.id);
    toast(`Application “${app.name}” deleted`, 'ok');
    this.deps.navigate('/applications');
  }

  private async exportSpec(): Promise<void> {
    const app = this.app;
    if (!app) return;
    try {
      download(`${app.name}.yaml`, await this.deps.api.applicationSpec(app.id, 'yaml'), 'application/yaml');
    } catch (e) {
      this.showActionError(e, 'Not exported');
    }
  }

  private async exportKubernetes(): Promise<void> {
    const app = this.app;
    if (!app) return;
    try {
      download(`${app.name}.flinkdeployment.yaml`, await this.deps.api.kubernetesManifest(app.id), 'application/yaml');
    } catch (e) {
      this.showActionError(e, 'Not exported');
    }
  }

  private async startFrom(s: Snapshot): Promise<void> {
    await this.act('start', () => this.start({ snapshotId: s.id }));
  }

  private async deleteSnapshot(s: Snapshot): Promise<void> {
    const app = this.app;
    if (!app) return;
    if (!(await confirm(`Delete snapshot ${s.id}?`, 'Its savepoint files are deleted; the application can no longer start from it.'))) return;
    try {
      await this.deps.api.deleteSnapshot(app.id, s.id);
      toast(`Snapshot ${s.id} deleted`, 'ok');
    } catch (e) {
      this.showActionError(e, 'Snapshot not deleted');
    }
    this.poller.poke();
  }

  private renderSnapshots(): void {
    const list = this.snapshots;
    this.snapshotsEmpty.hidden = list.length > 0;
    this.snapshotsHead.hidden = list.length === 0;
    const a = this.actions();
    syncRows(
      this.snapshotsBody,
      this.snapshotRows,
      list,
      (s) => s.id,
      (s) => new SnapshotRow(s, { start: (x) => void this.startFrom(x), remove: (x) => void this.deleteSnapshot(x) }),
      (r) => r.enable(a),
    );
  }

  private renderEvents(events: AppEvent[]): void {
    const key = events.map((e) => e.id).join(',');
    if (key === this.eventsKey) return;
    this.eventsKey = key;
    this.eventsEl.replaceChildren(
      ...(events.length === 0
        ? [h('li', { class: 'muted small' }, 'No event yet.')]
        : events.map((e) =>
            h(
              'li',
              { class: 'event', 'data-testid': 'event-row', 'data-kind': e.kind, 'data-event-id': String(e.id) },
              h('time', { class: 'event-at', datetime: e.at, title: e.at }, formatTime(Date.parse(e.at))),
              h('span', { class: 'pill event-kind', 'data-kind': e.kind }, e.kind),
              h('span', { class: 'event-msg' }, e.message),
            ),
          )),
    );
  }

  private renderVersions(): void {
    const list = this.versions ?? [];
    const open = new Set([...this.versionsEl.querySelectorAll<HTMLDetailsElement>('details.version[open]')].map((d) => d.dataset['version']));
    this.versionsEl.replaceChildren(
      ...(list.length === 0
        ? [h('p', { class: 'muted small' }, 'No version.')]
        : list.map((v) =>
            h(
              'details',
              { class: 'version', 'data-testid': 'version-row', 'data-version': String(v.number), open: open.has(String(v.number)) },
              h(
                'summary',
                null,
                h('span', { class: 'version-num' }, `Version ${v.number}`),
                h('span', { class: 'pill current', 'data-testid': 'version-current', hidden: true }, 'current'),
                h('span', { class: 'muted small' }, formatTime(Date.parse(v.createdAt))),
                h('span', { class: 'muted small', title: 'The note’s revision it was built from' }, `revision ${v.noteRevision.slice(0, 12) || '—'}`),
                h('span', { class: 'muted small', 'data-testid': 'version-excluded' }, `${v.excluded.length} left out`),
                v.stateCheck ? h('span', { class: 'pill', 'data-testid': 'version-stateful', title: checkSummary(v.stateCheck) }, v.stateCheck.compatible ? 'state carried over' : 'state partly dropped') : null,
              ),
              v.excluded.length > 0
                ? h('ul', { class: 'build-list' }, v.excluded.map((x) => h('li', null, h('span', { class: 'build-para' }, paragraphLabel(x)), h('div', { class: 'build-reason' }, x.reason))))
                : null,
              v.stateCheck ? versionCheck(v) : null,
              codeBlock('Script', v.script, 'version-script', true, true),
              codeBlock('Plan', v.plan, 'version-plan', false),
            ),
          )),
    );
    this.markCurrentVersion();
  }

  private markCurrentVersion(): void {
    const current = String(this.app?.version ?? '');
    for (const d of this.versionsEl.querySelectorAll<HTMLElement>('.version')) {
      const is = d.dataset['version'] === current;
      d.dataset['current'] = is ? 'true' : 'false';
      const pill = d.querySelector<HTMLElement>('.pill.current');
      if (pill) pill.hidden = !is;
    }
  }
}

const failureTitle: Record<ActionKey, string> = {
  start: 'Not started',
  stop: 'Not stopped',
  forceStop: 'Not stopped',
  snapshot: 'No snapshot taken',
  rescale: 'Not rescaled',
  update: 'Not updated',
  rebuild: 'Not rebuilt',
  delete: 'Not deleted',
};

function testidOf(key: ActionKey): string {
  return key === 'forceStop' ? 'force-stop' : key;
}

/** Facts is the application's details, kept as elements updated in place (a poll never replaces the link under the pointer). */
class Facts {
  readonly el: HTMLElement;
  private readonly v: Record<string, HTMLElement> = {};
  private readonly flink = h('span');
  private readonly note = h('a', { 'data-link': '', 'data-testid': 'app-note-link' });
  private readonly tags = h('span', { class: 'tags', 'data-testid': 'app-tags' });
  private readonly job = h('span', { class: 'mono', 'data-testid': 'app-job' });

  constructor() {
    const row = (key: string, label: string, value?: HTMLElement) => {
      const v = value ?? h('span', { 'data-testid': 'app-' + key });
      if (!value) this.v[key] = v;
      return h('div', { class: 'kv', 'data-fact': key }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, v));
    };
    this.el = h(
      'div',
      { class: 'app-facts', 'data-testid': 'app-facts' },
      row('target', 'Target'),
      row('parallelism', 'Parallelism'),
      row('autoscaling', 'Autoscaling'),
      row('kpus', 'KPUs held'),
      row('uptime', 'Uptime'),
      row('cost', 'Cost'),
      row('kpu-hours', 'Metered'),
      row('checkpoint', 'Checkpoint interval'),
      row('job', 'Flink job', this.job),
      row('flink', 'Flink UI', this.flink),
      row('note', 'Note', this.note),
      row('tags', 'Tags', this.tags),
      row('created', 'Created'),
      row('updated', 'Updated'),
    );
  }

  update(a: Application, now: number): void {
    this.set('target', a.target === 'standalone' ? 'standalone (its own cluster)' : 'session (notebook cluster)');
    this.set('parallelism', parallelismText(a));
    this.set('autoscaling', a.autoScalingEnabled ? (a.target === 'standalone' ? 'on' : 'on (acts on its own cluster only)') : 'off');
    const kpus = this.v['kpus'];
    if (kpus) setKpus(kpus, a);
    this.set('cost', formatDollars(a.cost));
    this.set('kpu-hours', formatKpuHours(a.kpuHours));
    this.set('checkpoint', formatInterval(a.checkpointIntervalMs));
    setText(this.job, a.jobId ?? '—');
    this.set('created', formatTime(Date.parse(a.createdAt)));
    this.set('updated', formatTime(Date.parse(a.updatedAt)));
    const url = a.flinkUrl ?? '';
    if (this.flink.dataset['url'] !== url) {
      this.flink.dataset['url'] = url;
      this.flink.replaceChildren(url ? h('a', { href: url, target: '_blank', rel: 'noopener', 'data-testid': 'app-flink-link' }, 'Open ↗') : h('span', { class: 'muted' }, '—'));
    }
    const href = noteHref(a.noteId);
    if (this.note.getAttribute('href') !== href) this.note.setAttribute('href', href);
    setText(this.note, a.noteName || a.noteId);
    const tags = Object.entries(a.tags ?? {});
    const key = JSON.stringify(tags);
    if (this.tags.dataset['key'] !== key) {
      this.tags.dataset['key'] = key;
      this.tags.replaceChildren(...(tags.length === 0 ? [h('span', { class: 'muted' }, '—')] : tags.map(([k, v]) => h('span', { class: 'tag-chip', 'data-tag': k }, `${k}=${v}`))));
    }
    this.tick(a, now);
  }

  tick(a: Application, now: number): void {
    const up = uptimeOf(a, now);
    this.set('uptime', up === undefined ? '—' : formatUptime(up));
  }

  private set(key: string, text: string): void {
    const el = this.v[key];
    if (el) setText(el, text);
  }
}

/** One snapshot of the table, with its own start and delete. */
class SnapshotRow {
  readonly el: HTMLElement;
  private readonly startBtn: HTMLButtonElement;
  private readonly deleteBtn: HTMLButtonElement;

  constructor(s: Snapshot, on: { start: (s: Snapshot) => void; remove: (s: Snapshot) => void }) {
    this.startBtn = button({ icon: 'play', label: 'Start from this', cls: 'small', testid: 'snapshot-start', disabled: true, onClick: () => on.start(s) });
    this.deleteBtn = button({ icon: 'trash', title: 'Delete this snapshot', cls: 'ghost danger small', testid: 'snapshot-delete', disabled: true, onClick: () => on.remove(s) });
    this.el = h(
      'tr',
      { 'data-testid': 'snapshot-row', 'data-snapshot-id': s.id, 'data-trigger': s.trigger },
      h('td', { class: 'mono' }, s.id),
      h('td', null, formatTime(Date.parse(s.createdAt))),
      h('td', null, s.trigger),
      h('td', { class: 'num' }, String(s.version)),
      h('td', { class: 'mono path', title: s.path }, s.path),
      h('td', { class: 'row-btns' }, this.startBtn, this.deleteBtn),
    );
  }

  enable(a: Actions | null): void {
    this.startBtn.disabled = !a?.start;
    this.deleteBtn.disabled = !a?.deleteSnapshot;
  }
}

/** parallelismText is what an application runs at: its parallelism, what autoscaling made of it, and its maximum. */
export function parallelismText(a: Pick<Application, 'parallelism' | 'currentParallelism' | 'maxParallelism'>): string {
  return a.currentParallelism !== a.parallelism
    ? `${a.currentParallelism} (autoscaled from ${a.parallelism}; at most ${a.maxParallelism})`
    : `${a.parallelism} (at most ${a.maxParallelism})`;
}

/** What the Scale dialog chose. */
export interface ScalingChoice {
  parallelism: number;
  autoScalingEnabled: boolean;
}

/**
 * chooseScaling asks for an application's parallelism, between 1 and its
 * maximum (fixed at creation), and whether it autoscales, saying what a
 * change does: a running application is rescaled at once and keeps its
 * state (in place on its own cluster; by a snapshot and a restart on the
 * notebook cluster), its KPUs following; a stopped one takes it at its
 * next start. It resolves with the choice, or null when cancelled.
 */
export function chooseScaling(app: Application): Promise<ScalingChoice | null> {
  return new Promise((resolve) => {
    const input = h('input', { type: 'number', class: 'input', min: '1', max: String(app.maxParallelism), step: '1', value: String(app.parallelism), 'data-testid': 'rescale-input', 'aria-label': 'Parallelism' });
    const auto = h('input', { type: 'checkbox', checked: app.autoScalingEnabled, 'data-testid': 'rescale-autoscale' });
    const problem = h('div', { class: 'inline-error small', role: 'alert', 'data-testid': 'rescale-problem', hidden: true });
    const how =
      app.status !== 'RUNNING'
        ? 'It is not running: the new parallelism applies from its next start.'
        : app.target === 'standalone'
          ? 'It runs on its own cluster: Flink rescales the job in place at its next checkpoint, restoring its state; Eddy starts or stops TaskManagers as the slots require.'
          : 'It runs on the notebook cluster: the job is stopped with a snapshot and started again from it at the new parallelism.';
    let close: () => void = () => undefined;
    const done = (v: ScalingChoice | null) => {
      close();
      resolve(v);
    };
    const submit = () => {
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 1 || n > app.maxParallelism) {
        problem.hidden = false;
        problem.textContent = `Choose a whole number from 1 to ${app.maxParallelism}, its maximum parallelism (fixed when it was created).`;
        return;
      }
      done({ parallelism: n, autoScalingEnabled: auto.checked });
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') submit();
    });
    const ok = button({ label: 'Scale', cls: 'primary', testid: 'rescale-confirm', onClick: submit });
    const body = h(
      'div',
      { class: 'rescale-form' },
      h('label', { class: 'field' }, h('span', null, 'Parallelism'), input),
      problem,
      h('p', { class: 'muted small', 'data-testid': 'rescale-how' }, how),
      h('p', { class: 'muted small' }, `Now ${parallelismText(app)}, holding ${app.kpus} KPUs while it runs; the KPUs follow the parallelism, reserved before anything changes.`),
      h(
        'label',
        { class: 'choice' },
        auto,
        h('span', null, h('b', null, 'Autoscale'), h('span', { class: 'muted small' }, ' on CPU (by default it doubles at 75 % or more for 15 minutes and halves below 10 % for 6 hours), never below this parallelism; on its own cluster only.')),
      ),
    );
    const dialog = dialogShell(`Scale “${app.name}”`, 'rescale-dialog', body, [cancelButton(() => done(null), 'rescale-cancel'), ok], 'rescale');
    close = modal(dialog, () => done(null));
    input.focus();
    input.select();
  });
}

/** versionCheck shows what a version that took over state restored of it, behind a disclosure. */
function versionCheck(v: AppVersion): HTMLElement | null {
  const c = v.stateCheck;
  if (!c) return null;
  return h(
    'details',
    { class: 'code-block version-check', 'data-testid': 'version-state-check' },
    h('summary', null, `State taken over: ${checkSummary(c)}${v.allowNonRestoredState ? ' (allowed to drop state)' : ''}`),
    checkView(c, 'version-check'),
  );
}

/** What the update dialog chose. */
export interface UpdateChoice {
  allowNonRestoredState: boolean;
}

/**
 * chooseUpdate shows a dry run's report: the script diff, which stateful
 * operators keep their state (or why there is no check), and what the
 * update does at the application's status. Its button says when state
 * would be dropped. It resolves with the choice, or null when cancelled.
 */
export function chooseUpdate(app: Application, rep: UpdateReport): Promise<UpdateChoice | null> {
  return new Promise((resolve) => {
    let close: () => void = () => undefined;
    const done = (v: UpdateChoice | null) => {
      close();
      resolve(v);
    };
    const lossy = !!rep.check && !rep.check.compatible;
    const how =
      app.status === 'RUNNING'
        ? `It runs: a snapshot is taken, its job stops and version ${rep.to} starts from the snapshot (status UPDATING). If version ${rep.to} fails before its first checkpoint, version ${rep.from} starts again from the same snapshot (ROLLING_BACK).`
        : `It is not running: version ${rep.to} becomes current and runs from its next start.`;
    const ok = button({
      icon: 'refresh',
      label: lossy ? 'Update, dropping state that cannot be restored' : 'Update',
      cls: lossy ? 'danger' : 'primary',
      testid: 'update-confirm',
      onClick: () => done({ allowNonRestoredState: lossy }),
    });
    const body = h(
      'div',
      { class: 'update-body' },
      h('p', { class: 'small', 'data-testid': 'update-versions' }, `Version ${rep.from} → version ${rep.to}, built from the note as it is now.`),
      h('section', null, h('h3', null, 'Script changes'), diffView(rep.diff, 'update-diff')),
      h(
        'section',
        null,
        h('h3', null, 'State'),
        rep.check ? checkView(rep.check, 'update-check') : h('p', { class: 'muted small', 'data-testid': 'update-uncheckable' }, `No check: ${rep.uncheckable ?? 'the plans cannot be compared'}`),
      ),
      h('p', { class: 'muted small', 'data-testid': 'update-how' }, how),
    );
    const dialog = dialogShell(`Update “${app.name}”`, 'update-dialog', body, [cancelButton(() => done(null), 'update-cancel'), ok], 'update');
    dialog.dataset['compatible'] = String(!lossy);
    close = modal(dialog, () => done(null));
    ok.focus();
  });
}

/**
 * chooseRestore asks where a start's state comes from: the latest
 * snapshot (the default), none, or a chosen snapshot. It resolves with the
 * choice, or null when cancelled.
 */
export function chooseRestore(app: Application, snapshots: Snapshot[]): Promise<RestoreChoice | null> {
  return new Promise((resolve) => {
    const radio = (value: string, checked: boolean, disabled = false) => h('input', { type: 'radio', name: 'restore', value, checked, disabled, 'data-testid': 'start-restore-' + value });
    const latest = snapshots[0];
    const select = h(
      'select',
      { class: 'input', disabled: snapshots.length === 0, 'data-testid': 'start-snapshot-select', 'aria-label': 'Snapshot' },
      snapshots.map((s) => h('option', { value: s.id }, `${s.id} · ${formatTime(Date.parse(s.createdAt))} · ${s.trigger} · v${s.version}`)),
    );
    const choices = {
      latest: radio('latest', true),
      none: radio('none', false),
      snapshot: radio('snapshot', false, snapshots.length === 0),
    };
    select.addEventListener('change', () => {
      choices.snapshot.checked = true;
    });
    let close: () => void = () => undefined;
    const done = (v: RestoreChoice | null) => {
      close();
      resolve(v);
    };
    const ok = button({
      icon: 'play',
      label: 'Start',
      cls: 'primary',
      testid: 'start-confirm',
      onClick: () => done(choices.none.checked ? 'NONE' : choices.snapshot.checked && select.value ? { snapshotId: select.value } : 'LATEST_SNAPSHOT'),
    });
    const body = h(
      'div',
      { class: 'restore-choices' },
      h('label', { class: 'choice' }, choices.latest, h('span', null, h('b', null, 'Latest snapshot'), h('span', { class: 'muted small' }, latest ? ` ${latest.id}, ${formatTime(Date.parse(latest.createdAt))} (${latest.trigger})` : ' none yet: it starts without state')),
      ),
      h('label', { class: 'choice' }, choices.none, h('span', null, h('b', null, 'No state'), h('span', { class: 'muted small' }, ' start from scratch'))),
      h('label', { class: 'choice' }, choices.snapshot, h('span', null, h('b', null, 'This snapshot:'))),
      select,
    );
    const dialog = dialogShell(`Start “${app.name}”`, 'start-dialog', body, [cancelButton(() => done(null), 'start-cancel'), ok], 'restore');
    close = modal(dialog, () => done(null));
    ok.focus();
  });
}

