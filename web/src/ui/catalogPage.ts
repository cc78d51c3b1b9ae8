// The catalog page: the permanent catalogs, databases, tables, views and
// functions every note sees, browsed outside any note; a click copies a
// qualified name.

import type { Api } from '../api';
import { CatalogPanel } from './catalogPanel';
import { ConnectorsPanel } from './connectors';
import { h } from './dom';
import { toast } from './overlay';

export class CatalogPage {
  readonly el: HTMLElement;
  private readonly panel: CatalogPanel;
  private readonly connectors: ConnectorsPanel;

  constructor(deps: { api: Api }) {
    this.panel = new CatalogPanel({ api: deps.api, noteId: '', alwaysOpen: true, onInsert: (text) => void copy(text) });
    this.connectors = new ConnectorsPanel({ api: deps.api });
    this.el = h(
      'div',
      { class: 'page catalog-page', 'data-testid': 'catalog-page' },
      h('div', { class: 'home-head' }, h('h1', null, 'Catalog')),
      h('p', { class: 'hint' }, 'Tables, views and functions created in any note (without TEMPORARY) are kept here and seen by every note. A note’s temporary objects show in that note’s own catalog panel.'),
      this.panel.el,
      this.connectors.el,
    );
  }

  async mount(): Promise<void> {
    document.title = 'Catalog · Eddy';
    this.panel.mount();
    void this.connectors.refresh();
  }

  destroy(): void {
    this.panel.destroy();
  }
}

async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast(`Copied ${text}`, 'ok');
  } catch {
    toast(text, 'info');
  }
}
