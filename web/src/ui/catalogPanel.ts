// The catalog panel: what the catalogs hold as this note sees them
// (catalogs → databases → tables, views, functions), collapsible, loaded
// when opened; a table's or view's details (columns, key, watermark,
// connector and options) loaded when it is expanded; a click on a name
// inserts it, quoted, into the paragraph being edited.

import type { Api } from '../api';
import { buildTree, objectDetails, type ObjectDetails, type ObjectNode, type TreeView } from '../model/catalog';
import { button, clear, h, icon, setText } from './dom';

export interface CatalogPanelDeps {
  api: Api;
  /** The note whose session is browsed; '' for the catalogs every note sees. */
  noteId: string;
  /** Inserts text at the cursor of the paragraph being edited. */
  onInsert: (text: string) => void;
  /** The panel cannot be closed (the catalog page). */
  alwaysOpen?: boolean;
}

/** pollMs is how often an open panel reloads, so DDL run in other notes shows up. */
const pollMs = 30_000;

const OPEN_KEY = 'eddy.catalog.open';

type Details = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; details: ObjectDetails };

const kindIcon: Record<ObjectNode['kind'], string> = { table: 'table', view: 'eye', function: 'code' };

export class CatalogPanel {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private chevron: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly refreshBtn: HTMLButtonElement;
  private open: boolean;
  /** What the catalogs held at the last load; null before the first. */
  private tree: TreeView | null = null;
  private error = '';
  private loading = false;
  /** The tree changed (a paragraph finished) while the panel was closed: load on open. */
  private stale = true;
  /** Expanded catalogs ("c/name"), databases ("d/cat/db") and objects ("o/" and their key). */
  private readonly expanded = new Set<string>();
  private readonly details = new Map<string, Details>();
  private loads = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private poll: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly deps: CatalogPanelDeps) {
    this.open = deps.alwaysOpen === true || readOpen();
    this.chevron = icon(this.open ? 'chevronDown' : 'chevronRight', 'cat-chevron');
    this.summary = h('span', { class: 'cat-summary', 'data-testid': 'catalog-summary' });
    this.refreshBtn = button({ icon: 'refresh', title: 'Refresh the catalogs', cls: 'ghost small', testid: 'catalog-refresh', onClick: () => void this.refresh() });
    const title = h(
      'div',
      { class: 'panel-title cat-title' },
      h(
        'button',
        { type: 'button', class: 'cat-toggle', 'data-testid': 'catalog-toggle', 'aria-expanded': String(this.open), onclick: () => this.toggle() },
        this.chevron,
        h('span', null, 'Catalog'),
      ),
      this.summary,
      this.refreshBtn,
    );
    this.body = h('div', { class: 'panel-body cat-body', 'data-testid': 'catalog-tree' });
    this.el = h('div', { class: 'panel cat-panel', 'data-testid': 'catalog-panel' }, title, this.body);
    this.render();
  }

  /** mount loads the tree when the panel starts open. */
  mount(): void {
    if (this.open) void this.refresh();
    this.poll = setInterval(() => {
      if (this.open && !this.loading && document.visibilityState === 'visible') void this.refresh();
    }, pollMs);
  }

  destroy(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    this.loads++; // answers still in flight are dropped
  }

  toggle(): void {
    if (this.deps.alwaysOpen) return;
    this.open = !this.open;
    writeOpen(this.open);
    this.el.querySelector('.cat-toggle')?.setAttribute('aria-expanded', String(this.open));
    const chevron = icon(this.open ? 'chevronDown' : 'chevronRight', 'cat-chevron');
    this.chevron.replaceWith(chevron);
    this.chevron = chevron;
    if (this.open && (this.stale || !this.tree)) void this.refresh();
    else this.render();
  }

  /**
   * changed says the catalogs may hold something else now (a paragraph
   * finished, the session started or ended): an open panel reloads soon,
   * once for a burst; a closed one reloads when opened.
   */
  changed(): void {
    this.stale = true;
    if (!this.open) return;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, 300);
  }

  /** refresh reloads the tree, and the details of the objects still expanded. */
  async refresh(): Promise<void> {
    const n = ++this.loads;
    this.stale = false;
    this.loading = true;
    if (this.tree) this.renderState();
    else this.render();
    try {
      const t = buildTree(await this.deps.api.catalogTree(this.deps.noteId));
      if (n !== this.loads) return;
      if (!this.tree) {
        // First load: open the current catalog and database.
        for (const c of t.catalogs.filter((x) => x.current)) {
          this.expanded.add('c/' + c.name);
          for (const d of c.databases.filter((x) => x.current)) this.expanded.add(dbKey(c.name, d.name));
        }
      }
      this.tree = t;
      this.error = '';
      // Expanded objects keep their details on screen until the new ones arrive.
      const shown = new Set<string>();
      for (const key of this.expanded) {
        const obj = key.startsWith('o/') ? findObject(t, key.slice(2)) : undefined;
        if (obj?.key) {
          shown.add(obj.key);
          void this.loadDetails(obj, true);
        }
      }
      for (const key of [...this.details.keys()]) if (!shown.has(key)) this.details.delete(key);
    } catch (e) {
      if (n !== this.loads) return;
      this.error = (e as Error).message;
    } finally {
      if (n === this.loads) {
        this.loading = false;
        this.render();
      }
    }
  }

  /** loadDetails describes an object; quiet keeps what is shown until the answer comes. */
  private async loadDetails(o: ObjectNode, quiet = false): Promise<void> {
    if (!o.key) return;
    const key = o.key;
    const [catalog, database, name] = key.split('/').map(decodeURIComponent) as [string, string, string];
    const n = this.loads;
    if (!quiet || !this.details.has(key)) {
      this.details.set(key, { state: 'loading' });
      this.render();
    }
    try {
      const obj = await this.deps.api.catalogObject(this.deps.noteId, catalog, database, name);
      if (n !== this.loads) return;
      this.details.set(key, { state: 'ok', details: objectDetails(obj) });
    } catch (e) {
      if (n !== this.loads) return;
      this.details.set(key, { state: 'error', message: (e as Error).message });
    }
    this.render();
  }

  private flip(key: string): boolean {
    if (this.expanded.has(key)) {
      this.expanded.delete(key);
      return false;
    }
    this.expanded.add(key);
    return true;
  }

  /** renderState shows whether the panel is open and loading, leaving the tree's nodes alone (clicks on them land). */
  private renderState(): void {
    this.body.hidden = !this.open;
    this.refreshBtn.hidden = !this.open;
    this.refreshBtn.disabled = this.loading;
    this.el.classList.toggle('loading', this.loading);
    const t = this.tree;
    setText(this.summary, this.open && t ? `${t.objectCount} object${t.objectCount === 1 ? '' : 's'}` : '');
  }

  private render(): void {
    this.renderState();
    if (!this.open) return;
    const t = this.tree;
    const scroll = this.body.scrollTop;
    clear(this.body);
    if (this.error) this.body.append(h('div', { class: 'cat-error', 'data-testid': 'catalog-error' }, this.error));
    if (!t) {
      if (!this.error) this.body.append(h('div', { class: 'muted small' }, 'Loading the catalogs…'));
      return;
    }
    const list = h('ul', { class: 'cat-tree', role: 'tree' });
    for (const c of t.catalogs) {
      const ck = 'c/' + c.name;
      const open = this.expanded.has(ck);
      const dbs = open
        ? h(
            'ul',
            { role: 'group' },
            c.databases.map((d) => {
              const dk = dbKey(c.name, d.name);
              const dOpen = this.expanded.has(dk);
              return h(
                'li',
                { role: 'treeitem', 'aria-expanded': String(dOpen) },
                this.row({ depth: 1, icon: 'database', name: d.name, current: d.current, open: dOpen, testid: 'catalog-database', onToggle: () => void this.flip(dk) }),
                dOpen ? this.objects(d.objects, d.truncated, d.error) : null,
              );
            }),
            c.error ? h('li', { class: 'cat-error' }, c.error) : null,
            c.truncated ? h('li', { class: 'muted small cat-more' }, 'More databases than shown') : null,
          )
        : null;
      list.append(
        h('li', { role: 'treeitem', 'aria-expanded': String(open) }, this.row({ depth: 0, icon: 'folder', name: c.name, current: c.current, open, testid: 'catalog-catalog', onToggle: () => void this.flip(ck) }), dbs),
      );
    }
    this.body.append(list);
    if (t.truncated) this.body.append(h('div', { class: 'muted small cat-more' }, 'Some lists are cut: the catalogs hold more than the browser shows.'));
    this.body.scrollTop = scroll;
  }

  private objects(objs: ObjectNode[], truncated: boolean, error: string): HTMLElement {
    const ul = h('ul', { role: 'group' });
    if (objs.length === 0 && !error) ul.append(h('li', { class: 'muted small cat-empty' }, 'No tables, views or functions'));
    for (const o of objs) {
      const open = !!o.key && this.expanded.has('o/' + o.key);
      const d = o.key ? this.details.get(o.key) : undefined;
      ul.append(
        h(
          'li',
          { role: 'treeitem', 'aria-expanded': o.key ? String(open) : undefined, 'data-testid': 'catalog-object', 'data-kind': o.kind, 'data-name': o.name },
          this.row({
            depth: 2,
            icon: kindIcon[o.kind],
            name: o.name,
            open,
            leaf: !o.key,
            insert: o.insert,
            onToggle: o.key
              ? () => {
                  if (this.flip('o/' + o.key) && !this.details.has(o.key as string)) void this.loadDetails(o);
                }
              : undefined,
          }),
          open && d ? renderDetails(d) : null,
        ),
      );
    }
    if (error) ul.append(h('li', { class: 'cat-error' }, error));
    if (truncated) ul.append(h('li', { class: 'muted small cat-more' }, 'More objects than shown'));
    return ul;
  }

  /**
   * row is one line of the tree: a chevron that expands it and its name. A
   * table's, view's or function's name inserts it into the paragraph; a
   * catalog's or database's name expands it.
   */
  private row(o: { depth: number; icon: string; name: string; current?: boolean; open: boolean; leaf?: boolean; insert?: string; testid?: string; onToggle?: () => void }): HTMLElement {
    const toggle = () => {
      o.onToggle?.();
      this.render();
    };
    const chev = o.leaf
      ? h('span', { class: 'cat-chev-space' })
      : h('button', { type: 'button', class: 'cat-chev', 'aria-label': o.open ? 'Collapse' : 'Expand', 'data-testid': 'catalog-expand', onclick: toggle }, icon(o.open ? 'chevronDown' : 'chevronRight'));
    const name = o.insert
      ? h('button', { type: 'button', class: 'cat-name insert', title: `Insert ${o.insert}`, 'data-testid': 'catalog-insert', onclick: () => this.deps.onInsert(o.insert as string) }, o.name)
      : h('button', { type: 'button', class: 'cat-name', title: o.name, onclick: toggle }, o.name);
    return h(
      'div',
      { class: 'cat-row' + (o.current ? ' current' : ''), style: `padding-left:${o.depth * 12}px`, 'data-testid': o.testid, 'data-name': o.testid ? o.name : undefined },
      chev,
      icon(o.icon, 'cat-icon'),
      name,
      o.current ? h('span', { class: 'cat-current', title: 'The current catalog/database: unqualified names resolve here' }, 'current') : null,
    );
  }
}

