// The raw changelog of a paragraph's result, behind the "Changelog" toggle:
// the newest rows as Flink emitted them (kind badge, arrival time with ms,
// fields), a filter by key, and a replay slider that rebuilds the table as it
// stood at any kept row, down to the base before the oldest one. While open
// and the paragraph runs it polls the server about once a second; every value
// goes in as text.

import { ApiError } from '../api';
import {
  filterEntries,
  filterRows,
  formatArrival,
  KIND_TITLES,
  kindCounts,
  parseChangelog,
  replay,
  replayLabel,
  type Changelog,
  type ChangelogEntry,
  type ChangelogFilter,
} from '../model/changelog';
import { formatCount } from '../model/format';
import type { ParagraphLiveState } from '../model/live';
import { RUNNING_STATES } from '../model/note';
import { Poller } from '../model/poller';
import type { Cell } from '../protocol';
import { cellText } from '../model/table';
import { button, h, setText, toggleClass } from './dom';
import './changelog.css';

export interface ChangelogHost {
  /** Fetch the paragraph's changelog (GET …/paragraph/{id}/changelog). */
  load: () => Promise<unknown>;
}

/** How often the open panel asks while the paragraph runs. */
export const CHANGELOG_POLL_MS = 1000;

/** The replayed table shows at most this many rows. */
export const MAX_REPLAY_ROWS = 1000;

const kindClass: Record<string, string> = { '+I': 'ins', '-U': 'ub', '+U': 'ua', '-D': 'del' };

/** ChangelogPanel is a paragraph's changelog: the toggle (for the header) and the panel (under the result). */
export class ChangelogPanel {
  /** The "Changelog" toggle, shown while the paragraph has a live result. */
  readonly toggle: HTMLButtonElement;
  readonly el: HTMLElement;
  private readonly summaryEl = h('div', { class: 'cl-summary', 'data-testid': 'changelog-summary' });
  private readonly errorEl = h('div', { class: 'cl-error', role: 'alert', 'data-testid': 'changelog-error', hidden: true });
  private readonly columnSel = h('select', { class: 'cl-column', 'aria-label': 'Filter column', 'data-testid': 'changelog-filter-column' });
  private readonly valueInput = h('input', { class: 'cl-value', type: 'search', placeholder: 'key value', 'aria-label': 'Filter value', 'data-testid': 'changelog-filter-value' });
  private readonly entriesHead = h('thead');
  private readonly entriesBody = h('tbody');
  private readonly entriesWrap: HTMLElement;
  private readonly slider = h('input', { type: 'range', class: 'cl-slider', min: '0', max: '0', step: '1', 'aria-label': 'Replay up to row', 'data-testid': 'changelog-slider' });
  private readonly replayLabelEl = h('div', { class: 'cl-replay-label', 'data-testid': 'changelog-replay-label' });
  private readonly replayHead = h('thead');
  private readonly replayBody = h('tbody');
  private readonly replayNote = h('div', { class: 'cl-note', 'data-testid': 'changelog-replay-note' });
  private readonly poller: Poller;
  private isOpen = false;
  private running = false;
  private runKey = '';
  private view: Changelog | null = null;
  /** The replay point: a seq, or firstSeq - 1 for the base. */
  private upTo = 0;
  /** The slider follows the newest row until the user moves it. */
  private follow = true;
  private columnsKey = '';

  constructor(
    private readonly host: ChangelogHost,
    opts: { intervalMs?: number } = {},
  ) {
    this.toggle = button({ icon: 'list', label: 'Changelog', title: 'Show the changelog rows as Flink emitted them, and replay the table', cls: 'ghost cl-toggle', testid: 'changelog-toggle', onClick: () => this.setOpen(!this.isOpen) });
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.hidden = true;
    this.poller = new Poller({ intervalMs: opts.intervalMs ?? CHANGELOG_POLL_MS, maxIntervalMs: 10_000, run: () => this.load() });
    this.columnSel.addEventListener('change', () => this.renderBody());
    this.valueInput.addEventListener('input', () => this.renderBody());
    this.slider.addEventListener('input', () => {
      if (!this.view) return;
      this.upTo = Number(this.slider.value);
      this.follow = this.upTo >= this.view.lastSeq;
      this.renderReplay();
      this.markEntries();
      this.revealAt();
    });
    this.entriesWrap = h('div', { class: 'cl-entries-wrap' }, h('table', { class: 'cl-table', 'data-testid': 'changelog-entries' }, this.entriesHead, this.entriesBody));
    this.el = h(
      'div',
      { class: 'changelog', 'data-testid': 'changelog-panel', hidden: true },
      h('div', { class: 'cl-head' }, h('span', { class: 'cl-title' }, 'Changelog'), this.summaryEl),
      this.errorEl,
      h('div', { class: 'cl-filter' }, h('span', { class: 'cl-label' }, 'Filter'), this.columnSel, this.valueInput),
      this.entriesWrap,
      h('div', { class: 'cl-replay' }, h('span', { class: 'cl-label' }, 'Replay'), this.slider, this.replayLabelEl),
      h('div', { class: 'cl-entries-wrap cl-replay-wrap' }, h('table', { class: 'cl-table', 'data-testid': 'changelog-replay' }, this.replayHead, this.replayBody)),
      this.replayNote,
    );
  }

