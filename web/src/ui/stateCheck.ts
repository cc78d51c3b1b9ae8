// What a new version does with the state it takes over, as the deploy
// dialog and the update dialog show it: one line that sums the check up,
// the table of stateful operators (each with whether its state is
// restored and, when not, why), and a script diff with its added and
// removed lines coloured. The server decides every answer; this only
// shows it.

import { diffLines, roleLabel, summarizeCheck } from '../model/applications';
import type { OperatorCheck, PlanCheck } from '../schema';
import { h } from './dom';
import './stateCheck.css';

/** checkSummary says in one sentence what a check restores and drops. */
export function checkSummary(c: PlanCheck): string {
  const s = summarizeCheck(c);
  const total = c.operators.length;
  const added = s.added > 0 ? ` ${s.added} new stateful operator${s.added === 1 ? '' : 's'} start${s.added === 1 ? 's' : ''} empty.` : '';
  if (total === 0) return `No operator holds state.${added}`;
  if (s.lost.length === 0) return `All ${total} stateful operator${total === 1 ? '' : 's'} restore${total === 1 ? 's' : ''} ${total === 1 ? 'its' : 'their'} state.${added}`;
  const lost = s.lost.map((o) => `#${o.id} ${o.description}`).join(', ');
  return `${s.lost.length} of ${total} stateful operators cannot restore their state (${lost}); the others can.${added}`;
}

/**
 * checkView is a check's summary line and its table: one row per stateful
 * operator of the running job (id, what it is, restores or not, why not
 * and notes), then the new operators that start empty.
 */
export function checkView(c: PlanCheck, testid: string): HTMLElement {
  const row = (o: OperatorCheck, added: boolean) => {
    const verdict = added ? 'new' : o.restorable ? 'yes' : 'no';
    const why = [o.reason ?? '', ...(o.notes ?? [])].filter((x) => x);
    return h(
      'tr',
      { 'data-testid': testid + '-row', 'data-operator-id': String(added ? (o.newId ?? 0) : o.id), 'data-restorable': added ? 'new' : String(o.restorable), class: 'check-' + verdict },
      h('td', { class: 'mono check-op' }, added ? (o.newId ? `new #${o.newId}` : 'new') : `#${o.id}`, h('div', { class: 'check-type' }, o.type)),
      h('td', null, h('span', { class: 'check-role' }, roleLabel(o.role)), ' ', o.description, o.state?.length ? h('div', { class: 'check-state' }, 'state: ' + o.state.join(', ')) : null),
      h('td', { class: 'check-verdict' }, h('span', { class: 'check-badge', 'data-verdict': verdict }, verdict === 'yes' ? '✓ restores' : verdict === 'no' ? '✗ lost' : 'starts empty')),
      h('td', { class: 'check-why' }, why.length === 0 ? h('span', { class: 'muted' }, '—') : why.map((w, i) => h('div', { class: i === 0 && o.reason ? 'check-reason' : 'check-note' }, w))),
    );
  };
  return h(
    'div',
    { class: 'state-check', 'data-testid': testid, 'data-compatible': String(c.compatible) },
    h('p', { class: 'check-summary' + (c.compatible ? '' : ' lossy'), 'data-testid': testid + '-summary' }, checkSummary(c)),
    h(
      'table',
      { class: 'check-table' },
      h('thead', null, h('tr', null, ['Operator', 'What it is', 'Restores?', 'Why not / notes'].map((t) => h('th', null, t)))),
      h('tbody', null, c.operators.map((o) => row(o, false)), (c.added ?? []).map((o) => row(o, true))),
    ),
  );
}

/** diffView shows a unified diff with added lines green and removed ones red; an empty diff says the scripts are the same. */
export function diffView(diff: string, testid: string): HTMLElement {
  if (!diff.trim()) return h('p', { class: 'muted small', 'data-testid': testid + '-same' }, 'The script is the same as the running version’s.');
  return h(
    'pre',
    { class: 'code-text diff-text', 'data-testid': testid },
    diffLines(diff).map((l) => h('span', { class: 'diff-line diff-' + l.kind, 'data-kind': l.kind }, l.text + '\n')),
  );
}
