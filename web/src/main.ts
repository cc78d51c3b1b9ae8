// Entry point: app shell, routing, one websocket per tab.

import { Api, ApiError } from './api';
import { takeShareToken, tokenFromHash, wsProtocols, type Me } from './model/access';
import { canonicalPath, isHashRoute, isSharedRoute, route } from './router';
import type { ClusterStatus } from './schema';
import { ApplicationPage } from './ui/applicationPage';
import { ApplicationsPage } from './ui/applications';
import { h, icon, setText } from './ui/dom';
import { CatalogPage } from './ui/catalogPage';
import { AuditPage, TokensPage, UsersPage } from './ui/adminPages';
import { HomePage } from './ui/home';
import { LoginPage, renderAccount } from './ui/login';
import { endedPage, linkEnded, SharedView } from './ui/sharedView';
import { NotePage } from './ui/notePage';
import { WsClient, wsURL } from './ws';
import './styles.css';

interface Page {
  el: HTMLElement;
  mount(): Promise<void>;
  destroy(): void;
}

/** sessionStore is the tab's sessionStorage, or undefined where the browser refuses it. */
function sessionStore(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

// A page opened through a share link acts with the link's token, never with
// the tab's cookies; the token leaves the address bar before anything else.
const startRoute = route(location.pathname, location.hash);
const shared = isSharedRoute(startRoute);
const embedded = startRoute.page === 'embed';
const shareToken = shared ? takeShareToken(location, sessionStore(), (url) => history.replaceState(null, '', url)) : '';
const api = new Api('', undefined, undefined, () => shareToken);
const ws = new WsClient({ url: wsURL(), protocols: shared ? wsProtocols(shareToken) : [] });
const main = h('main', { class: 'content' });
const clusterChip = h('span', { class: 'cluster-chip', 'data-testid': 'cluster-chip' });
const account = h('span', { class: 'account', 'data-testid': 'account', hidden: true });
let current: Page | null = null;
/** Who the page acts as; null until known (or when the server has no accounts). */
let me: Me | null = null;

function shell(): HTMLElement {
  if (embedded) return h('div', { class: 'app embed-app' }, main);
  if (shared) return h('div', { class: 'app' }, h('header', { class: 'topbar' }, h('span', { class: 'brand' }, icon('logo', 'brand-icon'), h('span', null, 'Eddy'))), main);
  return h(
    'div',
    { class: 'app' },
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '/', 'data-link': '' }, icon('logo', 'brand-icon'), h('span', null, 'Eddy')),
      h('nav', { class: 'topnav' }, h('a', { href: '/', 'data-link': '' }, 'Notebooks'), h('a', { href: '/catalog', 'data-link': '', 'data-testid': 'nav-catalog' }, 'Catalog'), h('a', { href: '/applications', 'data-link': '', 'data-testid': 'nav-applications' }, 'Applications')),
      h('span', { class: 'spacer' }),
      account,
      clusterChip,
    ),
    main,
  );
}

export function navigate(path: string): void {
  if (path !== location.pathname) history.pushState(null, '', path);
  void render();
}

async function render(): Promise<void> {
  const r = route(location.pathname, location.hash);
  if (isHashRoute(location.hash)) history.replaceState(null, '', canonicalPath(r));
  current?.destroy();
  current = null;
  let page: Page;
  switch (r.page) {
    case 'home':
      page = new HomePage({ api, navigate });
      break;
    case 'catalog':
      page = new CatalogPage({ api });
      break;
    case 'applications':
      page = new ApplicationsPage({ api });
      break;
    case 'application':
      page = new ApplicationPage(r.applicationId, { api, navigate });
      break;
    case 'note':
      page = new NotePage(r.noteId, { api, ws, navigate }, r.paragraphId);
      break;
    case 'view':
    case 'embed': {
      const p = await sharedPage(r.noteId, r.paragraphId, r.page === 'embed');
      if (!p) return;
      page = p;
      break;
    }
    case 'users':
      page = new UsersPage({ api, me: me?.kind === 'user' ? me.user : null });
      break;
    case 'audit':
      page = new AuditPage({ api });
      break;
    case 'tokens':
      page = new TokensPage({ api });
      break;
    default:
      main.replaceChildren(h('div', { class: 'page' }, h('div', { class: 'empty' }, h('p', null, `Nothing at ${r.path}.`), h('a', { href: '/', 'data-link': '' }, 'Back to notebooks'))));
      return;
  }
  current = page;
  main.replaceChildren(page.el);
  window.scrollTo(0, 0);
  try {
    await page.mount();
  } catch (e) {
    if (e instanceof ApiError && e.unauthorized) {
      // A shared page has no one to sign in: its link stopped giving access.
      if (shared) main.replaceChildren(endedPage('The link was revoked or has expired.', embedded));
      else showLogin();
    }
  }
}

