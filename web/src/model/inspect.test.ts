import { describe, expect, it } from 'vitest';
import { checkpointLine, formatBytes, formatIdle, formatLag, formatPercent, formatRate, formatRecords, formatUtc, suggestionParagraph } from './inspect';

describe('formatUtc', () => {
  it.each([
    [Date.UTC(2020, 0, 1), '2020-01-01 00:00:00.000'],
    [Date.UTC(2026, 11, 2, 3, 4, 5, 67), '2026-12-02 03:04:05.067'],
    [undefined, '—'],
    [null, '—'],
    [Number.NaN, '—'],
    // Long.MIN_VALUE, should it ever get through: not a date JavaScript can show.
    [-9.223372036854776e18, '—'],
  ])('%s → %s', (ms, want) => {
    expect(formatUtc(ms as number | undefined)).toBe(want);
  });
});

describe('formatLag', () => {
  it.each([
    [undefined, '—'],
    [0, '0 ms'],
    [850, '850 ms'],
    [8_300, '8.3 s'],
    [12_300, '12 s'],
    [245_000, '4 min 05 s'],
    [2 * 3_600_000 + 3 * 60_000, '2 h 03 min'],
    [3 * 86_400_000 + 4 * 3_600_000, '3 d 04 h'],
    // 2020-01-01 to 2026-12-02: the stuck watermark of a constant event time.
    [Date.UTC(2026, 11, 2) - Date.UTC(2020, 0, 1), '6 y 337 d'],
    // Long.MAX_VALUE ms: still a readable figure.
    [9.223372036854776e18, '292,471,208 y 247 d'],
    [-5_000, '5.0 s ahead'],
  ])('%s → %s', (ms, want) => {
    expect(formatLag(ms)).toBe(want);
  });
});

describe('figures', () => {
  it('rates, counts, percentages, sizes and idle subtasks', () => {
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(4.83)).toBe('4.8/s');
    expect(formatRate(1234.4)).toBe('1,234/s');
    expect(formatRecords(12345, 5)).toBe('12,345 · 5.0/s');
    expect(formatPercent(0.456)).toBe('46%');
    expect(formatPercent(Number.NaN)).toBe('—');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(formatIdle(undefined)).toBe('—');
    expect(formatIdle([])).toBe('—');
    expect(formatIdle([1])).toBe('subtask 1');
    expect(formatIdle([0, 3])).toBe('subtasks 0, 3');
  });
});

describe('checkpointLine', () => {
  it('says checkpointing is off, or its interval, count, last age and size', () => {
    expect(checkpointLine(undefined)).toBe('Checkpoints: not known yet');
    expect(checkpointLine({ intervalMs: 0, completed: 0, lastSizeBytes: 0 })).toBe('Checkpoints: off');
    expect(checkpointLine({ intervalMs: 10_000, mode: 'EXACTLY_ONCE', completed: 0, lastSizeBytes: 0 })).toBe('Checkpoints: every 10 s (exactly once) · 0 completed · none yet');
    expect(checkpointLine({ intervalMs: 60_000, completed: 12, lastAgeMs: 4_200, lastSizeBytes: 2048 })).toBe('Checkpoints: every 1 min 00 s · 12 completed · last 4.2 s ago · 2.0 KB');
  });
});

describe('suggestionParagraph', () => {
  it('makes the suggestion a Flink SQL paragraph', () => {
    expect(suggestionParagraph({ code: 'SOURCE_IDLE', message: 'm', suggestion: "  SET 'table.exec.source.idle-timeout' = '5 s';\n" })).toBe("%flink.ssql\nSET 'table.exec.source.idle-timeout' = '5 s';");
    expect(suggestionParagraph({ code: 'X', message: 'm', suggestion: '%flink.ssql(parallelism=2)\nSELECT 1' })).toBe('%flink.ssql(parallelism=2)\nSELECT 1');
  });
});

describe('LiveStore and inspections', () => {
  it('keeps the latest inspection of a paragraph, after its job ended too', async () => {
    const { LiveStore } = await import('./live');
    const store = new LiveStore();
    const inspection = { jobId: 'j1', jobState: 'RUNNING', sampledAt: '2026-12-02T03:40:01Z', runningForMs: 4000, operators: [], diagnoses: [{ code: 'NO_INPUT', message: 'm', suggestion: 's' }] };
    store.apply({ op: 'live', noteId: 'N1', paragraphs: [{ paragraphId: 'p1', status: 'RUNNING', progress: 0, dateStarted: 'd1', jobId: 'j1', inspection }] });
    expect(store.get('p1')?.inspection).toEqual(inspection);
    store.apply({ op: 'live', noteId: 'N1', paragraphs: [{ paragraphId: 'p1', status: 'ABORT', progress: 0, dateStarted: 'd1', jobId: 'j1', inspection: { ...inspection, jobState: 'CANCELED' } }] });
    expect(store.get('p1')?.inspection?.jobState).toBe('CANCELED');
    expect(store.keptInspection('p1')).toBeUndefined(); // followed live: get has it
  });

  it('keeps the inspection of a run that ended before the tab subscribed, apart from the live state', async () => {
    const { LiveStore } = await import('./live');
    const store = new LiveStore();
    const inspection = { jobId: 'j1', jobState: 'CANCELED', sampledAt: '2026-12-02T03:40:01Z', runningForMs: 4000, operators: [], diagnoses: [{ code: 'NO_INPUT', message: 'm', suggestion: 's' }] };
    store.apply({ op: 'live', noteId: 'N1', full: true, paragraphs: [{ paragraphId: 'p1', status: 'ABORT', progress: 0, dateStarted: 'd1', jobId: 'j1', inspection }] });
    expect(store.get('p1')).toBeUndefined();
    expect(store.keptInspection('p1')).toEqual(inspection);
    // A new run wakes the paragraph: its inspection is live again.
    store.apply({ op: 'live', noteId: 'N1', paragraphs: [{ paragraphId: 'p1', status: 'RUNNING', progress: 0, dateStarted: 'd2' }] });
    expect(store.keptInspection('p1')).toBeUndefined();
  });
});
