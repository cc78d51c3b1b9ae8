// The example notes on the home page: what each shows, and a button that
// installs it (once) into the Examples folder and opens it.

import type { Api } from '../api';
import type { Example } from '../schema';
import { button, h } from './dom';
import { toast } from './overlay';

export interface ExamplesDeps {
  api: Api;
  navigate: (path: string) => void;
}

export class ExamplesPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;

  constructor(private readonly deps: ExamplesDeps) {
    this.list = h('div', { class: 'examples-list' });
    this.el = h(
      'section',
      { class: 'card examples', 'data-testid': 'examples' },
      h('div', { class: 'examples-head' }, h('h2', null, 'Examples'), h('span', { class: 'muted' }, 'Notes written for Eddy: streams through the local Kafka, event time, windows, files.')),
      this.list,
    );
  }

  async refresh(): Promise<void> {
    let examples: Example[];
    try {
      examples = await this.deps.api.listExamples();
    } catch {
      this.el.hidden = true; // the note list says what is wrong with the server
      return;
    }
    this.el.hidden = examples.length === 0;
    this.list.replaceChildren(...examples.map((e) => this.row(e)));
  }

  private row(e: Example): HTMLElement {
    const needs = e.needs.includes('kafka') ? h('span', { class: 'badge kafka' }, 'Kafka') : null;
    return h(
      'div',
      { class: 'example', 'data-testid': `example-${e.name}` },
      h('div', { class: 'example-text' }, h('div', { class: 'example-title' }, e.title, needs), h('div', { class: 'muted' }, e.description)),
      button({ icon: e.noteId ? 'chevronRight' : 'plus', label: e.noteId ? 'Open' : 'Add and open', testid: `open-example-${e.name}`, onClick: () => void this.open(e) }),
    );
  }

  private async open(e: Example): Promise<void> {
    try {
      const id = e.noteId ?? (await this.deps.api.installExample(e.name));
      this.deps.navigate(`/notebook/${encodeURIComponent(id)}`);
    } catch (err) {
      toast(`Could not open the example: ${(err as Error).message}`, 'error');
    }
  }
}
