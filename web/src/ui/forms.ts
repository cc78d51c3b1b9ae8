// The widgets of dynamic forms, as Zeppelin shows them: a text box for
// ${name=default}, a dropdown for ${name=default,a|b|c}, checkboxes for
// ${checkbox:name=...}, a password box for ${password:name}. Each shows the
// value that will run (model/forms.ts widgetValue). A change is handed to
// the owner, who saves it; a Select or CheckBox change, or Enter in a text
// box, also asks for a run, as Zeppelin's runOnSelectionChange does.

import { formsOfText, noteFormsOf, runForms, widgetValue, type Form, type FormValue, type StoredValues } from '../model/forms';
import { languageOf } from '../model/note';
import type { NoteSession } from '../noteSession';
import { clear, h, setText } from './dom';
import { toast } from './overlay';
import './forms.css';

/**
 * FormChange is one widget's new value and what changed it: Enter in a text
 * box, a pick in a Select or CheckBox (Zeppelin runs the paragraph on both,
 * the latter unless config.runOnSelectionChange is false), or leaving a text
 * box changed (saved, not run).
 */
export interface FormChange {
  name: string;
  value: FormValue;
  trigger: 'enter' | 'selection' | 'edit';
}

/** runsOnChange tells whether a change runs the paragraph, as Zeppelin decides. */
export function runsOnChange(c: FormChange, config: { runOnSelectionChange?: unknown } | undefined): boolean {
  return c.trigger === 'enter' || (c.trigger === 'selection' && config?.runOnSelectionChange !== false);
}

export interface FormsViewOptions {
  /** data-testid of the widget area, e.g. "paragraph-forms" or "note-forms". */
  testid: string;
  /** Heading shown before the widgets (the note's forms have one). */
  title?: string;
  onChange: (c: FormChange) => void;
}

/** A shown widget, kept while its form's definition stays the same. */
interface Widget {
  key: string;
  el: HTMLElement;
  show: (stored: StoredValues) => void;
}

/**
 * FormsView shows the widgets of a list of forms. render may be called on
 * every keystroke: a widget whose form did not change is kept (with the
 * focus and what is being typed in it) and only its value refreshed.
 */
export class FormsView {
  readonly el: HTMLElement;
  private widgets = new Map<string, Widget>();
  private readonly titleEl: HTMLElement | null;
  private readonly errorEl: HTMLElement;
  /** Set while render moves nodes; a render asked meanwhile is deferred to its end (see render). */
  private rendering = false;
  private deferred: Parameters<FormsView['render']> | null = null;

  constructor(private readonly opts: FormsViewOptions) {
    this.el = h('div', { class: 'dyn-forms', 'data-testid': opts.testid, hidden: true });
    this.titleEl = opts.title ? h('div', { class: 'dyn-forms-title' }, opts.title) : null;
    this.errorEl = h('div', { class: 'dyn-forms-error', role: 'alert', 'data-testid': 'forms-error' });
  }

  /**
   * render shows the visible forms (hidden ones, `_${...}`, have no widget)
   * with the values that will run. Moving a focused input blurs it, and its
   * change handler may save and so ask for a render within this one: that
   * render runs once this one is done, never in the middle of its moves.
   */
  render(forms: Form[], stored: StoredValues, error?: string): void {
    if (this.rendering) {
      this.deferred = [forms, stored, error];
      return;
    }
    this.rendering = true;
    try {
      this.draw(forms, stored, error);
    } finally {
      this.rendering = false;
    }
    const again = this.deferred;
    this.deferred = null;
    if (again) this.render(...again);
  }

  private draw(forms: Form[], stored: StoredValues, error?: string): void {
    const visible = forms.filter((f) => !f.hidden);
    const next = new Map<string, Widget>();
    const children: HTMLElement[] = [];
    if (this.titleEl && (visible.length > 0 || error)) children.push(this.titleEl);
    for (const f of visible) {
      const key = JSON.stringify(f);
      let w = this.widgets.get(f.name);
      if (!w || w.key !== key) w = this.build(f, key);
      w.show(stored);
      next.set(f.name, w);
      children.push(w.el);
    }
    if (error) {
      setText(this.errorEl, error);
      children.push(this.errorEl);
    }
    this.widgets = next;
    // Reorder without recreating, so a focused input keeps its focus.
    let cursor: ChildNode | null = this.el.firstChild;
    for (const c of children) {
      if (cursor === c) cursor = c.nextSibling;
      else this.el.insertBefore(c, cursor);
    }
    while (cursor) {
      const after: ChildNode | null = cursor.nextSibling;
      cursor.remove();
      cursor = after;
    }
    this.el.hidden = children.length === 0;
  }

