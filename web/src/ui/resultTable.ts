// The result table view: a windowed <table> that renders only the rows in
// view (plus a small overscan) over a TableModel, so 1000 rows updating
// several times a second cost a few dozen cell writes per frame. Changed
// cells flash briefly; headers sort.

import type { Cell, Column } from '../protocol';
import { cellText, isNumericType, type TableModel } from '../model/table';
import { perf } from '../perf';
import { h, setText, toggleClass } from './dom';
import { sanitize } from './html';

export const ROW_HEIGHT = 24;
const OVERSCAN = 8;
const MAX_HEIGHT = 420;

export class ResultTableView {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly colgroup: HTMLTableColElement;
  private readonly top: HTMLTableRowElement;
  private readonly bottom: HTMLTableRowElement;
  private pool: HTMLTableRowElement[] = [];
  private columnsKey = '';
  private renderedVersion = -1;
  private renderedStart = -1;
  private renderedEnd = -1;
  private frame = 0;
  private numeric: boolean[] = [];
  private sized = false;

  constructor(private model: TableModel) {
    this.colgroup = h('colgroup');
    this.thead = h('thead');
    this.top = h('tr', { class: 'rt-spacer', 'aria-hidden': 'true' });
    this.bottom = h('tr', { class: 'rt-spacer', 'aria-hidden': 'true' });
    this.tbody = h('tbody', null, this.top, this.bottom);
    this.table = h('table', { class: 'rt-table' }, this.colgroup, this.thead, this.tbody);
    this.scroller = h('div', { class: 'rt-scroll', style: { maxHeight: MAX_HEIGHT + 'px' } }, this.table);
    this.el = h('div', { class: 'rt', 'data-testid': 'result-table' }, this.scroller);
    this.scroller.addEventListener('scroll', () => this.invalidate(), { passive: true });
    this.thead.addEventListener('click', (e) => {
      const th = (e.target as HTMLElement).closest('th');
      if (!th || th.dataset['col'] === undefined) return;
      this.model.toggleSort(Number(th.dataset['col']));
      this.invalidate();
    });
  }

  /** setModel points the view at another table (a new run). */
  setModel(model: TableModel): void {
    if (model === this.model) return;
    this.model = model;
    this.columnsKey = '';
    this.renderedVersion = -1;
    this.invalidate();
  }

  /** invalidate schedules a render on the next animation frame (coalesced). */
  invalidate(): void {
    if (this.frame) return;
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (cb: FrameRequestCallback) => setTimeout(() => cb(0), 16) as unknown as number;
    this.frame = raf(() => {
      this.frame = 0;
      perf.time('table-render', () => this.render());
    });
  }

