// The result area of a paragraph: text/HTML/image output, errors (root
// cause first, full trace expandable) and result tables with their charts.
// A result comes either live from the server (`live` messages) or from the
// note as persisted; the latter is marked as not live.

import { CHART_MODES, modeOf, normalizeGraph, withMode, type ChartMode } from '../model/chart';
import { explainError } from '../model/errors';
import { formatCount } from '../model/format';
import type { ParagraphLiveState } from '../model/live';
import { graphOf, type GraphConfig } from '../model/note';
import type { Notice, ResultMessage } from '../protocol';
import type { Paragraph } from '../schema';
import { cellText, staticTable, type TableModel } from '../model/table';
import { ChartView } from './chart';
import { button, clear, h, icon, setText, toggleClass } from './dom';
import { setHTML } from './html';
import { ResultTableView } from './resultTable';
import { downloadButton } from './resultDownload';

const chartIcons: Record<ChartMode, string> = {
  table: 'table',
  multiBarChart: 'bar',
  lineChart: 'line',
  stackedAreaChart: 'area',
  pieChart: 'pie',
  scatterChart: 'scatter',
};

export interface ResultContext {
  /** The paragraph as currently known (its config holds the chart settings). */
  paragraph: () => Paragraph;
  /** Persist new chart settings for result message `index`. */
  saveGraph: (index: number, graph: GraphConfig) => void;
}

/** How a table block is labelled. */
interface Provenance {
  live: boolean;
  running: boolean;
  /** For persisted results: when they were produced. */
  when?: string;
}

/** TableBlock is one table result: toolbar (chart modes, counts, provenance), table or chart. */
class TableBlock {
  readonly el: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly modes: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly body: HTMLElement;
  private readonly settingsBtn: HTMLButtonElement;
  private tableView: ResultTableView;
  private chartView: ChartView | null = null;
  private singleEl: HTMLElement | null = null;
  private prov: Provenance = { live: false, running: false };
  private settingsOpen = false;

  constructor(
    public model: TableModel,
    readonly index: number,
    private readonly ctx: ResultContext,
    private readonly comment = '',
  ) {
    this.modes = h(
      'div',
      { class: 'seg', role: 'group', 'aria-label': 'display' },
      CHART_MODES.map(({ mode, label }) =>
        button({ icon: chartIcons[mode], title: label, cls: 'seg-btn', testid: `mode-${mode}`, onClick: () => this.setMode(mode) }),
      ),
    );
    this.settingsBtn = button({ icon: 'gear', title: 'Chart settings', cls: 'ghost', testid: 'chart-settings', onClick: () => this.toggleSettings() });
    this.stats = h('span', { class: 'rstats', 'data-testid': 'result-stats' });
    this.badge = h('span', { class: 'badge', 'data-testid': 'result-badge' });
    this.toolbar = h('div', { class: 'rbar' }, this.modes, this.settingsBtn, h('span', { class: 'spacer' }), this.stats, this.badge, downloadButton(() => this.model, () => this.ctx.paragraph()));
    this.tableView = new ResultTableView(model);
    this.body = h('div', { class: 'rbody' });
    this.el = h('div', { class: 'rblock table-block', 'data-result-index': String(index) }, this.toolbar, this.body, comment ? h('div', { class: 'rcomment' }, comment) : null);
  }

  setModel(model: TableModel): void {
    this.model = model;
    this.tableView.setModel(model);
  }

  /** refresh re-renders from the model and the paragraph's chart settings. */
  refresh(prov: Provenance): void {
    this.prov = prov;
    const m = this.model;
    const single = m.mode === 'single';
    toggleClass(this.el, 'live', prov.live && prov.running);
    this.el.dataset['live'] = String(prov.live);
    this.modes.hidden = single;
    // Badge: where this result comes from.
    if (prov.live && prov.running) {
      this.badge.className = 'badge live';
      this.badge.replaceChildren(h('span', { class: 'dot' }), 'LIVE');
      this.badge.title = 'Updating live from the running job';
    } else if (prov.live) {
      this.badge.className = 'badge final';
      setText(this.badge, 'final');
      this.badge.title = 'Last state of the run that just ended';
    } else {
      this.badge.className = 'badge saved';
      setText(this.badge, 'saved · not live');
      this.badge.title = 'Result saved with the note' + (prov.when ? ` (${prov.when})` : '') + '; run the paragraph to see live data';
    }
    // Counts: received vs shown.
    if (prov.live) {
      const trunc = m.truncated ? ' · truncated' : '';
      setText(this.stats, `received ${formatCount(m.rowsReceived)} · shown ${formatCount(m.size)}${trunc}`);
    } else setText(this.stats, `${formatCount(m.size)} rows`);

    if (single) {
      this.showSingle();
      return;
    }
    const graph = this.graph();
    const mode = modeOf(graph);
    this.modes.querySelectorAll<HTMLButtonElement>('.seg-btn').forEach((b, i) => toggleClass(b, 'on', CHART_MODES[i]?.mode === mode));
    this.settingsBtn.hidden = mode === 'table';
    if (mode === 'table') {
      this.chartView?.el.remove();
      this.singleEl?.remove();
      if (this.tableView.el.parentNode !== this.body) this.body.replaceChildren(this.tableView.el);
      this.tableView.invalidate();
    } else {
      if (!this.chartView) this.chartView = new ChartView((g) => this.save(g));
      this.chartView.settingsOpen = this.settingsOpen;
      if (this.chartView.el.parentNode !== this.body) this.body.replaceChildren(this.chartView.el);
      this.chartView.update(m.columns, m.rows(), graph, prov.live && prov.running);
    }
  }

