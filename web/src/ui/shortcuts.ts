// Zeppelin's keyboard shortcuts: the table (the key, what it does), the
// matching of a key event to a paragraph action, the list shown on '?', and
// the sequence behind "run this and all below".

import { RUNNING_STATES } from '../model/note';
import { h } from './dom';
import './habits.css';

/** ParagraphAction is what a shortcut does to the focused paragraph (or note). */
export type ParagraphAction =
  | 'run'
  | 'runBelow'
  | 'runAbove'
  | 'cancel'
  | 'delete'
  | 'insertAbove'
  | 'insertBelow'
  | 'copyBelow'
  | 'moveUp'
  | 'moveDown'
  | 'toggleEditor'
  | 'toggleOutput'
  | 'toggleEnabled'
  | 'toggleLineNumbers'
  | 'toggleTitle'
  | 'narrower'
  | 'wider'
  | 'find'
  | 'clearOutput';

/** KeyChord is one key combination: modifiers and KeyboardEvent.code. */
export interface KeyChord {
  ctrl?: boolean;
  alt?: boolean;
  shift?: boolean;
  /** KeyboardEvent.code ("KeyB", "Enter", "ArrowDown", "Minus"): the physical key, so macOS Option letters (∫, å) match too. */
  code: string;
}

export interface Shortcut {
  action: ParagraphAction;
  label: string;
  /** The chords that trigger it; the first is the one shown. */
  chords: KeyChord[];
}

const ctrlAlt = (letter: string): KeyChord => ({ ctrl: true, alt: true, code: 'Key' + letter });

/**
 * SHORTCUTS are Zeppelin's paragraph shortcuts (zeppelin-web's shortcut
 * list and its paragraph key handler), with two extras: Ctrl+Alt+N inserts
 * below as Ctrl+Alt+B does, and Ctrl+Shift+Enter runs this paragraph and
 * all below as Ctrl+Shift+↓ does.
 */
export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'run', label: 'Run paragraph', chords: [{ shift: true, code: 'Enter' }] },
  { action: 'runBelow', label: 'Run this paragraph and all below', chords: [{ ctrl: true, shift: true, code: 'Enter' }, { ctrl: true, shift: true, code: 'ArrowDown' }] },
  { action: 'runAbove', label: 'Run all paragraphs above', chords: [{ ctrl: true, shift: true, code: 'ArrowUp' }] },
  { action: 'cancel', label: 'Cancel', chords: [ctrlAlt('C')] },
  { action: 'delete', label: 'Remove paragraph', chords: [ctrlAlt('D')] },
  { action: 'insertAbove', label: 'Insert new paragraph above', chords: [ctrlAlt('A')] },
  { action: 'insertBelow', label: 'Insert new paragraph below', chords: [ctrlAlt('B'), ctrlAlt('N')] },
  { action: 'copyBelow', label: 'Insert copy of paragraph below', chords: [{ ctrl: true, shift: true, code: 'KeyC' }] },
  { action: 'moveUp', label: 'Move paragraph up', chords: [ctrlAlt('K')] },
  { action: 'moveDown', label: 'Move paragraph down', chords: [ctrlAlt('J')] },
  { action: 'toggleEnabled', label: 'Enable/disable run paragraph', chords: [ctrlAlt('R')] },
  { action: 'toggleOutput', label: 'Toggle output', chords: [ctrlAlt('O')] },
  { action: 'clearOutput', label: 'Clear output', chords: [ctrlAlt('L')] },
  { action: 'toggleEditor', label: 'Toggle editor', chords: [ctrlAlt('E')] },
  { action: 'toggleLineNumbers', label: 'Toggle line numbers', chords: [ctrlAlt('M')] },
  { action: 'toggleTitle', label: 'Toggle title', chords: [ctrlAlt('T')] },
  { action: 'narrower', label: 'Reduce paragraph width', chords: [{ ctrl: true, shift: true, code: 'Minus' }] },
  { action: 'wider', label: 'Increase paragraph width', chords: [{ ctrl: true, shift: true, code: 'Equal' }] },
  { action: 'find', label: 'Find and replace in the note', chords: [ctrlAlt('F')] },
];

