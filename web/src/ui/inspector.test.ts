// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Api } from '../api';
import { paragraph, paragraphHost } from '../fixtures';
import type { Inspection, Operator } from '../model/inspect';
import type { ParagraphLiveState } from '../model/live';
import type { NoteSession } from '../noteSession';
import { InspectorView } from './inspector';
import { ParagraphView } from './paragraph';

const suggestion = "-- Count by processing time: the event time of src never moves.\nSELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(proc_time), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end;";

function op(over: Partial<Operator> = {}): Operator {
  return { name: 'GlobalWindowAggregate[6]', vertexId: 'v2', parallelism: 1, recordsIn: 0, recordsOut: 0, inRate: 0, outRate: 0, backpressure: 'ok', backpressureRatio: 0, busyRatio: 0, ...over };
}

/** The stuck-watermark job: a source reading 5 records a second, its watermark at 2020-01-01, the window never firing. */
function inspection(over: Partial<Inspection> = {}): Inspection {
  return {
    jobId: 'j1',
    jobState: 'RUNNING',
    sampledAt: '2026-12-02T03:40:01.250Z',
    runningForMs: 125_000,
    operators: [
      op({ name: 'Source: src[1] -> Calc[2] -> WatermarkAssigner[3]', vertexId: 'v1', source: true, recordsOut: 612, outRate: 5, inputWatermark: Date.UTC(2020, 0, 1), watermarkLagMs: Date.UTC(2026, 11, 2, 3, 40, 1) - Date.UTC(2020, 0, 1), eventTimeLagMs: 0, busyRatio: 0.02 }),
      op({ recordsIn: 610, inRate: 4.8, watermarkLagMs: undefined, lateRecordsDropped: 0, backpressure: 'high', busyRatio: 0.914, idleSubtasks: [1] }),
    ],
    checkpoint: { intervalMs: 0, completed: 0, lastSizeBytes: 0 },
    diagnoses: [{ code: 'WATERMARK_NOT_ADVANCING', message: 'The watermark of src has stayed at 2020-01-01 00:00:00 for 30 s while it read 150 records.', operator: 'Source: src[1]', suggestion }],
    ...over,
  };
}

function live(over: Partial<ParagraphLiveState> = {}): ParagraphLiveState {
  return { paragraphId: 'p1', runKey: 'r1', status: 'RUNNING', progress: 0, jobId: 'j1', messages: [], table: null, version: 1, dormant: false, ...over };
}

const q = (root: ParentNode, testid: string) => root.querySelector(`[data-testid=${testid}]`) as HTMLElement;
const qa = (root: ParentNode, testid: string) => [...root.querySelectorAll(`[data-testid=${testid}]`)] as HTMLElement[];

afterEach(() => vi.restoreAllMocks());

