// The paragraph editor: CodeMirror 6 with the language picked from the
// paragraph's interpreter line (Flink SQL, Python, Markdown, Scala, shell),
// Flink SQL keyword highlighting and completion, Shift+Enter to run.

import { autocompletion, closeBrackets, closeBracketsKeymap, closeCompletion, completionKeymap, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { markdown } from '@codemirror/lang-markdown';
import { python } from '@codemirror/lang-python';
import { SQLDialect, sql } from '@codemirror/lang-sql';
import { HighlightStyle, StreamLanguage, bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { scala } from '@codemirror/legacy-modes/mode/clike';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import { languageOf, type EditorLanguage } from '../model/note';
import type { ErrorMark } from '../model/errorPosition';
import { errorMarkField, setErrorMarkEffect } from './editorMarks';

// Flink SQL (Flink 2.x): standard SQL plus Flink's DDL, windowing TVFs,
// time attributes, statement sets, catalogs/modules/jars and CALL.
const flinkKeywords = [
  'select from where group by having order limit offset fetch first next rows row only with as distinct all union intersect except minus',
  'insert into overwrite values update delete set reset merge partition partitions',
  'create drop alter rename to table tables view views temporary system function functions catalog catalogs database databases module modules jar jars',
  'if not exists is null true false and or in like similar escape between case when then else end cast try_cast',
  'join inner left right full outer cross on using natural lateral unnest',
  'over window range preceding following unbounded current tumble hop cumulate session descriptor',
  'watermark for system_time of primary key enforced comment with metadata virtual computed proctime rowtime',
  'show describe desc explain use load unload call execute statement begin plan compiled analyze',
  'match_recognize measures define pattern after match skip past last within one per running final',
  'asc nulls interval year month day hour minute second millisecond epoch extract',
  'like including excluding options partitioned distributed buckets into each',
  'returns language java scala python sql',
].join(' ');

const flinkTypes =
  'tinyint smallint int integer bigint float double precision real decimal dec numeric boolean char varchar string bytes binary varbinary date time timestamp timestamp_ltz zone local array map multiset row raw variant';

const flinkBuiltins = [
  'count sum avg min max stddev_pop stddev_samp var_pop var_samp collect listagg first_value last_value lead lag row_number rank dense_rank percent_rank ntile',
  'coalesce nullif if ifnull is_alpha is_decimal is_digit greatest least abs ceil floor round truncate mod power sqrt exp ln log log10 log2 rand rand_integer uuid',
  'concat concat_ws substring substr upper lower trim ltrim rtrim replace regexp regexp_replace regexp_extract split_index char_length length position locate initcap lpad rpad repeat reverse',
  'json_value json_query json_exists json_object json_array json_string to_timestamp to_timestamp_ltz to_date from_unixtime unix_timestamp date_format timestampadd timestampdiff',
  'current_date current_time current_timestamp current_row_timestamp localtime localtimestamp now proctime',
  'window_start window_end window_time tumble_start tumble_end hop_start hop_end session_start session_end source_watermark',
].join(' ');

export const FlinkSQL = SQLDialect.define({
  keywords: flinkKeywords,
  types: flinkTypes,
  builtin: flinkBuiltins,
  identifierQuotes: '`',
  backslashEscapes: false,
  caseInsensitiveIdentifiers: true,
});

/**
 * interpreterCompletion offers, in the interpreter name at the start of the first line, the
 * interpreters Eddy runs. The server answers them (its interpreter table is the one list), so an
 * interpreter it refuses, such as Zeppelin's Scala %flink, is never offered.
 */
export async function interpreterCompletion(ctx: CompletionContext, complete: EditorOptions['complete']): Promise<CompletionResult | null> {
  const line = ctx.state.doc.lineAt(ctx.pos);
  if (line.number !== 1 || !complete) return null;
  const word = ctx.matchBefore(/%[\w.]*/);
  if (!word || word.from !== line.from) return null;
  const text = ctx.state.doc.toString();
  let headers: string[];
  try {
    headers = await complete(text, utf8Length(text.slice(0, ctx.pos)));
  } catch {
    return null;
  }
  if (ctx.aborted || headers.length === 0) return null;
  return { from: word.from, options: headers.map((label) => ({ label, type: 'keyword' })), validFor: /^%[\w.]*$/ };
}

function languageExtension(lang: EditorLanguage): Extension {
  switch (lang) {
    case 'sql':
      return sql({ dialect: FlinkSQL, upperCaseKeywords: true });
    case 'python':
      return python();
    case 'markdown':
      return markdown();
    case 'scala':
      return StreamLanguage.define(scala);
    case 'shell':
      return StreamLanguage.define(shell);
    default:
      return [];
  }
}

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.operatorKeyword, t.modifier, t.controlKeyword, t.definitionKeyword], color: '#1d4ed8', fontWeight: '600' },
  { tag: [t.typeName, t.standard(t.name)], color: '#7c3aed' },
  { tag: [t.function(t.variableName), t.standard(t.variableName)], color: '#0f766e' },
  { tag: [t.string, t.special(t.string)], color: '#b45309' },
  { tag: [t.number, t.bool, t.null], color: '#be185d' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: '#8a94a6', fontStyle: 'italic' },
  { tag: t.meta, color: '#64748b', fontWeight: '600' },
  { tag: [t.special(t.variableName), t.processingInstruction], color: '#9333ea' },
  { tag: t.heading, color: '#0f172a', fontWeight: '700' },
  { tag: t.emphasis, fontStyle: 'italic' },
  { tag: t.strong, fontWeight: '700' },
  { tag: [t.link, t.url], color: '#2563eb', textDecoration: 'underline' },
  { tag: t.quote, color: '#475569' },
  { tag: t.className, color: '#7c3aed' },
  { tag: t.propertyName, color: '#0f766e' },
]);

