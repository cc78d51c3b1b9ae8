// A note seen through a share link: its paragraphs (or the one paragraph the
// link names) with results that update live, through the same note session
// as the note page, but only the controls the link's scope allows. The embed
// form shows one paragraph's result and chart alone, to fill an iframe. When
// the connection drops, the page asks the server whether the link still
// holds; a revoked or expired link ends the page.

import { ApiError, type Api } from '../api';
import { controlsFor, scopeLabel, type Controls, type LinkShare } from '../model/access';
import { noteName } from '../model/note';
import { NoteSession } from '../noteSession';
import { ServerTransport } from '../transport';
import type { ConnState, WsClient } from '../ws';
import { h, setText } from './dom';
import './access.css';
import { toast } from './overlay';
import { ParagraphView, syncViews } from './paragraph';

export interface SharedDeps {
  api: Api;
  ws: WsClient;
  /** The link the page acts through, as GET /api/v1/me described it. */
  share: LinkShare;
  /** Called once the link no longer gives access (revoked, expired). */
  onEnded?: () => void;
}

/**
 * RunWithoutText starts runs without sending the paragraph's text: a page
 * that may not edit has no text of its own to save, and a run that carried
 * text would be an edit, which its link does not allow.
 */
export class RunWithoutText extends ServerTransport {
  override run(noteId: string, pid: string, _text?: string): Promise<void> {
    return super.run(noteId, pid, undefined);
  }
}

/** linkEnded tells whether an error means the link gives no access any more. */
export function linkEnded(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404);
}

const connText: Record<ConnState, string> = {
  open: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

/** endedPage is what a shared page shows when its link does not (or no longer) give access. */
export function endedPage(message: string, embed = false): HTMLElement {
  return h(
    'div',
    { class: 'page shared-ended' + (embed ? ' embed' : ''), 'data-testid': 'share-error', role: 'alert' },
    h('div', { class: 'empty' }, h('p', { class: 'shared-ended-title' }, 'This shared link does not open'), h('p', { class: 'muted' }, message)),
  );
}

export class SharedView {
  readonly el: HTMLElement;
  private readonly session: NoteSession;
  private readonly parasEl: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly connEl: HTMLElement;
  private readonly views = new Map<string, ParagraphView>();
  private readonly controls: Controls;
  /** The one paragraph shown, when the link (or the address) names one. */
  private readonly only: string | undefined;
  private disposers: Array<() => void> = [];
  private ticker: ReturnType<typeof setInterval> | null = null;
  private ended = false;

  constructor(
    readonly noteId: string,
    paragraphId: string | undefined,
    private readonly embed: boolean,
    private readonly deps: SharedDeps,
  ) {
    this.controls = controlsFor(deps.share.scope);
    this.session = new NoteSession(noteId, this.controls.edit ? new ServerTransport(deps.api, deps.ws) : new RunWithoutText(deps.api, deps.ws));
    // A paragraph link shows its paragraph whatever the address says.
    this.only = deps.share.paragraphId || paragraphId || undefined;
    this.parasEl = h('div', { class: 'paras', 'data-testid': 'paragraphs' });
    this.titleEl = h('span', { class: 'shared-title', 'data-testid': 'shared-title' });
    this.connEl = h('span', { class: 'conn-state', 'data-testid': 'conn-state' });
    const scope = h('span', { class: 'shared-scope', 'data-testid': 'shared-scope', 'data-scope': deps.share.scope }, `Shared · ${scopeLabel(deps.share.scope)}`);
    const expiry = deps.share.expiresAt ? h('span', { class: 'muted small' }, `until ${new Date(deps.share.expiresAt).toLocaleString()}`) : null;
    this.el = embed
      ? h('div', { class: 'shared-embed', 'data-testid': 'shared-embed' }, this.parasEl)
      : h(
          'div',
          { class: 'page note-page shared-page', 'data-testid': 'shared-view', 'data-scope': deps.share.scope },
          h('div', { class: 'note-bar' }, this.titleEl, h('span', { class: 'spacer' }), expiry, scope, this.connEl),
          h('div', { class: 'paras-col' }, this.parasEl),
        );
  }

  async mount(): Promise<void> {
    const s = this.session;
    this.disposers.push(
      s.on('reset', () => this.reconcile()),
      s.on('structure', () => this.reconcile()),
      s.on('paragraph', (pid) => this.views.get(pid)?.update()),
      s.on('live', (pids) => {
        for (const pid of pids) this.views.get(pid)?.updateLive();
      }),
      s.on('removed', () => this.end('The note was deleted.')),
      s.on('error', (m) => toast(m, 'error')),
      this.deps.ws.onState((st) => this.showConn(st)),
      this.deps.ws.onClosed(() => void this.checkLink()),
      this.deps.ws.onError((e) => {
        if (e.code === 'forbidden' || e.code === 'unauthorized') void this.checkLink();
      }),
    );
    this.showConn(this.deps.ws.state);
    this.ticker = setInterval(() => {
      for (const v of this.views.values()) v.tick();
    }, 1000);
    try {
      await s.start();
    } catch (e) {
      this.end(linkEnded(e) ? 'The link was revoked, has expired, or does not give access to this note.' : `Could not open the note: ${(e as Error).message}`);
      return;
    }
    if (this.only && !s.paragraph(this.only)) this.end('The shared paragraph is no longer in the note.');
  }

  destroy(): void {
    for (const d of this.disposers) d();
    this.disposers = [];
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.session.stop();
    for (const v of this.views.values()) v.destroy();
    this.views.clear();
  }

  /** checkLink asks whether the link still holds (after the connection dropped); if not, the page ends. */
  private async checkLink(): Promise<void> {
    if (this.ended) return;
    try {
      await this.deps.api.me();
    } catch (e) {
      if (linkEnded(e)) this.end('The owner revoked this link, or it expired.');
    }
  }

  /** end stops following the note and says why; the results shown so far go too. */
  private end(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.destroy();
    this.el.replaceChildren(endedPage(message, this.embed));
    this.deps.onEnded?.();
  }

  /** reconcile makes the views match the note's paragraphs (or the one shared), in order. */
  private reconcile(): void {
    const note = this.session.note;
    if (!note || this.ended) return;
    const name = noteName(note.path ?? '') || note.name || note.id;
    setText(this.titleEl, name);
    if (!this.embed) document.title = `${name} · shared · Eddy`;
    const ids = note.paragraphs.map((p) => p.id).filter((id) => !this.only || id === this.only);
    const host = {
      session: this.session,
      indexOf: (pid: string) => this.session.note?.paragraphs.findIndex((p) => p.id === pid) ?? -1,
      count: () => this.session.note?.paragraphs.length ?? 0,
      defaultGroup: note.defaultInterpreterGroup || 'flink',
      // A shared page adds no paragraphs.
      insertAt: () => undefined,
      onRefused: () => undefined,
      // The cluster's web UI is the signed-in users' tool, not the link holder's.
      webUi: () => undefined,
      changelog: this.embed ? undefined : (pid: string) => this.deps.api.paragraphChangelog(this.noteId, pid),
      inspection: (pid: string) => this.deps.api.paragraphInspection(this.noteId, pid),
      controls: this.controls,
      resultOnly: this.embed,
    };
    const children: HTMLElement[] = syncViews(this.views, ids, host, true).map((v) => v.el);
    if (ids.length === 0) children.push(h('div', { class: 'empty small' }, 'This note has no paragraphs.'));
    this.parasEl.replaceChildren(...children);
  }

  private showConn(st: ConnState): void {
    this.connEl.dataset['state'] = st;
    setText(this.connEl, connText[st]);
  }
}
