// Routes of the app. Zeppelin-style links (/#/notebook/ID) map to the same
// note page as /notebook/ID, and /#/applications… to /applications….

export type Route =
  | { page: 'home' }
  | { page: 'catalog' }
  | { page: 'applications' }
  | { page: 'application'; applicationId: string }
  | { page: 'note'; noteId: string; paragraphId?: string }
  | { page: 'notfound'; path: string };

const notePath = /^\/notebook\/([^/]+)(?:\/paragraph\/([^/]+))?\/?$/;
const applicationPath = /^\/applications\/([^/]+)\/?$/;

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
    default:
      return r.path;
  }
}
