// The REST client: Zeppelin's notebook API (response envelope
// {status, message, body}; errors add Eddy's code and, for a capacity
// refusal, its details) and Eddy's /api/v1. The browser authenticates
// with the HttpOnly cookie set by /?token=…; requests that change state echo
// the readable CSRF cookie in a header (double-submit).

import type { ApiToken, AuditEvent, CreatedShare, Me, NewShare, Permissions, Share, User, UserAccount } from './model/access';
import { parseBuildRefusal, parseStateRefusal } from './model/applications';
import type { Inspection } from './model/inspect';
import type { NoteSummary, ParagraphConfig } from './model/note';
import { parseCapacityRefusal } from './model/sessions';
import type { Application, ApplicationList, AppEvent, AppVersion, BuildPreview, BuildRefusal, CapacityRefusal, CatalogObject, Connector, ConnectorSuggestion, CatalogTree, ClusterStatus, Envelope, ErrorCode, Example, NewApplication, NewNote, NewParagraph, Note, NoteInfo, Paragraph, RestoreChoice, Revision, Session, SessionList, Snapshot, StateRefusal, UpdateParagraph, UpdateReport, UpdateRequest } from './schema';

/**
 * csrfCookieName is this Eddy's CSRF cookie: cookies reach every port of a
 * host, so its name carries the instance's port, and the page says it.
 */
export function csrfCookieName(doc: Document | undefined = typeof document === 'undefined' ? undefined : document): string {
  return doc?.querySelector<HTMLMetaElement>('meta[name="eddy-csrf-cookie"]')?.content ?? '';
}
export const CSRF_HEADER = 'X-Eddy-CSRF';

/** ApiError is a failed request: the HTTP status (0 when none came back) and what the server said. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The server's error code; undefined when the reply carried none (no reply, or not Eddy's envelope). */
    readonly code?: ErrorCode,
    /** With code capacity_exceeded: what was refused, the KPUs needed and free, and who holds them. */
    readonly details?: CapacityRefusal,
    /** With code invalid from building a note into an application: the paragraph at fault and why. */
    readonly build?: BuildRefusal,
    /** With code conflict from a deploy with state or an update: what of the state would be restored, operator by operator. */
    readonly state?: StateRefusal,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

