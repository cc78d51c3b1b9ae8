// Routes of the app. Zeppelin-style links (/#/notebook/ID) map to the same
// note page as /notebook/ID.

export type Route = { page: 'home' } | { page: 'catalog' } | { page: 'note'; noteId: string; paragraphId?: string } | { page: 'notfound'; path: string };

const notePath = /^\/notebook\/([^/]+)(?:\/paragraph\/([^/]+))?\/?$/;

/** route maps a pathname (and optional hash) to a page. */
export function route(pathname: string, hash = ''): Route {
  const fromHash = hash.replace(/^#/, '');
  if (fromHash.startsWith('/notebook/')) return route(fromHash.split('?')[0] ?? fromHash);
  if (pathname === '/' || pathname === '' || pathname === '/index.html') return { page: 'home' };
  if (pathname === '/catalog' || pathname === '/catalog/') return { page: 'catalog' };
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
    case 'note':
      return `/notebook/${encodeURIComponent(r.noteId)}` + (r.paragraphId ? `/paragraph/${encodeURIComponent(r.paragraphId)}` : '');
    default:
      return r.path;
  }
}
