// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paragraph } from '../fixtures';
import { parseForms } from '../model/forms';
import { NoteSession } from '../noteSession';
import type { NoteEventMsg, ParamsPatch } from '../protocol';
import type { Note, Paragraph } from '../schema';
import type { AddedParagraph, NoteTransport, ParagraphPatch } from '../transport';
import { FormsView, NoteForms, ParagraphForms, runsOnChange, type FormChange } from './forms';

/** Transport records what the session asks of the server, in order; every request succeeds. */
class Transport implements NoteTransport {
  online = true;
  log: string[] = [];
  edits: ParagraphPatch[] = [];
  noteParams: ParamsPatch[] = [];
  constructor(private readonly note: Note) {}
  load(): Promise<Note> {
    return Promise.resolve(structuredClone(this.note));
  }
  subscribe(_id: string, _on: (m: NoteEventMsg) => void): () => void {
    return () => undefined;
  }
  resync(): void {}
  complete(): Promise<string[]> {
    return Promise.resolve([]);
  }
  async editParagraph(_n: string, _pid: string, patch: ParagraphPatch): Promise<void> {
    this.log.push('edit');
    this.edits.push(structuredClone(patch));
    await Promise.resolve();
    this.log.push('edit stored');
  }
  addParagraph(): Promise<AddedParagraph> {
    return Promise.reject(new Error('not used'));
  }
  moveParagraph(): Promise<void> {
    return Promise.resolve();
  }
  deleteParagraph(): Promise<void> {
    return Promise.resolve();
  }
  run(): Promise<void> {
    this.log.push('run');
    return Promise.resolve();
  }
  cancel(): Promise<void> {
    return Promise.resolve();
  }
  runAll(): Promise<void> {
    return Promise.resolve();
  }
  editNoteParams(_n: string, params: ParamsPatch): Promise<void> {
    this.noteParams.push(structuredClone(params));
    return Promise.resolve();
  }
  clearOutput(): Promise<void> {
    return Promise.resolve();
  }
}

const TEXT = "%flink.bsql\nSELECT '${c=red,red|green|blue}' AS c, ${n=5} AS n, '${checkbox:k=a,a|b|c}' AS k, '${password:pw}' AS pw, _${h=1}, '$${g=x}'";

const settle = () => new Promise((r) => setTimeout(r, 0));

function widget(root: HTMLElement, name: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(`.dyn-form[data-form="${name}"]`);
  if (!el) throw new Error(`no widget for ${name}`);
  return el;
}

function input(root: HTMLElement, name: string): HTMLInputElement {
  return widget(root, name).querySelector('input') as HTMLInputElement;
}

function select(root: HTMLElement, name: string): HTMLSelectElement {
  return widget(root, name).querySelector('select') as HTMLSelectElement;
}

function checked(root: HTMLElement, name: string): string[] {
  return [...widget(root, name).querySelectorAll<HTMLInputElement>('input[type=checkbox]')].filter((c) => c.checked).map((c) => c.value);
}

function pick(sel: HTMLSelectElement, value: string): void {
  sel.value = value;
  sel.dispatchEvent(new Event('change'));
}

describe('FormsView with a title (the note forms)', () => {
  it('moves no widget when nothing changed, so a focused input is left alone', () => {
    const view = new FormsView({ testid: 'nf', title: 'Note forms', onChange: () => {} });
    const forms = parseForms('$${g=x} $${h=y}').noteForms;
    view.render(forms, {});
    const before = [...view.el.children];
    let moves = 0;
    const insert = view.el.insertBefore.bind(view.el);
    view.el.insertBefore = <T extends Node>(node: T, child: Node | null): T => {
      moves++;
      return insert(node, child);
    };
    view.render(forms, {});
    expect(moves).toBe(0);
    expect([...view.el.children]).toEqual(before);
  });

  it('a render asked while it moves nodes (a blurred input saving) runs after it, not inside it', () => {
    const view = new FormsView({ testid: 'nf', title: 'Note forms', onChange: () => {} });
    view.render(parseForms('$${g=x}').noteForms, {});
    const insert = view.el.insertBefore.bind(view.el);
    let reentered = false;
    view.el.insertBefore = <T extends Node>(node: T, child: Node | null): T => {
      const out = insert(node, child);
      if (!reentered) {
        reentered = true;
        view.render(parseForms('$${h=1} $${g=x}').noteForms, { params: { h: '2' } });
      }
      return out;
    };
    expect(() => view.render(parseForms('$${h=1} $${g=x}').noteForms, {})).not.toThrow();
    expect(reentered).toBe(true);
    expect([...view.el.querySelectorAll<HTMLElement>('.dyn-form')].map((w) => w.dataset['form'])).toEqual(['h', 'g']);
    expect(input(view.el, 'h').value).toBe('2');
  });
});