describe('InspectorView diagnoses', () => {
  it('shows each diagnosis with its code, message and the suggested SQL, the panel closed', () => {
    const v = new InspectorView({ insertBelow: () => {} });
    v.render(live({ inspection: inspection() }), true);
    expect(v.el.hidden).toBe(false);
    expect(q(v.el, 'inspect-panel').hidden).toBe(true);
    const boxes = qa(v.el, 'diagnosis');
    expect(boxes).toHaveLength(1);
    expect(boxes[0]?.dataset['code']).toBe('WATERMARK_NOT_ADVANCING');
    expect(q(v.el, 'diagnosis-code').textContent).toBe('WATERMARK_NOT_ADVANCING');
    expect(q(v.el, 'diagnosis-message').textContent).toBe('The watermark of src has stayed at 2020-01-01 00:00:00 for 30 s while it read 150 records.');
    expect(q(v.el, 'diagnosis-suggestion').textContent).toBe(suggestion);
    expect(q(v.el, 'diagnosis-copy').textContent).toBe('Copy');
    expect(q(v.el, 'diagnosis-insert').textContent).toBe('Insert as new paragraph below');
  });

  it('shows nothing without diagnoses, nor before the first inspection', () => {
    const v = new InspectorView({ insertBelow: () => {} });
    v.render(live({ inspection: inspection({ diagnoses: null }) }), true);
    expect(v.el.hidden).toBe(true);
    expect(qa(v.el, 'diagnosis')).toHaveLength(0);
    v.render(live(), true);
    expect(v.el.hidden).toBe(true);
  });

  it('renders names and messages as text, never as HTML', () => {
    const v = new InspectorView({ insertBelow: () => {} });
    const evil = '<img src=x onerror=alert(1)>';
    v.render(live({ inspection: inspection({ operators: [op({ name: evil })], diagnoses: [{ code: 'NO_INPUT', message: evil, suggestion: evil }] }) }), true);
    v.setOpen(true);
    expect(v.el.querySelector('img')).toBeNull();
    expect(q(v.el, 'diagnosis-message').textContent).toBe(evil);
    expect(v.el.querySelector('tbody td.name')?.textContent).toBe(evil);
  });

  it('inserts the suggestion as a Flink SQL paragraph', () => {
    const inserted: string[] = [];
    const v = new InspectorView({ insertBelow: (t) => inserted.push(t) });
    v.render(live({ inspection: inspection() }), true);
    q(v.el, 'diagnosis-insert').click();
    expect(inserted).toEqual(['%flink.ssql\n' + suggestion]);
  });

  it('copies the suggested SQL to the clipboard', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const v = new InspectorView({ insertBelow: () => {} });
    v.render(live({ inspection: inspection() }), true);
    q(v.el, 'diagnosis-copy').click();
    await new Promise((r) => setTimeout(r, 0));
    expect(writeText).toHaveBeenCalledWith(suggestion);
  });

  it('keeps the boxes (and a focused button) while the diagnoses stay the same, and says when the job has ended', () => {
    const v = new InspectorView({ insertBelow: () => {} });
    document.body.replaceChildren(v.el);
    v.render(live({ inspection: inspection() }), true);
    const box = qa(v.el, 'diagnosis')[0];
    q(v.el, 'diagnosis-copy').focus();
    v.render(live({ inspection: inspection({ sampledAt: '2026-12-02T03:40:03.250Z', runningForMs: 127_000 }) }), true);
    expect(qa(v.el, 'diagnosis')[0]).toBe(box);
    expect(document.activeElement).toBe(q(v.el, 'diagnosis-copy'));
    expect(v.el.querySelector('.insp-diags-head')?.textContent).toBe('Why no rows? Eddy looked at the job:');
    v.render(live({ status: 'ABORT', inspection: inspection({ jobState: 'CANCELED' }) }), true);
    expect(v.el.querySelector('.insp-diags-head')?.textContent).toBe('From the last look at the job, before it ended:');
    expect(qa(v.el, 'diagnosis')).toHaveLength(1);
  });
});

