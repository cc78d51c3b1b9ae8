import { describe, expect, it } from 'vitest';
import { session, sessionJob } from '../fixtures';
import type { CapacityRefusal } from '../schema';
import { asSentence, canStop, capacityModel, formatCost, formatKpuHours, parseCapacityRefusal, refusalModel, refusalOf, runningJobs, sessionRows, stopConfirmText } from './sessions';

/** A refusal's details as the server sends them (error code capacity_exceeded). */
const REFUSAL: CapacityRefusal = {
  what: 'start a notebook session',
  needed: 2,
  free: 0,
  capacity: 3,
  holders: [{ noteId: '2ABCDEF12', noteName: 'KPU A', sessionId: '9f1', kpus: 3 }],
};

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
          sessionJob({ jobId: 'j1', status: 'RUNNING', kpus: 1 }),
          sessionJob({ jobId: 'j2', status: 'CANCELED' }),
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
    expect(runningJobs(session({ jobs: [] }))).toEqual([]);
  });

  it('says what stopping does', () => {
    expect(stopConfirmText(session({ kpus: 3, jobs: [sessionJob({ status: 'RUNNING' })] }))).toBe(
      'The session of “A” ends: its 1 running job is cancelled and its 3 KPUs are freed. The next run starts a new session.',
    );
    expect(stopConfirmText(session({ noteId: 'N9', noteName: '', kpus: 2 }))).toBe('The session of “N9” ends: no job is running and its 2 KPUs are freed. The next run starts a new session.');
  });
});

describe('capacity refusals', () => {
  it('says what was needed and what was free, and links the notes that hold the KPUs', () => {
    expect(refusalModel(REFUSAL)).toEqual({
      summary: 'It needs 2 KPUs to start a notebook session; 0 of 3 are free.',
      holders: [{ noteId: '2ABCDEF12', noteName: 'KPU A', href: '/notebook/2ABCDEF12', kpusText: '3 KPUs' }],
      inUse: 3,
      capacity: 3,
    });
  });

  it('handles several holders, one free KPU and names that need escaping in a link', () => {
    const m = refusalModel({
      what: 'start a job of parallelism 4',
      needed: 4,
      free: 1,
      capacity: 8,
      holders: [
        { noteId: 'N/1', noteName: 'say "hi"', sessionId: 's1', kpus: 4 },
        { noteId: 'N2', noteName: '', sessionId: 's2', kpus: 1 },
      ],
    });
    expect(m.summary).toBe('It needs 4 KPUs to start a job of parallelism 4; 1 of 8 is free.');
    expect(m.holders.map((x) => [x.href, x.noteName, x.kpusText])).toEqual([
      ['/notebook/N%2F1', 'say "hi"', '4 KPUs'],
      ['/notebook/N2', 'N2', '1 KPU'],
    ]);
    expect(m.inUse).toBe(7);
  });

  it('reads details of the documented shape and nothing else', () => {
    expect(parseCapacityRefusal(JSON.parse(JSON.stringify(REFUSAL)))).toEqual(REFUSAL);
    expect(parseCapacityRefusal(undefined)).toBeUndefined();
    expect(parseCapacityRefusal({ ...REFUSAL, needed: '2' })).toBeUndefined();
    expect(parseCapacityRefusal({ ...REFUSAL, holders: [{ noteName: 'no id', kpus: 1 }] })).toBeUndefined();
    expect(parseCapacityRefusal({ ...REFUSAL, holders: null })).toBeUndefined();
  });

  it('keeps an application holding KPUs, and links to it', () => {
    const r = parseCapacityRefusal({ ...REFUSAL, holders: [{ noteId: 'N1', noteName: 'Orders', sessionId: '', kpus: 2, applicationId: 'a 1', applicationName: 'orders-agg' }] });
    expect(r?.holders[0]).toEqual({ noteId: 'N1', noteName: 'Orders', sessionId: '', kpus: 2, applicationId: 'a 1', applicationName: 'orders-agg' });
    expect(refusalModel(r as CapacityRefusal).holders[0]).toEqual({ noteId: 'N1', noteName: 'Orders', applicationId: 'a 1', applicationName: 'orders-agg', href: '/applications/a%201', kpusText: '2 KPUs' });
  });

  it('finds the refusal an error carries, only for capacity_exceeded', () => {
    const refused = Object.assign(new Error('not enough KPUs'), { code: 'capacity_exceeded', details: REFUSAL });
    expect(refusalOf(refused)).toBe(REFUSAL);
    expect(refusalOf(Object.assign(new Error('x'), { code: 'unavailable', details: REFUSAL }))).toBeUndefined();
    expect(refusalOf(new Error('paragraph is already running'))).toBeUndefined();
    expect(refusalOf('capacity_exceeded')).toBeUndefined();
  });

  it('shows a server message as a sentence', () => {
    expect(asSentence('paragraph is already running')).toBe('Paragraph is already running.');
    expect(asSentence('done.')).toBe('Done.');
    expect(asSentence('  ')).toBe('');
  });
});
