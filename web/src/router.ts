// Routes of the app. Zeppelin-style links (/#/notebook/ID) map to the same
// note page as /notebook/ID, and /#/applications… to /applications….

export type Route =
  | { page: 'home' }
  | { page: 'catalog' }
  | { page: 'applications' }
  | { page: 'application'; applicationId: string }
  | { page: 'note'; noteId: string; paragraphId?: string }
  /** A note (or one paragraph) seen through a share link. */
  | { page: 'view'; noteId: string; paragraphId?: string }
  /** One paragraph's result alone, for an iframe, through a share link. */
  | { page: 'embed'; noteId: string; paragraphId: string }
  | { page: 'users' }
  | { page: 'audit' }
  | { page: 'tokens' }
  | { page: 'notfound'; path: string };

const notePath = /^\/notebook\/([^/]+)(?:\/paragraph\/([^/]+))?\/?$/;
const viewPath = /^\/view\/([^/]+)(?:\/paragraph\/([^/]+))?\/?$/;
const embedPath = /^\/embed\/([^/]+)\/([^/]+)\/?$/;
const applicationPath = /^\/applications\/([^/]+)\/?$/;

/** isSharedRoute tells whether a route is a page opened through a share link (it acts with the link's token). */
export function isSharedRoute(r: Route): r is Extract<Route, { page: 'view' | 'embed' }> {
  return r.page === 'view' || r.page === 'embed';
}

/** isHashRoute tells whether a location hash names a page (and so is rewritten to its clean path). */
export function isHashRoute(hash: string): boolean {
  return hash.startsWith('#/notebook/') || hash === '#/applications' || hash.startsWith('#/applications/');
}

/** route maps a pathname (and optional hash) to a page. */
export function route(pathname: string, hash = ''): Route {
  if (isHashRoute(hash)) {
    const fromHash = hash.replace(/^#/, '');
    return route(fromHash.split('?')[0] ?? fromHash);
  }
  if (pathname === '/' || pathname === '' || pathname === '/index.html') return { page: 'home' };
  if (pathname === '/catalog' || pathname === '/catalog/') return { page: 'catalog' };
  if (pathname === '/applications' || pathname === '/applications/') return { page: 'applications' };
  if (pathname === '/admin/users' || pathname === '/admin/users/') return { page: 'users' };
  if (pathname === '/admin/audit' || pathname === '/admin/audit/') return { page: 'audit' };
  if (pathname === '/settings/tokens' || pathname === '/settings/tokens/') return { page: 'tokens' };
  const v = viewPath.exec(pathname);
  if (v) {
    const r: Route = { page: 'view', noteId: decodeURIComponent(v[1] ?? '') };
    if (v[2]) r.paragraphId = decodeURIComponent(v[2]);
    return r;
  }
  const e = embedPath.exec(pathname);
  if (e) return { page: 'embed', noteId: decodeURIComponent(e[1] ?? ''), paragraphId: decodeURIComponent(e[2] ?? '') };
  const a = applicationPath.exec(pathname);
  if (a) return { page: 'application', applicationId: decodeURIComponent(a[1] ?? '') };
  const m = notePath.exec(pathname);
  if (m) {
    const r: Route = { page: 'note', noteId: decodeURIComponent(m[1] ?? '') };
    if (m[2]) r.paragraphId = decodeURIComponent(m[2]);
    return r;
  }
  return { page: 'notfound', path: pathname };
}

/** canonicalPath returns the clean URL of a route (used to rewrite /#/notebook/ID). */
export function canonicalPath(r: Route): string {
  switch (r.page) {
    case 'home':
      return '/';
    case 'catalog':
      return '/catalog';
    case 'applications':
      return '/applications';
    case 'application':
      return `/applications/${encodeURIComponent(r.applicationId)}`;
    case 'note':
      return `/notebook/${encodeURIComponent(r.noteId)}` + (r.paragraphId ? `/paragraph/${encodeURIComponent(r.paragraphId)}` : '');
    case 'view':
      return `/view/${encodeURIComponent(r.noteId)}` + (r.paragraphId ? `/paragraph/${encodeURIComponent(r.paragraphId)}` : '');
    case 'embed':
      return `/embed/${encodeURIComponent(r.noteId)}/${encodeURIComponent(r.paragraphId)}`;
    case 'users':
      return '/admin/users';
    case 'audit':
      return '/admin/audit';
    case 'tokens':
      return '/settings/tokens';
    default:
      return r.path;
  }
}
