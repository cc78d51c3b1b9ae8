// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api';
import { controlsFor, type CreatedShare, type Permissions, type Share } from '../model/access';
import { paragraph, paragraphHost } from '../fixtures';
import type { NoteSession } from '../noteSession';
import type { Paragraph } from '../schema';
import { LoginPage, loginError, renderAccount } from './login';
import { ParagraphView } from './paragraph';
import { ShareDialog } from './shareDialog';

afterEach(() => document.body.replaceChildren());

/** view renders one paragraph with the controls of a scope, recording what reaches the session. */
function view(p: Paragraph, scope: 'view' | 'run' | 'edit' | undefined, resultOnly = false) {
  const calls: string[] = [];
  const session = {
    paragraph: () => p,
    live: { get: () => undefined },
    hasUnsavedText: () => false,
    edit: (_pid: string, patch: unknown) => void calls.push('edit ' + JSON.stringify(patch)),
    editText: () => void calls.push('editText'),
    run: async () => void calls.push('run'),
    moveParagraph: async (_pid: string, i: number) => void calls.push(`move ${i}`),
  } as unknown as NoteSession;
  const host = paragraphHost(session, { count: () => 3, indexOf: () => 1, insertAt: (i) => void calls.push(`insert ${i}`), ...(scope ? { controls: controlsFor(scope) } : {}), resultOnly });
  const v = new ParagraphView(p.id, host);
  document.body.replaceChildren(v.el);
  const count = (testid: string) => v.el.querySelectorAll(`[data-testid=${testid}]`).length;
  const press = (code: string, mods: KeyboardEventInit = {}) => v.el.dispatchEvent(new KeyboardEvent('keydown', { code, bubbles: true, cancelable: true, ...mods }));
  return { v, calls, count, press };
}

const saved: Paragraph['results'] = { code: 'SUCCESS', msg: [{ type: 'HTML', data: '<b>42</b>' }] };

describe('ParagraphView by scope', () => {
  it('view: no run, cancel, menu or editor toggle, a read-only editor and title, and no shortcut acts', () => {
    const { v, calls, count, press } = view(paragraph({ text: '%flink.ssql\nSELECT 1', title: 'Count', config: { title: true }, status: 'FINISHED', results: saved }), 'view');
    for (const id of ['run-paragraph', 'cancel-paragraph', 'paragraph-menu', 'toggle-editor']) expect(count(id)).toBe(0);
    const content = v.el.querySelector('.cm-content') as HTMLElement;
    expect(content.getAttribute('contenteditable')).toBe('false');
    expect((v.el.querySelector('.para-title') as HTMLInputElement).readOnly).toBe(true);
    press('Enter', { shiftKey: true });
    press('KeyK', { ctrlKey: true, altKey: true });
    press('KeyO', { ctrlKey: true, altKey: true });
    expect(calls).toEqual([]);
    expect(v.el.querySelector('[data-testid=result]')?.textContent).toContain('42');
  });

  it('run: Run and Cancel only; Shift+Enter runs, editing shortcuts do nothing', async () => {
    const { v, calls, count, press } = view(paragraph({ text: '%flink.ssql\nSELECT 1', config: { editorHide: true } }), 'run');
    expect(count('run-paragraph')).toBe(1);
    expect(count('cancel-paragraph')).toBe(1);
    expect(count('paragraph-menu')).toBe(0);
    expect(count('toggle-editor')).toBe(0);
    press('KeyK', { ctrlKey: true, altKey: true });
    press('Enter', { shiftKey: true });
    await Promise.resolve();
    expect(calls).toEqual(['run']);
    expect(v.el.dataset['readonly']).toBe('');
  });

  it('edit (and a signed-in user): every control, an editable editor', () => {
    for (const scope of ['edit', undefined] as const) {
      const { v, count } = view(paragraph({ text: '%flink.ssql\nSELECT 1' }), scope);
      expect(count('run-paragraph') + count('paragraph-menu') + count('toggle-editor')).toBe(3);
      expect(v.el.querySelector('.cm-content')?.getAttribute('contenteditable')).toBe('true');
    }
  });

  it('offers Share paragraph in the menu only while the page may share', () => {
    const p = paragraph({ id: 'p7', text: '%flink.ssql\nSELECT 1', config: { editorHide: true } });
    const session = { paragraph: () => p, live: { get: () => undefined }, hasUnsavedText: () => false } as unknown as NoteSession;
    let shareable = false;
    const shared: string[] = [];
    const v = new ParagraphView(p.id, paragraphHost(session, { onShare: (pid) => void shared.push(pid), shareable: () => shareable }));
    document.body.replaceChildren(v.el);
    const menu = () => (v.el.querySelector('[data-testid=paragraph-menu]') as HTMLElement).click();
    menu();
    expect(document.querySelector('[data-testid=menu-share]')).toBeNull();
    document.body.replaceChildren(v.el);
    shareable = true;
    menu();
    (document.querySelector('[data-testid=menu-share]') as HTMLElement).click();
    expect(shared).toEqual(['p7']);
  });

  it('embed: the result alone', () => {
    const { v, count } = view(paragraph({ text: '%flink.ssql\nSELECT 1', status: 'FINISHED', results: saved }), 'view', true);
    expect(count('result')).toBe(1);
    expect(v.el.querySelector('.para-head')).toBeNull();
    expect(v.el.querySelector('.cm-editor')).toBeNull();
  });
});

