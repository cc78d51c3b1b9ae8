// The job inspector of a paragraph: what Eddy concludes about its job (the
// diagnoses, shown on the paragraph even with the inspector closed, each with
// SQL to copy or insert as a new paragraph) and, behind the "Inspect" toggle
// beside the Flink job link, the job's state, checkpoints and a table of its
// operators. It follows the inspections in the paragraph's live state; every
// figure and name goes in as text.

import {
  backpressureLevel,
  checkpointLine,
  diagnosesOf,
  diagnosisTitle,
  formatIdle,
  formatLag,
  formatPercent,
  formatRecords,
  formatUtc,
  NONE,
  suggestionParagraph,
  type Diagnosis,
  type Inspection,
  type Operator,
} from '../model/inspect';
import { formatCount, formatDuration } from '../model/format';
import type { ParagraphLiveState } from '../model/live';
import { RUNNING_STATES } from '../model/note';
import { button, h, icon, setText, toggleClass } from './dom';
import { toast } from './overlay';
import './inspector.css';

export interface InspectorHost {
  /** Add a paragraph holding text right below this one. */
  insertBelow: (text: string) => void;
  /**
   * Fetch the paragraph's latest inspection from the server (undefined when
   * it has none): for a run that ended before this tab followed it, whose
   * live state the page does not show.
   */
  load?: () => Promise<Inspection | undefined>;
}

/** The operator table's columns: heading, its explanation, and the cell's text. */
const columns: Array<{ head: string; title: string; cell: (op: Operator) => string; cls?: string }> = [
  { head: 'Operator', title: 'As Flink names it; sources first', cell: (op) => op.name, cls: 'name' },
  { head: 'Par.', title: 'Parallelism', cell: (op) => String(op.parallelism), cls: 'num' },
  { head: 'Records in', title: 'Records received, summed over subtasks, and the rate now', cell: (op) => formatRecords(op.recordsIn, op.inRate), cls: 'num' },
  { head: 'Records out', title: 'Records sent, summed over subtasks, and the rate now', cell: (op) => formatRecords(op.recordsOut, op.outRate), cls: 'num' },
  { head: 'Watermark (UTC)', title: 'Lowest input watermark over the subtasks (for a source or a watermark assigner, the watermark it emits); — while none has arrived', cell: (op) => formatUtc(op.inputWatermark), cls: 'time' },
  { head: 'Behind clock', title: 'How far the watermark is behind wall-clock time', cell: (op) => formatLag(op.watermarkLagMs), cls: 'num' },
  { head: 'Behind event time', title: 'How far the watermark is behind the largest event time the sources have seen', cell: (op) => formatLag(op.eventTimeLagMs), cls: 'num' },
  { head: 'Idle', title: 'Subtasks that receive nothing and so hold the watermark back', cell: (op) => formatIdle(op.idleSubtasks) },
  { head: 'Backpressure', title: 'Flink’s backpressure level for the task: ok, low or high', cell: (op) => backpressureLevel(op) || NONE, cls: 'bp' },
  { head: 'Busy', title: 'Busy time of the busiest subtask', cell: (op) => formatPercent(op.busyRatio), cls: 'num' },
  { head: 'Late dropped', title: 'Records a window dropped because they came after the watermark', cell: (op) => (op.lateRecordsDropped === undefined || op.lateRecordsDropped === null ? NONE : formatCount(op.lateRecordsDropped)), cls: 'num' },
];

/** InspectorView is a paragraph's inspector: the toggle (for the header) and the diagnoses and panel (above the result). */
export class InspectorView {
  /** The "Inspect" toggle, shown once the paragraph has (or had) a job. */
  readonly toggle: HTMLButtonElement;
  /** The diagnoses and, when open, the panel. */
  readonly el: HTMLElement;
  private readonly diagsEl: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly stateEl = h('span', { class: 'insp-state', 'data-testid': 'inspect-state' });
  private readonly runningEl = h('span', { 'data-testid': 'inspect-running-for' });
  private readonly sampledEl = h('span', { 'data-testid': 'inspect-sampled-at' });
  /** Says the figures are from before the run ended (the job state is as sampled then). */
  private readonly endedEl = h('span', { class: 'insp-ended', 'data-testid': 'inspect-ended' }, 'the last look before the run ended');
  private readonly checkpointEl = h('div', { class: 'insp-line', 'data-testid': 'inspect-checkpoint' });
  private readonly waitingEl = h('div', { class: 'insp-waiting', 'data-testid': 'inspect-waiting' });
  private readonly summaryEl: HTMLElement;
  private readonly tableWrap: HTMLElement;
  private readonly tbody = h('tbody');
  private isOpen = false;
  private diagKey = '';
  private last: Inspection | undefined;
  private lastRunning = false;
  /** The paragraph has live state this tab follows. */
  private lastLive = false;
  /** What load fetched while the live state had no inspection; 'none' when the server had none either. */
  private loaded: Inspection | 'loading' | 'none' | 'failed' | undefined;
  private fetching = false;