const theme = EditorView.theme({
  '&': { fontSize: '12.5px', backgroundColor: 'transparent' },
  '.cm-content': { fontFamily: 'var(--mono)', padding: '6px 0', caretColor: '#111827' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.55' },
  '.cm-gutters': { backgroundColor: 'transparent', border: 'none', color: '#a0a8b6' },
  '.cm-lineNumbers .cm-gutterElement': { padding: '0 8px 0 10px', minWidth: '28px' },
  '.cm-activeLine': { backgroundColor: 'rgba(47,111,222,0.045)' },
  '.cm-activeLineGutter': { backgroundColor: 'transparent', color: '#4b5563' },
  '&.cm-focused': { outline: 'none' },
  '.cm-line': { padding: '0 10px' },
  '.cm-placeholder': { color: '#a0a8b6' },
  '.cm-tooltip.cm-tooltip-autocomplete': { border: '1px solid #d7dce3', borderRadius: '6px', boxShadow: '0 6px 20px rgba(15,23,42,.12)', overflow: 'hidden' },
  '.cm-tooltip-autocomplete ul li[aria-selected]': { background: '#2f6fde', color: '#fff' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': { backgroundColor: 'rgba(47,111,222,0.18) !important' },
});

export interface EditorOptions {
  parent: HTMLElement;
  text: string;
  defaultGroup?: string;
  lineNumbers?: boolean;
  readOnly?: boolean;
  onChange?: (text: string) => void;
  onRun?: () => void;
  onFocus?: () => void;
  onBlur?: () => void;
  /** complete asks the server for the Flink SQL Gateway's completions of text at a UTF-8 byte offset. */
  complete?: (text: string, bytePos: number) => Promise<string[]>;
}

/**
 * completionOptions turns the gateway's candidates into editor options. The
 * gateway qualifies tables fully (default_catalog.default_database.orders);
 * unless the user typed a qualifier, the option shows and inserts the last
 * part, with the full name as detail.
 */
export function completionOptions(candidates: string[], typed: string): Array<{ label: string; detail?: string; type: string; boost: number }> {
  const seen = new Set<string>();
  const out: Array<{ label: string; detail?: string; type: string; boost: number }> = [];
  for (const c of candidates) {
    const short = typed.includes('.') ? c : (c.split('.').pop() ?? c);
    if (!short || seen.has(short)) continue;
    seen.add(short);
    out.push(short === c ? { label: c, type: 'variable', boost: 1 } : { label: short, detail: c, type: 'variable', boost: 1 });
  }
  return out;
}

/** utf8Length is the number of UTF-8 bytes of s: the server counts offsets in bytes. */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** ParagraphEditor wraps one CodeMirror view. */
export class ParagraphEditor {
  readonly view: EditorView;
  private language: EditorLanguage;
  private readonly langCompartment = new Compartment();
  private readonly gutterCompartment = new Compartment();
  private applyingRemote = false;
  private errorMark: ErrorMark | null = null;
  /** The key of the last mark the text changed under. */
  private dismissedMark = '';

  constructor(private readonly opts: EditorOptions) {
    this.language = languageOf(opts.text, opts.defaultGroup);
    const run = (v: EditorView) => {
      closeCompletion(v);
      opts.onRun?.();
      return true;
    };
    const runKeys = keymap.of([
      { key: 'Shift-Enter', run },
      { key: 'Mod-Enter', run },
    ]);
    this.view = new EditorView({
      parent: opts.parent,
      state: EditorState.create({
        doc: opts.text,
        extensions: [
          runKeys,
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          highlightActiveLine(),
          highlightActiveLineGutter(),
          highlightSelectionMatches(),
          autocompletion({ activateOnTyping: true, icons: false, override: null }),
          EditorState.languageData.of(() => [{ autocomplete: this.interpreterSource }, { autocomplete: this.gatewaySource }]),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
          syntaxHighlighting(highlight),
          theme,
          placeholder('%flink.ssql  — write Flink SQL, Shift+Enter to run'),
          EditorState.readOnly.of(!!opts.readOnly),
          // Read-only is also not editable: no caret, no typing, no contenteditable.
          EditorView.editable.of(!opts.readOnly),
          this.gutterCompartment.of(opts.lineNumbers ? lineNumbers() : []),
          this.langCompartment.of(languageExtension(this.language)),
          errorMarkField,
          EditorView.updateListener.of((u) => {
            if (u.focusChanged) (u.view.hasFocus ? opts.onFocus : opts.onBlur)?.();
            if (!u.docChanged) return;
            this.dropErrorMark();
            const text = u.state.doc.toString();
            this.syncLanguage(text);
            if (!this.applyingRemote) opts.onChange?.(text);
          }),
        ],
      }),
    });
  }

  /**
   * gatewayCompletion offers the server's candidates: in SQL paragraphs the gateway's (tables,
   * columns, functions the note's session knows), in Python paragraphs the note's Python worker's
   * (names its paragraphs defined, attributes of live objects), also right after a dot. CodeMirror
   * matches results to sources by identity, so it is registered through one bound function
   * (gatewaySource), never a fresh closure.
   */
  private async gatewayCompletion(ctx: CompletionContext): Promise<CompletionResult | null> {
    const complete = this.opts.complete;
    const python = this.language === 'python';
    if (!complete || (this.language !== 'sql' && !python) || ctx.state.doc.lineAt(ctx.pos).number === 1) return null;
    const word = ctx.matchBefore(python ? /\w*/ : /[\w$`]*/);
    const afterDot = python && word !== null && ctx.state.sliceDoc(word.from - 1, word.from) === '.';
    if (!word || (word.from === word.to && !ctx.explicit && !afterDot)) return null;
    const text = ctx.state.doc.toString();
    let candidates: string[];
    try {
      candidates = await complete(text, utf8Length(text.slice(0, ctx.pos)));
    } catch {
      return null;
    }
    if (ctx.aborted || candidates.length === 0) return null;
    return { from: word.from, options: completionOptions(candidates, ctx.state.sliceDoc(word.from, word.to)), validFor: python ? /^\w*$/ : /^[\w$`]*$/ };
  }

  private readonly gatewaySource = (ctx: CompletionContext) => this.gatewayCompletion(ctx);
  private readonly interpreterSource = (ctx: CompletionContext) => interpreterCompletion(ctx, this.opts.complete);

  get text(): string {
    return this.view.state.doc.toString();
  }

  get hasFocus(): boolean {
    return this.view.hasFocus;
  }

  /** setText replaces the document with text from elsewhere, changing only the differing middle so the cursor stays put. */
  setText(text: string): void {
    const cur = this.text;
    if (cur === text) return;
    let start = 0;
    const max = Math.min(cur.length, text.length);
    while (start < max && cur.charCodeAt(start) === text.charCodeAt(start)) start++;
    let endCur = cur.length;
    let endNew = text.length;
    while (endCur > start && endNew > start && cur.charCodeAt(endCur - 1) === text.charCodeAt(endNew - 1)) {
      endCur--;
      endNew--;
    }
    this.applyingRemote = true;
    try {
      this.view.dispatch({ changes: { from: start, to: endCur, insert: text.slice(start, endNew) } });
    } finally {
      this.applyingRemote = false;
    }
  }

  setLineNumbers(on: boolean): void {
    this.view.dispatch({ effects: this.gutterCompartment.reconfigure(on ? lineNumbers() : []) });
  }

  /** focus puts the cursor in the editor; atEnd moves it to the end of the text. */
  focus(atEnd = false): void {
    if (atEnd) this.view.dispatch({ selection: { anchor: this.view.state.doc.length } });
    this.view.focus();
  }

  /** insert replaces the selection (or puts text at the cursor), moves the cursor after it and focuses the editor. */
  insert(text: string): void {
    const { from, to } = this.view.state.selection.main;
    this.view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length }, scrollIntoView: true, userEvent: 'input' });
    this.view.focus();
  }

  /**
   * setErrorMark underlines where a Flink error points (null removes it). A
   * mark the text has changed under stays away for the same run (mark.key).
   */
  setErrorMark(mark: ErrorMark | null): void {
    if (mark && (mark.key === this.dismissedMark || mark.to > this.view.state.doc.length)) mark = null;
    const cur = this.errorMark;
    if (cur === mark || (cur && mark && cur.key === mark.key && cur.from === mark.from && cur.to === mark.to && cur.message === mark.message)) return;
    this.errorMark = mark;
    this.view.dispatch({ effects: setErrorMarkEffect.of(mark) });
  }

  private dropErrorMark(): void {
    if (!this.errorMark) return;
    this.dismissedMark = this.errorMark.key;
    this.errorMark = null;
    queueMicrotask(() => this.view.dispatch({ effects: setErrorMarkEffect.of(null) }));
  }

  /** select selects from–to (string indexes) and scrolls it into view, without taking the focus. */
  select(from: number, to: number): void {
    const n = this.view.state.doc.length;
    this.view.dispatch({ selection: { anchor: Math.min(from, n), head: Math.min(to, n) }, scrollIntoView: true });
  }

  /** replace puts text in place of from–to as typing does: saved, undoable, seen by co-editors. */
  replace(from: number, to: number, text: string): void {
    this.view.dispatch({ changes: { from, to, insert: text }, userEvent: 'input.replace' });
  }

  destroy(): void {
    this.view.destroy();
  }

  private syncLanguage(text: string): void {
    const lang = languageOf(text.slice(0, 200), this.opts.defaultGroup);
    if (lang === this.language) return;
    this.language = lang;
    // Not allowed inside an update listener: reconfigure right after it.
    queueMicrotask(() => this.view.dispatch({ effects: this.langCompartment.reconfigure(languageExtension(lang)) }));
  }
}