describe('FormsView', () => {
  let changes: FormChange[];
  let view: FormsView;
  beforeEach(() => {
    changes = [];
    view = new FormsView({ testid: 'f', onChange: (c) => changes.push(c) });
    document.body.append(view.el);
  });
  afterEach(() => view.el.remove());

  it('shows one widget per visible form, with the text’s defaults', () => {
    view.render(parseForms(TEXT).forms, {});
    expect([...view.el.querySelectorAll<HTMLElement>('.dyn-form')].map((w) => [w.dataset['form'], w.dataset['type']])).toEqual([
      ['c', 'Select'],
      ['n', 'TextBox'],
      ['k', 'CheckBox'],
      ['pw', 'Password'],
    ]);
    expect(select(view.el, 'c').value).toBe('red');
    expect([...select(view.el, 'c').options].map((o) => o.value)).toEqual(['red', 'green', 'blue']);
    expect(input(view.el, 'n').value).toBe('5');
    expect(checked(view.el, 'k')).toEqual(['a']);
    expect(input(view.el, 'pw').type).toBe('password');
    expect(view.el.hidden).toBe(false);
  });

  it('shows the stored values, and the new default over a value that was only the old one', () => {
    const forms = parseForms(TEXT).forms;
    view.render(forms, { params: { c: 'blue', n: '3', k: ['b', 'c'] }, forms: { n: { defaultValue: '3' } } });
    expect(select(view.el, 'c').value).toBe('blue');
    expect(input(view.el, 'n').value).toBe('5');
    expect(checked(view.el, 'k')).toEqual(['b', 'c']);
    expect(widget(view.el, 'c').dataset['set']).toBe('true');
    expect(widget(view.el, 'n').dataset['set']).toBe('false');
  });

  it('says when a stored Select value is no longer an option, and shows it as what runs', () => {
    view.render(parseForms("${c=red,red|green}").forms, { params: { c: 'purple' } });
    expect(select(view.el, 'c').value).toBe('purple');
    expect(select(view.el, 'c').selectedOptions[0]?.textContent).toBe('purple (not an option)');
    const note = widget(view.el, 'c').querySelector<HTMLElement>('[data-testid=form-note]');
    expect(note?.hidden).toBe(false);
    expect(note?.textContent).toContain('“purple” is no longer one of the options');
  });

  it('says which checked values are left out because they are no longer options', () => {
    view.render(parseForms('${checkbox:k=a,a|b}').forms, { params: { k: ['b', 'gone'] } });
    expect(checked(view.el, 'k')).toEqual(['b']);
    expect(widget(view.el, 'k').querySelector('[data-testid=form-note]')?.textContent).toBe('No longer options, left out of the run: gone.');
  });

  it('reports Enter, leaving a changed box, and picks, each once', () => {
    view.render(parseForms(TEXT).forms, {});
    const n = input(view.el, 'n');
    n.value = '7';
    n.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    n.dispatchEvent(new Event('change')); // the blur after Enter: nothing new
    n.value = '8';
    n.dispatchEvent(new Event('change'));
    pick(select(view.el, 'c'), 'green');
    const b = widget(view.el, 'k').querySelector<HTMLInputElement>('input[value=b]') as HTMLInputElement;
    b.checked = true;
    b.dispatchEvent(new Event('change'));
    expect(changes).toEqual([
      { name: 'n', value: '7', trigger: 'enter' },
      { name: 'n', value: '8', trigger: 'edit' },
      { name: 'c', value: 'green', trigger: 'selection' },
      { name: 'k', value: ['a', 'b'], trigger: 'selection' },
    ]);
  });

  it('keeps what is being typed, and the focus, across renders', () => {
    const forms = parseForms(TEXT).forms;
    view.render(forms, {});
    const n = input(view.el, 'n');
    n.focus();
    n.value = '12';
    view.render(parseForms(TEXT + ' ${more}').forms, { params: { n: '9' } });
    expect(input(view.el, 'n')).toBe(n);
    expect(n.value).toBe('12');
    expect(document.activeElement).toBe(n);
    expect(view.el.querySelector('.dyn-form[data-form=more]')).not.toBeNull();
  });

  it('is hidden without forms and shows a form error', () => {
    view.render([], {});
    expect(view.el.hidden).toBe(true);
    const bad = parseForms('${slider:x=1}');
    view.render(bad.forms, {}, bad.error);
    expect(view.el.hidden).toBe(false);
    expect(view.el.querySelector('[data-testid=forms-error]')?.textContent).toContain('could not recognize dynamic form with type "slider"');
  });
});

