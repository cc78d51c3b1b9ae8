import { describe, expect, it } from 'vitest';
import { Api } from './api';

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
    const { f, calls } = fakeFetch({ body: { id: 's/1', noteId: 'N', state: 'stopped', kpus: 0 } });
    const out = await new Api('', f, () => 'tok').stopSession('s/1');
    expect(out.state).toBe('stopped');
    expect(calls[0]?.url).toBe('/api/v1/sessions/s%2F1');
    expect(calls[0]?.init?.method).toBe('DELETE');
    expect((calls[0]?.init?.headers as Record<string, string>)['X-Eddy-CSRF']).toBe('tok');
    const bad = fakeFetch({ status: 404, body: { message: 'session s not found' } });
    await expect(new Api('', bad.f, () => 'tok').stopSession('s')).rejects.toThrow('session s not found');
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
