// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { Api } from '../api';
import { clusterStatus, session } from '../fixtures';
import type { CapacityRefusal } from '../schema';
import { SessionPanel } from './sessionPanel';

const REFUSAL: CapacityRefusal = {
  what: 'start a notebook session',
  needed: 2,
  free: 0,
  capacity: 3,
  holders: [{ noteId: '2A3', noteName: 'Stream A', sessionId: '9f', kpus: 3 }],
};

function panel(): { p: SessionPanel; q: (testid: string) => HTMLElement | null } {
  const p = new SessionPanel({ api: {} as Api });
  document.body.replaceChildren(p.el);
  return { p, q: (testid) => p.el.querySelector(`[data-testid=${testid}]`) };
}

describe('SessionPanel refusals', () => {
  it('shows the refusal’s figures on the capacity bar and links the notes holding the KPUs', () => {
    const { p, q } = panel();
    expect(q('capacity-refusal')?.hidden).toBe(true);
    p.showRefusal(REFUSAL);
    expect(q('capacity-refusal')?.hidden).toBe(false);
    expect(q('capacity-text')?.textContent).toBe('3 / 3 KPUs in use');
    expect(q('capacity-refusal')?.textContent).toContain('It needs 2 KPUs to start a notebook session; 0 of 3 are free.');
    const link = q('capacity-holders')?.querySelector('a');
    expect(link?.getAttribute('href')).toBe('/notebook/2A3');
    expect(link?.textContent).toBe('Stream A');
    expect(q('capacity-holders')?.textContent).toBe('Stream A holds 3 KPUs');
  });

  it('keeps the refusal while too few KPUs are free, and drops it once enough are', () => {
    const { p, q } = panel();
    p.showRefusal(REFUSAL);
    p.setCapacity(2, 3);
    expect(q('capacity-refusal')?.hidden).toBe(false);
    p.setCluster(clusterStatus({ ready: true, mode: 'local', kpuCapacity: 3, kpusInUse: 1 }));
    expect(q('capacity-refusal')?.hidden).toBe(true);
    expect(q('capacity-text')?.textContent).toBe('1 / 3 KPUs in use');
  });

  it('drops the refusal when the note gets a session', () => {
    const { p, q } = panel();
    p.showRefusal(REFUSAL);
    p.setSession(session({ id: 's1', noteId: 'B', state: 'starting', kpus: 2 }));
    expect(q('capacity-refusal')?.hidden).toBe(true);
  });
});
