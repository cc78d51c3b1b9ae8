// The sign-in page, shown in place of whatever page answered 401: a name and
// a password posted to /api/v1/login. On success the page that was asked
// for is shown, at the same address. The header's account area shows who is
// signed in, links to their pages and signs out.

import { ApiError, type Api } from '../api';
import type { Me, User } from '../model/access';
import { button, h, setText } from './dom';
import './access.css';

export interface LoginDeps {
  api: Api;
  /** Called once signed in; the app renders the address it was at. */
  onSignedIn: (user: User) => void;
}

/** loginError says why a sign-in failed, in the server's words where it gave some. */
export function loginError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429) return e.message || 'Too many attempts; wait a minute and try again.';
    if (e.status === 0) return 'Eddy cannot be reached. Check the connection and try again.';
    return e.message || 'Sign-in failed.';
  }
  return (e as Error).message;
}

export class LoginPage {
  readonly el: HTMLElement;
  private readonly name = h('input', { class: 'input', name: 'name', autocomplete: 'username', spellcheck: false, required: true, 'aria-label': 'Name', 'data-testid': 'login-name' });
  private readonly password = h('input', { class: 'input', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-label': 'Password', 'data-testid': 'login-password' });
  private readonly error = h('div', { class: 'login-error', role: 'alert', 'data-testid': 'login-error', hidden: true });
  private readonly submit = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'login-submit' }, 'Sign in');

  constructor(private readonly deps: LoginDeps) {
    this.el = h(
      'div',
      { class: 'page login', 'data-testid': 'login-page' },
      h(
        'form',
        {
          class: 'card login-card',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void this.signIn();
          },
        },
        h('h1', null, 'Sign in to Eddy'),
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Name'), this.name),
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Password'), this.password),
        this.error,
        this.submit,
        h('p', { class: 'muted small' }, 'Started Eddy yourself? Open the link that ', h('code', null, 'eddy serve'), ' printed to sign in as its admin.'),
      ),
    );
  }

  async mount(): Promise<void> {
    document.title = 'Sign in · Eddy';
    this.name.focus();
  }

  destroy(): void {}

  private async signIn(): Promise<void> {
    const name = this.name.value.trim();
    if (!name || !this.password.value) return;
    this.submit.disabled = true;
    this.error.hidden = true;
    try {
      const user = await this.deps.api.login(name, this.password.value);
      this.password.value = '';
      this.deps.onSignedIn(user);
    } catch (e) {
      setText(this.error, loginError(e));
      this.error.hidden = false;
      this.password.select();
    } finally {
      this.submit.disabled = false;
    }
  }
}

/** accountLinks are the header's links for a signed-in user: their tokens, and Users and Audit for an admin. */
export function accountLinks(user: User): Array<{ href: string; label: string; testid: string }> {
  const links = [{ href: '/settings/tokens', label: 'API tokens', testid: 'nav-tokens' }];
  if (user.role === 'admin') links.unshift({ href: '/admin/users', label: 'Users', testid: 'nav-users' }, { href: '/admin/audit', label: 'Audit', testid: 'nav-audit' });
  return links;
}

/** renderAccount fills the header's account area: who is signed in, their pages, Sign out. */
export function renderAccount(el: HTMLElement, me: Me | null, onSignOut: () => void): void {
  if (!me || me.kind !== 'user') {
    el.replaceChildren();
    el.hidden = true;
    return;
  }
  const u = me.user;
  el.hidden = false;
  el.replaceChildren(
    ...accountLinks(u).map((l) => h('a', { href: l.href, 'data-link': '', 'data-testid': l.testid }, l.label)),
    h('span', { class: 'account-who', 'data-testid': 'account-who', title: `Signed in as ${u.name} (${u.role})` }, h('span', { class: 'account-name' }, u.name), h('span', { class: 'role-badge', 'data-role': u.role }, u.role)),
    button({ label: 'Sign out', cls: 'ghost small', testid: 'sign-out', onClick: onSignOut }),
  );
}