  constructor(private readonly host: InspectorHost) {
    this.toggle = button({ icon: 'search', label: 'Inspect', title: 'Show the job’s operators, watermarks and checkpoints', cls: 'ghost insp-toggle', testid: 'inspect-toggle', onClick: () => this.setOpen(!this.isOpen) });
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.hidden = true;
    this.diagsEl = h('div', { class: 'insp-diags', 'data-testid': 'diagnoses', hidden: true });
    this.summaryEl = h('div', { class: 'insp-line insp-summary' }, this.stateEl, this.runningEl, this.sampledEl, this.endedEl);
    const thead = h('thead', null, h('tr', null, ...columns.map((c) => h('th', { title: c.title, class: c.cls }, c.head))));
    this.tableWrap = h('div', { class: 'insp-table-wrap' }, h('table', { class: 'insp-table', 'data-testid': 'inspect-operators' }, thead, this.tbody));
    this.panel = h(
      'div',
      { class: 'insp-panel', 'data-testid': 'inspect-panel', hidden: true, role: 'region', 'aria-label': 'Job inspector' },
      this.waitingEl,
      this.summaryEl,
      this.checkpointEl,
      this.tableWrap,
    );
    this.el = h('div', { class: 'inspector' }, this.diagsEl, this.panel);
    this.el.hidden = true;
  }

  get open(): boolean {
    return this.isOpen;
  }

  /** setOpen opens or closes the panel. */
  setOpen(open: boolean): void {
    this.isOpen = open;
    this.toggle.setAttribute('aria-expanded', String(open));
    toggleClass(this.toggle, 'on', open);
    // Without live state, every opening fetches the latest inspection the server keeps.
    if (open && !this.lastLive && this.host.load && !this.fetching) void this.load(this.host.load);
    this.draw();
  }

  private async load(load: () => Promise<Inspection | undefined>): Promise<void> {
    this.fetching = true;
    // What was fetched before stays shown until the answer comes.
    if (typeof this.loaded !== 'object') this.loaded = 'loading';
    let got: Inspection | 'none' | 'failed';
    try {
      got = (await load()) ?? 'none';
    } catch {
      got = 'failed';
    }
    this.fetching = false;
    // A run followed live meanwhile supersedes the answer.
    if (!this.lastLive) this.loaded = got;
    this.draw();
  }

  /**
   * render follows the paragraph's live state. hasJob says the paragraph
   * has or had a job (the toggle shows then, or once an inspection came).
   * kept is, without live state, the last inspection of a run that ended
   * before this tab followed it, as the note's live state listed it.
   */
  render(live: ParagraphLiveState | undefined, hasJob: boolean, kept?: Inspection): void {
    this.last = live?.inspection;
    this.lastLive = live !== undefined;
    this.lastRunning = live !== undefined && RUNNING_STATES.has(live.status);
    // A run followed live supersedes what was fetched; a kept look is as good as a fetched one.
    if (live) this.loaded = undefined;
    else if (kept && this.loaded !== kept) this.loaded = kept;
    this.toggle.hidden = !(hasJob || this.last || kept);
    if (this.toggle.hidden && this.isOpen) this.setOpen(false);
    this.draw();
  }

  private draw(): void {
    const fetched = typeof this.loaded === 'object' ? this.loaded : undefined;
    const i = this.last ?? fetched;
    this.renderDiagnoses(diagnosesOf(i), i !== undefined && !this.lastRunning);
    this.panel.hidden = !this.isOpen;
    if (this.isOpen) this.renderPanel(i, i !== undefined && !this.lastRunning);
    this.el.hidden = this.diagsEl.hidden && this.panel.hidden;
  }

  /** renderDiagnoses rebuilds the boxes only when they change, so a button keeps its focus across updates. */
  private renderDiagnoses(ds: Diagnosis[], ended: boolean): void {
    const key = JSON.stringify([ds, ended]);
    if (key === this.diagKey) return;
    this.diagKey = key;
    this.diagsEl.replaceChildren(
      ...(ds.length > 0 ? [h('div', { class: 'insp-diags-head' }, ended ? 'From the last look at the job, before it ended:' : 'Why no rows? Eddy looked at the job:')] : []),
      ...ds.map((d) => this.diagnosisBox(d)),
    );
    this.diagsEl.hidden = ds.length === 0;
  }

