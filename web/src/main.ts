// Entry point: app shell, routing, one websocket per tab.

import { Api, ApiError } from './api';
import { canonicalPath, isHashRoute, route } from './router';
import type { ClusterStatus } from './schema';
import { ApplicationPage } from './ui/applicationPage';
import { ApplicationsPage } from './ui/applications';
import { h, icon, setText } from './ui/dom';
import { CatalogPage } from './ui/catalogPage';
import { HomePage } from './ui/home';
import { NotePage } from './ui/notePage';
import { WsClient, wsURL } from './ws';
import './styles.css';

interface Page {
  el: HTMLElement;
  mount(): Promise<void>;
  destroy(): void;
}

const api = new Api();
const ws = new WsClient({ url: wsURL() });
const main = h('main', { class: 'content' });
const clusterChip = h('span', { class: 'cluster-chip', 'data-testid': 'cluster-chip' });
let current: Page | null = null;

function shell(): HTMLElement {
  return h(
    'div',
    { class: 'app' },
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '/', 'data-link': '' }, icon('logo', 'brand-icon'), h('span', null, 'Eddy')),
      h('nav', { class: 'topnav' }, h('a', { href: '/', 'data-link': '' }, 'Notebooks'), h('a', { href: '/catalog', 'data-link': '', 'data-testid': 'nav-catalog' }, 'Catalog'), h('a', { href: '/applications', 'data-link': '', 'data-testid': 'nav-applications' }, 'Applications')),
      h('span', { class: 'spacer' }),
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
    if (e instanceof ApiError && e.unauthorized) showLogin();
  }
}

function showLogin(): void {
  current?.destroy();
  current = null;
  const input = h('input', { class: 'input', name: 'token', placeholder: 'token', autocomplete: 'off', 'aria-label': 'Token' });
  main.replaceChildren(
    h(
      'div',
      { class: 'page login' },
      h(
        'form',
        {
          class: 'card login-card',
          onsubmit: (e: Event) => {
            e.preventDefault();
            if (input.value.trim()) location.href = '/?token=' + encodeURIComponent(input.value.trim());
          },
        },
        h('h1', null, 'Sign in to Eddy'),
        h('p', { class: 'muted' }, 'Open the link that ', h('code', null, 'eddy serve'), ' printed at start (', h('code', null, 'http://…/?token=…'), '), or paste its token here.'),
        input,
        h('button', { type: 'submit', class: 'btn primary' }, 'Continue'),
      ),
    ),
  );
  input.focus();
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
ws.connect();
void render();
showCluster(null);
void pollCluster();
