// Zeppelin's dynamic forms as the browser reads them: the forms of a
// paragraph's text, and the value each will run with. The parser mirrors
// kernel/forms.go (SubstituteForms, ChosenParams, FormValue) so that widgets
// appear while the text is typed, before any run, and show what will run;
// the server decides what runs, and the Vitest table checks the two agree.

/** FormType is the kind of a form, as Zeppelin writes it in settings.forms. */
export type FormType = 'TextBox' | 'Select' | 'CheckBox' | 'Password';

/** FormOption is one choice of a Select or CheckBox. */
export interface FormOption {
  value: string;
  displayName?: string;
}

/** Form is one form definition in Zeppelin's settings.forms shape (kernel.Form). */
export interface Form {
  type: FormType;
  name: string;
  displayName: string;
  /** A string for TextBox and Select, a list for CheckBox, absent when the text gives none. */
  defaultValue?: string | string[];
  hidden: boolean;
  /** The CheckBox delimiter, from `${checkbox(delim):...}`. */
  argument?: string;
  options?: FormOption[];
}

/** ParsedForms are the paragraph forms (`${...}`) and note forms (`$${...}`) of a text, or why it has none. */
export interface ParsedForms {
  forms: Form[];
  noteForms: Form[];
  /** Set when a form cannot be read (an unknown type); the run fails with the same words. */
  error?: string;
}

/** A form value as settings.params holds it. */
export type FormValue = string | string[];

/** DEFAULT_CHECKBOX_DELIMITER joins checked values when the form names no delimiter. */
export const DEFAULT_CHECKBOX_DELIMITER = ',';

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/**
 * formsOfText returns the forms of a paragraph's text: its body after the
 * `%interpreter(properties)` header, as the kernel reads it.
 */
export function formsOfText(text: string): ParsedForms {
  return parseForms(paragraphBody(text));
}

/** paragraphBody returns the text after a leading `%name(.name)*` and its `(...)` properties. */
export function paragraphBody(text: string): string {
  const m = /^\s*%\w+(?:\.\w+)*/.exec(text);
  if (!m) return text;
  let i = m[0].length;
  if (text[i] === '(') {
    let quoted = false;
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '"') quoted = !quoted;
      else if (c === ')' && !quoted) break;
    }
    i++;
  }
  return text.slice(i);
}

/** parseForms finds the forms of a script, as kernel.SubstituteForms does (see its syntax). */
export function parseForms(script: string): ParsedForms {
  const forms: Form[] = [];
  const noteForms: Form[] = [];
  for (let i = 0; i < script.length; i++) {
    const start = i;
    let hidden = false;
    if (script[i] === '_' && (i === 0 || !isWordChar(script[i - 1])) && script[i + 1] === '$') {
      hidden = true;
      i++;
    }
    let note = false;
    if (script.startsWith('$${', i)) note = true;
    else if (!script.startsWith('${', i)) {
      i = start;
      continue;
    }
    const open = i + (note ? 3 : 2);
    const end = script.indexOf('}', open);
    if (end < 0) break; // an unclosed form is plain text, and so is the rest
    const form = parseForm(script.slice(open, end), hidden);
    if (typeof form === 'string') return { forms: [], noteForms: [], error: form };
    putForm(note ? noteForms : forms, form);
    i = end;
  }
  return { forms, noteForms };
}

/** putForm keeps a name at its first position with its last definition. */
function putForm(list: Form[], f: Form): void {
  const i = list.findIndex((x) => x.name === f.name);
  if (i >= 0) list[i] = f;
  else list.push(f);
}

