// Find and replace across a note: a panel over the paragraphs that finds
// text in every paragraph, shows "k of n", moves between matches (selecting
// them in their editors) and replaces one or all of them through the
// editors, as typing does, so edits are saved and co-editors see them.

import { button, h, setText } from './dom';

/** Match is one occurrence of the query: a range of one paragraph's text. */
export interface Match {
  pid: string;
  from: number;
  to: number;
}

/** ParagraphText is a paragraph's id and text, in note order. */
export interface ParagraphText {
  id: string;
  text: string;
}

function pattern(query: string, caseSensitive: boolean): RegExp {
  return new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), caseSensitive ? 'g' : 'gi');
}

/** findMatches lists the literal occurrences of query in the paragraphs, in note order, without overlaps. An empty query matches nothing. */
export function findMatches(paras: readonly ParagraphText[], query: string, caseSensitive: boolean): Match[] {
  if (query === '') return [];
  const out: Match[] = [];
  for (const p of paras) {
    const re = pattern(query, caseSensitive);
    for (let m = re.exec(p.text); m; m = re.exec(p.text)) out.push({ pid: p.id, from: m.index, to: m.index + m[0].length });
  }
  return out;
}

/** replaceAllIn replaces every occurrence of query in text with replacement (literally: no $ patterns). */
export function replaceAllIn(text: string, query: string, replacement: string, caseSensitive: boolean): { text: string; count: number } {
  if (query === '') return { text, count: 0 };
  let count = 0;
  const out = text.replace(pattern(query, caseSensitive), () => {
    count++;
    return replacement;
  });
  return { text: out, count };
}

/** nearestMatch is the index of the first match at or after (pid, pos) in note order, wrapping to 0; -1 when there are none. */
export function nearestMatch(matches: readonly Match[], order: readonly string[], pid: string, pos: number): number {
  if (matches.length === 0) return -1;
  const at = order.indexOf(pid);
  const i = matches.findIndex((m) => {
    const mi = order.indexOf(m.pid);
    return mi > at || (mi === at && m.from >= pos);
  });
  return i < 0 ? 0 : i;
}

/** countLabel is what the panel shows: "3 of 7", "0 of 0" for nothing found, "" for no query. */
export function countLabel(current: number, total: number, query: string): string {
  if (query === '') return '';
  return total === 0 ? 'No results' : `${current + 1} of ${total}`;
}

/** What the panel needs of the note page. */
export interface FindHost {
  /** The paragraphs' ids and texts, in note order. */
  paragraphs: () => ParagraphText[];
  /** select shows a match: selects it in its paragraph's editor and scrolls to it. */
  select: (m: Match) => void;
  /** replace puts text in place of a range of a paragraph, through the normal edit path. */
  replace: (pid: string, from: number, to: number, text: string) => void;
}

/** FindPanel is the find and replace bar of the note page. */
export class FindPanel {
  readonly el: HTMLElement;
  private readonly query: HTMLInputElement;
  private readonly replacement: HTMLInputElement;
  private readonly caseBox: HTMLInputElement;
  private readonly count: HTMLElement;
  private matches: Match[] = [];
  private current = -1;

  constructor(private readonly host: FindHost) {
    this.query = h('input', { class: 'input', placeholder: 'Find in note', 'aria-label': 'Find', 'data-testid': 'find-input', oninput: () => this.refresh(true) });
    this.replacement = h('input', { class: 'input', placeholder: 'Replace with', 'aria-label': 'Replace with', 'data-testid': 'replace-input' });
    this.caseBox = h('input', { type: 'checkbox', 'data-testid': 'find-case', onchange: () => this.refresh(true) });
    this.count = h('span', { class: 'find-count', 'data-testid': 'find-count', 'aria-live': 'polite' });
    this.el = h(
      'div',
      { class: 'find-panel', role: 'search', 'data-testid': 'find-panel', hidden: true },
      this.query,
      this.count,
      button({ icon: 'up', title: 'Previous match (Shift+Enter)', cls: 'ghost', testid: 'find-prev', onClick: () => this.step(-1) }),
      button({ icon: 'down', title: 'Next match (Enter)', cls: 'ghost', testid: 'find-next', onClick: () => this.step(1) }),
      h('label', { class: 'find-case', title: 'Match case' }, this.caseBox, 'Aa'),
      this.replacement,
      button({ label: 'Replace', cls: 'ghost', testid: 'replace-one', onClick: () => this.replaceOne() }),
      button({ label: 'Replace all', cls: 'ghost', testid: 'replace-all', onClick: () => this.replaceAll() }),
      button({ icon: 'x', title: 'Close (Escape)', cls: 'ghost', testid: 'find-close', onClick: () => this.close() }),
    );
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.close();
      } else if (e.key === 'Enter' && e.target === this.query) {
        e.preventDefault();
        this.step(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Enter' && e.target === this.replacement) {
        e.preventDefault();
        this.replaceOne();
      }
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /** open shows the panel with the query focused (prefilled with text, e.g. the editor's selection). */
  open(text = ''): void {
    this.el.hidden = false;
    if (text && !text.includes('\n')) this.query.value = text;
    this.query.focus();
    this.query.select();
    this.refresh(true);
  }

  close(): void {
    this.el.hidden = true;
    this.matches = [];
    this.current = -1;
  }

  /** refresh finds the matches again (after typing in the panel, or an edit of the note); first selects the first one. */
  refresh(first = false): void {
    if (this.el.hidden) return;
    const q = this.query.value;
    const before = this.matches[this.current];
    this.matches = findMatches(this.host.paragraphs(), q, this.caseBox.checked);
    if (this.matches.length === 0) this.current = -1;
    else if (first || !before) this.current = 0;
    else this.current = nearestMatch(this.matches, this.host.paragraphs().map((p) => p.id), before.pid, before.from);
    this.show(first);
  }

  private show(select: boolean): void {
    const q = this.query.value;
    setText(this.count, countLabel(this.current, this.matches.length, q));
    this.count.classList.toggle('none', q !== '' && this.matches.length === 0);
    const m = this.matches[this.current];
    if (select && m) this.host.select(m);
  }

  private step(dir: 1 | -1): void {
    const n = this.matches.length;
    if (n === 0) return;
    this.current = (this.current + dir + n) % n;
    this.show(true);
  }

  private replaceOne(): void {
    const m = this.matches[this.current];
    if (!m) return;
    const text = this.host.paragraphs().find((p) => p.id === m.pid)?.text ?? '';
    if (findMatches([{ id: m.pid, text: text.slice(m.from, m.to) }], this.query.value, this.caseBox.checked).length !== 1) {
      this.refresh(); // the text changed under the match
      return;
    }
    this.host.replace(m.pid, m.from, m.to, this.replacement.value);
    // The next match is the first after the replaced text.
    const order = this.host.paragraphs().map((p) => p.id);
    this.matches = findMatches(this.host.paragraphs(), this.query.value, this.caseBox.checked);
    this.current = nearestMatch(this.matches, order, m.pid, m.from + this.replacement.value.length);
    this.show(true);
  }

  private replaceAll(): void {
    const q = this.query.value;
    if (q === '') return;
    this.matches = findMatches(this.host.paragraphs(), q, this.caseBox.checked);
    // From the last match back, so earlier ranges stay valid.
    for (const m of [...this.matches].reverse()) this.host.replace(m.pid, m.from, m.to, this.replacement.value);
    this.matches = findMatches(this.host.paragraphs(), q, this.caseBox.checked);
    this.current = this.matches.length > 0 ? 0 : -1;
    this.show(false);
  }
}
