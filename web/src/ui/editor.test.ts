import { CompletionContext } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { completionOptions, interpreterCompletion, utf8Length } from './editor';

describe('utf8Length', () => {
  it('counts bytes as the server does', () => {
    expect(utf8Length('SELECT')).toBe(6);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('€ €')).toBe(7);
  });
});

describe('completionOptions', () => {
  it('shows the last part of qualified names unless a qualifier is typed', () => {
    const c = ['default_catalog.default_database.clicks', 'default_catalog.other.clicks', 'COUNT'];
    expect(completionOptions(c, 'cli')).toEqual([
      { label: 'clicks', detail: 'default_catalog.default_database.clicks', type: 'variable', boost: 1 },
      { label: 'COUNT', type: 'variable', boost: 1 },
    ]);
    expect(completionOptions(c, 'default_catalog.').map((o) => o.label)).toEqual(c);
  });
});

describe('interpreterCompletion', () => {
  const at = (doc: string, pos = doc.indexOf('|')) => new CompletionContext(EditorState.create({ doc: doc.replace('|', '') }), pos, false);

  it('offers exactly the interpreters the server says Eddy runs', async () => {
    const asked: Array<[string, number]> = [];
    const served = ['%flink.ssql', '%flink.ssql(type=append)', '%flink.bsql', '%flink.conf', '%md'];
    const complete = (text: string, pos: number) => {
      asked.push([text, pos]);
      return Promise.resolve(served);
    };
    const r = await interpreterCompletion(at('%fl|\nSELECT 1'), complete);
    expect(asked).toEqual([['%fl\nSELECT 1', 3]]);
    expect(r?.from).toBe(0);
    expect(r?.options.map((o) => o.label)).toEqual(served);
    expect(r?.options.some((o) => o.label === '%flink')).toBe(false);
  });

  it('offers nothing outside the interpreter name of the first line, or without the server', async () => {
    const complete = () => Promise.resolve(['%flink.ssql']);
    expect(await interpreterCompletion(at('%flink.ssql\n%fl|'), complete)).toBeNull();
    expect(await interpreterCompletion(at('SELECT %|'), complete)).toBeNull();
    expect(await interpreterCompletion(at('%fl|'), undefined)).toBeNull();
    expect(await interpreterCompletion(at('%fl|'), () => Promise.reject(new Error('offline')))).toBeNull();
  });
});
