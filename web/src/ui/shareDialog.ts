// The Share dialog of a note, for its owner: create a link to the whole
// note or to one paragraph (view, run or edit; optionally expiring), shown
// once with Copy — a paragraph link with its embed URL and iframe snippet
// too; the links made so far, each with Revoke; and who may read, run,
// write and own the note (Zeppelin's permissions).

import type { Api } from '../api';
import { embedSnippet, expiryFrom, parseNameList, scopeLabel, type CreatedShare, type Permissions, type Share, type ShareScope } from '../model/access';
import { formatTime } from '../model/format';
import { cancelButton, dialogShell, modal } from './appParts';
import { button, h, setText } from './dom';
import './access.css';
import { confirm, toast } from './overlay';

/** A paragraph the dialog can share on its own. */
export interface ShareTarget {
  id: string;
  label: string;
}

export interface ShareDeps {
  api: Api;
  noteId: string;
  paragraphs: ShareTarget[];
  /** The paragraph preselected (the dialog was opened from its menu). */
  paragraphId?: string;
}

const EXPIRIES: Array<[string, string]> = [
  ['', 'Never'],
  ['1h', 'In 1 hour'],
  ['1d', 'In 1 day'],
  ['7d', 'In 7 days'],
  ['30d', 'In 30 days'],
];

const LEVELS: Array<[keyof Permissions, string]> = [
  ['owners', 'Owners'],
  ['writers', 'Writers'],
  ['runners', 'Runners'],
  ['readers', 'Readers'],
];

/** copyText puts text on the clipboard; false when the browser refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** copyField is a read-only field with a Copy button beside it. */
export function copyField(label: string, value: string, testid: string): HTMLElement {
  const input = h('input', { class: 'input mono', readOnly: true, value, 'aria-label': label, 'data-testid': testid, onfocus: (e: Event) => (e.target as HTMLInputElement).select() });
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'field-label' }, label),
    h(
      'span',
      { class: 'copy-row' },
      input,
      button({
        icon: 'copy',
        label: 'Copy',
        testid: testid + '-copy',
        onClick: () =>
          void copyText(value).then((ok) => {
            if (ok) toast('Copied.', 'ok');
            else {
              input.focus();
              input.select();
              toast('Press Ctrl+C to copy.', 'info');
            }
          }),
      }),
    ),
  );
}

function when(t: string | null | undefined): string {
  if (!t) return '—';
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : formatTime(ms);
}

export class ShareDialog {
  readonly el: HTMLElement;
  private readonly scope = h(
    'select',
    { class: 'input', name: 'scope', 'data-testid': 'share-scope' },
    h('option', { value: 'view' }, 'View — see the note and its live results'),
    h('option', { value: 'run' }, 'Run — view, and run or cancel paragraphs'),
    h('option', { value: 'edit' }, 'Edit — change the note too'),
  );
  private readonly target: HTMLSelectElement;
  private readonly expiry = h('select', { class: 'input', name: 'expiry', 'data-testid': 'share-expiry' }, ...EXPIRIES.map(([v, l]) => h('option', { value: v }, l)));
  private readonly created = h('div', { class: 'share-created', 'data-testid': 'share-created', hidden: true });
  private readonly list = h('div', { class: 'share-list', 'data-testid': 'share-list' });
  private readonly perms = new Map<keyof Permissions, HTMLInputElement>();
  private readonly permsNote = h('div', { class: 'muted small', 'data-testid': 'permissions-state' });
  private readonly createBtn: HTMLButtonElement;
  private close: (() => void) | null = null;

