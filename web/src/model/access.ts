// Who the page acts as, and what that lets it show. A browser is either a
// signed-in user (session cookie) or the holder of a share link, whose token
// travels in the URL fragment (#share=…) so the server, proxies and Referer
// headers never see it. The page takes the token out of the address bar at
// once and keeps it in sessionStorage, so a reload of the tab still works
// while a copied address carries no token.

/** A signed-in user as the server describes them. */
export interface User {
  id: string;
  name: string;
  role: 'admin' | 'member';
}

/** Scope of a share link: see, run, or edit the note. */
export type ShareScope = 'view' | 'run' | 'edit';

/** The share link a link-authenticated page acts through. */
export interface LinkShare {
  id: string;
  noteId: string;
  paragraphId?: string | null;
  scope: ShareScope;
  expiresAt?: string | null;
}

/** Me is GET /api/v1/me: the principal of the request. */
export type Me = { kind: 'user'; user: User } | { kind: 'link'; share: LinkShare };

/** A share as the owner lists it. */
export interface Share {
  id: string;
  scope: ShareScope;
  paragraphId?: string | null;
  expiresAt?: string | null;
  createdBy: string;
  created: string;
  lastUsed?: string | null;
  revoked?: boolean;
}

/** A share just created: the only time its token and URLs are shown. */
export interface CreatedShare extends Share {
  url: string;
  embedUrl?: string | null;
  token: string;
  noteId: string;
}

/** What a new share asks for. */
export interface NewShare {
  scope: ShareScope;
  paragraphId?: string;
  expiresAt?: string;
}

/** A user account as an admin lists it. */
export interface UserAccount extends User {
  created: string;
}

/** A personal API token (its secret only in the reply that created it). */
export interface ApiToken {
  id: string;
  name: string;
  created: string;
  lastUsed?: string | null;
  token?: string;
}

/** A note's permissions: user names per level; an empty list means every signed-in user. */
export interface Permissions {
  owners: string[];
  writers: string[];
  runners: string[];
  readers: string[];
}

/** One audit event. */
export interface AuditEvent {
  id: string | number;
  at: string;
  actor: string;
  via: 'user' | 'token' | 'link' | 'startup-token' | string;
  action: string;
  noteId?: string | null;
  detail?: string | null;
}

/** SHARE_STORAGE_KEY is where a tab keeps the share token it was opened with. */
export const SHARE_STORAGE_KEY = 'eddy.share';

/** The part of sessionStorage used here (tests pass a Map-backed fake). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** tokenFromHash reads share=<token> from a location hash ("#share=abc" or "#a=1&share=abc"); '' when absent. */
export function tokenFromHash(hash: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  return (params.get('share') ?? '').trim();
}

/** hashWithoutToken returns the hash with share=… taken out ('' when nothing else is left). */
export function hashWithoutToken(hash: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  params.delete('share');
  const rest = params.toString();
  return rest ? '#' + rest : '';
}

/**
 * takeShareToken returns the token a shared page acts with: the one in the
 * hash (stored for reloads, and removed from the address bar through
 * replace), else the one this tab stored before. A token in the hash
 * replaces a stored one: the user opened another link.
 */
export function takeShareToken(loc: { pathname: string; search: string; hash: string }, store: KeyValue | undefined, replace: (url: string) => void): string {
  const fromHash = tokenFromHash(loc.hash);
  if (fromHash) {
    try {
      store?.setItem(SHARE_STORAGE_KEY, fromHash);
    } catch {
      /* storage may be disabled: the token still works until the page is left */
    }
    replace(loc.pathname + loc.search + hashWithoutToken(loc.hash));
    return fromHash;
  }
  try {
    return store?.getItem(SHARE_STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** wsProtocols returns the websocket subprotocols: the app's own, and the bearer token when the page acts through a link. */
export function wsProtocols(token: string): string[] {
  return token ? ['eddy', 'bearer.' + token] : ['eddy'];
}

/** Controls says which paragraph and note controls a page may show. */
export interface Controls {
  /** Run and cancel paragraphs. */
  run: boolean;
  /** Edit text, title, settings and forms; add, move, delete paragraphs. */
  edit: boolean;
}

/** controlsFor maps a link's scope to the controls it allows; the server checks each request again. */
export function controlsFor(scope: ShareScope): Controls {
  switch (scope) {
    case 'edit':
      return { run: true, edit: true };
    case 'run':
      return { run: true, edit: false };
    default:
      return { run: false, edit: false };
  }
}

/** scopeLabel says in words what a scope lets a link holder do. */
export function scopeLabel(scope: ShareScope): string {
  return scope === 'edit' ? 'can edit' : scope === 'run' ? 'can view and run' : 'view only';
}

/** isAdmin tells whether the principal is an admin user. */
export function isAdmin(me: Me | null): boolean {
  return me?.kind === 'user' && me.user.role === 'admin';
}

/** parseNameList reads user names separated by commas, spaces or new lines, without duplicates. */
export function parseNameList(text: string): string[] {
  const out: string[] = [];
  for (const n of text.split(/[\s,]+/)) if (n && !out.includes(n)) out.push(n);
  return out;
}

/**
 * expiryFrom turns a choice of the share dialog ("", "1h", "1d", "7d",
 * "30d") into an RFC 3339 time from now; undefined means never.
 */
export function expiryFrom(choice: string, now: number = Date.now()): string | undefined {
  const m = /^(\d+)([hd])$/.exec(choice);
  if (!m) return undefined;
  const n = Number(m[1]);
  const ms = m[2] === 'h' ? n * 3_600_000 : n * 86_400_000;
  return new Date(now + ms).toISOString();
}

/** embedSnippet is the iframe markup a paragraph's embed URL is pasted into a page with; the URL is attribute-escaped. */
export function embedSnippet(embedUrl: string, height = 400): string {
  const safe = embedUrl.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<iframe src="${safe}" width="100%" height="${height}" frameborder="0"></iframe>`;
}

/** sharedPath is the address of a shared page without its token: /view/{note}[/paragraph/{pid}] or /embed/{note}/{pid}. */
export function sharedPath(noteId: string, paragraphId?: string, embed = false): string {
  const n = encodeURIComponent(noteId);
  if (embed && paragraphId) return `/embed/${n}/${encodeURIComponent(paragraphId)}`;
  return `/view/${n}` + (paragraphId ? `/paragraph/${encodeURIComponent(paragraphId)}` : '');
}
