// KPU capacity as a small bar ("3 / 8 KPUs in use"), the notes a refusal
// names as holding the KPUs, and stopping a notebook session (confirm,
// DELETE, errors as a toast). Shared by the note page (paragraphs, session
// panel) and the home page's sessions strip.

import type { Api } from '../api';
import { capacityModel, stopConfirmText, type RefusalModel } from '../model/sessions';
import type { Session } from '../schema';
import { h, setText } from './dom';
import { confirm, toast } from './overlay';

export class CapacityBar {
  readonly el: HTMLElement;
  private readonly text: HTMLElement;
  private readonly free: HTMLElement;
  private readonly meter: HTMLElement;
  private readonly fill: HTMLElement;

  constructor(testid = 'capacity') {
    this.text = h('span', { class: 'cap-text', 'data-testid': testid + '-text' });
    this.free = h('span', { class: 'cap-free' });
    this.fill = h('div', { class: 'cap-fill' });
    this.meter = h('div', { class: 'cap-bar', role: 'meter', 'aria-label': 'KPUs in use', 'aria-valuemin': '0' }, this.fill);
    this.el = h('div', { class: 'capacity', 'data-testid': testid }, h('div', { class: 'cap-head' }, this.text, this.free), this.meter);
    this.set(undefined, undefined);
  }

  /** set shows the KPUs in use against the capacity (unknown while either is missing). */
  set(inUse: number | undefined, capacity: number | undefined): void {
    const m = capacityModel(inUse, capacity);
    const known = inUse !== undefined && m.level !== 'unknown';
    setText(this.text, known ? m.text : 'KPUs in use: —');
    setText(this.free, known ? m.freeText : '');
    this.el.dataset['level'] = known ? m.level : 'unknown';
    this.el.dataset['inUse'] = known ? String(m.inUse) : '';
    this.el.dataset['capacity'] = known ? String(m.capacity) : '';
    this.meter.setAttribute('aria-valuemax', String(m.capacity));
    this.meter.setAttribute('aria-valuenow', String(m.inUse));
    this.meter.setAttribute('aria-valuetext', known ? `${m.text}, ${m.freeText}` : 'unknown');
    this.fill.style.width = known ? `${(m.fraction * 100).toFixed(1)}%` : '0%';
    this.el.title = known ? `${m.text} (${m.freeText}). A notebook session holds 2 KPUs, each running job ceil(parallelism / parallelism per KPU) more.` : '';
  }
}

/**
 * refusalHolders lists what a refusal names as holding KPUs, each linking
 * to where it can be stopped: a note (its session) or an application.
 */
export function refusalHolders(m: RefusalModel, testid: string): HTMLElement {
  return h(
    'ul',
    { class: 'refusal-holders', 'data-testid': testid },
    m.holders.map((x) =>
      x.applicationId
        ? h('li', { 'data-application-id': x.applicationId }, 'Application ', h('a', { href: x.href, 'data-link': '', title: `Open application “${x.applicationName}” to stop it` }, x.applicationName), ` holds ${x.kpusText}`)
        : h('li', null, h('a', { href: x.href, 'data-link': '', title: `Open “${x.noteName}” to stop its session` }, x.noteName), ` holds ${x.kpusText}`),
    ),
  );
}

/**
 * stopSession asks for confirmation, then stops the session. It resolves
 * with the stopped session, or null when the user declined or it failed
 * (the failure is shown as a toast).
 */
export async function stopSession(
  api: Api,
  s: Session,
  onConfirmed?: () => void,
): Promise<Session | null> {
  if (!(await confirm('Stop the session?', stopConfirmText(s), 'Stop session'))) return null;
  onConfirmed?.();
  try {
    const out = await api.stopSession(s.id);
    toast(`Session of “${s.noteName || s.noteId}” stopped`, 'ok');
    return out ?? s;
  } catch (e) {
    toast(`Could not stop the session: ${(e as Error).message}`, 'error');
    return null;
  }
}
