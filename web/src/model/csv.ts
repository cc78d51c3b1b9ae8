// CSV and TSV files of a result table: the header, then every row held,
// each value as the table shows it. CSV quoting follows RFC 4180 (fields
// with a comma, quote, CR or LF are quoted, quotes doubled, CRLF between
// records). TSV has no quoting: a tab or line break inside a value becomes
// a space, as spreadsheet exports do.

import { cellText, type TableModel } from './table';

/** DelimitedFormat is a download format of a result. */
export type DelimitedFormat = 'csv' | 'tsv';

/** csvField quotes one CSV field when RFC 4180 requires it. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** tsvField makes one TSV field: tabs and line breaks become spaces. */
export function tsvField(s: string): string {
  return s.replace(/\r\n|[\t\r\n]/g, ' ');
}

/** encodeDelimited writes a header and rows of display strings as CSV or TSV (records end with CRLF, the last one too). */
export function encodeDelimited(format: DelimitedFormat, header: readonly string[], rows: Iterable<readonly string[]>): string {
  const field = format === 'csv' ? csvField : tsvField;
  const sep = format === 'csv' ? ',' : '\t';
  const out: string[] = [header.map(field).join(sep)];
  for (const r of rows) out.push(r.map(field).join(sep));
  return out.join('\r\n') + '\r\n';
}

/** downloadName makes a file name from a paragraph's title (else its id): letters, digits, '-', '_' and '.', at most 80. */
export function downloadName(title: string | undefined, id: string, format: DelimitedFormat): string {
  const base = (title ?? '').trim().replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[_.]+|_+$/g, '').slice(0, 80) || id.replace(/[^\w.-]+/g, '_') || 'result';
  return `${base}.${format}`;
}

/** tableFile writes a result table as CSV or TSV: column names, then the rows in display order, each cell as the table shows it (cellText). */
export function tableFile(format: DelimitedFormat, model: Pick<TableModel, 'columns' | 'view'>): string {
  return encodeDelimited(
    format,
    model.columns.map((c) => c.name),
    model.view().map((r) => model.columns.map((_, i) => cellText(r.values[i]))),
  );
}