/** KeyLike is the part of a KeyboardEvent the matching reads. */
export type KeyLike = Pick<KeyboardEvent, 'ctrlKey' | 'altKey' | 'shiftKey' | 'metaKey' | 'code'>;

/** actionFor returns the paragraph action of a key event, or null. Modifiers must match exactly; Meta (⌘) never matches. */
export function actionFor(e: KeyLike): ParagraphAction | null {
  if (e.metaKey) return null;
  for (const s of SHORTCUTS) {
    for (const c of s.chords) {
      if (c.code === e.code && !!c.ctrl === e.ctrlKey && !!c.alt === e.altKey && !!c.shift === e.shiftKey) return s.action;
    }
  }
  return null;
}

const keyNames: Record<string, string> = { Enter: 'Enter', ArrowDown: '↓', ArrowUp: '↑', Minus: '-', Equal: '=' };

/** chordKeys names a chord's keys as the list shows them: ["Ctrl", "Alt", "B"]. */
export function chordKeys(c: KeyChord, mac = false): string[] {
  const keys: string[] = [];
  if (c.ctrl) keys.push('Ctrl');
  if (c.alt) keys.push(mac ? 'Option' : 'Alt');
  if (c.shift) keys.push('Shift');
  keys.push(keyNames[c.code] ?? c.code.replace(/^Key/, ''));
  return keys;
}

/** isTyping tells whether a key event goes to something that takes text (an input, an editor): '?' is a character there. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== 'function') return false;
  return !!el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], .cm-editor');
}

/** showShortcutList opens the list of shortcuts (the '?' key); Escape, the close button or a click outside closes it. */
export function showShortcutList(): HTMLElement {
  document.querySelector('.shortcut-backdrop')?.remove();
  const mac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);
  const close = () => {
    backdrop.remove();
    document.removeEventListener('keydown', onKey, true);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    close();
  };
  const rows = SHORTCUTS.map((s) =>
    h(
      'tr',
      { 'data-action': s.action },
      h('td', null, s.label),
      h(
        'td',
        { class: 'keys' },
        s.chords.map((c, i) => [i > 0 ? h('span', { class: 'or' }, ' or ') : null, chordKeys(c, mac).map((k, j) => [j > 0 ? ' + ' : null, h('kbd', null, k)])]),
      ),
    ),
  );
  const extra = [
    ['Show this list', ['?']],
    ['Autocomplete', ['Ctrl', 'Space']],
    ['Find in the paragraph', ['Ctrl', 'F']],
  ] as const;
  const dialog = h(
    'div',
    { class: 'dialog shortcut-list', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Keyboard shortcuts', 'data-testid': 'shortcut-list' },
    h('div', { class: 'dialog-title' }, 'Keyboard shortcuts', h('button', { type: 'button', class: 'btn ghost close', 'aria-label': 'Close', onclick: close }, '×')),
    h('p', { class: 'dialog-msg' }, 'In a paragraph (its editor, or the paragraph selected by a click):'),
    h('table', null, h('tbody', null, rows)),
    h('p', { class: 'dialog-msg' }, 'Anywhere on the note page:'),
    h('table', null, h('tbody', null, extra.map(([label, keys]) => h('tr', null, h('td', null, label), h('td', { class: 'keys' }, keys.map((k, j) => [j > 0 ? ' + ' : null, h('kbd', null, k)])))))),
  );
  const backdrop = h('div', { class: 'backdrop shortcut-backdrop', onmousedown: (e: Event) => e.target === backdrop && close() }, dialog);
  document.body.appendChild(backdrop);
  document.addEventListener('keydown', onKey, true);
  return backdrop;
}

