// The editor's mark of a Flink error: a wavy underline at the line and
// column the error names, its line tinted, and the message on hover.

import { StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, EditorView, hoverTooltip, type DecorationSet } from '@codemirror/view';
import type { ErrorMark } from '../model/errorPosition';

/** setErrorMarkEffect sets (or with null removes) the error mark. */
export const setErrorMarkEffect = StateEffect.define<ErrorMark | null>();

interface MarkState {
  mark: ErrorMark | null;
  decorations: DecorationSet;
}

const field = StateField.define<MarkState>({
  create: () => ({ mark: null, decorations: Decoration.none }),
  update(st, tr) {
    for (const e of tr.effects) {
      if (!e.is(setErrorMarkEffect)) continue;
      const m = e.value;
      if (!m || m.to > tr.state.doc.length) return { mark: null, decorations: Decoration.none };
      const line = tr.state.doc.lineAt(m.from);
      const attrs = { 'data-testid': 'error-mark', title: m.message };
      return {
        mark: m,
        decorations: Decoration.set([
          Decoration.line({ class: 'cm-flink-error-line' }).range(line.from),
          Decoration.mark({ class: 'cm-flink-error', attributes: attrs }).range(m.from, m.to),
        ]),
      };
    }
    if (!tr.docChanged || !st.mark) return st;
    return { mark: st.mark, decorations: st.decorations.map(tr.changes) };
  },
  provide: (f) => EditorView.decorations.from(f, (st) => st.decorations),
});

const tooltip = hoverTooltip((view, pos) => {
  const m = view.state.field(field).mark;
  if (!m || pos < m.from || pos > m.to) return null;
  return {
    pos: m.from,
    end: m.to,
    above: true,
    create: () => {
      const dom = document.createElement('div');
      dom.className = 'cm-flink-error-tip';
      dom.textContent = m.message;
      return { dom };
    },
  };
});

/** errorMarkField holds the mark; add it to the editor's extensions. */
export const errorMarkField: Extension = [field, tooltip];
