import { describe, expect, it } from 'vitest';
import { asSentence, canStop, capacityModel, formatCost, formatKpuHours, isCapacityRefusal, refusalParts, runningJobs, sessionRows, stopConfirmText } from './sessions';
import type { Session } from '../schema';

const REFUSAL =
  'not enough KPUs to start a notebook session: it needs 2 KPUs, 0 of 3 are free; note "KPU A" (2ABCDEF12) holds 3. Stop a session to free its KPUs';

describe('capacityModel', () => {
  it('describes use against capacity', () => {
    expect(capacityModel(3, 8)).toEqual({ inUse: 3, capacity: 8, free: 5, fraction: 0.375, level: 'ok', text: '3 / 8 KPUs in use', freeText: '5 free' });
    expect(capacityModel(6, 8).level).toBe('high');
    expect(capacityModel(0, 3)).toMatchObject({ text: '0 / 3 KPUs in use', freeText: '3 free', fraction: 0, level: 'ok' });
  });

  it('is full at capacity and clamps above it', () => {
    expect(capacityModel(3, 3)).toMatchObject({ free: 0, fraction: 1, level: 'full', text: '3 / 3 KPUs in use', freeText: 'none free' });
    expect(capacityModel(5, 3)).toMatchObject({ free: 0, fraction: 1, level: 'full', text: '5 / 3 KPUs in use' });
  });

  it('says so when the capacity is unknown', () => {
    expect(capacityModel(2, 0)).toMatchObject({ level: 'unknown', text: '2 KPUs in use', fraction: 0 });
    expect(capacityModel(undefined, undefined)).toMatchObject({ level: 'unknown', inUse: 0, text: '0 KPUs in use' });
    expect(capacityModel(1, Number.NaN).text).toBe('1 KPU in use');
    expect(capacityModel(-1, 4)).toMatchObject({ inUse: 0, free: 4 });
  });
});

describe('formatting', () => {
  it('formats costs and KPU-hours', () => {
    expect(formatCost(0)).toBe('$0.00');
    expect(formatCost(0.00366)).toBe('$0.0037');
    expect(formatCost(12.345)).toBe('$12.35');
    expect(formatCost(undefined)).toBe('—');
    expect(formatKpuHours(0.0334)).toBe('0.033 KPU-h');
    expect(formatKpuHours(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

const session = (over: Partial<Session>): Session => ({ id: 's1', noteId: 'N1', noteName: 'A', state: 'busy', kpus: 2, jobs: [], estimatedCost: 0.001, ...over });

describe('sessions list', () => {
  it('orders by KPUs held, then name, and counts running jobs only', () => {
    const rows = sessionRows([
      session({ id: 's1', noteId: 'N1', noteName: 'beta', kpus: 2, state: 'idle' }),
      session({ id: 's2', noteId: 'N 2', noteName: 'alpha', kpus: 2, state: 'idle' }),
      session({
        id: 's3',
        noteId: 'N3',
        noteName: '',
        kpus: 3,
        jobs: [
          { jobId: 'j1', status: 'RUNNING', kpus: 1 },
          { jobId: 'j2', status: 'CANCELED' },
        ],
      }),
    ]);
    expect(rows.map((r) => r.id)).toEqual(['s3', 's2', 's1']);
    expect(rows[0]).toMatchObject({ noteName: 'N3', jobs: 1, jobsText: '1 job', state: 'busy', href: '/notebook/N3', stoppable: true, cost: '$0.0010' });
    expect(rows[1]).toMatchObject({ href: '/notebook/N%202', state: 'idle', jobsText: '0 jobs' });
    expect(sessionRows(null)).toEqual([]);
  });

  it('knows which sessions can be stopped', () => {
    expect(canStop('busy')).toBe(true);
    expect(canStop('starting')).toBe(true);
    expect(canStop('stopping')).toBe(false);
    expect(canStop('STOPPED')).toBe(false);
    expect(sessionRows([session({ state: 'stopping' })])[0]?.stoppable).toBe(false);
    expect(runningJobs({})).toEqual([]);
  });

  it('says what stopping does', () => {
    expect(stopConfirmText(session({ kpus: 3, jobs: [{ jobId: 'j', status: 'RUNNING' }] }))).toBe(
      'The session of “A” ends: its 1 running job is cancelled and its 3 KPUs are freed. The next run starts a new session.',
    );
    expect(stopConfirmText({ noteId: 'N9', kpus: 2, jobs: [] })).toBe('The session of “N9” ends: no job is running and its 2 KPUs are freed. The next run starts a new session.');
  });
});

describe('refusal messages', () => {
  it('finds the notes that hold capacity and keeps the text whole', () => {
    const parts = refusalParts(REFUSAL);
    expect(parts.map((p) => p.text).join('')).toBe(REFUSAL);
    const notes = parts.filter((p) => 'noteId' in p);
    expect(notes).toEqual([{ text: 'note "KPU A" (2ABCDEF12)', noteId: '2ABCDEF12', noteName: 'KPU A' }]);
    expect(isCapacityRefusal(REFUSAL)).toBe(true);
  });

  it('handles several holders and quoted names', () => {
    const msg = 'not enough KPUs to start a job of parallelism 4: it needs 4 KPUs, 1 of 8 is free; note "say \\"hi\\"" (N1) holds 4, note "B" (N2) holds 3. Stop a session to free its KPUs';
    const notes = refusalParts(msg).filter((p) => 'noteId' in p);
    expect(notes.map((p) => ('noteId' in p ? [p.noteId, p.noteName] : []))).toEqual([
      ['N1', 'say "hi"'],
      ['N2', 'B'],
    ]);
    expect(refusalParts(msg).map((p) => p.text).join('')).toBe(msg);
  });

  it('shows a message as a sentence', () => {
    expect(asSentence(REFUSAL)).toBe('N' + REFUSAL.slice(1) + '.');
    expect(asSentence('done.')).toBe('Done.');
    expect(asSentence('  ')).toBe('');
  });

  it('leaves other errors as text', () => {
    expect(refusalParts('paragraph is already running')).toEqual([{ text: 'paragraph is already running' }]);
    expect(refusalParts('')).toEqual([]);
    expect(isCapacityRefusal('paragraph is already running')).toBe(false);
  });
});
