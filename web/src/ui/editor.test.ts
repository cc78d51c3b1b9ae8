import { describe, expect, it } from 'vitest';
import { completionOptions, utf8Length } from './editor';

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