  private build(f: Form, key: string): Widget {
    const label = h('label', { class: 'dyn-form-label' }, f.displayName || f.name);
    const note = h('div', { class: 'dyn-form-note', 'data-testid': 'form-note', hidden: true });
    const el = h('div', { class: 'dyn-form', 'data-form': f.name, 'data-type': f.type }, label);
    const change = (value: FormValue, trigger: FormChange['trigger']): void => this.opts.onChange({ name: f.name, value, trigger });
    let show: (stored: StoredValues) => void;
    switch (f.type) {
      case 'Select':
        show = this.select(f, el, note, label, change);
        break;
      case 'CheckBox':
        show = this.checkboxes(f, el, note, change);
        break;
      default:
        show = this.textBox(f, el, label, change);
    }
    el.append(note);
    return { key, el, show };
  }

  private textBox(f: Form, el: HTMLElement, label: HTMLElement, change: Change): (s: StoredValues) => void {
    const input = h('input', {
      class: 'dyn-form-input',
      type: f.type === 'Password' ? 'password' : 'text',
      autocomplete: f.type === 'Password' ? 'off' : undefined,
      'aria-label': f.displayName || f.name,
    });
    label.setAttribute('for', (input.id = uniqueId()));
    // The value last shown or sent: a change event after Enter sends nothing twice.
    let last = '';
    const commit = (enter: boolean): void => {
      const v = input.value;
      if (v === last && !enter) return;
      last = v;
      change(v, enter ? 'enter' : 'edit');
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        commit(true);
      }
    });
    input.addEventListener('change', () => commit(false));
    el.append(input);
    return (stored) => {
      const w = widgetValue(f, stored.params, stored.forms);
      const v = typeof w.value === 'string' ? w.value : w.text;
      // What is being typed stays until it is committed.
      if (document.activeElement === input && input.value !== last) return;
      last = v;
      if (input.value !== v) input.value = v;
      el.dataset['set'] = String(w.set);
    };
  }

  private select(f: Form, el: HTMLElement, note: HTMLElement, label: HTMLElement, change: Change): (s: StoredValues) => void {
    const sel = h('select', { class: 'dyn-form-select', 'aria-label': f.displayName || f.name });
    label.setAttribute('for', (sel.id = uniqueId()));
    sel.addEventListener('change', () => change(sel.value, 'selection'));
    el.append(sel);
    let shown = '';
    return (stored) => {
      const w = widgetValue(f, stored.params, stored.forms);
      const value = typeof w.value === 'string' ? w.value : w.text;
      const sig = JSON.stringify(w.notOptions);
      if (sig !== shown || sel.options.length === 0) {
        shown = sig;
        clear(sel);
        for (const o of f.options ?? []) sel.append(h('option', { value: o.value }, o.displayName || o.value));
        // A value that is no longer an option runs as it is, so it is shown as it is.
        for (const v of w.notOptions) sel.append(h('option', { value: v, class: 'not-option' }, `${v} (not an option)`));
      }
      sel.value = value;
      el.dataset['set'] = String(w.set);
      showNote(note, w.notOptions.length > 0 ? `“${value}” is no longer one of the options; it runs as shown until another is picked.` : '');
    };
  }

  private checkboxes(f: Form, el: HTMLElement, note: HTMLElement, change: Change): (s: StoredValues) => void {
    const box = h('div', { class: 'dyn-form-checks', role: 'group', 'aria-label': f.displayName || f.name });
    el.append(box);
    let shown = '';
    const checked = (): string[] => [...box.querySelectorAll<HTMLInputElement>('input[type=checkbox]')].filter((c) => c.checked).map((c) => c.value);
    return (stored) => {
      const w = widgetValue(f, stored.params, stored.forms);
      const values = Array.isArray(w.value) ? w.value : [w.value];
      const all = [...(f.options ?? []).map((o) => ({ value: o.value, label: o.displayName || o.value, stale: false })), ...w.notOptions.map((v) => ({ value: v, label: `${v} (not an option)`, stale: true }))];
      const sig = JSON.stringify([all, values]);
      el.dataset['set'] = String(w.set);
      const ignored = w.ignored.length > 0 ? `No longer options, left out of the run: ${w.ignored.join(', ')}.` : '';
      const stale = w.notOptions.length > 0 ? `Checked values that are no longer options (${w.notOptions.join(', ')}) run as shown until the boxes change.` : '';
      showNote(note, [ignored, stale].filter(Boolean).join(' '));
      if (shown === sig) return;
      shown = sig;
      clear(box);
      for (const o of all) {
        const input = h('input', { type: 'checkbox', value: o.value, checked: values.includes(o.value) });
        input.addEventListener('change', () => change(checked(), 'selection'));
        box.append(h('label', { class: o.stale ? 'dyn-form-check not-option' : 'dyn-form-check' }, input, o.label));
      }
    };
  }
}