/** StepState is what a sequential run sees of the paragraph it started. */
export interface StepState {
  /** The paragraph's status now (live or stored). */
  status: string;
  /** The run is a new one (not the state before the run was asked for). */
  started: boolean;
  /** The run keeps going as a stream: a streaming query showing its rows, which never finishes by itself. */
  streaming: boolean;
}

/** stepOutcome says what a sequential run does next: wait, go on to the next paragraph, or stop (the run failed or was cancelled). */
export function stepOutcome(s: StepState): 'wait' | 'next' | 'stop' {
  if (!s.started) return 'wait';
  if (s.status === 'FINISHED') return 'next';
  if (RUNNING_STATES.has(s.status)) return s.status === 'RUNNING' && s.streaming ? 'next' : 'wait';
  if (s.status === 'READY') return 'wait';
  return 'stop';
}

/** clampColWidth reads Zeppelin's colWidth (1–12, often written 12.0 or "6"): 12 when absent or not a number. */
export function clampColWidth(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return 12;
  return Math.min(12, Math.max(1, Math.round(n)));
}

/** COL_WIDTHS are the widths the paragraph menu offers. */
export const COL_WIDTHS = [12, 9, 8, 6, 4, 3, 2, 1] as const;

/** colWidthLabel names a width for the menu: "Width 6/12 (half)". */
export function colWidthLabel(n: number): string {
  const names: Record<number, string> = { 12: 'full', 9: 'three quarters', 8: 'two thirds', 6: 'half', 4: 'third', 3: 'quarter' };
  return `Width ${n}/12` + (names[n] ? ` (${names[n]})` : '');
}

/** applyColWidth lays a paragraph out on the page's 12-column grid; a width under 12 sits beside its neighbours. */
export function applyColWidth(el: HTMLElement, v: unknown): void {
  const n = clampColWidth(v);
  el.style.setProperty('--col', String(n));
  el.classList.toggle('narrow', n < 12);
  el.dataset['colWidth'] = String(n);
}

/** What a sequential run needs of the note session. */
export interface SequenceSession {
  paragraph(pid: string): { text?: string; status?: string; dateStarted?: string; config?: Record<string, unknown> } | undefined;
  live: { get(pid: string): { runKey: string; status: string; table: unknown; producing?: boolean } | undefined };
  run(pid: string): Promise<void>;
  on(ev: 'live' | 'paragraph', cb: () => void): () => void;
}

/**
 * runInSequence runs the paragraphs one after another, as Zeppelin's "run
 * all below" does: disabled and empty paragraphs are skipped; each starts
 * when the one before has finished, or runs on as a stream (a streaming
 * query showing rows); a run that fails or is cancelled stops the rest.
 * It resolves with the id of the paragraph that stopped it, or null.
 */
export async function runInSequence(s: SequenceSession, pids: readonly string[]): Promise<string | null> {
  for (const pid of pids) {
    const p = s.paragraph(pid);
    if (!p || p.config?.['enabled'] === false || !(p.text ?? '').replace(/^\s*%\S*/, '').trim()) continue;
    const beforeKey = s.live.get(pid)?.runKey;
    const beforeDate = p.dateStarted ?? '';
    await s.run(pid);
    const outcome = await new Promise<'next' | 'stop'>((resolve) => {
      const check = () => {
        const live = s.live.get(pid);
        const q = s.paragraph(pid);
        const started = live ? live.runKey !== beforeKey : (q?.dateStarted ?? '') !== beforeDate;
        const status = (live?.status ?? q?.status ?? 'READY').toUpperCase();
        // The server says when a streaming job produces; else a streaming query showing rows does.
        const streaming = !!live?.producing || (!!live?.table && !/^\s*%(flink\.)?bsql\b/.test(q?.text ?? ''));
        const o = stepOutcome({ status, started, streaming });
        if (o === 'wait') return;
        offLive();
        offPara();
        resolve(o);
      };
      const offLive = s.on('live', check);
      const offPara = s.on('paragraph', check);
      check();
    });
    if (outcome === 'stop') return pid;
  }
  return null;
}