/** parseForm reads the text between a form's braces; a string is the error. */
function parseForm(content: string, hidden: boolean): Form | string {
  let namePart = content;
  let valuePart = '';
  let hasValue = false;
  const p = content.indexOf('=');
  if (p > 0) {
    namePart = content.slice(0, p);
    valuePart = content.slice(p + 1);
    hasValue = true;
  }
  let typ = '';
  let arg = '';
  let varPart = namePart.trim();
  const m = /^([^:()]*)\s*(\([^()]*\))?\s*:([\s\S]*)$/.exec(varPart);
  if (m) {
    typ = (m[1] ?? '').trim();
    arg = (m[2] ?? '').trim().replace(/[()]/g, '');
    varPart = (m[3] ?? '').trim();
  }
  const [name, label] = splitLabel(varPart);
  const f: Form = { type: 'TextBox', name, displayName: label || name, hidden };
  if (arg) f.argument = arg;
  const isCheckbox = typ.toLowerCase() === 'checkbox';
  let def: string | undefined;
  if (hasValue) {
    const comma = valuePart.indexOf(',');
    if (comma >= 0) {
      def = valuePart.slice(0, comma);
      const options = splitFormOptions(valuePart.slice(comma + 1)).map((o) => {
        const [value, displayName] = splitLabel(o);
        return displayName ? { value, displayName } : { value };
      });
      if (options.length > 0) f.options = options;
    } else def = valuePart;
  }
  if (typ === '') {
    f.type = f.options ? 'Select' : 'TextBox';
    if (def !== undefined) f.defaultValue = def;
  } else if (isCheckbox) {
    f.type = 'CheckBox';
    f.defaultValue = def === undefined ? [] : splitFormOptions(def);
  } else if (typ.toLowerCase() === 'password') {
    f.type = 'Password';
    delete f.options;
  } else {
    return `could not recognize dynamic form with type "${typ}" in \${${content}}`;
  }
  return f;
}

/** splitLabel splits "value(Label)" into its trimmed value and label. */
function splitLabel(s: string): [string, string] {
  const t = s.trim();
  const m = /^([^(]*)\s*\(([^)]*)\)/.exec(t);
  return m ? [(m[1] ?? '').trim(), (m[2] ?? '').trim()] : [t, ''];
}

/**
 * splitFormOptions splits a '|'-separated list as Zeppelin's Input.split does:
 * not inside quotes, ${...}, (...) or <...>; a backslash before one of "',;${}
 * yields that character. Pieces are trimmed; an empty last piece is dropped.
 */
export function splitFormOptions(s: string): string[] {
  const escapable = `"',;\${}`;
  const pieces: string[] = [];
  let cur = '';
  const stack: string[] = []; // closing delimiters of the open blocks
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      i++;
      const next = s[i] as string;
      if (!escapable.includes(next)) cur += '\\';
      cur += next;
      continue;
    }
    if (stack.length > 0) {
      cur += c;
      const top = stack[stack.length - 1];
      if (c === top) stack.pop();
      else if ((top === ')' && c === '(') || (top === '>' && c === '<')) stack.push(top);
      continue;
    }
    switch (c) {
      case '|':
        pieces.push(cur.trim());
        cur = '';
        continue;
      case '"':
      case "'":
        stack.push(c);
        break;
      case '(':
        stack.push(')');
        break;
      case '<':
        stack.push('>');
        break;
      case '{':
        if (i > 0 && s[i - 1] === '$') stack.push('}');
        break;
    }
    cur += c;
  }
  const last = cur.trim();
  if (last !== '') pieces.push(last);
  return pieces;
}

// ---- values ----

/** formText is how a stored value reads as text; absent and null are "". */
function formText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function formList(v: unknown): string[] | null {
  return Array.isArray(v) ? v.map(formText) : null;
}

/** sameFormValue tells whether two values are the same text or the same list of texts. */
export function sameFormValue(a: unknown, b: unknown): boolean {
  const al = formList(a);
  const bl = formList(b);
  if (al === null || bl === null) return al === bl && formText(a) === formText(b);
  return al.length === bl.length && al.every((x, i) => x === bl[i]);
}

/**
 * chosenParams returns the values of params the user chose (kernel.ChosenParams):
 * a value equal to the default recorded beside it (settings.forms,
 * noteForms) is the default of that time, and is left out so that the
 * text's default applies.
 */
export function chosenParams(params: Record<string, unknown> | undefined, recorded: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(params ?? {})) {
    const f = recorded?.[name];
    if (f !== null && typeof f === 'object' && !Array.isArray(f) && sameFormValue(v, (f as { defaultValue?: unknown }).defaultValue)) continue;
    out[name] = v;
  }
  return out;
}