  destroy(): void {
    this.tableView.destroy();
    this.chartView?.destroy();
  }

  private graph(): GraphConfig {
    return normalizeGraph(graphOf(this.ctx.paragraph(), this.index), this.model.columns);
  }

  private setMode(mode: ChartMode): void {
    const g = this.graph();
    if (modeOf(g) === mode) return;
    this.save(withMode(g, mode));
  }

  private toggleSettings(): void {
    this.settingsOpen = !this.settingsOpen;
    toggleClass(this.settingsBtn, 'on', this.settingsOpen);
    this.refresh(this.prov);
  }

  private save(g: GraphConfig): void {
    this.ctx.saveGraph(this.index, g);
    this.refresh(this.prov);
  }

  private showSingle(): void {
    if (!this.singleEl) this.singleEl = h('div', { class: 'single-value user-html', 'data-testid': 'single-value' });
    if (this.singleEl.parentNode !== this.body) this.body.replaceChildren(this.singleEl);
    const text = this.model.rendered;
    // A bare value (the default template {0}) reads as a big number; a
    // template with markup is shown as written, its text outside the tags
    // in the page's own style.
    this.singleEl.className = (text && /<[a-z!/]/i.test(text) ? 'single-html' : 'single-value') + ' user-html';
    if (text) setHTML(this.singleEl, text);
    else setText(this.singleEl, this.model.rows()[0]?.values.map((v) => cellText(v)).join('  ') ?? '');
  }
}

/** renderMessage draws one non-table output message. */
function renderMessage(m: ResultMessage): HTMLElement | null {
  switch ((m.type || 'TEXT').toUpperCase()) {
    case 'HTML':
    case 'ANGULAR': {
      const el = h('div', { class: 'rblock result-html markdown-body user-html' });
      setHTML(el, m.data);
      return el;
    }
    case 'IMG':
      return h('div', { class: 'rblock result-img' }, h('img', { src: 'data:image/png;base64,' + m.data.trim(), alt: 'image result' }));
    case 'SVG': {
      const el = h('div', { class: 'rblock result-img user-html' });
      setHTML(el, m.data);
      return el;
    }
    case 'NULL':
      return null;
    default:
      return m.data.trim() === '' ? null : h('pre', { class: 'rblock result-text' }, stripAnsi(m.data).replace(/\n+$/, ''));
  }
}

/** stripAnsi removes terminal colour codes (the Scala REPL's output has them). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

/** errorBlock shows the root cause first and the full text behind a disclosure. */
export function errorBlock(text: string): HTMLElement {
  const e = explainError(stripAnsi(text));
  return h(
    'div',
    { class: 'rblock result-error', 'data-testid': 'result-error' },
    h('div', { class: 'err-head' }, icon('x', 'err-icon'), h('span', { class: 'err-cause' }, e.rootCause || 'Error')),
    e.hasMore ? h('details', { class: 'err-trace' }, h('summary', null, 'Full error'), h('pre', null, e.full)) : null,
  );
}

/** noticeBlock shows what Eddy tells of a running paragraph: why its job stalled, or that the cause is over. */
export function noticeBlock(n: Notice): HTMLElement {
  return h(
    'div',
    { class: 'rblock result-notice ' + n.level, role: n.level === 'error' ? 'alert' : 'status', 'data-testid': 'result-notice', 'data-level': n.level },
    icon(n.level === 'error' ? 'alert' : 'check', 'notice-icon'),
    h('span', null, n.text),
  );
}

/** ResultView is the whole output area of one paragraph. */
export class ResultView {
  readonly el: HTMLElement;
  private readonly noticeEl: HTMLElement;
  private readonly messagesEl: HTMLElement;
  private readonly tablesEl: HTMLElement;
  private readonly errorEl: HTMLElement;
  private noticeKey = '';
  private key = '';
  private blocks: TableBlock[] = [];
  private liveBlock: TableBlock | null = null;

