// The revisions dialog of a note: its saved revisions (message, time, id),
// saving the note as a new revision with a message, a revision's diff
// against the note as it is now (paragraph by paragraph, changed lines
// marked - and +), and restoring a revision after a confirmation. The
// server sends the restored note to every viewer; this tab reloads it too.

import type { Api } from '../api';
import { diffCounts, noteDiff, type ParagraphDiff } from '../model/diff';
import type { Note, Revision } from '../schema';
import { dialogShell, modal } from './appParts';
import { button, clear, h } from './dom';
import { confirm, toast } from './overlay';

export interface RevisionsDeps {
  api: Api;
  noteId: string;
  /** The note as this tab shows it now, edits not yet saved included. */
  current: () => Note | null;
  /** Saves this tab's edits still waiting, so none lands on top of a restored note. */
  flush: () => Promise<void>;
  /** Called once a revision is restored: the page shows the restored note. */
  onRestored: () => Promise<void> | void;
}

/** revisionTime shows a revision's time (seconds since the epoch) in the browser's locale. */
export function revisionTime(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString();
}

const changeLabel: Record<ParagraphDiff['change'], string> = {
  added: 'Added',
  removed: 'Removed',
  changed: 'Changed',
  same: 'Unchanged',
};

export class RevisionsDialog {
  readonly el: HTMLElement;
  private readonly message = h('input', { class: 'input', name: 'message', autocomplete: 'off', placeholder: 'What this revision is, e.g. "before the join"', 'data-testid': 'revision-message' });
  private readonly saveBtn: HTMLButtonElement;
  private readonly list = h('div', { class: 'revision-list', 'data-testid': 'revision-list' });
  private readonly diffEl = h('div', { class: 'revision-diff', 'data-testid': 'revision-diff-view', hidden: true });
  /** What last went wrong, shown in the dialog (a toast would sit under it). */
  private readonly problem = h('div', { class: 'refused-msg', role: 'alert', 'data-testid': 'revisions-problem', hidden: true });
  private close: (() => void) | null = null;
  private busy = false;