describe('runsOnChange', () => {
  it('runs on Enter and on picks unless runOnSelectionChange is false, as Zeppelin', () => {
    const c = (trigger: FormChange['trigger']): FormChange => ({ name: 'x', value: '1', trigger });
    expect(runsOnChange(c('enter'), {})).toBe(true);
    expect(runsOnChange(c('selection'), undefined)).toBe(true);
    expect(runsOnChange(c('selection'), { runOnSelectionChange: false })).toBe(false);
    expect(runsOnChange(c('enter'), { runOnSelectionChange: false })).toBe(true);
    expect(runsOnChange(c('edit'), {})).toBe(false);
  });
});

describe('ParagraphForms and NoteForms on a note session', () => {
  let t: Transport;
  let s: NoteSession;
  let runs: number;
  let pf: ParagraphForms;

  async function open(p: Paragraph): Promise<void> {
    t = new Transport({ id: 'N1', name: 'N', path: '/N', noteParams: { g: 'kept' }, paragraphs: [p] });
    s = new NoteSession('N1', t);
    await s.start();
    runs = 0;
    pf = new ParagraphForms(s, 'p1', () => {
      t.log.push('run');
      runs++;
    });
    document.body.append(pf.el);
    pf.render();
  }
  afterEach(() => {
    pf.el.remove();
    s.stop();
  });

  it('saves a pick in settings.params, then runs the paragraph', async () => {
    await open(paragraph({ text: TEXT }));
    pick(select(pf.el, 'c'), 'blue');
    await settle();
    expect(t.edits).toEqual([{ params: { c: 'blue' } }]);
    expect(t.log).toEqual(['edit', 'edit stored', 'run']);
    // Shown at once, and kept in the paragraph with the form it was set against.
    expect(select(pf.el, 'c').value).toBe('blue');
    expect(s.paragraph('p1')?.settings?.params).toEqual({ c: 'blue' });
    expect((s.paragraph('p1')?.settings?.forms?.['c'] as { defaultValue?: string }).defaultValue).toBe('red');
  });

  it('does not run on a pick when runOnSelectionChange is false, and runs on Enter', async () => {
    await open(paragraph({ text: TEXT, config: { runOnSelectionChange: false } }));
    pick(select(pf.el, 'c'), 'green');
    const n = input(pf.el, 'n');
    n.value = '9';
    n.dispatchEvent(new Event('change'));
    await settle();
    expect(runs).toBe(0);
    n.value = '10';
    n.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await settle();
    expect(runs).toBe(1);
    expect(s.paragraph('p1')?.settings?.params).toEqual({ c: 'green', n: '10' });
  });

  it('shows the note’s forms once, and saves a change in noteParams', async () => {
    await open(paragraph({ text: TEXT }));
    s.note?.paragraphs.push(paragraph({ id: 'p2', text: "%md $${g=y} $${h=2}" }));
    const nf = new NoteForms(s);
    nf.render();
    expect([...nf.el.querySelectorAll<HTMLElement>('.dyn-form')].map((w) => w.dataset['form'])).toEqual(['g', 'h']);
    expect(input(nf.el, 'g').value).toBe('kept');
    expect(input(nf.el, 'h').value).toBe('2');
    const h = input(nf.el, 'h');
    h.value = '3';
    h.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await settle();
    expect(t.noteParams).toEqual([{ h: '3' }]);
    expect(s.note?.noteParams).toEqual({ g: 'kept', h: '3' });
    expect(runs).toBe(0);
  });

  it('follows the text as it is typed', async () => {
    await open(paragraph({ text: '%md ${a=1}' }));
    expect(pf.el.querySelectorAll('.dyn-form').length).toBe(1);
    s.editText('p1', '%md ${a=1} ${b=2,2|3}');
    pf.render();
    expect(select(pf.el, 'b').value).toBe('2');
  });
});