  get open(): boolean {
    return this.isOpen;
  }

  /** render follows the paragraph's live state: whether there is a result, and whether it runs. */
  render(live: ParagraphLiveState | undefined, savedTable = false): void {
    // A table saved by a run this tab did not follow (the note was opened after it ended) may
    // still have its changelog in the note's session: the toggle offers it, and says so if not.
    const hasResult = !!live?.table || savedTable;
    this.toggle.hidden = !hasResult && !this.isOpen;
    const wasRunning = this.running;
    this.running = !!live && RUNNING_STATES.has(live.status);
    const key = live?.runKey ?? '';
    if (key !== this.runKey) {
      this.runKey = key;
      this.follow = true;
    }
    if (!this.isOpen) return;
    if (this.running) this.poller.start();
    else if (this.poller.running) {
      this.poller.stop();
      if (wasRunning) void this.load().catch(() => undefined); // the rows of the run's end
    }
  }

  setOpen(open: boolean): void {
    if (open === this.isOpen) return;
    this.isOpen = open;
    this.el.hidden = !open;
    toggleClass(this.toggle, 'on', open);
    this.toggle.setAttribute('aria-expanded', String(open));
    if (!open) {
      this.poller.stop();
      return;
    }
    if (this.running) this.poller.start();
    else void this.load().catch(() => undefined);
  }

  destroy(): void {
    this.poller.stop();
  }

  /** load fetches the changelog and shows it; a failure is shown and rethrown (the poller backs off). */
  async load(): Promise<void> {
    let v: Changelog;
    try {
      v = parseChangelog(await this.host.load());
    } catch (e) {
      const msg = e instanceof ApiError || e instanceof Error ? e.message : String(e);
      setText(this.errorEl, msg);
      this.errorEl.hidden = false;
      throw e;
    }
    this.errorEl.hidden = true;
    this.show(v);
  }

  /** show displays a changelog, keeping the replay point unless it follows the newest row. */
  show(v: Changelog): void {
    this.view = v;
    const base = v.firstSeq - 1;
    if (this.follow || this.upTo > v.lastSeq) this.upTo = v.lastSeq;
    if (this.upTo < base) this.upTo = base;
    this.slider.min = String(base);
    this.slider.max = String(v.lastSeq);
    this.slider.value = String(this.upTo);
    this.slider.disabled = v.entries.length === 0;
    const key = JSON.stringify(v.columns.map((c) => c.name));
    if (key !== this.columnsKey) {
      this.columnsKey = key;
      const prev = this.columnSel.value;
      this.columnSel.replaceChildren(h('option', { value: '-1' }, 'any column'), ...v.columns.map((c, i) => h('option', { value: String(i) }, c.name)));
      this.columnSel.value = v.columns.some((_, i) => String(i) === prev) ? prev : '-1';
      const names = v.columns.map((c) => h('th', null, c.name));
      this.entriesHead.replaceChildren(h('tr', null, h('th', { class: 'num' }, '#'), h('th', null, 'kind'), h('th', null, 'arrived'), ...names));
      this.replayHead.replaceChildren(h('tr', null, ...v.columns.map((c) => h('th', null, c.name))));
    }
    const counts = kindCounts(v.entries);
    const range = v.entries.length ? `rows #${v.firstSeq}–#${v.lastSeq}` : 'no rows yet';
    const kinds = ['+I', '-U', '+U', '-D'].map((k) => `${k} ${formatCount(counts[k] ?? 0)}`).join(' · ');
    const baseText = v.firstSeq > 1 ? ` · base ${rowsText(v.base.length)}${v.baseComplete ? '' : ' (incomplete)'}` : '';
    setText(this.summaryEl, `last ${formatCount(v.entries.length)} of ${formatCount(v.lastSeq)} (keeps ${formatCount(v.capacity)}) · ${range} · ${kinds}${baseText}`);
    this.renderBody();
  }