/** fakeApi records calls and answers the share routes from the given data. */
function fakeApi(shares: Share[], perms: Permissions, created?: CreatedShare) {
  const calls: string[] = [];
  const api = {
    listShares: vi.fn(async () => shares.filter((s) => !s.revoked)),
    createShare: vi.fn(async (noteId: string, s: unknown) => {
      calls.push(`create ${noteId} ${JSON.stringify(s)}`);
      if (!created) throw new ApiError(403, 'only the note’s owners may share it', 'forbidden');
      shares.push(created);
      return created;
    }),
    revokeShare: vi.fn(async (id: string) => {
      calls.push(`revoke ${id}`);
      const s = shares.find((x) => x.id === id);
      if (s) s.revoked = true;
    }),
    getPermissions: vi.fn(async () => perms),
    setPermissions: vi.fn(async (_n: string, p: Permissions) => {
      calls.push('perms ' + JSON.stringify(p));
      Object.assign(perms, p);
    }),
  };
  return { api: api as unknown as Api, calls };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('ShareDialog', () => {
  const existing: Share = { id: 's0', scope: 'run', paragraphId: null, expiresAt: null, createdBy: 'ann', created: '2026-01-01T10:00:00Z', lastUsed: null, revoked: false };
  const made: CreatedShare = { id: 's1', scope: 'view', paragraphId: 'p2', expiresAt: null, createdBy: 'ann', created: '2026-01-02T10:00:00Z', url: 'http://h/view/N/paragraph/p2#share=T', embedUrl: 'http://h/embed/N/p2#share=T', token: 'T', noteId: 'N' };

  it('creates a paragraph link, shows its URLs once, and lists it', async () => {
    const { api, calls } = fakeApi([{ ...existing }], { owners: ['ann'], writers: [], runners: [], readers: [] }, { ...made });
    const d = new ShareDialog({ api, noteId: 'N', paragraphs: [{ id: 'p1', label: 'first' }, { id: 'p2', label: '<img src=x onerror=alert(1)>' }], paragraphId: 'p2' });
    await d.open();
    const q = (id: string) => document.querySelector(`[data-testid=${id}]`) as HTMLElement;
    expect(document.querySelectorAll('[data-testid=share-row]')).toHaveLength(1);
    expect((q('share-target') as HTMLSelectElement).value).toBe('p2');
    // A label is text, never markup.
    expect(document.querySelector('img')).toBeNull();
    q('share-create').click();
    await flush();
    expect(calls[0]).toBe('create N {"scope":"view","paragraphId":"p2"}');
    expect((q('share-url') as HTMLInputElement).value).toBe(made.url);
    expect((q('share-embed-url') as HTMLInputElement).value).toBe(made.embedUrl);
    expect((q('share-embed-snippet') as HTMLInputElement).value).toContain('<iframe src="http://h/embed/N/p2#share=T"');
    expect(document.querySelectorAll('[data-testid=share-row]')).toHaveLength(2);
    d.dismiss();
  });

  it('says why a link was not created', async () => {
    const { api } = fakeApi([], { owners: [], writers: [], runners: [], readers: [] });
    const d = new ShareDialog({ api, noteId: 'N', paragraphs: [] });
    await d.open();
    expect(document.querySelector('[data-testid=share-none]')).not.toBeNull();
    (document.querySelector('[data-testid=share-create]') as HTMLElement).click();
    await flush();
    expect(document.querySelector('.toast')?.textContent).toContain('only the note’s owners may share it');
    expect((document.querySelector('[data-testid=share-created]') as HTMLElement).hidden).toBe(true);
    d.dismiss();
  });

  it('edits the permissions as lists of names', async () => {
    const { api, calls } = fakeApi([], { owners: ['ann'], writers: ['ann', 'bob'], runners: [], readers: [] });
    const d = new ShareDialog({ api, noteId: 'N', paragraphs: [] });
    await d.open();
    const input = (k: string) => document.querySelector(`[data-testid=perm-${k}]`) as HTMLInputElement;
    expect(input('writers').value).toBe('ann, bob');
    expect(input('readers').value).toBe('');
    input('readers').value = 'carol,  dave carol';
    (document.querySelector('[data-testid=perm-save]') as HTMLElement).click();
    await flush();
    expect(calls).toEqual(['perms {"owners":["ann"],"writers":["ann","bob"],"runners":[],"readers":["carol","dave"]}']);
    d.dismiss();
  });
});

describe('LoginPage', () => {
  it('shows the server’s refusal and signs in on success', async () => {
    const login = vi.fn().mockRejectedValueOnce(new ApiError(401, 'wrong name or password', 'unauthorized')).mockResolvedValueOnce({ id: 'u1', name: 'ann', role: 'member' });
    const signedIn = vi.fn();
    const page = new LoginPage({ api: { login } as unknown as Api, onSignedIn: signedIn });
    document.body.replaceChildren(page.el);
    const q = (id: string) => page.el.querySelector(`[data-testid=${id}]`) as HTMLInputElement;
    q('login-name').value = 'ann';
    q('login-password').value = 'nope';
    page.el.querySelector('form')?.dispatchEvent(new Event('submit', { cancelable: true }));
    await flush();
    expect(q('login-error').hidden).toBe(false);
    expect(q('login-error').textContent).toBe('wrong name or password');
    expect(signedIn).not.toHaveBeenCalled();
    q('login-password').value = 'right';
    page.el.querySelector('form')?.dispatchEvent(new Event('submit', { cancelable: true }));
    await flush();
    expect(login).toHaveBeenLastCalledWith('ann', 'right');
    expect(signedIn).toHaveBeenCalledWith({ id: 'u1', name: 'ann', role: 'member' });
    expect(q('login-password').value).toBe('');
  });

  it('words a rate limit and an unreachable server', () => {
    expect(loginError(new ApiError(429, 'too many attempts'))).toBe('too many attempts');
    expect(loginError(new ApiError(0, 'network error: x'))).toContain('cannot be reached');
  });

  it('shows who is signed in, and the admin pages only to an admin', () => {
    const el = document.createElement('span');
    const out = vi.fn();
    renderAccount(el, { kind: 'user', user: { id: '1', name: 'ann', role: 'member' } }, out);
    expect(el.querySelector('[data-testid=account-who]')?.textContent).toBe('annmember');
    expect(el.querySelector('[data-testid=nav-users]')).toBeNull();
    expect(el.querySelector('[data-testid=nav-tokens]')).not.toBeNull();
    renderAccount(el, { kind: 'user', user: { id: '2', name: 'root', role: 'admin' } }, out);
    expect(el.querySelector('[data-testid=nav-users]')?.getAttribute('href')).toBe('/admin/users');
    expect(el.querySelector('[data-testid=nav-audit]')?.getAttribute('href')).toBe('/admin/audit');
    (el.querySelector('[data-testid=sign-out]') as HTMLElement).click();
    expect(out).toHaveBeenCalledOnce();
    renderAccount(el, { kind: 'link', share: { id: 's', noteId: 'N', scope: 'view' } }, out);
    expect(el.hidden).toBe(true);
    expect(el.childElementCount).toBe(0);
  });
});
