// Account pages: Users and Audit for admins, and each user's own API
// tokens. Plain tables with one form each; every value is user content and
// goes in as text.

import { ApiError, type Api } from '../api';
import type { ApiToken, AuditEvent, User, UserAccount } from '../model/access';
import { formatTime } from '../model/format';
import { button, h, setText } from './dom';
import './access.css';
import { confirm, toast } from './overlay';
import { copyField } from './shareDialog';

/** How many audit events a page of the Audit table reads. */
export const AUDIT_PAGE = 50;

function when(t: string | null | undefined): string {
  if (!t) return '—';
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : formatTime(ms);
}

function table(testid: string, heads: string[], rows: HTMLElement[]): HTMLElement {
  return h('table', { class: 'admin-table', 'data-testid': testid }, h('thead', null, h('tr', null, ...heads.map((t) => h('th', null, t)))), h('tbody', null, ...rows));
}

/** refusedText says why a page could not load: a member on an admin page is told so plainly. */
function refusedText(e: unknown, what: string): string {
  if (e instanceof ApiError && e.status === 403) return `Only admins can see ${what}.`;
  return `Could not load ${what}: ${(e as Error).message}`;
}

function pageShell(title: string, testid: string, ...children: Array<Node | null>): HTMLElement {
  return h('div', { class: 'page admin-page', 'data-testid': testid }, h('div', { class: 'page-head' }, h('h1', null, title)), ...children);
}

/** UsersPage lists the accounts and lets an admin create and delete them. */
export class UsersPage {
  readonly el: HTMLElement;
  private readonly listEl = h('div', { class: 'admin-list' });
  private readonly name = h('input', { class: 'input', name: 'name', placeholder: 'name', autocomplete: 'off', spellcheck: false, required: true, 'data-testid': 'user-name' });
  private readonly password = h('input', { class: 'input', name: 'password', type: 'password', placeholder: 'password', autocomplete: 'new-password', required: true, 'data-testid': 'user-password' });
  private readonly role = h('select', { class: 'input', name: 'role', 'data-testid': 'user-role' }, h('option', { value: 'member' }, 'member'), h('option', { value: 'admin' }, 'admin'));

  constructor(private readonly deps: { api: Api; me: User | null }) {
    const form = h(
      'form',
      {
        class: 'admin-form card',
        'data-testid': 'user-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.create();
        },
      },
      h('span', { class: 'field-label' }, 'New user'),
      this.name,
      this.password,
      this.role,
      h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'user-create' }, 'Create user'),
    );
    this.el = pageShell('Users', 'users-page', form, this.listEl);
  }

  async mount(): Promise<void> {
    document.title = 'Users · Eddy';
    await this.load();
  }

  destroy(): void {}

  private async load(): Promise<void> {
    let users: UserAccount[];
    try {
      users = await this.deps.api.listUsers();
    } catch (e) {
      if (e instanceof ApiError && e.unauthorized) throw e;
      this.listEl.replaceChildren(h('p', { class: 'muted', 'data-testid': 'users-error' }, refusedText(e, 'the users')));
      return;
    }
    this.listEl.replaceChildren(
      table(
        'users-table',
        ['Name', 'Role', 'Created', ''],
        users.map((u) =>
          h(
            'tr',
            { 'data-testid': 'user-row', 'data-user': u.name },
            h('td', null, u.name),
            h('td', null, h('span', { class: 'role-badge', 'data-role': u.role }, u.role)),
            h('td', null, when(u.created)),
            h('td', { class: 'cell-actions' }, u.id === this.deps.me?.id ? h('span', { class: 'muted small' }, 'you') : button({ label: 'Delete', cls: 'danger ghost', testid: 'user-delete', onClick: () => void this.remove(u) })),
          ),
        ),
      ),
    );
  }

  private async create(): Promise<void> {
    const name = this.name.value.trim();
    if (!name || !this.password.value) return;
    try {
      await this.deps.api.createUser(name, this.password.value, this.role.value === 'admin' ? 'admin' : 'member');
      toast(`User ${name} created.`, 'ok');
      this.name.value = '';
      this.password.value = '';
      await this.load();
    } catch (e) {
      toast(`Could not create the user: ${(e as Error).message}`, 'error');
    }
  }

  private async remove(u: UserAccount): Promise<void> {
    if (!(await confirm(`Delete ${u.name}?`, 'The account, its sessions and its API tokens stop working at once. Its notes stay.'))) return;
    try {
      await this.deps.api.deleteUser(u.id);
      toast(`User ${u.name} deleted.`, 'ok');
    } catch (e) {
      toast(`Could not delete: ${(e as Error).message}`, 'error');
    }
    await this.load();
  }
}

/** AuditPage shows the audit log, newest first, a page at a time. */
export class AuditPage {
  readonly el: HTMLElement;
  private readonly body = h('tbody');
  private readonly status = h('p', { class: 'muted small', 'data-testid': 'audit-status' });
  private readonly more: HTMLButtonElement;
  private last: AuditEvent | undefined;

