// The result toolbar's download menu: the table as CSV or TSV, every row
// the browser holds (all the server keeps for the result), not only those
// in view.

import { downloadName, tableFile, type DelimitedFormat } from '../model/csv';
import type { TableModel } from '../model/table';
import type { Paragraph } from '../schema';
import { button, h } from './dom';
import { showMenu, toast } from './overlay';

const types: Record<DelimitedFormat, string> = { csv: 'text/csv;charset=utf-8', tsv: 'text/tab-separated-values;charset=utf-8' };

/** downloadButton opens a menu that saves the table as CSV or TSV, named after the paragraph's title (or id). */
export function downloadButton(model: () => TableModel, paragraph: () => Paragraph): HTMLButtonElement {
  const save = (format: DelimitedFormat) => {
    const p = paragraph();
    const m = model();
    // The browser holds at most maxRows of a result: more only when the server keeps more (--max-result-rows).
    if (m.size >= m.maxRows) toast(`The file has the ${m.size} rows this browser holds; the server may keep more of this result.`, 'info');
    const url = URL.createObjectURL(new Blob([tableFile(format, m)], { type: types[format] }));
    const a = h('a', { href: url, download: downloadName(p.title, p.id, format) });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const btn = button({
    icon: 'download',
    title: 'Download the result (all rows held)',
    cls: 'ghost download-btn',
    testid: 'result-download',
    onClick: () =>
      showMenu(btn, [
        { label: 'CSV (comma-separated)', testid: 'download-csv', onSelect: () => save('csv') },
        { label: 'TSV (tab-separated)', testid: 'download-tsv', onSelect: () => save('tsv') },
      ]),
  });
  return btn;
}