describe('InspectorView panel', () => {
  const cells = (row: Element) => [...row.querySelectorAll('td')].map((td) => td.textContent);

  it('opens with the job line, checkpoints and one row per operator, sources first', () => {
    const v = new InspectorView({ insertBelow: () => {} });
    v.render(live({ inspection: inspection() }), true);
    expect(v.toggle.hidden).toBe(false);
    v.toggle.click();
    expect(v.toggle.getAttribute('aria-expanded')).toBe('true');
    const panel = q(v.el, 'inspect-panel');
    expect(panel.hidden).toBe(false);
    expect(q(panel, 'inspect-state').textContent).toBe('RUNNING');
    expect(q(panel, 'inspect-running-for').textContent).toBe('running for 2 min 05 s');
    expect(q(panel, 'inspect-sampled-at').textContent).toBe('sampled at 03:40:01.250 UTC');
    expect(q(panel, 'inspect-checkpoint').textContent).toBe('Checkpoints: off');
    expect(q(panel, 'inspect-ended').hidden).toBe(true);
    const rows = [...panel.querySelectorAll('tbody tr')];
    expect(rows.map(cells)).toEqual([
      ['Source: src[1] -> Calc[2] -> WatermarkAssigner[3]', '1', '0 · 0/s', '612 · 5.0/s', '2020-01-01 00:00:00.000', '6 y 337 d', '0 ms', '—', 'ok', '2%', '—'],
      ['GlobalWindowAggregate[6]', '1', '610 · 4.8/s', '0 · 0/s', '—', '—', '—', 'subtask 1', 'high', '91%', '0'],
    ]);
    expect(rows[0]?.classList.contains('source')).toBe(true);
    expect((rows[1]?.querySelector('td.bp') as HTMLElement).dataset['level']).toBe('high');
    v.toggle.click();
    expect(panel.hidden).toBe(true);
  });

  it('updates live in place, keeping rows, scroll and the open panel', () => {
    const v = new InspectorView({ insertBelow: () => {} });
    v.render(live({ inspection: inspection() }), true);
    v.setOpen(true);
    const row = v.el.querySelector('tbody tr');
    const wrap = v.el.querySelector('.insp-table-wrap') as HTMLElement;
    wrap.scrollLeft = 40;
    const next = inspection();
    (next.operators as Operator[])[0] = { ...(next.operators as Operator[])[0]!, recordsOut: 1234, outRate: 12.6 };
    v.render(live({ inspection: next }), true);
    expect(v.open).toBe(true);
    expect(v.el.querySelector('tbody tr')).toBe(row);
    expect(wrap.scrollLeft).toBe(40);
    expect(cells(row as Element)[3]).toBe('1,234 · 13/s');
    v.render(live({ inspection: inspection({ operators: [op()] }) }), true);
    expect(v.el.querySelectorAll('tbody tr')).toHaveLength(1);
  });

  it('says it is waiting before the first inspection, and hides the toggle without a job', () => {
    const v = new InspectorView({ insertBelow: () => {} });
    v.render(undefined, false);
    expect(v.toggle.hidden).toBe(true);
    v.render(live(), true);
    expect(v.toggle.hidden).toBe(false);
    v.setOpen(true);
    expect(q(v.el, 'inspect-waiting').hidden).toBe(false);
    expect(q(v.el, 'inspect-waiting').textContent).toContain('Nothing to show yet');
    expect(q(v.el, 'inspect-operators').closest('.insp-table-wrap')?.hasAttribute('hidden')).toBe(true);
  });
});