  constructor(private readonly ctx: ResultContext) {
    this.noticeEl = h('div', { class: 'rnotice' });
    this.messagesEl = h('div', { class: 'rmsgs' });
    this.tablesEl = h('div', { class: 'rtables' });
    // The error comes last: after the output of the statements that ran before the one that failed.
    this.errorEl = h('div', { class: 'rerror' });
    this.el = h('div', { class: 'result', 'data-testid': 'result' }, this.noticeEl, this.messagesEl, this.tablesEl, this.errorEl);
  }

  /** render shows the live state when there is one, else the persisted result. */
  render(live: ParagraphLiveState | undefined): void {
    const p = this.ctx.paragraph();
    if (live) this.renderLive(live);
    else this.renderPersisted(p);
    this.renderNotice(live?.notice);
    this.el.hidden = [this.noticeEl, this.messagesEl, this.tablesEl, this.errorEl].every((e) => e.childElementCount === 0);
  }

  destroy(): void {
    for (const b of this.blocks) b.destroy();
    this.liveBlock?.destroy();
  }

  private renderNotice(n: Notice | undefined): void {
    const key = n ? n.level + ':' + n.text : '';
    if (key === this.noticeKey) return;
    this.noticeKey = key;
    this.noticeEl.replaceChildren(...(n ? [noticeBlock(n)] : []));
  }

  private renderLive(st: ParagraphLiveState): void {
    const running = st.status === 'RUNNING' || st.status === 'PENDING';
    const msgKey = 'live:' + st.runKey + ':' + st.status + ':' + JSON.stringify(st.messages) + ':' + (st.errorMessage ?? '');
    if (msgKey !== this.key) {
      this.key = msgKey;
      // Live messages are the statements' output; the error comes apart, in errorMessage.
      this.renderMessages(st.messages, { live: true, running: false, when: st.dateFinished });
      this.renderError(st.status === 'ERROR' ? st.errorMessage || 'The run failed.' : null);
    }
    for (const b of this.blocks) b.refresh({ live: true, running: false });
    const t = st.table;
    if (t && (t.columns.length > 0 || t.mode === 'single')) {
      // The live table becomes the message after the finished ones when stored.
      const index = st.messages.length;
      if (!this.liveBlock || this.liveBlock.index !== index) {
        this.liveBlock?.destroy();
        this.liveBlock = new TableBlock(t, index, this.ctx);
      } else if (this.liveBlock.model !== t) this.liveBlock.setModel(t);
      if (this.liveBlock.el.parentNode !== this.tablesEl) this.tablesEl.replaceChildren(this.liveBlock.el);
      this.liveBlock.refresh({ live: true, running });
    } else if (this.liveBlock) {
      this.liveBlock.destroy();
      this.liveBlock = null;
      clear(this.tablesEl);
    }
  }

  private renderPersisted(p: Paragraph): void {
    const msgs = p.results?.msg ?? [];
    const key = 'saved:' + p.results?.code + ':' + JSON.stringify(msgs) + ':' + (p.status === 'ERROR' ? p.errorMessage ?? '' : '');
    if (this.liveBlock) {
      this.liveBlock.destroy();
      this.liveBlock = null;
      clear(this.tablesEl);
      this.key = '';
    }
    if (key !== this.key) {
      this.key = key;
      const failed = p.results?.code === 'ERROR' || p.status === 'ERROR';
      // A failed run's result ends with the error's text (Zeppelin's way too); errorMessage has it whole.
      const last = msgs[msgs.length - 1];
      const errorLast = failed && last !== undefined && (last.type || 'TEXT').toUpperCase() === 'TEXT';
      this.renderMessages(errorLast ? msgs.slice(0, -1) : msgs, { live: false, running: false, when: p.dateFinished });
      this.renderError(failed ? p.errorMessage || (errorLast ? last.data : '') || 'The run failed.' : null);
    }
    for (const b of this.blocks) b.refresh({ live: false, running: false, when: p.dateFinished });
  }

  /** renderMessages draws output messages in order; TABLE messages become static table blocks. */
  private renderMessages(msgs: ResultMessage[], prov: Provenance): void {
    this.dropPersisted();
    clear(this.messagesEl);
    msgs.forEach((m, i) => {
      if ((m.type || 'TEXT').toUpperCase() === 'TABLE') {
        const { model, comment } = staticTable(m);
        // A failed query can leave an empty table behind: nothing to show.
        if (model.size === 0 && model.columns.every((c) => !c.name)) return;
        const block = new TableBlock(model, i, this.ctx, comment);
        this.blocks.push(block);
        this.messagesEl.appendChild(block.el);
        block.refresh(prov);
      } else {
        const el = renderMessage(m);
        if (el) this.messagesEl.appendChild(el);
      }
    });
  }

  private renderError(text: string | null): void {
    this.errorEl.replaceChildren(...(text === null ? [] : [errorBlock(text)]));
  }

  private dropPersisted(): void {
    for (const b of this.blocks) b.destroy();
    this.blocks = [];
  }
}