function renderDetails(d: Details): HTMLElement {
  if (d.state === 'loading') return h('div', { class: 'cat-details muted small' }, 'Loading…');
  if (d.state === 'error') return h('div', { class: 'cat-details cat-error' }, d.message);
  const x = d.details;
  return h(
    'div',
    { class: 'cat-details', 'data-testid': 'catalog-details' },
    h('div', { class: 'cat-badges' }, x.badges.map((b) => h('span', { class: 'cat-badge ' + b }, b)), x.connector ? h('span', { class: 'cat-badge connector', 'data-testid': 'catalog-connector' }, x.connector) : null),
    x.comment ? h('div', { class: 'cat-comment' }, x.comment) : null,
    h(
      'table',
      { class: 'cat-cols', 'data-testid': 'catalog-columns' },
      h(
        'tbody',
        null,
        x.columns.map((c) =>
          h(
            'tr',
            { 'data-column': c.name },
            h('td', { class: 'cat-col-name' }, c.name, c.keyPos > 0 ? h('span', { class: 'cat-pk', title: `primary key column ${c.keyPos}` }, 'PK') : null),
            h('td', { class: 'cat-col-type', title: c.extras || c.type }, c.type, c.nullable ? '' : h('span', { class: 'cat-nn' }, ' NOT NULL')),
          ),
        ),
      ),
    ),
    x.primaryKey ? h('div', { class: 'cat-prop', 'data-testid': 'catalog-pk' }, h('b', null, 'Primary key '), h('code', null, x.primaryKey)) : null,
    x.watermarks.map((w) => h('div', { class: 'cat-prop', 'data-testid': 'catalog-watermark' }, h('b', null, 'Watermark '), h('code', null, w))),
    x.options.length > 0
      ? h(
          'table',
          { class: 'cat-opts', 'data-testid': 'catalog-options' },
          h(
            'tbody',
            null,
            x.options.map((o) => h('tr', { 'data-option': o.key }, h('td', { class: 'cat-opt-key' }, o.key), h('td', { class: 'cat-opt-value' + (o.masked ? ' masked' : ''), title: o.masked ? 'Hidden: it looks like a secret' : o.value }, o.value))),
          ),
        )
      : null,
    x.query ? h('pre', { class: 'cat-query' }, x.query) : null,
  );
}

function dbKey(catalog: string, database: string): string {
  return 'd/' + encodeURIComponent(catalog) + '/' + encodeURIComponent(database);
}

function findObject(t: TreeView, key: string): ObjectNode | undefined {
  for (const c of t.catalogs) for (const d of c.databases) for (const o of d.objects) if (o.key === key) return o;
  return undefined;
}

function readOpen(): boolean {
  try {
    return localStorage.getItem(OPEN_KEY) === '1';
  } catch {
    return false;
  }
}

function writeOpen(open: boolean): void {
  try {
    localStorage.setItem(OPEN_KEY, open ? '1' : '0');
  } catch {
    // storage may be disabled: the panel still works, it just forgets
  }
}
