// The home page: every note in its folder, search, create, import (.zpln by
// file picker or drag and drop), and the per-note actions of the list.

import type { Api } from '../api';
import { isTrashed, joinPath, noteFolder, noteName, TRASH_FOLDER, type NoteSummary } from '../model/note';
import { button, h } from './dom';
import { NoteList } from './noteList';
import { download } from './notePage';
import { ExamplesPanel } from './examples';
import { confirm, prompt, toast } from './overlay';
import { SessionsStrip } from './sessionsStrip';

export interface HomeDeps {
  api: Api;
  navigate: (path: string) => void;
}

export class HomePage {
  readonly el: HTMLElement;
  private readonly list: NoteList;
  private readonly search: HTMLInputElement;
  private readonly file: HTMLInputElement;
  private readonly summary: HTMLElement;
  private readonly sessions: SessionsStrip;
  private readonly examples: ExamplesPanel;
  private notes: NoteSummary[] = [];
  private refreshes = 0;

  constructor(private readonly deps: HomeDeps) {
    this.list = new NoteList({
      open: (n) => deps.navigate(`/notebook/${encodeURIComponent(n.id)}`),
      rename: (n) => void this.rename(n),
      move: (n) => void this.move(n),
      clone: (n) => void this.clone(n),
      exportNote: (n) => void this.exportNote(n),
      trash: (n) => void this.setPath(n, joinPath(TRASH_FOLDER + '/' + noteFolder(n.path), noteName(n.path)), 'Moved to trash'),
      restore: (n) => void this.setPath(n, n.path.replace(new RegExp('^/?' + TRASH_FOLDER), '') || '/' + noteName(n.path), 'Restored'),
      remove: (n) => void this.remove([n]),
      emptyTrash: (ns) => void this.remove(ns),
    });
    this.search = h('input', {
      class: 'input search',
      type: 'search',
      placeholder: 'Filter notes',
      'aria-label': 'Filter notes',
      oninput: () => this.list.set(this.notes, this.search.value),
    });
    this.file = h('input', { type: 'file', accept: '.zpln,.json,application/json', multiple: true, hidden: true, 'data-testid': 'import-file', onchange: () => void this.importFiles(this.file.files) });
    this.summary = h('span', { class: 'muted' });
    this.sessions = new SessionsStrip(deps.api);
    this.examples = new ExamplesPanel(deps);
    this.el = h(
      'div',
      { class: 'page home-page' },
      h(
        'div',
        { class: 'home-head' },
        h('h1', null, 'Notebooks'),
        this.summary,
        h('span', { class: 'spacer' }),
        h('label', { class: 'search-box' }, this.search),
        button({ icon: 'upload', label: 'Import', testid: 'import-note', onClick: () => this.file.click() }),
        button({ icon: 'plus', label: 'New note', cls: 'primary', testid: 'new-note', onClick: () => void this.create() }),
        this.file,
      ),
      this.sessions.el,
      h('div', { class: 'card' }, this.list.el),
      h('p', { class: 'hint' }, 'Drop .zpln files anywhere on this page to import them. Zeppelin links (/#/notebook/ID) open here too.'),
      this.examples.el,
    );
  }

  async mount(): Promise<void> {
    document.title = 'Notebooks · Eddy';
    // The whole window takes dropped files while this page is shown, not
    // only its centred column: a file dropped beside it would otherwise be
    // opened by the browser, leaving Eddy.
    for (const [type, fn] of this.dropListeners) document.addEventListener(type, fn);
    this.sessions.start();
    await Promise.all([this.refresh(), this.examples.refresh()]);
  }

  destroy(): void {
    for (const [type, fn] of this.dropListeners) document.removeEventListener(type, fn);
    this.showDropTarget(false);
    this.sessions.stop();
  }

  private readonly dropListeners: [string, (e: Event) => void][] = [
    ['dragover', (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      this.showDropTarget(true);
    }],
    // relatedTarget is null when the drag leaves the window.
    ['dragleave', (e) => (e as DragEvent).relatedTarget == null && this.showDropTarget(false)],
    ['dragend', () => this.showDropTarget(false)],
    ['drop', (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      this.showDropTarget(false);
      void this.importFiles((e as DragEvent).dataTransfer?.files ?? null);
    }],
  ];

  private showDropTarget(on: boolean): void {
    this.el.classList.toggle('dropping', on);
    document.body.classList.toggle('drop-import', on);
  }

