// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { Api } from '../api';
import { HomePage } from './home';

/** A home page on a fake API that records the documents imported. */
function home(refuse = new Set<string>()): { page: HomePage; imported: string[]; outside: HTMLElement } {
  const imported: string[] = [];
  const api = {
    listNotes: async () => imported.map((_, i) => ({ id: `N${i}`, path: `/Imported ${i}` })),
    listSessions: async () => [],
    listExamples: async () => [],
    importNote: async (text: string) => {
      if (refuse.has(text)) throw new Error('not a Zeppelin note: no paragraphs');
      imported.push(text);
      return `N${imported.length}`;
    },
  } as unknown as Api;
  const page = new HomePage({ api, navigate: () => {} });
  // The page sits in the app shell beside the top bar, as in main.ts.
  const outside = document.createElement('header');
  const shell = document.createElement('div');
  shell.className = 'test-shell';
  shell.append(outside, page.el);
  document.querySelector('.test-shell')?.remove();
  document.body.append(shell);
  return { page, imported, outside };
}

/** dragEvent is a drag event carrying files, as a browser dispatches it. */
function dragEvent(type: string, files: File[]): Event {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  const e = new Event(type, { bubbles: true, cancelable: true });
  Object.defineProperty(e, 'dataTransfer', { value: dt });
  return e;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

const NOTE = JSON.stringify({ name: 'Orders', paragraphs: [{ text: '%flink.ssql\nSELECT 1' }] });

describe('HomePage drop import', () => {
  let page: HomePage | undefined;
  afterEach(() => page?.destroy());

  it('imports .zpln files dropped anywhere on the page, even outside its column', async () => {
    const h = home();
    page = h.page;
    await h.page.mount();
    const over = dragEvent('dragover', [new File([NOTE], 'a.zpln')]);
    h.outside.dispatchEvent(over);
    expect(over.defaultPrevented).toBe(true); // else the browser opens the file instead
    expect(document.body.classList.contains('drop-import')).toBe(true);
    const drop = dragEvent('drop', [new File([NOTE], 'a.zpln'), new File([NOTE + ' '], 'b.json')]);
    h.outside.dispatchEvent(drop);
    expect(drop.defaultPrevented).toBe(true);
    await settle();
    expect(h.imported).toEqual([NOTE, NOTE + ' ']);
    expect(document.body.classList.contains('drop-import')).toBe(false);
    expect(h.page.el.querySelector('.muted')?.textContent).toBe('2 notes');
  });

  it('refuses files that are not notes by name, says why, and imports the rest', async () => {
    const bad = '{"paragraphs": 3}';
    const h = home(new Set([bad]));
    page = h.page;
    await h.page.mount();
    h.page.el.dispatchEvent(dragEvent('drop', [new File(['\x89PNG'], 'chart.png'), new File([bad], 'bad.zpln'), new File([NOTE], 'good.zpln')]));
    await settle();
    expect(h.imported).toEqual([NOTE]);
    const toasts = [...document.querySelectorAll('.toast')].map((t) => t.textContent);
    expect(toasts).toContain('Could not import chart.png: not a Zeppelin note (.zpln or .json)');
    expect(toasts).toContain('Could not import bad.zpln: not a Zeppelin note: no paragraphs');
  });

  it('stops taking drops once the page is left', async () => {
    const h = home();
    await h.page.mount();
    h.page.destroy();
    const drop = dragEvent('drop', [new File([NOTE], 'a.zpln')]);
    h.outside.dispatchEvent(drop);
    await settle();
    expect(h.imported).toEqual([]);
  });
});
