import { describe, expect, it } from 'vitest';
import { application } from '../fixtures';
import { actionsFor, defaultAppName, diffLines, formatDollars, formatInterval, formatUptime, paragraphLabel, parseBuildRefusal, parseStateRefusal, parseTags, parseWhole, statusLabel, statusTone, summarizeCheck, uptimeOf } from './applications';

describe('actionsFor', () => {
  it.each([
    ['READY', { start: true, stop: false, forceStop: false, snapshot: false, delete: true, rebuild: true, deleteSnapshot: true, rescale: true, update: true }],
    ['FAILED', { start: true, stop: false, forceStop: false, snapshot: false, delete: true, rebuild: true, deleteSnapshot: true, rescale: true, update: true }],
    ['STARTING', { start: false, stop: false, forceStop: true, snapshot: false, delete: false, rebuild: false, deleteSnapshot: true, rescale: false, update: false }],
    ['RUNNING', { start: false, stop: true, forceStop: true, snapshot: true, delete: false, rebuild: false, deleteSnapshot: true, rescale: true, update: true }],
    ['STOPPING', { start: false, stop: false, forceStop: false, snapshot: false, delete: false, rebuild: false, deleteSnapshot: true, rescale: false, update: false }],
    ['FORCE_STOPPING', { start: false, stop: false, forceStop: false, snapshot: false, delete: false, rebuild: false, deleteSnapshot: true, rescale: false, update: false }],
    ['UPDATING', { start: false, stop: false, forceStop: false, snapshot: false, delete: false, rebuild: false, deleteSnapshot: true, rescale: false, update: false }],
    ['AUTOSCALING', { start: false, stop: false, forceStop: false, snapshot: false, delete: false, rebuild: false, deleteSnapshot: true, rescale: false, update: false }],
    ['ROLLING_BACK', { start: false, stop: false, forceStop: false, snapshot: false, delete: false, rebuild: false, deleteSnapshot: true, rescale: false, update: false }],
    ['DELETING', { start: false, stop: false, forceStop: false, snapshot: false, delete: false, rebuild: false, deleteSnapshot: false, rescale: false, update: false }],
  ])('%s', (status, want) => {
    expect(actionsFor(status)).toEqual(want);
  });
});

describe('statuses', () => {
  it('names and colours them', () => {
    expect(statusLabel('FORCE_STOPPING')).toBe('Force stopping');
    expect(statusLabel('RUNNING')).toBe('Running');
    expect(statusTone('RUNNING')).toBe('ok');
    expect(statusTone('FAILED')).toBe('err');
    expect(statusTone('STARTING')).toBe('busy');
    expect(statusTone('SOMETHING_NEW')).toBe('idle');
  });
});

describe('defaultAppName', () => {
  it.each([
    ['Orders agg', 'orders-agg'],
    ['Orders (EU) / v2', 'orders-eu-v2'],
    ['  --already-fine--  ', 'already-fine'],
    ['Ünïcode', 'n-code'],
    ['!!!', 'application'],
  ])('%s → %s', (note, want) => {
    expect(defaultAppName(note)).toBe(want);
  });
});

describe('form inputs', () => {
  it('reads tags as key=value lines', () => {
    expect(parseTags('team = data\n\nenv=prod\nurl=http://x?a=b')).toEqual({ ok: true, value: { team: 'data', env: 'prod', url: 'http://x?a=b' } });
    expect(parseTags('')).toEqual({ ok: true, value: {} });
    expect(parseTags('team=a\nnope')).toEqual({ ok: false, error: 'Tag on line 2 is not key=value.' });
    expect(parseTags('=x')).toMatchObject({ ok: false });
    expect(parseTags('a=1\na=2')).toEqual({ ok: false, error: 'Tag “a” is given twice.' });
  });

  it('reads whole numbers with a lower bound', () => {
    expect(parseWhole(' 4 ', 'Parallelism', 1)).toEqual({ ok: true, value: 4 });
    expect(parseWhole('0', 'Parallelism', 1)).toEqual({ ok: false, error: 'Parallelism must be at least 1.' });
    expect(parseWhole('1.5', 'Parallelism', 1)).toEqual({ ok: false, error: 'Parallelism must be a whole number.' });
    expect(parseWhole('', 'Parallelism', 1)).toMatchObject({ ok: false });
  });
});

