import { describe, expect, it } from 'vitest';
import { csvField, downloadName, encodeDelimited, tableFile, tsvField } from './csv';
import { TableModel } from './table';

describe('CSV and TSV', () => {
  it('quotes CSV fields as RFC 4180 requires', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('')).toBe('');
    expect(tsvField('a\tb\r\nc')).toBe('a b c');
  });

  it('writes a header and rows with CRLF', () => {
    expect(encodeDelimited('csv', ['name', 'n'], [['x,y', '1'], ['', 'null']])).toBe('name,n\r\n"x,y",1\r\n,null\r\n');
    expect(encodeDelimited('tsv', ['name', 'n'], [['x,y', '1']])).toBe('name\tn\r\nx,y\t1\r\n');
  });

  it('writes every row held, in display order, each cell as the table shows it', () => {
    const m = new TableModel();
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: String(i), fields: [`user ${i}`, i, i % 2 === 0 ? null : 'a"b'] }));
    m.loadSnapshot(0, { mode: 'update', columns: [{ name: 'user', type: 'STRING' }, { name: 'n', type: 'BIGINT' }, { name: 'note', type: 'STRING' }], rows, rowsReceived: 1000, rowsHidden: 0, truncated: false, version: 1 });
    m.toggleSort(1);
    m.toggleSort(1); // descending
    const lines = tableFile('csv', m).split('\r\n');
    expect(lines[0]).toBe('user,n,note');
    expect(lines.length).toBe(1002); // header, 1000 rows, '' after the last CRLF
    expect(lines[1]).toBe('user 999,999,"a""b"');
    expect(lines[1000]).toBe('user 0,0,null');
  });

  it('names the file after the title, else the id', () => {
    expect(downloadName('Top users / hour', 'paragraph_1', 'csv')).toBe('Top_users_hour.csv');
    expect(downloadName('', 'paragraph_1_2', 'tsv')).toBe('paragraph_1_2.tsv');
    expect(downloadName(undefined, 'p', 'csv')).toBe('p.csv');
  });
});