/**
 * sharedPage is the page of a share link: the note page itself for an edit
 * link, else the shared view. null when the link does not open (the page
 * then says why).
 */
async function sharedPage(noteId: string, paragraphId: string | undefined, embed: boolean): Promise<Page | null> {
  // The token stays stored: a reload asks the server again and says why the link does not open.
  const ended = (message: string) => {
    ws.close();
    main.replaceChildren(endedPage(message, embed));
    return null;
  };
  if (!shareToken) return ended('The address carries no access token. Open the link exactly as it was shared.');
  try {
    me = await api.me();
  } catch (e) {
    return ended(linkEnded(e) ? 'The link was revoked or has expired. Ask the note’s owner for a new one.' : `Eddy cannot be reached: ${(e as Error).message}`);
  }
  if (me.kind !== 'link') return ended('This address is not a share link.');
  if (me.share.noteId !== noteId) return ended('This link is for another note.');
  if (me.share.scope === 'edit' && !embed && !me.share.paragraphId) return new NotePage(noteId, { api, ws, navigate }, paragraphId);
  return new SharedView(noteId, paragraphId, embed, { api, ws, share: me.share, onEnded: () => ws.close() });
}

/** showLogin asks for a name and password in place of the page; once signed in the same address is rendered. */
function showLogin(): void {
  current?.destroy();
  // Nobody is signed in: the live connection would only be refused over and over.
  ws.close();
  const page = new LoginPage({
    api,
    onSignedIn: (user) => {
      me = { kind: 'user', user };
      void loadMe().then(() => {
        ws.connect();
        void pollCluster();
        void render();
      });
    },
  });
  current = page;
  main.replaceChildren(page.el);
  void page.mount();
}

/** loadMe reads who is signed in and shows it in the header; false when nobody is (401). */
async function loadMe(): Promise<boolean> {
  try {
    me = await api.me();
  } catch (e) {
    if (e instanceof ApiError && e.unauthorized) {
      me = null;
      renderAccount(account, null, signOut);
      return false;
    }
    // A server without accounts (or one not answering): the header shows no one.
  }
  renderAccount(account, me, signOut);
  return true;
}

async function signOut(): Promise<void> {
  try {
    await api.logout();
  } catch (e) {
    if (!(e instanceof ApiError && e.unauthorized)) return;
  }
  me = null;
  renderAccount(account, null, signOut);
  ws.close();
  history.pushState(null, '', '/');
  showLogin();
}

function showCluster(c: ClusterStatus | null): void {
  const starting = c?.state === 'starting';
  clusterChip.className = 'cluster-chip ' + (c === null ? 'unknown' : c.ready ? 'ok' : 'warn');
  setText(clusterChip, c === null ? 'Flink cluster…' : c.ready ? `Flink ${c.flinkVersion || ''} · ready`.replace('  ', ' ') : starting ? 'Starting Flink…' : c.state === 'failed' ? 'Flink did not start' : 'Flink cluster not ready');
  clusterChip.title = (starting ? c?.stage : c?.error) ?? (c?.mode ? `${c.mode} mode` : '');
}

/** pollCluster refreshes the cluster chip: every 3 s until ready, then every 15 s. */
async function pollCluster(): Promise<void> {
  let next = 15_000;
  try {
    const c = await api.cluster();
    showCluster(c);
    if (!c.ready) next = 3_000;
  } catch (e) {
    if (e instanceof ApiError && e.unauthorized) return;
    showCluster(null);
    next = 5_000;
  }
  setTimeout(() => void pollCluster(), next);
}

document.addEventListener('click', (e) => {
  const a = (e.target as HTMLElement).closest('a[data-link]') as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
});
window.addEventListener('popstate', () => void render());

document.body.replaceChildren(shell());
if (embedded) document.body.classList.add('embed-body');
if (shared) {
  // Another link of the same note pasted into this tab changes only the
  // hash, which loads nothing: load the page again to act with its token.
  window.addEventListener('hashchange', () => {
    if (tokenFromHash(location.hash)) location.reload();
  });
  ws.connect();
  void render();
} else {
  // The live connection opens once someone is signed in: before, the server would refuse it.
  void loadMe().then((signedIn) => {
    if (!signedIn) return showLogin();
    ws.connect();
    return render();
  });
  showCluster(null);
  void pollCluster();
}
