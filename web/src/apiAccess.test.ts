import { describe, expect, it } from 'vitest';
import { Api, ApiError } from './api';

function fakeFetch(replies: Array<{ status?: number; body?: unknown }>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const f = (url: string, init?: RequestInit) => {
    calls.push({ url, init: init ?? {} });
    const r = replies.shift() ?? { status: 204 };
    const text = r.body === undefined ? null : JSON.stringify(r.body);
    return Promise.resolve(new Response(text, { status: r.status ?? 200, headers: { 'Content-Type': 'application/json' } }));
  };
  const header = (i: number, name: string) => (calls[i]?.init.headers as Record<string, string>)[name];
  return { f, calls, header };
}

describe('Api with a share link', () => {
  it('sends the token as Bearer, without cookies or the CSRF header', async () => {
    const { f, calls, header } = fakeFetch([{ body: { id: 'N', paragraphs: [] } }, { status: 403, body: { code: 'forbidden', message: 'the link may only view' } }]);
    const api = new Api('', f, () => 'csrf', () => 'tok');
    await api.getNote('N');
    expect(header(0, 'Authorization')).toBe('Bearer tok');
    expect(calls[0]?.init.credentials).toBe('omit');
    const run = api.runParagraph('N', 'p');
    await expect(run).rejects.toMatchObject({ status: 403, code: 'forbidden', message: 'the link may only view' });
    expect(header(1, 'Authorization')).toBe('Bearer tok');
    expect(header(1, 'X-Eddy-CSRF')).toBeUndefined();
  });

  it('signed in, uses the cookie and the CSRF header and no Authorization', async () => {
    const { f, calls, header } = fakeFetch([{ status: 204 }]);
    await new Api('', f, () => 'csrf').revokeShare('s/1');
    expect(calls[0]?.url).toBe('/api/v1/shares/s%2F1');
    expect(calls[0]?.init.method).toBe('DELETE');
    expect(calls[0]?.init.credentials).toBe('same-origin');
    expect(header(0, 'X-Eddy-CSRF')).toBe('csrf');
    expect(header(0, 'Authorization')).toBeUndefined();
  });
});

describe('Api sign-in', () => {
  it('posts the name and password and answers the user', async () => {
    const { f, calls } = fakeFetch([{ body: { user: { id: 'u1', name: 'ann', role: 'member' } } }]);
    const u = await new Api('', f, () => 'c').login('ann', 'pw');
    expect(u).toEqual({ id: 'u1', name: 'ann', role: 'member' });
    expect(calls[0]?.url).toBe('/api/v1/login');
    expect(calls[0]?.init.method).toBe('POST');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ name: 'ann', password: 'pw' });
  });

  it('carries the server’s words on a refusal', async () => {
    const { f } = fakeFetch([{ status: 401, body: { code: 'unauthorized', message: 'wrong name or password' } }]);
    const err = await new Api('', f).login('ann', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).unauthorized).toBe(true);
    expect((err as ApiError).message).toBe('wrong name or password');
  });

  it('reads who it is and signs out', async () => {
    const { f, calls } = fakeFetch([{ body: { kind: 'link', share: { id: 's', noteId: 'N', paragraphId: null, scope: 'view', expiresAt: null } } }, { status: 204 }]);
    const api = new Api('', f, () => 'c');
    expect(await api.me()).toMatchObject({ kind: 'link', share: { scope: 'view' } });
    await api.logout();
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual(['GET /api/v1/me', 'POST /api/v1/logout']);
  });
});

describe('Api shares, permissions, users, tokens, audit', () => {
  it('creates a paragraph link and lists the links', async () => {
    const created = { id: 's1', url: 'http://h/view/N/paragraph/p#share=t', embedUrl: 'http://h/embed/N/p#share=t', token: 't', scope: 'view', noteId: 'N', paragraphId: 'p', expiresAt: null, createdBy: 'ann', created: '2026-01-01T00:00:00Z' };
    const { f, calls } = fakeFetch([{ status: 201, body: created }, { body: { shares: [{ ...created, lastUsed: null, revoked: false }] } }, { body: { shares: null } }]);
    const api = new Api('', f, () => 'c');
    expect(await api.createShare('N', { scope: 'view', paragraphId: 'p' })).toEqual(created);
    expect(calls[0]?.url).toBe('/api/v1/notebook/N/shares');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ scope: 'view', paragraphId: 'p' });
    expect((await api.listShares('N'))[0]?.id).toBe('s1');
    expect(await api.listShares('N')).toEqual([]);
  });

  it('reads Zeppelin’s permissions envelope and writes the four lists', async () => {
    const { f, calls } = fakeFetch([{ body: { status: 'OK', message: '', body: { owners: ['ann'], writers: ['ann'], runners: [], readers: null } } }, { body: { status: 'OK', message: '' } }]);
    const api = new Api('', f, () => 'c');
    expect(await api.getPermissions('N')).toEqual({ owners: ['ann'], writers: ['ann'], runners: [], readers: [] });
    await api.setPermissions('N', { owners: ['ann'], writers: ['ann', 'bob'], runners: [], readers: [] });
    expect(calls[1]?.url).toBe('/api/notebook/N/permissions');
    expect(calls[1]?.init.method).toBe('PUT');
    expect(JSON.parse(String(calls[1]?.init.body))).toEqual({ owners: ['ann'], writers: ['ann', 'bob'], runners: [], readers: [] });
  });

  it('pages the audit log back from an event', async () => {
    const { f, calls } = fakeFetch([{ body: { events: [{ id: 7, at: 't', actor: 'ann', via: 'user', action: 'login' }] } }, { body: { events: [] } }]);
    const api = new Api('', f);
    expect(await api.audit(50)).toHaveLength(1);
    await api.audit(50, 7);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/audit?limit=50', '/api/v1/audit?limit=50&before=7']);
  });

  it('manages users and tokens', async () => {
    const { f, calls } = fakeFetch([
      { status: 201, body: { id: 'u2', name: 'bob', role: 'member', created: 't' } },
      { body: { users: [{ id: 'u2', name: 'bob', role: 'member', created: 't' }] } },
      { status: 204 },
      { status: 201, body: { id: 'k1', name: 'ci', token: 'secret', created: 't' } },
      { body: { tokens: [{ id: 'k1', name: 'ci', created: 't', lastUsed: null }] } },
      { status: 204 },
    ]);
    const api = new Api('', f, () => 'c');
    await api.createUser('bob', 'pw', 'member');
    expect(await api.listUsers()).toHaveLength(1);
    await api.deleteUser('u2');
    expect((await api.createToken('ci')).token).toBe('secret');
    expect((await api.listTokens())[0]?.name).toBe('ci');
    await api.deleteToken('k1');
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual(['POST /api/v1/users', 'GET /api/v1/users', 'DELETE /api/v1/users/u2', 'POST /api/v1/tokens', 'GET /api/v1/tokens', 'DELETE /api/v1/tokens/k1']);
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ name: 'bob', password: 'pw', role: 'member' });
  });
});
