import { describe, expect, it } from 'vitest';
import { controlsFor, embedSnippet, expiryFrom, hashWithoutToken, isAdmin, parseNameList, SHARE_STORAGE_KEY, sharedPath, takeShareToken, tokenFromHash, wsProtocols, type KeyValue } from './access';

function store(init: Record<string, string> = {}): KeyValue & { data: Map<string, string> } {
  const data = new Map(Object.entries(init));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('share token in the hash', () => {
  it.each([
    ['#share=abc', 'abc'],
    ['#x=1&share=t-2_Z', 't-2_Z'],
    ['', ''],
    ['#/notebook/N', ''],
    ['#share=', ''],
  ])('%s → %s', (hash, want) => {
    expect(tokenFromHash(hash)).toBe(want);
  });

  it('leaves what else the hash held', () => {
    expect(hashWithoutToken('#share=abc')).toBe('');
    expect(hashWithoutToken('#x=1&share=abc')).toBe('#x=1');
  });

  it('takes the token out of the address bar and keeps it for a reload', () => {
    const s = store();
    const replaced: string[] = [];
    const t = takeShareToken({ pathname: '/view/N1', search: '', hash: '#share=tok1' }, s, (u) => replaced.push(u));
    expect(t).toBe('tok1');
    expect(replaced).toEqual(['/view/N1']);
    expect(s.data.get(SHARE_STORAGE_KEY)).toBe('tok1');
    // The reload: no hash any more, the stored token is used and the address left alone.
    const again = takeShareToken({ pathname: '/view/N1', search: '', hash: '' }, s, (u) => replaced.push(u));
    expect(again).toBe('tok1');
    expect(replaced).toHaveLength(1);
  });

  it('lets a newly opened link replace the stored token', () => {
    const s = store({ [SHARE_STORAGE_KEY]: 'old' });
    expect(takeShareToken({ pathname: '/embed/N/p', search: '?a=1', hash: '#share=new' }, s, () => undefined)).toBe('new');
    expect(s.data.get(SHARE_STORAGE_KEY)).toBe('new');
    expect(takeShareToken({ pathname: '/embed/N/p', search: '', hash: '' }, s, () => undefined)).toBe('new');
  });

  it('works without storage', () => {
    const broken: KeyValue = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(takeShareToken({ pathname: '/view/N', search: '', hash: '#share=t' }, broken, () => undefined)).toBe('t');
    expect(takeShareToken({ pathname: '/view/N', search: '', hash: '' }, broken, () => undefined)).toBe('');
    expect(takeShareToken({ pathname: '/view/N', search: '', hash: '' }, undefined, () => undefined)).toBe('');
  });
});

describe('what a scope allows', () => {
  it.each([
    ['view', { run: false, edit: false }],
    ['run', { run: true, edit: false }],
    ['edit', { run: true, edit: true }],
  ] as const)('%s', (scope, want) => {
    expect(controlsFor(scope)).toEqual(want);
  });

  it('offers the token as a websocket subprotocol only for a link', () => {
    expect(wsProtocols('abc')).toEqual(['eddy', 'bearer.abc']);
    expect(wsProtocols('')).toEqual(['eddy']);
  });

  it('knows an admin', () => {
    expect(isAdmin({ kind: 'user', user: { id: '1', name: 'a', role: 'admin' } })).toBe(true);
    expect(isAdmin({ kind: 'user', user: { id: '2', name: 'b', role: 'member' } })).toBe(false);
    expect(isAdmin({ kind: 'link', share: { id: 's', noteId: 'N', scope: 'edit' } })).toBe(false);
    expect(isAdmin(null)).toBe(false);
  });
});

describe('share dialog helpers', () => {
  it('reads name lists', () => {
    expect(parseNameList(' alice, bob\ncarol  alice ,')).toEqual(['alice', 'bob', 'carol']);
    expect(parseNameList('  ')).toEqual([]);
  });

  it('turns an expiry choice into a time from now', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(expiryFrom('', now)).toBeUndefined();
    expect(expiryFrom('1h', now)).toBe('2026-01-01T13:00:00.000Z');
    expect(expiryFrom('7d', now)).toBe('2026-01-08T12:00:00.000Z');
    expect(expiryFrom('soon', now)).toBeUndefined();
  });

  it('escapes the embed URL in the iframe snippet', () => {
    expect(embedSnippet('https://e.x/embed/N/p#share=a&b"<x>')).toBe('<iframe src="https://e.x/embed/N/p#share=a&amp;b&quot;&lt;x&gt;" width="100%" height="400" frameborder="0"></iframe>');
  });

  it('builds shared paths', () => {
    expect(sharedPath('N 1')).toBe('/view/N%201');
    expect(sharedPath('N', 'p1')).toBe('/view/N/paragraph/p1');
    expect(sharedPath('N', 'p1', true)).toBe('/embed/N/p1');
  });
});