  constructor(private readonly deps: ShareDeps) {
    this.target = h(
      'select',
      { class: 'input', name: 'target', 'data-testid': 'share-target' },
      h('option', { value: '' }, 'The whole note'),
      ...deps.paragraphs.map((p) => h('option', { value: p.id }, `Paragraph: ${p.label}`)),
    );
    if (deps.paragraphId && deps.paragraphs.some((p) => p.id === deps.paragraphId)) this.target.value = deps.paragraphId;
    this.createBtn = button({ icon: 'link', label: 'Create link', cls: 'primary', testid: 'share-create', onClick: () => void this.create() });
    const permFields = LEVELS.map(([k, label]) => {
      const input = h('input', { class: 'input', name: k, placeholder: 'everyone signed in', autocomplete: 'off', spellcheck: false, 'data-testid': `perm-${k}` });
      this.perms.set(k, input);
      return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input);
    });
    const body = h(
      'div',
      { class: 'share-body' },
      h('section', { class: 'share-section' }, h('h3', null, 'Share a link'), h('div', { class: 'share-form' }, h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Who opens it can'), this.scope), h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'What'), this.target), h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Expires'), this.expiry)), h('div', { class: 'share-actions' }, this.createBtn), this.created),
      h('section', { class: 'share-section' }, h('h3', null, 'Links'), this.list),
      h(
        'section',
        { class: 'share-section' },
        h('h3', null, 'Permissions'),
        h('p', { class: 'muted small' }, 'User names, separated by commas. An empty list means every signed-in user. Owners can also write, writers run, runners read.'),
        h('div', { class: 'perm-grid' }, ...permFields),
        h('div', { class: 'share-actions' }, this.permsNote, button({ label: 'Save permissions', testid: 'perm-save', onClick: () => void this.savePermissions() })),
      ),
    );
    const closeBtn = cancelButton(() => this.dismiss(), 'share-close');
    const label = closeBtn.querySelector('.btn-label');
    if (label) setText(label, 'Close');
    this.el = dialogShell('Share', 'share-dialog', body, [closeBtn], 'wide');
  }

  /** open shows the dialog and reads the note's links and permissions. */
  async open(): Promise<void> {
    this.close = modal(this.el, () => this.dismiss());
    this.scope.focus();
    await Promise.all([this.loadShares(), this.loadPermissions()]);
  }

  dismiss(): void {
    this.close?.();
    this.close = null;
  }

  private async create(): Promise<void> {
    this.createBtn.disabled = true;
    try {
      const pid = this.target.value || undefined;
      const expiresAt = expiryFrom(this.expiry.value);
      const s = await this.deps.api.createShare(this.deps.noteId, { scope: this.scope.value as ShareScope, ...(pid ? { paragraphId: pid } : {}), ...(expiresAt ? { expiresAt } : {}) });
      this.showCreated(s);
      await this.loadShares();
    } catch (e) {
      toast(`Could not create the link: ${(e as Error).message}`, 'error');
    } finally {
      this.createBtn.disabled = false;
    }
  }

  /** showCreated shows a new link's URLs: the only time they can be copied. */
  private showCreated(s: CreatedShare): void {
    const parts: HTMLElement[] = [h('p', { class: 'share-once' }, `Copy the link now: it is shown only once. Anyone who has it ${s.scope === 'view' ? 'can view' : scopeLabel(s.scope)} ${s.paragraphId ? 'this paragraph' : 'this note'} until it is revoked${s.expiresAt ? ' or expires' : ''}.`), copyField('Link', s.url, 'share-url')];
    if (s.embedUrl) parts.push(copyField('Embed URL', s.embedUrl, 'share-embed-url'), copyField('Embed in a page', embedSnippet(s.embedUrl), 'share-embed-snippet'));
    this.created.replaceChildren(...parts);
    this.created.hidden = false;
  }

  private async loadShares(): Promise<void> {
    let shares: Share[];
    try {
      shares = await this.deps.api.listShares(this.deps.noteId);
    } catch (e) {
      this.list.replaceChildren(h('p', { class: 'muted' }, `Could not list the links: ${(e as Error).message}`));
      return;
    }
    const live = shares.filter((s) => !s.revoked);
    if (live.length === 0) {
      this.list.replaceChildren(h('p', { class: 'muted small', 'data-testid': 'share-none' }, 'No links yet.'));
      return;
    }
    const label = (pid: string | null | undefined) => (pid ? (this.deps.paragraphs.find((p) => p.id === pid)?.label ?? pid) : 'Whole note');
    this.list.replaceChildren(
      h(
        'table',
        { class: 'admin-table' },
        h('thead', null, h('tr', null, ...['Scope', 'What', 'Created by', 'Created', 'Last used', 'Expires', ''].map((t) => h('th', null, t)))),
        h(
          'tbody',
          null,
          ...live.map((s) =>
            h(
              'tr',
              { 'data-testid': 'share-row', 'data-share-id': s.id },
              h('td', null, h('span', { class: 'scope-badge', 'data-scope': s.scope }, s.scope)),
              h('td', null, label(s.paragraphId)),
              h('td', null, s.createdBy),
              h('td', null, when(s.created)),
              h('td', null, when(s.lastUsed)),
              h('td', null, s.expiresAt ? when(s.expiresAt) : 'Never'),
              h('td', { class: 'cell-actions' }, button({ label: 'Revoke', cls: 'danger ghost', testid: 'share-revoke', onClick: () => void this.revoke(s) })),
            ),
          ),
        ),
      ),
    );
  }

  private async revoke(s: Share): Promise<void> {
    if (!(await confirm('Revoke link?', 'Whoever has the link loses access at once, including pages open now.', 'Revoke'))) return;
    try {
      await this.deps.api.revokeShare(s.id);
      toast('Link revoked.', 'ok');
    } catch (e) {
      toast(`Could not revoke: ${(e as Error).message}`, 'error');
    }
    await this.loadShares();
  }

  private async loadPermissions(): Promise<void> {
    try {
      const p = await this.deps.api.getPermissions(this.deps.noteId);
      for (const [k] of LEVELS) {
        const input = this.perms.get(k);
        if (input) input.value = p[k].join(', ');
      }
      setText(this.permsNote, '');
    } catch (e) {
      setText(this.permsNote, `Could not read the permissions: ${(e as Error).message}`);
    }
  }

  private async savePermissions(): Promise<void> {
    const p: Permissions = { owners: [], writers: [], runners: [], readers: [] };
    for (const [k] of LEVELS) p[k] = parseNameList(this.perms.get(k)?.value ?? '');
    try {
      await this.deps.api.setPermissions(this.deps.noteId, p);
      setText(this.permsNote, 'Saved.');
      toast('Permissions saved.', 'ok');
      await this.loadPermissions();
      setText(this.permsNote, 'Saved.');
    } catch (e) {
      setText(this.permsNote, '');
      toast(`Could not save the permissions: ${(e as Error).message}`, 'error');
    }
  }
}
