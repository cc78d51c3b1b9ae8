import { describe, expect, it } from 'vitest';
import { session } from '../fixtures';
import type { ResultTable } from '../protocol';
import { LiveStore } from './live';
import { EPOCH } from './table';

const snap = (version: number, rows: Array<[number, number]>): ResultTable => ({
  mode: 'update',
  columns: [
    { name: 'k', type: 'INT' },
    { name: 'n', type: 'BIGINT' },
  ],
  rows: rows.map(([id, n]) => ({ id, fields: [id, n] })),
  rowsReceived: rows.length,
  rowsHidden: 0,
  truncated: false,
  version,
});

describe('LiveStore', () => {
  it('applies snapshots then deltas and tracks what it has seen', () => {
    const s = new LiveStore();
    s.apply({ op: 'live', noteId: 'N', full: true, paragraphs: [{ paragraphId: 'p', status: 'RUNNING', progress: 0, dateStarted: 't1', jobId: 'j1', result: { seq: EPOCH + 1, snapshot: snap(1, [[1, 1]]) } }] });
    const out = s.apply({
      op: 'live',
      noteId: 'N',
      paragraphs: [
        {
          paragraphId: 'p',
          status: 'RUNNING',
          progress: 0,
          dateStarted: 't1',
          jobId: 'j1',
          result: { seq: EPOCH + 2, deltas: [{ fromVersion: 1, version: 2, upserts: [{ id: 1, index: 0, fields: [1, 2] }], rowsReceived: 3, rowsHidden: 0, truncated: false }] },
        },
      ],
    });
    expect(out).toEqual({ changed: ['p'], gaps: [], session: false });
    const st = s.get('p');
    expect(st?.table?.rows()[0]?.values).toEqual([1, 2]);
    expect(st?.table?.rowsReceived).toBe(3);
    expect(st?.jobId).toBe('j1');
    expect(s.seen()).toEqual({ p: EPOCH + 2 });
  });

  it('reports a gap and forgets the sequence so the resync brings a snapshot', () => {
    const s = new LiveStore();
    s.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: 'p', status: 'RUNNING', progress: 0, dateStarted: 't1', result: { seq: EPOCH + 1, snapshot: snap(1, []) } }] });
    const out = s.apply({
      op: 'live',
      noteId: 'N',
      paragraphs: [{ paragraphId: 'p', status: 'RUNNING', progress: 0, dateStarted: 't1', result: { seq: EPOCH + 5, deltas: [{ fromVersion: 4, version: 5, rowsReceived: 0, rowsHidden: 0, truncated: false }] } }],
    });
    expect(out.gaps).toEqual(['p']);
    expect(s.seen()).toEqual({});
  });

  it('starts over for a new run and drops paragraphs a full message no longer lists', () => {
    const s = new LiveStore();
    s.apply({
      op: 'live',
      noteId: 'N',
      paragraphs: [
        { paragraphId: 'p', status: 'FINISHED', progress: 100, dateStarted: 't1', result: { seq: EPOCH + 1, snapshot: snap(1, [[1, 1]]) } },
        { paragraphId: 'q', status: 'ERROR', progress: 0, dateStarted: 't1', errorMessage: 'boom' },
      ],
      session: session({ state: 'busy', kpus: 3 }),
    });
    expect(s.session?.kpus).toBe(3);
    s.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: 'p', status: 'PENDING', progress: 0, dateStarted: 't2' }] });
    expect(s.get('p')?.table).toBeNull();
    expect(s.get('p')?.status).toBe('PENDING');
    const out = s.apply({ op: 'live', noteId: 'N', full: true, paragraphs: [{ paragraphId: 'p', status: 'RUNNING', progress: 0, dateStarted: 't2' }], session: null });
    expect(out.changed).toContain('q');
    expect(s.get('q')).toBeUndefined();
    expect(s.session).toBeNull();
  });

  it('drops the paragraphs a message says are removed (their output was cleared)', () => {
    const s = new LiveStore();
    s.apply({
      op: 'live',
      noteId: 'N',
      paragraphs: [
        { paragraphId: 'p', status: 'FINISHED', progress: 100, dateStarted: 't1', result: { seq: EPOCH + 1, snapshot: snap(1, [[1, 1]]) } },
        { paragraphId: 'q', status: 'FINISHED', progress: 100, dateStarted: 't1' },
      ],
    });
    const out = s.apply({ op: 'live', noteId: 'N', paragraphs: [], removed: ['p', 'unknown'] });
    expect(out.changed).toEqual(['p']);
    expect(s.get('p')).toBeUndefined();
    expect(s.seen()).toEqual({});
    expect(s.get('q')?.status).toBe('FINISHED');
  });

  it('carries the notice of a running paragraph and drops it when the server does', () => {
    const s = new LiveStore();
    const notice = { level: 'error' as const, text: 'The Kafka broker at 127.0.0.1:9092 is unreachable' };
    s.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: 'p', status: 'RUNNING', progress: 0, dateStarted: 't1', notice }] });
    expect(s.get('p')?.notice).toEqual(notice);
    s.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: 'p', status: 'RUNNING', progress: 0, dateStarted: 't1', notice: { level: 'info', text: 'back' } }] });
    expect(s.get('p')?.notice?.level).toBe('info');
    s.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: 'p', status: 'RUNNING', progress: 0, dateStarted: 't2' }] });
    expect(s.get('p')?.notice).toBeUndefined();
  });

  it('keeps runs that had ended before subscribing dormant, so the saved result shows', () => {
    const s = new LiveStore();
    s.apply({ op: 'live', noteId: 'N', full: true, paragraphs: [{ paragraphId: 'p', status: 'FINISHED', progress: 100, dateStarted: 't1', result: { seq: EPOCH + 1, snapshot: snap(1, [[1, 1]]) } }] });
    expect(s.get('p')).toBeUndefined();
    // A run watched to its end stays shown.
    s.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: 'p', status: 'RUNNING', progress: 0, dateStarted: 't2' }] });
    expect(s.get('p')?.status).toBe('RUNNING');
    s.apply({ op: 'live', noteId: 'N', paragraphs: [{ paragraphId: 'p', status: 'FINISHED', progress: 100, dateStarted: 't2' }] });
    expect(s.get('p')?.status).toBe('FINISHED');
  });
});