  /** render draws the visible window now. */
  render(): void {
    const m = this.model;
    const key = m.columns.map((c) => c.name + ':' + c.type + ':' + (c.zone ?? '')).join('|');
    if (key !== this.columnsKey) this.buildHeader(key);
    this.updateSortIndicator();
    const rows = m.view();
    if (!this.sized && rows.length > 0) this.sizeColumns();
    const n = rows.length;
    const viewH = this.scroller.clientHeight || MAX_HEIGHT;
    const scrollTop = this.scroller.scrollTop;
    const start = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
    const end = Math.min(n, Math.ceil((scrollTop + viewH) / ROW_HEIGHT) + OVERSCAN);
    const changes = m.takeChanges();
    if (m.version === this.renderedVersion && start === this.renderedStart && end === this.renderedEnd) return;
    this.renderedVersion = m.version;
    this.renderedStart = start;
    this.renderedEnd = end;
    if (m.pendingSentAt !== undefined) {
      perf.record('sent-to-dom', Date.now() - m.pendingSentAt);
      m.pendingSentAt = undefined;
    }

    this.top.style.height = start * ROW_HEIGHT + 'px';
    this.bottom.style.height = (n - end) * ROW_HEIGHT + 'px';
    const need = end - start;
    const ncols = m.columns.length;
    while (this.pool.length < need) {
      const tr = h('tr', { class: 'rt-row' });
      for (let c = 0; c < ncols; c++) tr.appendChild(h('td', { class: this.numeric[c] ? 'num' : '' }));
      tr.appendChild(h('td', { class: 'rt-fill' }));
      this.pool.push(tr);
    }
    // Attach exactly `need` pooled rows between the spacers, in order.
    let cursor: ChildNode | null = this.top.nextSibling;
    for (let i = 0; i < need; i++) {
      const tr = this.pool[i] as HTMLTableRowElement;
      if (cursor !== tr) this.tbody.insertBefore(tr, cursor);
      cursor = tr.nextSibling;
    }
    while (cursor && cursor !== this.bottom) {
      const next: ChildNode | null = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
    for (let i = 0; i < need; i++) {
      const row = rows[start + i];
      const tr = this.pool[i] as HTMLTableRowElement;
      if (!row) continue;
      if (tr.dataset['rowId'] !== row.id) tr.dataset['rowId'] = row.id;
      const change = changes.get(row.id);
      for (let c = 0; c < ncols; c++) {
        const td = tr.children[c] as HTMLTableCellElement;
        writeCell(td, row.values[c]);
        if (change && (change === 'new' || change.includes(c))) flash(td, change === 'new');
      }
    }
  }

  destroy(): void {
    if (this.frame && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  private buildHeader(key: string): void {
    this.columnsKey = key;
    const m = this.model;
    this.numeric = m.columns.map((c) => isNumericType(c.type));
    this.thead.replaceChildren(
      h(
        'tr',
        null,
        m.columns.map((c, i) =>
          h(
            'th',
            { 'data-col': String(i), class: this.numeric[i] ? 'num' : '', title: `${c.name} ${typeLabel(c)}${zoneNote(c)} — click to sort` },
            h('span', { class: 'rt-name' }, c.name),
            h('span', { class: 'rt-type' }, c.type, typeLabel(c) !== c.type ? h('span', { class: 'rt-zone' }, typeLabel(c).slice(c.type.length)) : null),
            h('span', { class: 'rt-sort' }),
          ),
        ),
        h('th', { class: 'rt-fill', 'aria-hidden': 'true' }),
      ),
    );
    this.sizeColumns();
    for (const tr of this.pool) tr.remove();
    this.pool = [];
    this.renderedVersion = -1;
  }

  private sizeColumns(): void {
    const m = this.model;
    const rows = m.view();
    this.sized = rows.length > 0;
    // Columns keep their width; a last, empty column takes the rest of the row.
    const widths = m.columns.map((c, i) => columnWidth(c.name, typeLabel(c), rows, i));
    this.colgroup.replaceChildren(...widths.map((w) => h('col', { style: { width: w + 'px' } })), h('col', { class: 'rt-fill' }));
    this.table.style.minWidth = widths.reduce((a, b) => a + b, 0) + 'px';
  }

  private updateSortIndicator(): void {
    const s = this.model.sort;
    this.thead.querySelectorAll<HTMLElement>('th[data-col]').forEach((th, i) => {
      const ind = th.querySelector('.rt-sort') as HTMLElement;
      const dir = s && s.col === i ? (s.dir === 1 ? '▲' : '▼') : '';
      setText(ind, dir);
      toggleClass(th, 'sorted', !!dir);
    });
  }
}

/**
 * typeLabel is a column's type as the header shows it. An instant
 * (TIMESTAMP_LTZ) is printed in the session's time zone, which the label
 * names, so a value is never mistaken for UTC or for a TIMESTAMP.
 */
export function typeLabel(c: Column): string {
  if (!/TIMESTAMP_LTZ/i.test(c.type)) return c.type;
  return `${c.type} · ${c.zone || 'session zone'}`;
}

function zoneNote(c: Column): string {
  if (!/TIMESTAMP_LTZ/i.test(c.type)) return '';
  return c.zone ? ` (instants shown in ${c.zone}, the session's table.local-time-zone)` : " (instants shown in the session's time zone)";
}

function writeCell(td: HTMLTableCellElement, v: Cell | undefined): void {
  const isNull = v === null || v === undefined;
  const text = cellText(v);
  if (typeof v === 'string' && v.startsWith('%html')) {
    const html = sanitize(v.slice(5));
    if (td.dataset['html'] !== html) {
      td.dataset['html'] = html;
      // A table cell cannot contain paint: a wrapper does.
      const box = document.createElement('div');
      box.className = 'user-html cell-html';
      box.innerHTML = html;
      td.replaceChildren(box);
    }
  } else {
    if (td.dataset['html'] !== undefined) delete td.dataset['html'];
    setText(td, text);
  }
  toggleClass(td, 'null', isNull);
  if (td.title !== text && text.length > 24) td.title = text;
}

function flash(el: HTMLElement, isNew: boolean): void {
  if (typeof el.animate !== 'function') return;
  el.animate([{ backgroundColor: isNew ? 'rgba(58,166,118,0.30)' : 'rgba(245,177,40,0.42)' }, { backgroundColor: 'rgba(0,0,0,0)' }], { duration: 900, easing: 'ease-out' });
}

/** columnWidth estimates a stable width from the header and a sample of values. */
function columnWidth(name: string, type: string, rows: readonly { values: Cell[] }[], col: number): number {
  // The header shows the name and the type side by side (the type in smaller capitals).
  let chars = name.length + Math.ceil(type.length * 0.8) + 3;
  for (let i = 0; i < Math.min(rows.length, 60); i++) chars = Math.max(chars, cellText(rows[i]?.values[col]).length);
  return Math.min(380, Math.max(72, Math.round(chars * 7.4 + 22)));
}
