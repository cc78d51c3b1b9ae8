// The REST client: Zeppelin's notebook API (response envelope
// {status, message, body}; errors add Eddy's code and, for a capacity
// refusal, its details) and Eddy's /api/v1. The browser authenticates
// with the HttpOnly cookie set by /?token=…; requests that change state echo
// the readable CSRF cookie in a header (double-submit).

import type { NoteSummary, ParagraphConfig } from './model/note';
import { parseCapacityRefusal } from './model/sessions';
import type { CapacityRefusal, CatalogObject, Connector, ConnectorSuggestion, CatalogTree, ClusterStatus, Envelope, ErrorCode, Example, NewNote, NewParagraph, Note, NoteInfo, Paragraph, Session, SessionList, UpdateParagraph } from './schema';

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

export class Api {
  constructor(
    private readonly base = '',
    private readonly fetchImpl: FetchLike = (i, init) => fetch(i, init),
    private readonly csrf: () => string = () => readCookie(csrfCookieName()),
  ) {}

  /** call performs a request and unwraps Zeppelin's envelope; errors carry the server's message. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') headers[CSRF_HEADER] = this.csrf();
    let payload: string | undefined;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, { method, headers, body: payload, credentials: 'same-origin' });
    } catch (e) {
      throw new ApiError(0, `network error: ${(e as Error).message}`);
    }
    const text = await res.text();
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
      throw new ApiError(res.status, msg, env.code, env.code === 'capacity_exceeded' ? parseCapacityRefusal(env.details) : undefined);
    }
    if (json && typeof json === 'object' && 'status' in json) {
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

  async addParagraph(noteId: string, p: NewParagraph): Promise<string> {
    return idOf(await this.call<unknown>('POST', `/api/notebook/${enc(noteId)}/paragraph`, p));
  }

  getParagraph(noteId: string, pid: string): Promise<Paragraph> {
    return this.call('GET', `/api/notebook/${enc(noteId)}/paragraph/${enc(pid)}`);
  }

  updateParagraph(noteId: string, pid: string, p: UpdateParagraph): Promise<void> {
    return this.call('PUT', `/api/notebook/${enc(noteId)}/paragraph/${enc(pid)}`, p);
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