  constructor(private readonly deps: { api: Api }) {
    this.more = button({ label: 'Load more', testid: 'audit-more', onClick: () => void this.load() });
    this.more.hidden = true;
    this.el = pageShell(
      'Audit',
      'audit-page',
      h('p', { class: 'muted' }, 'Sign-ins, runs, shares and changes of access, newest first.'),
      h('table', { class: 'admin-table', 'data-testid': 'audit-table' }, h('thead', null, h('tr', null, ...['When', 'Who', 'Via', 'Action', 'Note', 'Detail'].map((t) => h('th', null, t)))), this.body),
      h('div', { class: 'admin-more' }, this.status, this.more),
    );
  }

  async mount(): Promise<void> {
    document.title = 'Audit · Eddy';
    await this.load();
  }

  destroy(): void {}

  private async load(): Promise<void> {
    this.more.disabled = true;
    let events: AuditEvent[];
    try {
      events = await this.deps.api.audit(AUDIT_PAGE, this.last?.id);
    } catch (e) {
      if (e instanceof ApiError && e.unauthorized) throw e;
      setText(this.status, refusedText(e, 'the audit log'));
      return;
    } finally {
      this.more.disabled = false;
    }
    for (const ev of events) {
      this.body.append(
        h(
          'tr',
          { 'data-testid': 'audit-row', 'data-action': ev.action },
          h('td', { class: 'nowrap' }, when(ev.at)),
          h('td', null, ev.actor),
          h('td', null, h('span', { class: 'via-badge', 'data-via': ev.via }, ev.via)),
          h('td', null, h('span', { class: 'action-name' }, ev.action)),
          h('td', null, ev.noteId ? h('a', { href: `/notebook/${encodeURIComponent(ev.noteId)}`, 'data-link': '' }, ev.noteId) : '—'),
          h('td', { class: 'detail' }, ev.detail ?? ''),
        ),
      );
    }
    if (events.length > 0) this.last = events[events.length - 1];
    this.more.hidden = events.length < AUDIT_PAGE;
    const n = this.body.childElementCount;
    setText(this.status, n === 0 ? 'No events yet.' : `${n} event${n === 1 ? '' : 's'} shown${this.more.hidden ? ', the oldest included' : ''}.`);
  }
}

/** TokensPage lists the user's own API tokens, makes new ones (shown once) and revokes them. */
export class TokensPage {
  readonly el: HTMLElement;
  private readonly listEl = h('div', { class: 'admin-list' });
  private readonly created = h('div', { class: 'share-created', 'data-testid': 'token-created', hidden: true });
  private readonly name = h('input', { class: 'input', name: 'name', placeholder: 'e.g. CI pipeline', autocomplete: 'off', required: true, 'data-testid': 'token-name' });

  constructor(private readonly deps: { api: Api }) {
    const form = h(
      'form',
      {
        class: 'admin-form card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.create();
        },
      },
      h('span', { class: 'field-label' }, 'New token'),
      this.name,
      h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'token-create' }, 'Create token'),
    );
    this.el = pageShell('API tokens', 'tokens-page', h('p', { class: 'muted' }, 'A token acts as you from scripts and from Zeppelin clients: send it as Authorization: Bearer <token>.'), form, this.created, this.listEl);
  }

  async mount(): Promise<void> {
    document.title = 'API tokens · Eddy';
    await this.load();
  }

  destroy(): void {}

  private async load(): Promise<void> {
    let tokens: ApiToken[];
    try {
      tokens = await this.deps.api.listTokens();
    } catch (e) {
      if (e instanceof ApiError && e.unauthorized) throw e;
      this.listEl.replaceChildren(h('p', { class: 'muted' }, refusedText(e, 'your tokens')));
      return;
    }
    this.listEl.replaceChildren(
      tokens.length === 0
        ? h('p', { class: 'muted small', 'data-testid': 'tokens-none' }, 'No tokens yet.')
        : table(
            'tokens-table',
            ['Name', 'Created', 'Last used', ''],
            tokens.map((t) =>
              h(
                'tr',
                { 'data-testid': 'token-row' },
                h('td', null, t.name),
                h('td', null, when(t.created)),
                h('td', null, when(t.lastUsed)),
                h('td', { class: 'cell-actions' }, button({ label: 'Revoke', cls: 'danger ghost', testid: 'token-revoke', onClick: () => void this.revoke(t) })),
              ),
            ),
          ),
    );
  }

  private async create(): Promise<void> {
    const name = this.name.value.trim();
    if (!name) return;
    try {
      const t = await this.deps.api.createToken(name);
      this.name.value = '';
      this.created.replaceChildren(h('p', { class: 'share-once' }, `Copy the token “${t.name}” now: it is shown only once.`), copyField('Token', t.token ?? '', 'token-value'));
      this.created.hidden = false;
      await this.load();
    } catch (e) {
      toast(`Could not create the token: ${(e as Error).message}`, 'error');
    }
  }

  private async revoke(t: ApiToken): Promise<void> {
    if (!(await confirm(`Revoke ${t.name}?`, 'Scripts using this token are refused from now on.', 'Revoke'))) return;
    try {
      await this.deps.api.deleteToken(t.id);
      toast('Token revoked.', 'ok');
    } catch (e) {
      toast(`Could not revoke: ${(e as Error).message}`, 'error');
    }
    await this.load();
  }
}
