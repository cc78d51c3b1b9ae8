// Line diffs: of two texts, and of two versions of a note paragraph by
// paragraph (a revision against the note as it is now). Pure functions, no
// DOM.

import type { Note, Paragraph } from '../schema';

/** One line of a diff: kept (' '), only in the old text ('-'), only in the new one ('+'). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/**
 * MAX_LCS_CELLS bounds the table of the longest-common-subsequence search
 * (old lines × new lines, after the common head and tail are cut off). Past
 * it the middle parts are shown as removed then added instead of aligned:
 * a slower diff would freeze the page.
 */
export const MAX_LCS_CELLS = 4_000_000;

/** splitLines cuts a text into lines; "" has none, and a final newline does not add an empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * lineDiff returns the lines of b against a: every line of both, in order,
 * marked kept, removed (only in a) or added (only in b), with as many lines
 * kept as possible (a longest common subsequence). Removals come before
 * additions where both happen at one place.
 */
export function lineDiff(a: readonly string[], b: readonly string[]): DiffLine[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffLine[] = a.slice(0, head).map((text) => ({ op: ' ', text }));
  out.push(...middle(a.slice(head, a.length - tail), b.slice(head, b.length - tail)));
  out.push(...a.slice(a.length - tail).map((text): DiffLine => ({ op: ' ', text })));
  return out;
}

/** middle diffs the parts between the common head and tail with an LCS table, within MAX_LCS_CELLS. */
function middle(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || n * m > MAX_LCS_CELLS) {
    return [...a.map((text): DiffLine => ({ op: '-', text })), ...b.map((text): DiffLine => ({ op: '+', text }))];
  }
  // lcs[i * (m + 1) + j] is the length of the LCS of a[i:] and b[j:].
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) {
      out.push({ op: '-', text: a[i++]! });
    } else {
      out.push({ op: '+', text: b[j++]! });
    }
  }
  while (i < n) out.push({ op: '-', text: a[i++]! });
  while (j < m) out.push({ op: '+', text: b[j++]! });
  return out;
}

/** How a paragraph differs between the two notes. */
export type ParagraphChange = 'added' | 'removed' | 'changed' | 'same';

/** ParagraphDiff is one paragraph of a note diff. */
export interface ParagraphDiff {
  id: string;
  /** The title in the new note, else in the old one. */
  title: string;
  change: ParagraphChange;
  /** The old and the new title when they differ. */
  titleChange?: { from: string; to: string };
  /** The text's lines: all removed, all added, or the line diff. */
  lines: DiffLine[];
}

/**
 * noteDiff compares two versions of a note paragraph by paragraph, matched
 * by id: from (e.g. a revision) against to (e.g. the note now). A paragraph
 * only in to is added, one only in from removed, one whose text or title
 * differs changed. Paragraphs come in to's order; a removed one follows the
 * paragraph it followed in from.
 */
export function noteDiff(from: Pick<Note, 'paragraphs'>, to: Pick<Note, 'paragraphs'>): ParagraphDiff[] {
  const oldById = new Map(from.paragraphs.map((p) => [p.id, p]));
  const newIds = new Set(to.paragraphs.map((p) => p.id));
  // The removed paragraphs, keyed by the id of the kept paragraph before them ('' for the start).
  const removedAfter = new Map<string, Paragraph[]>();
  let anchor = '';
  for (const p of from.paragraphs) {
    if (newIds.has(p.id)) {
      anchor = p.id;
      continue;
    }
    const list = removedAfter.get(anchor) ?? [];
    list.push(p);
    removedAfter.set(anchor, list);
  }
  const removed = (key: string): ParagraphDiff[] =>
    (removedAfter.get(key) ?? []).map((p) => ({ id: p.id, title: p.title ?? '', change: 'removed', lines: splitLines(p.text ?? '').map((text) => ({ op: '-', text })) }));

  const out = removed('');
  for (const p of to.paragraphs) {
    const old = oldById.get(p.id);
    if (!old) {
      out.push({ id: p.id, title: p.title ?? '', change: 'added', lines: splitLines(p.text ?? '').map((text) => ({ op: '+', text })) });
      continue;
    }
    const lines = lineDiff(splitLines(old.text ?? ''), splitLines(p.text ?? ''));
    const d: ParagraphDiff = { id: p.id, title: p.title || old.title || '', change: 'same', lines };
    if ((old.title ?? '') !== (p.title ?? '')) d.titleChange = { from: old.title ?? '', to: p.title ?? '' };
    if (d.titleChange || lines.some((l) => l.op !== ' ')) d.change = 'changed';
    out.push(d);
    if (removedAfter.has(p.id)) out.push(...removed(p.id));
  }
  return out;
}

/** diffCounts counts the paragraphs of a note diff by change. */
export function diffCounts(d: readonly ParagraphDiff[]): Record<ParagraphChange, number> {
  const c: Record<ParagraphChange, number> = { added: 0, removed: 0, changed: 0, same: 0 };
  for (const p of d) c[p.change]++;
  return c;
}