export function readCookie(name: string, cookie: string = typeof document === 'undefined' ? '' : document.cookie): string {
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** How call reads a reply. */
export interface CallOptions {
  /**
   * Unwrap Zeppelin's envelope (the default). Eddy's own routes answer
   * their payload as is, and one that has a field named status (an
   * application) must be read with false.
   */
  envelope?: boolean;
  /** Answer the body as text whatever it holds, e.g. YAML. */
  text?: boolean;
}

export class Api {
  constructor(
    private readonly base = '',
    private readonly fetchImpl: FetchLike = (i, init) => fetch(i, init),
    private readonly csrf: () => string = () => readCookie(csrfCookieName()),
    /**
     * The share-link token a shared page acts with ('' for a signed-in
     * user). It goes as a Bearer credential and the tab's cookies stay
     * home, so the page sees exactly what the link allows.
     */
    private readonly bearer: () => string = () => '',
  ) {}

  /** call performs a request and unwraps Zeppelin's envelope; errors carry the server's message. */
  async call<T>(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: opts.text ? '*/*' : 'application/json' };
    const bearer = this.bearer();
    if (bearer) headers['Authorization'] = 'Bearer ' + bearer;
    else if (method !== 'GET' && method !== 'HEAD') headers[CSRF_HEADER] = this.csrf();
    let payload: string | undefined;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, { method, headers, body: payload, credentials: bearer ? 'omit' : 'same-origin' });
    } catch (e) {
      throw new ApiError(0, `network error: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (opts.text && res.ok) return text as unknown as T;
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        if (!res.ok) throw new ApiError(res.status, text.trim() || res.statusText);
        return text as unknown as T;
      }
    }
    if (!res.ok) {
      const env = (json && typeof json === 'object' ? json : {}) as Partial<Envelope>;
      const msg = env.message || res.statusText || `HTTP ${res.status}`;
      throw new ApiError(
        res.status,
        msg,
        env.code,
        env.code === 'capacity_exceeded' ? parseCapacityRefusal(env.details) : undefined,
        env.code === 'invalid' ? parseBuildRefusal(env.details) : undefined,
        env.code === 'conflict' ? parseStateRefusal(env.details) : undefined,
      );
    }
    if (opts.envelope !== false && json && typeof json === 'object' && 'status' in json) {
      // Zeppelin's envelope: the payload is `body` (absent for plain "OK" replies).
      return (json as { body?: T }).body as T;
    }
    return json as T;
  }

  async listNotes(): Promise<NoteSummary[]> {
    const l = await this.call<NoteInfo[] | undefined>('GET', '/api/notebook');
    return (l ?? []).map((n) => ({ id: n.id, path: n.path }));
  }

  getNote(id: string): Promise<Note> {
    return this.call<Note>('GET', `/api/notebook/${enc(id)}`);
  }

  /** createNote creates a note at path ("/folder/name") and returns its id. */
  async createNote(path: string, paragraphs?: NewNote['paragraphs']): Promise<string> {
    return idOf(await this.call<unknown>('POST', '/api/notebook', { name: path, paragraphs }));
  }

  deleteNote(id: string): Promise<void> {
    return this.call('DELETE', `/api/notebook/${enc(id)}`);
  }

  async cloneNote(id: string, name: string): Promise<string> {
    return idOf(await this.call<unknown>('POST', `/api/notebook/${enc(id)}`, { name }));
  }

  /** renameNote sets a new path; a path in another folder moves the note (trash is /~Trash/…). */
  renameNote(id: string, path: string): Promise<void> {
    return this.call('PUT', `/api/notebook/${enc(id)}/rename`, { name: path });
  }

  /** importNote posts a .zpln document as is and returns the new note's id. */
  async importNote(zpln: string): Promise<string> {
    return idOf(await this.call<unknown>('POST', '/api/notebook/import', zpln));
  }

  /** exportNote returns the note as .zpln JSON text. */
  async exportNote(id: string): Promise<string> {
    const body = await this.call<unknown>('GET', `/api/notebook/export/${enc(id)}`);
    return typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  }

  /** listRevisions returns the note's revisions, newest first. */
  async listRevisions(noteId: string): Promise<Revision[]> {
    const l = await this.call<Revision[] | undefined>('GET', `/api/notebook/${enc(noteId)}/revision`);
    return Array.isArray(l) ? l : [];
  }

  /**
   * checkpointNote records the note as a revision with a message. When
   * nothing changed since the latest revision nothing is recorded: created
   * is false, id is that revision's and message says why.
   */
  async checkpointNote(noteId: string, commitMessage: string): Promise<{ id: string; created: boolean; message: string }> {
    const env = await this.call<Envelope>('POST', `/api/notebook/${enc(noteId)}/revision`, { commitMessage }, { envelope: false });
    const message = env?.message ?? '';
    return { id: idOf(env?.body), created: message === '', message };
  }

  /** getRevision returns the note as it was at a revision. */
  getRevision(noteId: string, revisionId: string): Promise<Note> {
    return this.call('GET', `/api/notebook/${enc(noteId)}/revision/${enc(revisionId)}`);
  }

  /** restoreRevision makes a revision the note's content; the note's viewers are sent the restored note. */
  restoreRevision(noteId: string, revisionId: string): Promise<void> {
    return this.call('PUT', `/api/notebook/${enc(noteId)}/revision/${enc(revisionId)}`);
  }

  async addParagraph(noteId: string, p: NewParagraph): Promise<string> {
    return idOf(await this.call<unknown>('POST', `/api/notebook/${enc(noteId)}/paragraph`, p));
  }

  getParagraph(noteId: string, pid: string): Promise<Paragraph> {
    return this.call('GET', `/api/notebook/${enc(noteId)}/paragraph/${enc(pid)}`);
  }

  updateParagraph(noteId: string, pid: string, p: UpdateParagraph): Promise<void> {
    return this.call('PUT', `/api/notebook/${enc(noteId)}/paragraph/${enc(pid)}`, p);
  }

  /** updateNoteParams merges values of the note's forms into its noteParams (null: back to the default). */
  updateNoteParams(noteId: string, params: Record<string, string | string[] | null>): Promise<void> {
    return this.call('PUT', `/api/notebook/${enc(noteId)}/params`, { params });
  }

  updateParagraphConfig(noteId: string, pid: string, config: ParagraphConfig): Promise<void> {
    return this.call('PUT', `/api/notebook/${enc(noteId)}/paragraph/${enc(pid)}/config`, config);
  }

  moveParagraph(noteId: string, pid: string, index: number): Promise<void> {
    return this.call('POST', `/api/notebook/${enc(noteId)}/paragraph/${enc(pid)}/move/${index}`);
  }

  deleteParagraph(noteId: string, pid: string): Promise<void> {
    return this.call('DELETE', `/api/notebook/${enc(noteId)}/paragraph/${enc(pid)}`);
  }

  runParagraph(noteId: string, pid: string): Promise<void> {
    return this.call('POST', `/api/notebook/job/${enc(noteId)}/${enc(pid)}`);
  }

  runNote(noteId: string): Promise<void> {
    return this.call('POST', `/api/notebook/job/${enc(noteId)}`);
  }

  cancelParagraph(noteId: string, pid: string): Promise<void> {
    return this.call('DELETE', `/api/notebook/job/${enc(noteId)}/${enc(pid)}`);
  }

  /** clearParagraphOutput removes a paragraph's output, stored and live; a running paragraph is refused. */
  clearParagraphOutput(noteId: string, pid: string): Promise<void> {
    return this.call('PUT', `/api/v1/notebook/${enc(noteId)}/paragraph/${enc(pid)}/clear`);
  }

  /** paragraphChangelog returns the raw changelog of a paragraph's live result (see model/changelog); 404 without one. */
  paragraphChangelog(noteId: string, pid: string): Promise<unknown> {
    return this.call('GET', `/api/v1/notebook/${enc(noteId)}/paragraph/${enc(pid)}/changelog`, undefined, { envelope: false });
  }

  /** clearNoteOutput removes every paragraph's output (Zeppelin's route); refused, clearing nothing, while one runs. */
  clearNoteOutput(noteId: string): Promise<void> {
    return this.call('PUT', `/api/notebook/${enc(noteId)}/clear`);
  }

  cluster(): Promise<ClusterStatus> {
    return this.call('GET', '/api/v1/cluster');
  }

  /** listSessions returns the live notebook sessions and the KPU capacity and use. */
  async listSessions(): Promise<SessionList> {
    const l = await this.call<SessionList | undefined>('GET', '/api/v1/sessions');
    return { kpuCapacity: l?.kpuCapacity ?? 0, kpusInUse: l?.kpusInUse ?? 0, sessions: Array.isArray(l?.sessions) ? l.sessions : [] };
  }

  /** complete returns the Flink SQL Gateway's completion candidates for a paragraph's text at a UTF-8 byte offset. */
  async complete(noteId: string, text: string, position: number): Promise<string[]> {
    const r = await this.call<{ candidates?: unknown } | undefined>('POST', `/api/v1/notebook/${enc(noteId)}/complete`, { text, position });
    return Array.isArray(r?.candidates) ? r.candidates.filter((c): c is string => typeof c === 'string') : [];
  }

  /** paragraphInspection returns the latest inspection of a paragraph's job in the note's session; undefined when it has none (404). */
  async paragraphInspection(noteId: string, pid: string): Promise<Inspection | undefined> {
    try {
      return await this.call<Inspection>('GET', `/api/v1/notebook/${enc(noteId)}/paragraph/${enc(pid)}/inspect`, undefined, { envelope: false });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** listExamples returns the example notes that ship with Eddy, with their note ids once installed. */
  async listExamples(): Promise<Example[]> {
    const r = await this.call<{ examples?: Example[] } | undefined>('GET', '/api/v1/examples');
    return Array.isArray(r?.examples) ? r.examples : [];
  }

  /** installExample creates an example's note (or finds the one installed before) and returns its id. */
  async installExample(name: string): Promise<string> {
    const r = await this.call<{ noteId?: string } | undefined>('POST', `/api/v1/examples/${enc(name)}`);
    if (!r?.noteId) throw new ApiError(0, 'unexpected reply: no note id');
    return r.noteId;
  }

  /** listConnectors returns the jars on the local cluster's classpath, suggested ones to add, and whether Eddy can add any (it runs the cluster). */
  async listConnectors(): Promise<{ connectors: Connector[]; suggested: ConnectorSuggestion[]; canAdd: boolean }> {
    const r = await this.call<{ connectors?: Connector[]; suggested?: ConnectorSuggestion[]; canAdd?: boolean } | undefined>('GET', '/api/v1/connectors');
    return { connectors: r?.connectors ?? [], suggested: r?.suggested ?? [], canAdd: r?.canAdd === true };
  }

  /** addConnector downloads a jar by Maven coordinates, puts it on the classpath and restarts the Flink JVMs; force ends running jobs. */
  addConnector(coordinates: string, force = false): Promise<Connector> {
    return this.call('POST', '/api/v1/connectors', { coordinates, force });
  }

  /** catalogTree returns the catalogs, databases and names of tables, views and functions as the note sees them ('': as every note sees them). */
  catalogTree(noteId: string): Promise<CatalogTree> {
    return this.call('GET', `${catalogBase(noteId)}`);
  }

  /** catalogObject describes a table or view: columns, key, watermarks, connector and options (secrets masked). */
  catalogObject(noteId: string, catalog: string, database: string, name: string): Promise<CatalogObject> {
    return this.call('GET', `${catalogBase(noteId)}/${enc(catalog)}/${enc(database)}/${enc(name)}`);
  }

  /** stopSession ends a session: its jobs are cancelled and its KPUs freed. */
  stopSession(id: string): Promise<Session> {
    return this.call('DELETE', `/api/v1/sessions/${enc(id)}`);
  }

  /** previewApplication builds the note as an application would run it, validated by Flink, and stores nothing. */
  previewApplication(noteId: string): Promise<BuildPreview> {
    return this.v1('POST', '/api/v1/applications/preview', { noteId });
  }

  /** createApplication builds the note into version 1 of a new application, READY. */
  createApplication(a: NewApplication): Promise<Application> {
    return this.v1('POST', '/api/v1/applications', a);
  }

  /** listApplications returns every application and the quotas that bound them. */
  async listApplications(): Promise<ApplicationList> {
    const l = await this.v1<Partial<ApplicationList> | undefined>('GET', '/api/v1/applications');
    return { applications: Array.isArray(l?.applications) ? l.applications : [], quotas: l?.quotas ?? { applications: 0, kpusPerApplication: 0, tagsPerApplication: 0, snapshotsPerApplication: 0 } };
  }

  getApplication(id: string): Promise<Application> {
    return this.v1('GET', appPath(id));
  }

  /** deleteApplication deletes a stopped application with its versions, snapshots and events. */
  deleteApplication(id: string): Promise<void> {
    return this.v1('DELETE', appPath(id));
  }

  /** startApplication starts the application's current version, restoring state as chosen (the server's default: the latest snapshot). */
  startApplication(id: string, restore?: RestoreChoice): Promise<Application> {
    return this.v1('POST', appPath(id, '/start'), restore === undefined ? {} : { restore });
  }

  /** stopApplication stops the application's job, with a snapshot first unless snapshot is false (a force stop). */
  stopApplication(id: string, snapshot: boolean): Promise<Application> {
    return this.v1('POST', appPath(id, '/stop'), { snapshot });
  }

  /**
   * updateApplication changes the application's parallelism (a running one
   * is rescaled at once, keeping its state, UPDATING meanwhile; a stopped
   * one takes it at its next start) or turns its autoscaling on or off.
   */
  updateApplication(id: string, change: { parallelism?: number; autoScalingEnabled?: boolean }): Promise<Application> {
    return this.v1('PUT', appPath(id), change);
  }

  /** listSnapshots returns the application's snapshots, newest first. */
  async listSnapshots(id: string): Promise<Snapshot[]> {
    const r = await this.v1<{ snapshots?: Snapshot[] } | undefined>('GET', appPath(id, '/snapshots'));
    return Array.isArray(r?.snapshots) ? r.snapshots : [];
  }

  takeSnapshot(id: string): Promise<Snapshot> {
    return this.v1('POST', appPath(id, '/snapshots'));
  }

  deleteSnapshot(id: string, snapshotId: string): Promise<void> {
    return this.v1('DELETE', appPath(id, `/snapshots/${enc(snapshotId)}`));
  }

  /** listApplicationEvents returns the application's timeline, newest first. */
  async listApplicationEvents(id: string): Promise<AppEvent[]> {
    const r = await this.v1<{ events?: AppEvent[] } | undefined>('GET', appPath(id, '/events'));
    return Array.isArray(r?.events) ? r.events : [];
  }

  /** listVersions returns the application's versions, newest first. */
  async listVersions(id: string): Promise<AppVersion[]> {
    const r = await this.v1<{ versions?: AppVersion[] } | undefined>('GET', appPath(id, '/versions'));
    return Array.isArray(r?.versions) ? r.versions : [];
  }

  /** rebuildApplication builds the note as it is now into a new version, run from the next start. */
  rebuildApplication(id: string): Promise<AppVersion> {
    return this.v1('POST', appPath(id, '/versions'));
  }

  /**
   * updateApplicationVersion builds the note into a new version and deploys
   * it, keeping the running version's state (dryRun: only the script diff
   * and the state check). A check that loses state is refused with an
   * ApiError whose state holds it, unless allowNonRestoredState.
   */
  updateApplicationVersion(id: string, req: Partial<UpdateRequest>): Promise<UpdateReport> {
    return this.v1('POST', appPath(id, '/update'), req);
  }

  /** applicationSpec returns the application in declarative form, as YAML or JSON text. */
  applicationSpec(id: string, format: 'yaml' | 'json'): Promise<string> {
    return this.call('GET', appPath(id, `/spec?format=${format}`), undefined, { envelope: false, text: true });
  }

  /** kubernetesManifest returns the application as a ConfigMap and a FlinkDeployment for the Flink Kubernetes Operator (YAML). */
  kubernetesManifest(id: string): Promise<string> {
    return this.call('GET', appPath(id, '/manifest?target=kubernetes'), undefined, { envelope: false, text: true });
  }

  // ---- sign-in, users, tokens, shares, permissions, audit ----

  /** login signs in with a name and password; the server sets the session and CSRF cookies. */
  async login(name: string, password: string): Promise<User> {
    const r = await this.v1<{ user: User }>('POST', '/api/v1/login', { name, password });
    return r.user;
  }

  /** logout ends the browser's session (the server clears the cookies). */
  logout(): Promise<void> {
    return this.v1('POST', '/api/v1/logout');
  }

  /** me says who the requests act as: a signed-in user or a share link. 401 when nobody. */
  me(): Promise<Me> {
    return this.v1('GET', '/api/v1/me');
  }

  async listUsers(): Promise<UserAccount[]> {
    const r = await this.v1<{ users?: UserAccount[] }>('GET', '/api/v1/users');
    return Array.isArray(r?.users) ? r.users : [];
  }

  createUser(name: string, password: string, role: User['role']): Promise<UserAccount> {
    return this.v1('POST', '/api/v1/users', { name, password, role });
  }

  deleteUser(id: string): Promise<void> {
    return this.v1('DELETE', `/api/v1/users/${enc(id)}`);
  }

  async listTokens(): Promise<ApiToken[]> {
    const r = await this.v1<{ tokens?: ApiToken[] }>('GET', '/api/v1/tokens');
    return Array.isArray(r?.tokens) ? r.tokens : [];
  }

  /** createToken makes a personal API token; the reply is the only time its secret is shown. */
  createToken(name: string): Promise<ApiToken> {
    return this.v1('POST', '/api/v1/tokens', { name });
  }

  deleteToken(id: string): Promise<void> {
    return this.v1('DELETE', `/api/v1/tokens/${enc(id)}`);
  }

  async listShares(noteId: string): Promise<Share[]> {
    const r = await this.v1<{ shares?: Share[] }>('GET', `/api/v1/notebook/${enc(noteId)}/shares`);
    return Array.isArray(r?.shares) ? r.shares : [];
  }

  /** createShare makes a share link of the note (or of one paragraph); the reply is the only time its URL is shown. */
  createShare(noteId: string, s: NewShare): Promise<CreatedShare> {
    return this.v1('POST', `/api/v1/notebook/${enc(noteId)}/shares`, s);
  }

  /** revokeShare ends a link at once, closing the live connections opened through it. */
  revokeShare(id: string): Promise<void> {
    return this.v1('DELETE', `/api/v1/shares/${enc(id)}`);
  }

  async getPermissions(noteId: string): Promise<Permissions> {
    const p = await this.call<Partial<Permissions> | undefined>('GET', `/api/notebook/${enc(noteId)}/permissions`);
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { owners: list(p?.owners), writers: list(p?.writers), runners: list(p?.runners), readers: list(p?.readers) };
  }

  setPermissions(noteId: string, p: Permissions): Promise<void> {
    return this.call('PUT', `/api/notebook/${enc(noteId)}/permissions`, p);
  }

  /** audit returns events newest first; before (an event id) pages back. */
  async audit(limit: number, before?: string | number): Promise<AuditEvent[]> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (before !== undefined && before !== '') q.set('before', String(before));
    const r = await this.v1<{ events?: AuditEvent[] }>('GET', `/api/v1/audit?${q.toString()}`);
    return Array.isArray(r?.events) ? r.events : [];
  }

  /** v1 calls one of Eddy's own routes, whose replies are not enveloped. */
  private v1<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.call<T>(method, path, body, { envelope: false });
  }
}

/** appPath is an application's route, or one below it. */
function appPath(id: string, sub = ''): string {
  return `/api/v1/applications/${enc(id)}${sub}`;
}

/** catalogBase is the catalog routes of a note, or outside any note for ''. */
function catalogBase(noteId: string): string {
  return noteId ? `/api/v1/notebook/${enc(noteId)}/catalog` : '/api/v1/catalog';
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function idOf(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object' && 'id' in body) return String((body as { id: unknown }).id);
  throw new ApiError(0, 'unexpected reply: no id');
}