  private filter(): ChangelogFilter {
    return { column: Number(this.columnSel.value || '-1'), value: this.valueInput.value };
  }

  private renderBody(): void {
    const v = this.view;
    if (!v) return;
    // Following the newest row keeps the list scrolled to its end, unless the user scrolled away.
    const wrap = this.entriesWrap;
    const atEnd = wrap.scrollTop + wrap.clientHeight >= wrap.scrollHeight - 4;
    const rows = filterEntries(v.entries, this.filter()).map((e) => this.entryRow(e, v.columns.length));
    if (rows.length === 0) rows.push(h('tr', { class: 'cl-empty' }, h('td', { colspan: String(v.columns.length + 3) }, v.entries.length ? 'No row matches the filter.' : 'No changelog rows yet.')));
    this.entriesBody.replaceChildren(...rows);
    this.markEntries();
    this.renderReplay();
    if (this.follow && atEnd) wrap.scrollTop = wrap.scrollHeight;
  }

  /** revealAt scrolls the list so the row at the replay point shows. */
  private revealAt(): void {
    const wrap = this.entriesWrap;
    if (this.follow) {
      wrap.scrollTop = wrap.scrollHeight;
      return;
    }
    const at = this.entriesBody.querySelector<HTMLElement>('tr.at');
    if (!at) return;
    const top = at.offsetTop - this.entriesHead.offsetHeight;
    const bottom = at.offsetTop + at.offsetHeight;
    if (top < wrap.scrollTop) wrap.scrollTop = top;
    else if (bottom > wrap.scrollTop + wrap.clientHeight) wrap.scrollTop = bottom - wrap.clientHeight;
  }

  private entryRow(e: ChangelogEntry, width: number): HTMLTableRowElement {
    const kind = h('span', { class: `cl-kind ${kindClass[e.kind] ?? ''}`, title: KIND_TITLES[e.kind] ?? e.kind, 'data-kind': e.kind }, e.kind);
    const cells: HTMLElement[] = [];
    for (let i = 0; i < width; i++) cells.push(cellEl(e.fields[i]));
    const tr = h('tr', { 'data-seq': String(e.seq), title: 'Replay the table up to this row' }, h('td', { class: 'num' }, String(e.seq)), h('td', null, kind), h('td', { class: 'time' }, formatArrival(e.at)), ...cells);
    tr.addEventListener('click', () => {
      if (!this.view) return;
      this.upTo = e.seq;
      this.follow = e.seq >= this.view.lastSeq;
      this.slider.value = String(e.seq);
      this.renderReplay();
      this.markEntries();
    });
    return tr;
  }

  /** markEntries dims the rows after the replay point and marks the row at it. */
  private markEntries(): void {
    for (const tr of Array.from(this.entriesBody.children) as HTMLElement[]) {
      const seq = Number(tr.dataset['seq']);
      if (!Number.isFinite(seq)) continue;
      toggleClass(tr, 'after', seq > this.upTo);
      toggleClass(tr, 'at', seq === this.upTo);
    }
  }

  private renderReplay(): void {
    const v = this.view;
    if (!v) return;
    setText(this.replayLabelEl, replayLabel(v, this.upTo));
    const all = replay(v, this.upTo);
    const f = this.filter();
    const rows = filterRows(all, f);
    const shown = rows.slice(0, MAX_REPLAY_ROWS);
    const trs = shown.map((r) => h('tr', null, ...v.columns.map((_, i) => cellEl(r[i]))));
    if (trs.length === 0) trs.push(h('tr', { class: 'cl-empty' }, h('td', { colspan: String(Math.max(1, v.columns.length)) }, all.length ? 'No row matches the filter.' : 'The table is empty at this point.')));
    this.replayBody.replaceChildren(...trs);
    const notes: string[] = [rowsText(all.length)];
    if (rows.length !== all.length) notes.push(`${formatCount(rows.length)} match the filter`);
    if (shown.length < rows.length) notes.push(`first ${formatCount(shown.length)} shown`);
    if (!v.baseComplete) notes.push('the base is incomplete: rows may be missing');
    setText(this.replayNote, notes.join(' · '));
  }
}

function rowsText(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'row' : 'rows'}`;
}

function cellEl(c: Cell | undefined): HTMLTableCellElement {
  return c === null ? h('td', { class: 'null' }, 'null') : h('td', null, cellText(c));
}
