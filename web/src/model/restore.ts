// Where a paragraph's job started from: a savepoint or checkpoint Flink
// restored it from, as the live run reports it or as the paragraph's
// config keeps it with the saved result (kernel.ConfigRestoredFrom).

import type { Restore } from '../protocol';
import type { Paragraph } from '../schema';
import { formatTime } from './format';

/** restoredOf returns the restore to show: the live run's, else (no live run) the saved one. */
export function restoredOf(p: Paragraph, live: { restored?: Restore } | undefined): Restore | undefined {
  if (live) return live.restored;
  const v = (p.config as Record<string, unknown> | undefined)?.['restoredFrom'];
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if ((r['kind'] !== 'savepoint' && r['kind'] !== 'checkpoint') || typeof r['path'] !== 'string' || !r['path']) return undefined;
  return { kind: r['kind'], path: r['path'], ...(typeof r['takenAt'] === 'string' ? { takenAt: r['takenAt'] } : {}) };
}

/** restoredLabel says it: "restored from savepoint file:/sp/savepoint-1a2b (taken 10:02:03)". */
export function restoredLabel(r: Restore): string {
  const at = r.takenAt ? Date.parse(r.takenAt) : NaN;
  return `restored from ${r.kind} ${r.path}` + (Number.isFinite(at) ? ` (taken ${formatTime(at)})` : '');
}