/** WidgetValue is what a form's widget shows: the value that will run. */
export interface WidgetValue {
  /** The text (TextBox, Password, Select) or the checked values (CheckBox) that run. */
  value: FormValue;
  /** The value comes from the stored params (the user set it), not the text's default. */
  set: boolean;
  /** Values shown that are not among the form's options (a Select's value, checked values that run all the same). */
  notOptions: string[];
  /** Checked values that are no longer options and are left out of the run. */
  ignored: string[];
  /** The text substituted for the form. */
  text: string;
}

/**
 * widgetValue returns what the widget of form f shows, given the stored
 * values (settings.params or noteParams) and the forms recorded beside them:
 * the stored value when the user chose one, else the text's default —
 * exactly what kernel.SubstituteForms puts in the run.
 */
export function widgetValue(f: Form, params: Record<string, unknown> | undefined, recorded: Record<string, unknown> | undefined): WidgetValue {
  const chosen = chosenParams(params, recorded);
  const set = Object.prototype.hasOwnProperty.call(chosen, f.name);
  const raw = set ? chosen[f.name] : f.defaultValue;
  const options = (f.options ?? []).map((o) => o.value);
  const list = formList(raw);
  if (list === null) {
    const text = formText(raw);
    const notOptions = f.type === 'Select' && options.length > 0 && !options.includes(text) ? [text] : [];
    return { value: f.type === 'CheckBox' ? (text === '' ? [] : [text]) : text, set, notOptions, ignored: [], text };
  }
  // A list runs the checked values that are still options, or all of them when none is.
  const valid = list.filter((v) => options.includes(v));
  const runs = valid.length > 0 ? valid : list;
  const delim = f.argument || DEFAULT_CHECKBOX_DELIMITER;
  return {
    value: f.type === 'CheckBox' ? runs : runs.join(delim),
    set,
    notOptions: valid.length > 0 ? [] : list.filter((v) => !options.includes(v)),
    ignored: valid.length > 0 ? list.filter((v) => !options.includes(v)) : [],
    text: runs.join(delim),
  };
}

/**
 * noteFormsOf returns the note forms ($${...}) of a note's paragraph texts:
 * each name once, with its first definition in paragraph order, as the
 * server records them.
 */
export function noteFormsOf(texts: string[]): Form[] {
  const out: Form[] = [];
  for (const t of texts) {
    for (const f of formsOfText(t).noteForms) if (!out.some((x) => x.name === f.name)) out.push(f);
  }
  return out;
}

/** StoredValues are form values with the forms recorded beside them: a paragraph's settings, or a note's noteParams and noteForms. */
export interface StoredValues {
  params?: Record<string, unknown>;
  forms?: Record<string, unknown>;
}

/**
 * recordParams returns stored values with a patch applied as the server
 * applies it: each value set (null removes it) and, beside it, the form of
 * that name it was set against — its first definition in texts (the
 * paragraph's text, or every paragraph's for note forms), or none.
 */
export function recordParams(stored: StoredValues, patch: Record<string, FormValue | null>, texts: string[], note: boolean): { params: Record<string, unknown>; forms: Record<string, unknown> } {
  const params = { ...(stored.params ?? {}) };
  const forms = { ...(stored.forms ?? {}) };
  const defined = note ? noteFormsOf(texts) : texts.flatMap((t) => formsOfText(t).forms);
  for (const [name, v] of Object.entries(patch)) {
    if (v === null) delete params[name];
    else params[name] = v;
    const f = defined.find((x) => x.name === name);
    if (f) forms[name] = f;
    else delete forms[name];
  }
  return { params, forms };
}

const formTypes: readonly string[] = ['TextBox', 'Select', 'CheckBox', 'Password'];

/**
 * runForms are the forms a Python paragraph's last run recorded in settings.forms (its code
 * shows them with z.input, z.select, z.checkbox), except those its text also defines.
 */
export function runForms(stored: Record<string, unknown> | undefined, fromText: Form[]): Form[] {
  const out: Form[] = [];
  for (const v of Object.values(stored ?? {})) {
    const f = v as Partial<Form> | null;
    if (!f || typeof f.name !== 'string' || !formTypes.includes(f.type ?? '') || fromText.some((t) => t.name === f.name)) continue;
    out.push({ ...f, displayName: f.displayName ?? f.name, hidden: f.hidden ?? false } as Form);
  }
  return out;
}
