// The note list: notes grouped in their folders (from their paths), with
// per-note actions, and the trash (notes under /~Trash) at the bottom.

import { isTrashed, noteFolder, noteName, TRASH_FOLDER, type NoteSummary } from '../model/note';
import { button, h, icon } from './dom';

export interface NoteActions {
  open: (n: NoteSummary) => void;
  rename: (n: NoteSummary) => void;
  move: (n: NoteSummary) => void;
  clone: (n: NoteSummary) => void;
  exportNote: (n: NoteSummary) => void;
  trash: (n: NoteSummary) => void;
  restore: (n: NoteSummary) => void;
  remove: (n: NoteSummary) => void;
  emptyTrash: (ns: NoteSummary[]) => void;
}

interface Folder {
  name: string;
  path: string;
  folders: Map<string, Folder>;
  notes: NoteSummary[];
}

const COLLAPSED_KEY = 'eddy.collapsedFolders';

function loadCollapsed(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

/** buildTree groups notes into folders by path; both sorted by name. */
export function buildTree(notes: NoteSummary[]): Folder {
  const root: Folder = { name: '', path: '', folders: new Map(), notes: [] };
  for (const n of notes) {
    let f = root;
    for (const part of noteFolder(n.path).split('/').filter(Boolean)) {
      let next = f.folders.get(part);
      if (!next) f.folders.set(part, (next = { name: part, path: f.path ? f.path + '/' + part : part, folders: new Map(), notes: [] }));
      f = next;
    }
    f.notes.push(n);
  }
  return root;
}

function count(f: Folder): number {
  let n = f.notes.length;
  for (const c of f.folders.values()) n += count(c);
  return n;
}

const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });

export class NoteList {
  readonly el: HTMLElement;
  private collapsed = loadCollapsed();
  private notes: NoteSummary[] = [];
  private filter = '';

  constructor(private readonly actions: NoteActions) {
    this.el = h('div', { class: 'note-list', 'data-testid': 'note-list' });
  }

  set(notes: NoteSummary[], filter = this.filter): void {
    this.notes = notes;
    this.filter = filter;
    this.render();
  }

  private render(): void {
    const q = this.filter.trim().toLowerCase();
    const match = (n: NoteSummary) => !q || n.path.toLowerCase().includes(q) || n.id.toLowerCase().includes(q);
    const live = this.notes.filter((n) => !isTrashed(n.path) && match(n));
    const trash = this.notes.filter((n) => isTrashed(n.path) && match(n));
    const children: HTMLElement[] = [];
    if (live.length === 0) {
      children.push(
        h(
          'div',
          { class: 'empty' },
          h('p', null, q ? 'No note matches.' : 'No notes yet.'),
          q ? null : h('p', { class: 'muted' }, 'Create a note, or import a Zeppelin / Studio note (.zpln) — drop it anywhere on this page.'),
        ),
      );
    } else {
      children.push(this.renderFolder(buildTree(live), 0, !!q));
    }
    if (trash.length > 0) children.push(this.renderTrash(trash, !!q));
    this.el.replaceChildren(...children);
  }

  private renderFolder(f: Folder, depth: number, expandAll: boolean): HTMLElement {
    const box = h('div', { class: 'tree' });
    for (const sub of [...f.folders.values()].sort((a, b) => byName(a.name, b.name))) {
      const collapsed = !expandAll && this.collapsed.has(sub.path);
      const head = h(
        'button',
        {
          type: 'button',
          class: 'row folder-row',
          style: { paddingLeft: 10 + depth * 18 + 'px' },
          'data-folder': sub.path,
          'aria-expanded': String(!collapsed),
          onclick: () => this.toggle(sub.path),
        },
        icon(collapsed ? 'chevronRight' : 'chevronDown', 'chev'),
        icon('folder', 'folder-icon'),
        h('span', { class: 'row-name' }, sub.name),
        h('span', { class: 'row-count' }, String(count(sub))),
      );
      box.appendChild(head);
      if (!collapsed) box.appendChild(this.renderFolder(sub, depth + 1, expandAll));
    }
    for (const n of f.notes.sort((a, b) => byName(noteName(a.path), noteName(b.path)))) box.appendChild(this.noteRow(n, depth, false));
    return box;
  }

  private noteRow(n: NoteSummary, depth: number, trashed: boolean): HTMLElement {
    const a = this.actions;
    const name = noteName(n.path) || n.id;
    const acts = trashed
      ? [
          button({ icon: 'restore', title: 'Restore', cls: 'ghost', testid: 'restore-note', onClick: () => a.restore(n) }),
          button({ icon: 'trash', title: 'Delete forever', cls: 'ghost danger', testid: 'delete-note', onClick: () => a.remove(n) }),
        ]
      : [
          button({ icon: 'edit', title: 'Rename', cls: 'ghost', testid: 'rename-note', onClick: () => a.rename(n) }),
          button({ icon: 'move', title: 'Move to folder', cls: 'ghost', testid: 'move-note', onClick: () => a.move(n) }),
          button({ icon: 'copy', title: 'Clone', cls: 'ghost', testid: 'clone-note', onClick: () => a.clone(n) }),
          button({ icon: 'download', title: 'Export .zpln', cls: 'ghost', testid: 'export-note', onClick: () => a.exportNote(n) }),
          button({ icon: 'trash', title: 'Move to trash', cls: 'ghost', testid: 'trash-note', onClick: () => a.trash(n) }),
        ];
    return h(
      'div',
      { class: 'row note-row' + (trashed ? ' trashed' : ''), style: { paddingLeft: 10 + depth * 18 + 18 + 'px' }, 'data-note-id': n.id, 'data-note-path': n.path },
      icon('note', 'note-icon'),
      trashed
        ? h('span', { class: 'row-name' }, n.path.replace(new RegExp('^/?' + TRASH_FOLDER + '/'), ''))
        : h(
            'a',
            {
              class: 'row-name',
              href: `/notebook/${encodeURIComponent(n.id)}`,
              'data-testid': 'note-link',
              onclick: (e: MouseEvent) => {
                if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                e.preventDefault();
                a.open(n);
              },
            },
            name,
          ),
      h('span', { class: 'row-id' }, n.id),
      h('span', { class: 'row-actions' }, acts),
    );
  }

  private renderTrash(trash: NoteSummary[], expand: boolean): HTMLElement {
    const collapsed = !expand && this.collapsed.has(TRASH_FOLDER);
    return h(
      'div',
      { class: 'trash', 'data-testid': 'trash' },
      h(
        'div',
        { class: 'row folder-row trash-head' },
        h(
          'button',
          { type: 'button', class: 'trash-toggle', 'aria-expanded': String(!collapsed), onclick: () => this.toggle(TRASH_FOLDER) },
          icon(collapsed ? 'chevronRight' : 'chevronDown', 'chev'),
          icon('trash', 'folder-icon'),
          h('span', { class: 'row-name' }, 'Trash'),
          h('span', { class: 'row-count' }, String(trash.length)),
        ),
        h('span', { class: 'spacer' }),
        button({ label: 'Empty trash', cls: 'ghost small danger', testid: 'empty-trash', onClick: () => this.actions.emptyTrash(trash) }),
      ),
      collapsed ? null : h('div', { class: 'tree' }, trash.map((n) => this.noteRow(n, 0, true))),
    );
  }

  private toggle(path: string): void {
    if (this.collapsed.has(path)) this.collapsed.delete(path);
    else this.collapsed.add(path);
    try {
      localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...this.collapsed]));
    } catch {
      /* private mode: state is per page view */
    }
    this.render();
  }
}