describe('InspectorView for a run this tab did not follow', () => {
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it('fetches the latest inspection when opened, and shows it with its diagnoses', async () => {
    let calls = 0;
    const v = new InspectorView({ insertBelow: () => {}, load: () => (calls++, Promise.resolve(inspection({ jobState: 'CANCELED' }))) });
    v.render(undefined, true);
    expect(calls).toBe(0);
    expect(v.el.hidden).toBe(true);
    v.setOpen(true);
    expect(q(v.el, 'inspect-waiting').textContent).toBe('Fetching the job’s latest inspection…');
    await settle();
    expect(calls).toBe(1);
    expect(q(v.el, 'inspect-state').textContent).toBe('CANCELED');
    expect(v.el.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(q(v.el, 'inspect-ended').hidden).toBe(false);
    expect(q(v.el, 'inspect-ended').textContent).toBe('the last look before the run ended');
    expect(v.el.querySelector('.insp-diags-head')?.textContent).toBe('From the last look at the job, before it ended:');
    // Opened again: fetched afresh, what was fetched shown meanwhile.
    v.setOpen(false);
    v.setOpen(true);
    expect(q(v.el, 'inspect-state').textContent).toBe('CANCELED');
    await settle();
    expect(calls).toBe(2);
  });

  it('shows the diagnoses of a run that ended before the page followed it, as the note\'s live state kept them', () => {
    const v = new InspectorView({ insertBelow: () => {}, load: () => Promise.resolve(undefined) });
    v.render(undefined, false, inspection({ jobState: 'CANCELED' }));
    expect(v.toggle.hidden).toBe(false);
    expect(v.el.hidden).toBe(false);
    expect(qa(v.el, 'diagnosis')).toHaveLength(1);
    expect(v.el.querySelector('.insp-diags-head')?.textContent).toBe('From the last look at the job, before it ended:');
    // A run followed live takes over.
    v.render(live({ inspection: undefined }), true);
    expect(qa(v.el, 'diagnosis')).toHaveLength(0);
  });

  it('says when the server has none, or could not be asked', async () => {
    const none = new InspectorView({ insertBelow: () => {}, load: () => Promise.resolve(undefined) });
    none.render(undefined, true);
    none.setOpen(true);
    await settle();
    expect(q(none.el, 'inspect-waiting').textContent).toContain('No inspection of this paragraph’s job');
    const failed = new InspectorView({ insertBelow: () => {}, load: () => Promise.reject(new Error('network error')) });
    failed.render(undefined, true);
    failed.setOpen(true);
    await settle();
    expect(q(failed.el, 'inspect-waiting').textContent).toContain('Could not fetch');
  });

  it('does not fetch while the run is followed live, and a live run supersedes what was fetched', async () => {
    let calls = 0;
    const v = new InspectorView({ insertBelow: () => {}, load: () => (calls++, Promise.resolve(inspection({ jobState: 'CANCELED' }))) });
    v.render(undefined, true);
    v.setOpen(true);
    await settle();
    v.render(live(), true);
    expect(q(v.el, 'inspect-waiting').textContent).toContain('Nothing to show yet');
    expect(qa(v.el, 'diagnosis')).toHaveLength(0);
    v.setOpen(false);
    v.setOpen(true);
    expect(calls).toBe(1);
  });
});

describe('Api.paragraphInspection', () => {
  const reply = (status: number, body: unknown) => {
    const urls: string[] = [];
    const f = (url: string) => (urls.push(url), Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })));
    return { f, urls };
  };

  it('answers the inspection as sent, none on 404, and throws other errors', async () => {
    const ok = reply(200, inspection());
    expect(await new Api('', ok.f).paragraphInspection('N/1', 'p1')).toEqual(inspection());
    expect(ok.urls).toEqual(['/api/v1/notebook/N%2F1/paragraph/p1/inspect']);
    expect(await new Api('', reply(404, { code: 'not_found', message: 'paragraph p1 has no job to inspect' }).f).paragraphInspection('N', 'p1')).toBeUndefined();
    await expect(new Api('', reply(500, { message: 'boom' }).f).paragraphInspection('N', 'p1')).rejects.toThrow('boom');
  });
});

describe('ParagraphView with an inspection', () => {
  function view(st: ParagraphLiveState, inserted: Array<[number, string | undefined]> = []): HTMLElement {
    const p = paragraph({ text: '%flink.ssql\nSELECT 1', status: 'RUNNING', config: { editorHide: true } });
    const session = { paragraph: () => p, live: { get: () => st }, hasUnsavedText: () => false } as unknown as NoteSession;
    const v = new ParagraphView('p1', paragraphHost(session, { indexOf: () => 2, count: () => 3, insertAt: (i, t) => inserted.push([i, t]) }));
    document.body.replaceChildren(v.el);
    return v.el;
  }

  it('shows the diagnoses above the result and the Inspect toggle in the header', () => {
    const el = view(live({ inspection: inspection() }));
    expect(qa(el, 'diagnosis')).toHaveLength(1);
    const toggle = q(el, 'inspect-toggle');
    expect(toggle.closest('.para-head')).not.toBeNull();
    expect(toggle.hidden).toBe(false);
    toggle.click();
    expect(q(el, 'inspect-panel').hidden).toBe(false);
  });

  it('inserts the suggestion as a new paragraph right below', () => {
    const inserted: Array<[number, string | undefined]> = [];
    const el = view(live({ inspection: inspection() }), inserted);
    q(el, 'diagnosis-insert').click();
    expect(inserted).toEqual([[3, '%flink.ssql\n' + suggestion]]);
  });

  it('has no toggle for a paragraph that never had a job', () => {
    const el = view(live({ jobId: undefined }));
    expect(q(el, 'inspect-toggle').hidden).toBe(true);
    expect(qa(el, 'diagnosis')).toHaveLength(0);
  });
});