  async refresh(): Promise<void> {
    // Overlapping refreshes (mount, then an import) may answer out of order: keep the newest.
    const n = ++this.refreshes;
    const notes = await this.deps.api.listNotes();
    if (n !== this.refreshes) return;
    this.notes = notes;
    const live = this.notes.filter((n) => !isTrashed(n.path)).length;
    this.summary.textContent = `${live} note${live === 1 ? '' : 's'}`;
    this.list.set(this.notes);
  }

  private folders(): string[] {
    return [...new Set(this.notes.filter((n) => !isTrashed(n.path)).map((n) => noteFolder(n.path)).filter(Boolean))].sort();
  }

  private async create(): Promise<void> {
    const v = await prompt({
      title: 'New note',
      fields: [
        { name: 'name', label: 'Name', placeholder: 'e.g. Page views' },
        { name: 'folder', label: 'Folder', placeholder: '(top level)', options: this.folders(), hint: 'Use / for sub-folders, e.g. team/dashboards' },
      ],
      ok: 'Create',
    });
    if (!v || !v['name']?.trim()) return;
    try {
      const id = await this.deps.api.createNote(joinPath(v['folder'] ?? '', v['name']));
      this.deps.navigate(`/notebook/${encodeURIComponent(id)}`);
    } catch (e) {
      toast(`Could not create the note: ${(e as Error).message}`, 'error');
    }
  }

  private async rename(n: NoteSummary): Promise<void> {
    const v = await prompt({ title: 'Rename note', fields: [{ name: 'name', label: 'Name', value: noteName(n.path) }], ok: 'Rename' });
    if (!v || !v['name']?.trim()) return;
    await this.setPath(n, joinPath(noteFolder(n.path), v['name']), 'Renamed');
  }

  private async move(n: NoteSummary): Promise<void> {
    const v = await prompt({
      title: `Move “${noteName(n.path)}”`,
      fields: [{ name: 'folder', label: 'Folder', value: noteFolder(n.path), placeholder: '(top level)', options: this.folders() }],
      ok: 'Move',
    });
    if (!v) return;
    await this.setPath(n, joinPath(v['folder'] ?? '', noteName(n.path)), 'Moved');
  }

  private async clone(n: NoteSummary): Promise<void> {
    const v = await prompt({ title: 'Clone note', fields: [{ name: 'name', label: 'Name of the copy', value: n.path.replace(/^\//, '') + ' (copy)' }], ok: 'Clone' });
    if (!v || !v['name']?.trim()) return;
    try {
      await this.deps.api.cloneNote(n.id, joinPath('', v['name']));
      toast('Cloned', 'ok');
      await this.refresh();
    } catch (e) {
      toast(`Clone failed: ${(e as Error).message}`, 'error');
    }
  }

  private async setPath(n: NoteSummary, path: string, done: string): Promise<void> {
    try {
      await this.deps.api.renameNote(n.id, path);
      toast(done, 'ok');
      await this.refresh();
    } catch (e) {
      toast(`${done.replace(/d$/, '')} failed: ${(e as Error).message}`, 'error');
    }
  }

  private async remove(ns: NoteSummary[]): Promise<void> {
    const what = ns.length === 1 ? `“${noteName(ns[0]?.path ?? '')}”` : `${ns.length} notes`;
    if (!(await confirm('Delete forever?', `${what} will be deleted permanently. This cannot be undone.`))) return;
    for (const n of ns) {
      try {
        await this.deps.api.deleteNote(n.id);
      } catch (e) {
        toast(`Delete failed: ${(e as Error).message}`, 'error');
      }
    }
    await this.refresh();
  }

  private async exportNote(n: NoteSummary): Promise<void> {
    try {
      download(`${noteName(n.path)}_${n.id}.zpln`, await this.deps.api.exportNote(n.id));
    } catch (e) {
      toast(`Export failed: ${(e as Error).message}`, 'error');
    }
  }

  private async importFiles(files: FileList | null): Promise<void> {
    if (!files || files.length === 0) return;
    let imported = 0;
    for (const f of Array.from(files)) {
      try {
        if (!/\.(zpln|json)$/i.test(f.name)) throw new Error('not a Zeppelin note (.zpln or .json)');
        const text = await f.text();
        await this.deps.api.importNote(text);
        imported++;
      } catch (e) {
        toast(`Could not import ${f.name}: ${(e as Error).message}`, 'error');
      }
    }
    this.file.value = '';
    if (imported > 0) toast(`Imported ${imported} note${imported === 1 ? '' : 's'}`, 'ok');
    await this.refresh();
  }
}

/** carriesFiles reports whether a drag event brings files (not text or a link). */
function carriesFiles(e: Event): boolean {
  const dt = (e as DragEvent).dataTransfer;
  return !!dt && (Array.from(dt.types).includes('Files') || dt.files.length > 0);
}
