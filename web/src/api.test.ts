import { describe, expect, it } from 'vitest';
import { Api, ApiError, csrfCookieName, readCookie } from './api';
import { application, session } from './fixtures';

function fakeFetch(reply: { status?: number; body: unknown }) {
  const calls: Array<{ url: string; init?: RequestInit }> = [];
  const f = (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return Promise.resolve(new Response(JSON.stringify(reply.body), { status: reply.status ?? 200, headers: { 'Content-Type': 'application/json' } }));
  };
  return { f, calls };
}

describe('Api sessions', () => {
  it('lists sessions as plain JSON and fills what is missing', async () => {
    const { f, calls } = fakeFetch({ body: { kpuCapacity: 3, kpusInUse: 3, sessions: [{ id: 's', noteId: 'N', state: 'busy', kpus: 3, jobs: [{ jobId: 'j', status: 'RUNNING' }] }] } });
    const l = await new Api('', f, () => 'tok').listSessions();
    expect(l.kpusInUse).toBe(3);
    expect(l.sessions[0]?.jobs?.[0]?.status).toBe('RUNNING');
    expect(calls[0]?.url).toBe('/api/v1/sessions');
    const empty = await new Api('', fakeFetch({ body: { kpuCapacity: 8, kpusInUse: 0, sessions: null } }).f).listSessions();
    expect(empty.sessions).toEqual([]);
  });

  it('stops a session with the CSRF header and reports the server message', async () => {
    const { f, calls } = fakeFetch({ body: session({ id: 's/1', noteId: 'N', state: 'stopped', kpus: 0 }) });
    const out = await new Api('', f, () => 'tok').stopSession('s/1');
    expect(out.state).toBe('stopped');
    expect(calls[0]?.url).toBe('/api/v1/sessions/s%2F1');
    expect(calls[0]?.init?.method).toBe('DELETE');
    expect((calls[0]?.init?.headers as Record<string, string>)['X-Eddy-CSRF']).toBe('tok');
    const bad = fakeFetch({ status: 404, body: { message: 'session s not found' } });
    await expect(new Api('', bad.f, () => 'tok').stopSession('s')).rejects.toThrow('session s not found');
  });
});

describe('Api applications', () => {
  it('answers an application as sent, though it has a status field', async () => {
    const { f, calls } = fakeFetch({ status: 202, body: application({ id: 'a/1', status: 'STARTING' }) });
    const out = await new Api('', f, () => 'tok').startApplication('a/1', { snapshotId: 's1' });
    expect(out).toMatchObject({ id: 'a/1', status: 'STARTING' });
    expect(calls[0]?.url).toBe('/api/v1/applications/a%2F1/start');
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ restore: { snapshotId: 's1' } });
    expect((calls[0]?.init?.headers as Record<string, string>)['X-Eddy-CSRF']).toBe('tok');
    const listed = await new Api('', fakeFetch({ body: { applications: null } }).f).listApplications();
    expect(listed.applications).toEqual([]);
  });

  it('carries the paragraph at fault of a refused build', async () => {
    const body = { status: 'BAD_REQUEST', message: 'paragraph 2 cannot be built', code: 'invalid', details: { paragraphId: 'p2', index: 1, reason: 'no INSERT' } };
    const err = await new Api('', fakeFetch({ status: 400, body }).f).previewApplication('N1').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'invalid', build: { paragraphId: 'p2', index: 1, reason: 'no INSERT' }, details: undefined });
  });

  it('reads a YAML spec as text', async () => {
    const yaml = 'apiVersion: eddy/v1\nkind: Application\nname: x\nnoteId: N1\n';
    const calls: string[] = [];
    const f = (url: string) => {
      calls.push(url);
      return Promise.resolve(new Response(yaml, { status: 200, headers: { 'Content-Type': 'application/yaml' } }));
    };
    expect(await new Api('', f).applicationSpec('a1', 'yaml')).toBe(yaml);
    expect(calls).toEqual(['/api/v1/applications/a1/spec?format=yaml']);
  });
});

describe('Api completion', () => {
  it('posts text and byte position and keeps only string candidates', async () => {
    const { f, calls } = fakeFetch({ body: { candidates: ['orders', 7, 'order_id'] } });
    const out = await new Api('', f, () => 'tok').complete('N1', 'SELECT * FROM ord', 17);
    expect(out).toEqual(['orders', 'order_id']);
    expect(calls[0]?.url).toBe('/api/v1/notebook/N1/complete');
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ text: 'SELECT * FROM ord', position: 17 });
    const none = await new Api('', fakeFetch({ body: {} }).f).complete('N1', 'x', 1);
    expect(none).toEqual([]);
  });
});

describe('Api errors', () => {
  const refusal = {
    status: 'SERVICE_UNAVAILABLE',
    message: 'not enough KPUs to start a job of parallelism 1: it needs 1 KPU, 0 of 3 are free; note "A" (2A3) holds 3. Stop a session to free its KPUs.',
    code: 'capacity_exceeded',
    details: { what: 'start a job of parallelism 1', needed: 1, free: 0, capacity: 3, holders: [{ noteId: '2A3', noteName: 'A', sessionId: '9f', kpus: 3 }] },
  };

  it('carries the code and the details of a capacity refusal', async () => {
    const err = await new Api('', fakeFetch({ status: 503, body: refusal }).f, () => 'tok').runParagraph('2A4', 'p1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 503, code: 'capacity_exceeded', message: refusal.message, details: refusal.details });
  });

  it('carries the code of other errors, without details', async () => {
    const body = { status: 'NOT_FOUND', message: 'note N not found', code: 'not_found' };
    const err = await new Api('', fakeFetch({ status: 404, body }).f).getNote('N').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, code: 'not_found', message: 'note N not found' });
    expect((err as ApiError).details).toBeUndefined();
  });

  it('drops details that do not have the documented shape and tolerates replies without a code', async () => {
    const bad = { ...refusal, details: { what: 'start', needed: 'one' } };
    const err = await new Api('', fakeFetch({ status: 503, body: bad }).f).runNote('N').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'capacity_exceeded', details: undefined });
    const plain = await new Api('', fakeFetch({ status: 502, body: 'bad gateway' }).f).runNote('N').catch((e: unknown) => e);
    expect(plain).toMatchObject({ status: 502, code: undefined, details: undefined });
  });
});

describe('csrfCookieName', () => {
  it('reads the name the page gives, and is empty without one', () => {
    const doc = (content?: string) => ({ querySelector: () => (content === undefined ? null : { content }) }) as unknown as Document;
    expect(csrfCookieName(doc('eddy_csrf_8890'))).toBe('eddy_csrf_8890');
    expect(csrfCookieName(doc())).toBe('');
    expect(readCookie('eddy_csrf_8890', 'eddy_csrf_8891=a; eddy_csrf_8890=b')).toBe('b');
  });
});
