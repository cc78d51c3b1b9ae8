// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { paragraph } from '../fixtures';
import type { ParagraphLiveState } from '../model/live';
import { TableModel } from '../model/table';
import type { Paragraph } from '../schema';
import { ResultView } from './result';

/** blocks names the result's blocks in page order: text, table or error. */
function blocks(v: ResultView): string[] {
  return [...v.el.querySelectorAll('.rblock')].map((e) =>
    e.classList.contains('result-error') ? 'error' : e.classList.contains('table-block') ? 'table' : 'text:' + e.textContent,
  );
}

const ERROR = "Object 'missing_table' not found";

describe('ResultView of a paragraph whose third statement failed', () => {
  it('saved: shows each statement’s output in order and the error last', () => {
    const p: Paragraph = {
      ...paragraph(),
      status: 'ERROR',
      errorMessage: ERROR + '\n\norg.apache.flink.table.api.ValidationException: …',
      results: {
        code: 'ERROR',
        msg: [
          { type: 'TEXT', data: 'View has been created.' },
          { type: 'TABLE', data: 'x\n10.50\n', table: { columns: [{ name: 'x', type: 'DECIMAL(4, 2)' }], rows: [['10.50']] } },
          { type: 'TEXT', data: ERROR },
        ],
      },
    };
    const v = new ResultView({ paragraph: () => p, saveGraph: () => {} });
    v.render(undefined);
    expect(blocks(v)).toEqual(['text:View has been created.', 'table', 'error']);
    expect(v.el.querySelector('[data-testid=result-error]')?.textContent).toContain(ERROR);
  });

  it('live: the statements’ messages, then the last table, then the error', () => {
    const t = new TableModel();
    t.loadSnapshot(1, { mode: 'update', columns: [{ name: 'x', type: 'DECIMAL(4, 2)' }], rows: [{ id: 1, fields: ['10.50'] }], rowsReceived: 1, rowsHidden: 0, truncated: false, version: 1 });
    const live: ParagraphLiveState = {
      paragraphId: 'p1',
      runKey: 'r1',
      status: 'ERROR',
      progress: 100,
      messages: [{ type: 'TEXT', data: 'View has been created.' }],
      errorMessage: ERROR,
      table: t,
      version: 1,
      dormant: false,
    };
    const v = new ResultView({ paragraph: () => paragraph(), saveGraph: () => {} });
    v.render(live);
    expect(blocks(v)).toEqual(['text:View has been created.', 'table', 'error']);
  });
});