describe('figures', () => {
  it('formats cost, uptime and intervals', () => {
    expect(formatDollars(0)).toBe('$0.00');
    expect(formatDollars(0.004)).toBe('< $0.01');
    expect(formatDollars(0.006)).toBe('$0.01');
    expect(formatDollars(12.345)).toBe('$12.35');
    expect(formatDollars(Number.NaN)).toBe('—');
    expect(formatUptime(45_900)).toBe('45 s');
    expect(formatUptime(12 * 60_000 + 5_000)).toBe('12 min 05 s');
    expect(formatUptime(3 * 3_600_000 + 2 * 60_000)).toBe('3 h 02 min');
    expect(formatUptime(52 * 3_600_000)).toBe('2 d 04 h');
    expect(formatUptime(-5)).toBe('0 s');
    expect(formatInterval(60_000)).toBe('60 s');
    expect(formatInterval(1_500)).toBe('1.5 s');
    expect(formatInterval(300_000)).toBe('5 min');
    expect(formatInterval(0)).toBe('—');
  });

  it('measures uptime from the start of the current run', () => {
    const t = Date.parse('2026-05-01T10:00:00Z');
    expect(uptimeOf(application({ startedAt: '2026-05-01T10:00:00Z' }), t + 90_000)).toBe(90_000);
    expect(uptimeOf(application(), t)).toBeUndefined();
    expect(uptimeOf(application({ startedAt: 'garbage' }), t)).toBeUndefined();
  });
});

describe('build refusals', () => {
  it('reads the documented details and nothing else', () => {
    expect(parseBuildRefusal({ paragraphId: 'p3', index: 2, reason: 'no INSERT' })).toEqual({ paragraphId: 'p3', index: 2, reason: 'no INSERT' });
    expect(parseBuildRefusal({ index: -1, reason: 'the note has no INSERT' })).toEqual({ index: -1, reason: 'the note has no INSERT' });
    expect(parseBuildRefusal({ index: '2', reason: 'x' })).toBeUndefined();
    expect(parseBuildRefusal({ what: 'start', needed: 1 })).toBeUndefined();
    expect(parseBuildRefusal(null)).toBeUndefined();
  });

  it('names paragraphs by their 1-based position', () => {
    expect(paragraphLabel({ index: 2, title: 'Sink' })).toBe('Paragraph 3 · Sink');
    expect(paragraphLabel({ index: 0 })).toBe('Paragraph 1');
    expect(paragraphLabel({ index: -1 })).toBe('The note');
  });
});

describe('state checks', () => {
  const op = { id: 3, type: 'stream-exec-group-aggregate_1', role: 'operator' as const, description: 'COUNT(*) GROUP BY k', restorable: false, reason: 'its keys changed' };

  it('reads a state refusal with its check and diff, and nothing else', () => {
    expect(parseStateRefusal({ check: { operators: [op], added: [], compatible: false }, diff: '+x' })).toEqual({ check: { operators: [op], added: [], compatible: false }, diff: '+x' });
    expect(parseStateRefusal({ check: { operators: [op], compatible: false } })).toEqual({ check: { operators: [op], added: [], compatible: false } });
    expect(parseStateRefusal({ check: { operators: 'x', compatible: false } })).toBeUndefined();
    expect(parseStateRefusal({ paragraphId: 'p', index: 1, reason: 'r' })).toBeUndefined();
    expect(parseStateRefusal(null)).toBeUndefined();
  });

  it('counts what a check restores, drops and adds', () => {
    const s = summarizeCheck({ operators: [op, { ...op, id: 4, restorable: true }], added: [{ ...op, id: 0 }], compatible: false });
    expect([s.restored, s.lost.map((o) => o.id), s.added]).toEqual([1, [3], 1]);
  });

  it('classifies the lines of a unified diff', () => {
    expect(diffLines('--- version 1\n+++ version 2\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n').map((l) => l.kind)).toEqual(['file', 'file', 'hunk', 'same', 'del', 'add']);
    expect(diffLines('')).toEqual([]);
  });

  it('colours ROLLING_BACK as a warning and allows nothing meanwhile', () => {
    expect(statusTone('ROLLING_BACK')).toBe('warn');
    expect(statusLabel('ROLLING_BACK')).toBe('Rolling back');
  });
});