  private diagnosisBox(d: Diagnosis): HTMLElement {
    const sql = d.suggestion.trim();
    return h(
      'div',
      { class: 'insp-diag', role: 'note', 'data-testid': 'diagnosis', 'data-code': d.code },
      h('div', { class: 'insp-diag-head' }, icon('search', 'insp-diag-icon'), h('span', { class: 'insp-diag-title' }, diagnosisTitle(d.code)), h('code', { class: 'insp-code', 'data-testid': 'diagnosis-code' }, d.code)),
      h('div', { class: 'insp-diag-msg', 'data-testid': 'diagnosis-message' }, d.message),
      d.operator ? h('div', { class: 'insp-diag-op' }, 'Operator: ', h('span', { class: 'insp-mono' }, d.operator)) : null,
      sql
        ? h(
            'div',
            { class: 'insp-suggest' },
            h('div', { class: 'insp-suggest-label' }, 'Try this'),
            h('pre', { class: 'insp-sql', 'data-testid': 'diagnosis-suggestion' }, h('code', null, sql)),
            h(
              'div',
              { class: 'insp-suggest-actions' },
              button({ icon: 'copy', label: 'Copy', title: 'Copy the SQL', testid: 'diagnosis-copy', onClick: () => void copyText(sql) }),
              button({ icon: 'plus', label: 'Insert as new paragraph below', testid: 'diagnosis-insert', onClick: () => this.host.insertBelow(suggestionParagraph(d)) }),
            ),
          )
        : null,
    );
  }

  private renderPanel(i: Inspection | undefined, ended: boolean): void {
    this.waitingEl.hidden = i !== undefined;
    this.summaryEl.hidden = this.checkpointEl.hidden = this.tableWrap.hidden = i === undefined;
    if (!i) {
      setText(this.waitingEl, waiting[typeof this.loaded === 'string' ? this.loaded : this.lastLive ? 'live' : 'none']);
      return;
    }
    setText(this.stateEl, i.jobState);
    this.stateEl.dataset['state'] = i.jobState;
    setText(this.runningEl, `running for ${formatDuration(i.runningForMs) || NONE}`);
    const sampled = Date.parse(i.sampledAt);
    setText(this.sampledEl, `sampled at ${formatUtc(Number.isNaN(sampled) ? undefined : sampled).slice(11)} UTC`);
    this.endedEl.hidden = !ended;
    setText(this.checkpointEl, checkpointLine(i.checkpoint));
    this.renderOperators(i.operators ?? []);
  }

  /** renderOperators updates the table's cells in place: rows are added or dropped only when the operators change. */
  private renderOperators(ops: Operator[]): void {
    const rows = this.tbody.children;
    while (rows.length > ops.length) this.tbody.lastElementChild?.remove();
    while (rows.length < ops.length) this.tbody.appendChild(h('tr', null, ...columns.map((c) => h('td', { class: c.cls }))));
    ops.forEach((op, r) => {
      const tr = rows[r] as HTMLTableRowElement;
      toggleClass(tr, 'source', !!op.source);
      columns.forEach((c, k) => {
        const td = tr.children[k] as HTMLTableCellElement;
        const text = c.cell(op);
        setText(td, text);
        if (c.cls === 'name' && td.title !== op.name) td.title = op.name;
        if (c.cls === 'bp') td.dataset['level'] = backpressureLevel(op);
      });
    });
  }
}

/** What the panel says when it has no inspection to show: the run is followed live, being fetched, or there is none. */
const waiting: Record<'live' | 'loading' | 'none' | 'failed', string> = {
  live: 'Nothing to show yet: Eddy looks at a paragraph’s job every few seconds while it runs.',
  loading: 'Fetching the job’s latest inspection…',
  none: 'No inspection of this paragraph’s job: Eddy inspects a job while it runs in the note’s current session. Run the paragraph to inspect it.',
  failed: 'Could not fetch the job’s inspection; close and open Inspect to try again.',
};

/** copyText puts text on the clipboard, saying whether it worked. */
async function copyText(text: string): Promise<void> {
  try {
    if (!navigator.clipboard) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text);
    toast('Copied the SQL.', 'ok', 2000);
  } catch {
    // Without the async clipboard (an insecure origin), a selected textarea still copies.
    const ta = h('textarea', { class: 'insp-copy-buffer', readonly: true });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand?.('copy') ?? false;
    ta.remove();
    toast(ok ? 'Copied the SQL.' : 'Could not copy: select the SQL and copy it by hand.', ok ? 'ok' : 'error', ok ? 2000 : 5000);
  }
}
