// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { actionFor, applyColWidth, chordKeys, clampColWidth, isTyping, runInSequence, SHORTCUTS, showShortcutList, stepOutcome, type KeyLike, type SequenceSession } from './shortcuts';

const key = (code: string, mods: Partial<KeyLike> = {}): KeyLike => ({ ctrlKey: false, altKey: false, shiftKey: false, metaKey: false, code, ...mods });
const ctrlAlt = (code: string) => key(code, { ctrlKey: true, altKey: true });

describe('actionFor', () => {
  it("maps Zeppelin's paragraph shortcuts", () => {
    const cases: Array<[KeyLike, string]> = [
      [key('Enter', { shiftKey: true }), 'run'],
      [key('Enter', { ctrlKey: true, shiftKey: true }), 'runBelow'],
      [key('ArrowDown', { ctrlKey: true, shiftKey: true }), 'runBelow'],
      [key('ArrowUp', { ctrlKey: true, shiftKey: true }), 'runAbove'],
      [ctrlAlt('KeyC'), 'cancel'],
      [ctrlAlt('KeyD'), 'delete'],
      [ctrlAlt('KeyA'), 'insertAbove'],
      [ctrlAlt('KeyB'), 'insertBelow'],
      [ctrlAlt('KeyN'), 'insertBelow'],
      [key('KeyC', { ctrlKey: true, shiftKey: true }), 'copyBelow'],
      [ctrlAlt('KeyK'), 'moveUp'],
      [ctrlAlt('KeyJ'), 'moveDown'],
      [ctrlAlt('KeyR'), 'toggleEnabled'],
      [ctrlAlt('KeyO'), 'toggleOutput'],
      [ctrlAlt('KeyL'), 'clearOutput'],
      [ctrlAlt('KeyE'), 'toggleEditor'],
      [ctrlAlt('KeyM'), 'toggleLineNumbers'],
      [ctrlAlt('KeyT'), 'toggleTitle'],
      [key('Minus', { ctrlKey: true, shiftKey: true }), 'narrower'],
      [key('Equal', { ctrlKey: true, shiftKey: true }), 'wider'],
      [ctrlAlt('KeyF'), 'find'],
    ];
    for (const [e, want] of cases) expect(actionFor(e), JSON.stringify(e)).toBe(want);
  });

  it('needs the modifiers exactly, and never takes ⌘', () => {
    expect(actionFor(key('KeyB', { ctrlKey: true }))).toBeNull(); // the editor's own
    expect(actionFor(key('KeyB', { ctrlKey: true, altKey: true, shiftKey: true }))).toBeNull();
    expect(actionFor(key('KeyB', { ctrlKey: true, altKey: true, metaKey: true }))).toBeNull();
    expect(actionFor(key('Enter'))).toBeNull();
    expect(actionFor(key('KeyF', { ctrlKey: true }))).toBeNull(); // the browser's find stays
  });

  it('has one action per chord', () => {
    const seen = new Set<string>();
    for (const s of SHORTCUTS) for (const c of s.chords) {
      const id = JSON.stringify([!!c.ctrl, !!c.alt, !!c.shift, c.code]);
      expect(seen.has(id), id).toBe(false);
      seen.add(id);
    }
  });
});

describe('the shortcut list', () => {
  it('names keys as Zeppelin does', () => {
    expect(chordKeys({ ctrl: true, alt: true, code: 'KeyB' })).toEqual(['Ctrl', 'Alt', 'B']);
    expect(chordKeys({ ctrl: true, alt: true, code: 'KeyB' }, true)).toEqual(['Ctrl', 'Option', 'B']);
    expect(chordKeys({ ctrl: true, shift: true, code: 'Enter' })).toEqual(['Ctrl', 'Shift', 'Enter']);
  });

  it('lists every shortcut and closes on Escape', () => {
    const el = showShortcutList();
    expect(el.querySelectorAll('tr[data-action]').length).toBe(SHORTCUTS.length);
    expect(el.textContent).toContain('Insert new paragraph below');
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(document.querySelector('[data-testid=shortcut-list]')).toBeNull();
  });

  it("knows where '?' is typed text", () => {
    const input = document.createElement('input');
    const cm = document.createElement('div');
    cm.className = 'cm-editor';
    const inner = document.createElement('div');
    cm.appendChild(inner);
    expect(isTyping(input)).toBe(true);
    expect(isTyping(inner)).toBe(true);
    expect(isTyping(document.body)).toBe(false);
  });
});