  constructor(private readonly deps: RevisionsDeps) {
    this.saveBtn = button({ icon: 'check', label: 'Save revision', cls: 'primary', testid: 'revision-save', onClick: () => void this.save() });
    const form = h(
      'form',
      {
        class: 'revision-save-row',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.save();
        },
      },
      this.message,
      this.saveBtn,
    );
    const closeBtn = button({ label: 'Close', cls: 'ghost', testid: 'revisions-close', onClick: () => this.dismiss() });
    this.el = dialogShell('Revisions', 'revisions-dialog', h('div', { class: 'revisions-body' }, form, this.problem, this.list, this.diffEl), [closeBtn], 'wide');
  }

  /** open shows the dialog and resolves once the revisions are listed. */
  async open(): Promise<void> {
    this.close = modal(this.el, () => this.dismiss());
    this.message.focus();
    await this.refresh();
  }

  dismiss(): void {
    this.close?.();
    this.close = null;
  }

  /** refresh lists the revisions, newest first. */
  async refresh(): Promise<void> {
    let revs: Revision[];
    try {
      revs = await this.deps.api.listRevisions(this.deps.noteId);
    } catch (e) {
      this.list.replaceChildren(h('div', { class: 'empty small', 'data-testid': 'revision-list-error' }, `Could not list the revisions: ${(e as Error).message}`));
      return;
    }
    if (revs.length === 0) {
      this.list.replaceChildren(h('div', { class: 'empty small', 'data-testid': 'revision-none' }, 'No revisions yet: save one to keep this version of the note.'));
      return;
    }
    this.list.replaceChildren(
      h(
        'table',
        { class: 'revision-table' },
        h('thead', null, h('tr', null, h('th', null, 'Message'), h('th', null, 'Saved'), h('th', null, 'Id'), h('th', null, ''))),
        h(
          'tbody',
          null,
          revs.map((r) =>
            h(
              'tr',
              { 'data-testid': 'revision-row', 'data-revision': r.id },
              h('td', { class: 'revision-msg', 'data-testid': 'revision-row-message' }, r.message),
              h('td', { class: 'muted' }, revisionTime(r.time)),
              h('td', null, h('code', { title: r.id }, r.id.slice(0, 12))),
              h(
                'td',
                { class: 'revision-actions' },
                button({ icon: 'eye', label: 'Diff', cls: 'ghost', title: 'Compare this revision with the note now', testid: 'revision-diff', onClick: () => void this.diff(r) }),
                button({ icon: 'restore', label: 'Restore', cls: 'ghost', title: 'Make this revision the note’s content', testid: 'revision-restore', onClick: () => void this.restore(r) }),
              ),
            ),
          ),
        ),
      ),
    );
  }

  /** save records the note as a revision with the message typed; an empty message is refused here and by the server. */
  async save(): Promise<void> {
    const msg = this.message.value.trim();
    if (!msg) {
      this.showProblem('Give the revision a message.');
      this.message.focus();
      return;
    }
    if (this.busy) return;
    this.busy = true;
    this.saveBtn.disabled = true;
    this.showProblem('');
    try {
      const r = await this.deps.api.checkpointNote(this.deps.noteId, msg);
      if (r.created) {
        this.message.value = '';
        toast(`Saved revision “${msg}”.`, 'ok');
      } else this.showProblem('Nothing changed since the latest revision: no revision saved.', 'info');
      await this.refresh();
    } catch (e) {
      this.showProblem(`Could not save the revision: ${(e as Error).message}`);
    } finally {
      this.busy = false;
      this.saveBtn.disabled = false;
    }
  }

  /** diff shows the revision against the note as it is now. */
  async diff(r: Revision): Promise<void> {
    const current = this.deps.current();
    if (!current) return;
    let then: Note;
    try {
      then = await this.deps.api.getRevision(this.deps.noteId, r.id);
    } catch (e) {
      this.showProblem(`Could not read the revision: ${(e as Error).message}`);
      return;
    }
    this.showDiff(r, noteDiff(then, current));
  }

  private showDiff(r: Revision, d: ParagraphDiff[]): void {
    clear(this.diffEl);
    this.diffEl.hidden = false;
    const c = diffCounts(d);
    const summary = c.added + c.removed + c.changed === 0 ? 'The note is the same as this revision.' : `${c.changed} changed, ${c.added} added, ${c.removed} removed, ${c.same} unchanged`;
    this.diffEl.append(
      h(
        'div',
        { class: 'revision-diff-head' },
        h('strong', null, `“${r.message}” → the note now`),
        ' ',
        h('span', { class: 'muted', 'data-testid': 'revision-diff-summary' }, summary),
        h('div', { class: 'muted small' }, '− lines are only in the revision, + lines only in the note now.'),
      ),
    );
    d.forEach((p, i) => {
      if (p.change === 'same') return;
      const title = p.title ? `“${p.title}”` : `Paragraph ${i + 1}`;
      this.diffEl.append(
        h(
          'div',
          { class: 'diff-para', 'data-change': p.change, 'data-testid': 'diff-paragraph', 'data-paragraph': p.id },
          h('div', { class: 'diff-para-head' }, h('span', { class: 'diff-badge' }, changeLabel[p.change]), ' ', title),
          p.titleChange ? h('div', { class: 'diff-title muted small' }, `title: “${p.titleChange.from}” → “${p.titleChange.to}”`) : null,
          h(
            'pre',
            { class: 'diff-lines' },
            p.lines.map((l) => h('div', { class: 'diff-line', 'data-op': l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'keep', 'data-testid': 'diff-line' }, `${l.op === ' ' ? ' ' : l.op === '-' ? '−' : '+'} ${l.text}`)),
          ),
        ),
      );
    });
    this.diffEl.scrollIntoView?.({ block: 'nearest' });
  }

  /** showProblem shows what went wrong (or, as info, what did not happen) in the dialog; '' hides it. */
  private showProblem(msg: string, kind: 'error' | 'info' = 'error'): void {
    this.problem.className = kind === 'error' ? 'refused-msg' : 'muted';
    this.problem.textContent = msg;
    this.problem.hidden = msg === '';
  }

  /** restore asks first, then makes the revision the note's content. */
  async restore(r: Revision): Promise<void> {
    const ok = await confirm('Restore this revision?', `The note’s paragraphs become those of “${r.message}” (${revisionTime(r.time)}). Changes since then are lost unless you save them as a revision first.`, 'Restore');
    if (!ok) return;
    try {
      await this.deps.flush();
      await this.deps.api.restoreRevision(this.deps.noteId, r.id);
    } catch (e) {
      this.showProblem(`Could not restore the revision: ${(e as Error).message}`);
      return;
    }
    this.dismiss();
    toast(`Restored “${r.message}”.`, 'ok');
    await this.deps.onRestored();
  }
}
