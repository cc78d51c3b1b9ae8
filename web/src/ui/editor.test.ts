import { describe, expect, it } from 'vitest';
import { utf8Length } from './editor';

describe('utf8Length', () => {
  it('counts bytes as the server does', () => {
    expect(utf8Length('SELECT')).toBe(6);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('€ €')).toBe(7);
  });
});