describe('colWidth', () => {
  it("reads Zeppelin's 1–12 grid width", () => {
    expect(clampColWidth(12.0)).toBe(12);
    expect(clampColWidth(6)).toBe(6);
    expect(clampColWidth('4')).toBe(4);
    expect(clampColWidth(undefined)).toBe(12);
    expect(clampColWidth('wide')).toBe(12);
    expect(clampColWidth(0)).toBe(1);
    expect(clampColWidth(13)).toBe(12);
    expect(clampColWidth(5.6)).toBe(6);
  });

  it('lays a narrow paragraph out beside its neighbours', () => {
    const el = document.createElement('section');
    applyColWidth(el, 6.0);
    expect(el.style.getPropertyValue('--col')).toBe('6');
    expect(el.classList.contains('narrow')).toBe(true);
    applyColWidth(el, 12);
    expect(el.classList.contains('narrow')).toBe(false);
    expect(el.dataset['colWidth']).toBe('12');
  });
});

describe('stepOutcome', () => {
  it('waits for the run to start and end, goes on past a stream, stops on failure', () => {
    expect(stepOutcome({ status: 'FINISHED', started: false, streaming: false })).toBe('wait');
    expect(stepOutcome({ status: 'PENDING', started: true, streaming: false })).toBe('wait');
    expect(stepOutcome({ status: 'RUNNING', started: true, streaming: false })).toBe('wait');
    expect(stepOutcome({ status: 'RUNNING', started: true, streaming: true })).toBe('next');
    expect(stepOutcome({ status: 'FINISHED', started: true, streaming: false })).toBe('next');
    expect(stepOutcome({ status: 'ERROR', started: true, streaming: false })).toBe('stop');
    expect(stepOutcome({ status: 'ABORT', started: true, streaming: false })).toBe('stop');
  });
});

/** fakeSession runs paragraphs by script: each run ends in the status given for it. */
function fakeSession(texts: Record<string, string>, ends: Record<string, string>, disabled: string[] = []) {
  const listeners = new Set<() => void>();
  const live = new Map<string, { runKey: string; status: string; table: unknown }>();
  const ran: string[] = [];
  let running: string | null = null;
  const s: SequenceSession = {
    paragraph: (pid) => (pid in texts ? { text: texts[pid], config: { enabled: !disabled.includes(pid) } } : undefined),
    live: { get: (pid) => live.get(pid) },
    run: async (pid) => {
      if (running) throw new Error(`${pid} started while ${running} runs`);
      ran.push(pid);
      running = pid;
      live.set(pid, { runKey: 'k' + ran.length, status: 'RUNNING', table: null });
      setTimeout(() => {
        running = null;
        live.set(pid, { runKey: 'k' + ran.length, status: ends[pid] ?? 'FINISHED', table: null });
        for (const l of listeners) l();
      }, 5);
    },
    on: (_ev, cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
  return { s, ran };
}

describe('runInSequence', () => {
  it('runs one after another, skipping disabled and empty paragraphs', async () => {
    const { s, ran } = fakeSession({ a: '%flink.ssql\nSELECT 1', b: '%flink.ssql\n', c: 'SELECT 2', d: '%md hi' }, {}, ['c']);
    expect(await runInSequence(s, ['a', 'b', 'c', 'd'])).toBeNull();
    expect(ran).toEqual(['a', 'd']);
  });

  it('stops at the first paragraph that fails', async () => {
    const { s, ran } = fakeSession({ a: 'SELECT 1', b: 'SELECT x', c: 'SELECT 3' }, { b: 'ERROR' });
    expect(await runInSequence(s, ['a', 'b', 'c'])).toBe('b');
    expect(ran).toEqual(['a', 'b']);
  });
});
