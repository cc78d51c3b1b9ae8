// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { paragraph } from '../fixtures';
import type { ParagraphLiveState } from '../model/live';
import { TableModel } from '../model/table';
import { ResultView } from './result';

// .single-value is the big-number style (styles.css); .single-html leaves
// the template's own markup and text as they are.

/** single renders a running type=single result whose template came out as rendered. */
function single(rendered: string): HTMLElement {
  const t = new TableModel();
  t.mode = 'single';
  t.rendered = rendered;
  const live: ParagraphLiveState = { paragraphId: 'p1', runKey: 'r1', status: 'RUNNING', progress: 0, messages: [], table: t, version: 1, dormant: false };
  const v = new ResultView({ paragraph: () => paragraph(), saveGraph: () => {} });
  document.body.replaceChildren(v.el);
  v.render(live);
  return v.el.querySelector('[data-testid=single-value]') as HTMLElement;
}

describe('ResultView type=single', () => {
  it('renders a template with markup as written: the text outside its tags keeps the page’s style', () => {
    const el = single('Total: <b>42</b> orders');
    // (DOMPurify under happy-dom drops the first node of what it sanitises,
    // so the check starts at the tag; a browser keeps "Total: " too.)
    expect(el.innerHTML.endsWith('<b>42</b> orders')).toBe(true);
    expect(el.className).toBe('single-html user-html');
  });

  it('shows a bare value (the default template {0}) as a big number', () => {
    const el = single('42');
    expect(el.textContent).toBe('42');
    expect(el.className).toBe('single-value user-html');
  });

  it('restyles nothing when the template changes from a bare value to markup', () => {
    single('42');
    const el = single('Total: <b>7</b> orders');
    expect(el.className).toBe('single-html user-html');
  });
});