/**
 * ParagraphForms are the widgets of one paragraph's forms, derived from its
 * current text (so they appear while it is typed). A change is saved in
 * settings.params; Enter in a text box, or a pick in a Select or CheckBox
 * (unless config.runOnSelectionChange is false), then runs the paragraph.
 */
export class ParagraphForms {
  private readonly view: FormsView;

  constructor(
    private readonly session: NoteSession,
    private readonly pid: string,
    private readonly run: () => void,
  ) {
    this.view = new FormsView({ testid: 'paragraph-forms', onChange: (c) => void this.change(c) });
  }

  get el(): HTMLElement {
    return this.view.el;
  }

  /** render shows the forms of the paragraph's text as it is now, and a Python paragraph's those its last run showed. */
  render(): void {
    const p = this.session.paragraph(this.pid);
    const parsed = formsOfText(p?.text ?? '');
    const forms = languageOf(p?.text ?? '') === 'python' ? [...parsed.forms, ...runForms(p?.settings?.forms, parsed.forms)] : parsed.forms;
    this.view.render(forms, p?.settings ?? {}, parsed.error);
  }

  private async change(c: FormChange): Promise<void> {
    this.session.edit(this.pid, { params: { [c.name]: c.value } });
    this.render();
    if (!runsOnChange(c, this.session.paragraph(this.pid)?.config)) return;
    // The value is stored before the run reads it.
    await this.session.flush(this.pid);
    this.run();
  }
}

/**
 * NoteForms are the widgets of a note's forms ($${...}), shown once at the
 * top of the note: each name once, as its first paragraph defines it. A
 * change is saved in the note's noteParams and reaches every viewer; it runs
 * nothing (the paragraphs that use the form run with it next time).
 */
export class NoteForms {
  private readonly view: FormsView;

  constructor(private readonly session: NoteSession) {
    this.view = new FormsView({ testid: 'note-forms', title: 'Note forms', onChange: (c) => void this.change(c) });
    this.view.el.classList.add('note-forms');
  }

  get el(): HTMLElement {
    return this.view.el;
  }

  render(): void {
    const n = this.session.note;
    const forms = noteFormsOf((n?.paragraphs ?? []).map((p) => p.text ?? ''));
    this.view.render(forms, { params: n?.noteParams, forms: n?.noteForms });
  }

  private async change(c: FormChange): Promise<void> {
    const saving = this.session.setNoteParams({ [c.name]: c.value });
    this.render();
    try {
      await saving;
    } catch (e) {
      toast(`Could not save ${c.name}: ${(e as Error).message}`, 'error');
    }
  }
}

type Change = (value: FormValue, trigger: FormChange['trigger']) => void;

function showNote(note: HTMLElement, text: string): void {
  setText(note, text);
  note.hidden = text === '';
}

let ids = 0;
function uniqueId(): string {
  return `dyn-form-${++ids}`;
}
