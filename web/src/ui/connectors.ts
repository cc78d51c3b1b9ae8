// The connectors of the local Flink cluster, on the catalog page: the jars
// on its classpath and what each provides; jars known to work, and any
// other by Maven coordinates, to add. Adding one restarts the Flink JVMs,
// so the panel says so first, and asks again when jobs would end.

import { ApiError, type Api } from '../api';
import type { Connector, ConnectorSuggestion } from '../schema';
import { button, h } from './dom';
import { confirm, toast } from './overlay';

export class ConnectorsPanel {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private busy = false;

  constructor(private readonly deps: { api: Api }) {
    this.body = h('div', { class: 'conn-body' });
    this.status = h('div', { class: 'conn-status', role: 'status', 'data-testid': 'connectors-status', hidden: true });
    this.el = h(
      'section',
      { class: 'card connectors', 'data-testid': 'connectors' },
      h('div', { class: 'examples-head' }, h('h2', null, 'Connectors and formats')),
      this.status,
      this.body,
    );
  }

  async refresh(): Promise<void> {
    try {
      const l = await this.deps.api.listConnectors();
      this.render(l.connectors, l.suggested, l.canAdd);
    } catch (e) {
      this.body.replaceChildren(h('p', { class: 'hint' }, `Cannot list the connectors: ${(e as Error).message}`));
    }
  }

  private render(installed: Connector[], suggested: ConnectorSuggestion[], canAdd: boolean): void {
    const rows = installed.map((c) =>
      h(
        'tr',
        { 'data-testid': 'connector' },
        h('td', { class: 'mono' }, c.file),
        h('td', null, h('span', { class: 'badge ' + (c.origin === 'added' ? 'live' : 'final') }, c.origin)),
        h('td', { class: 'muted small' }, c.factories.map(shortClass).join(', ') || '—'),
      ),
    );
    const table = h('table', { class: 'conn-table' }, h('thead', null, h('tr', null, h('th', null, 'Jar'), h('th', null, 'Origin'), h('th', null, 'Table factories'))), h('tbody', null, ...rows));
    if (!canAdd) {
      this.body.replaceChildren(
        h('p', { class: 'hint' }, 'Eddy does not run this Flink cluster, so it cannot add jars to it: put a connector’s jar in lib/ of the JobManager, the TaskManagers and the SQL Gateway (see docs/kafka.md).'),
        table,
      );
      return;
    }
    const input = h('input', { type: 'text', class: 'input mono', placeholder: 'group:artifact:version', 'aria-label': 'Maven coordinates', 'data-testid': 'connector-coordinates' }) as HTMLInputElement;
    const addOther = (): void => {
      const v = input.value.trim();
      if (v) void this.add(v);
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') addOther();
    });
    this.body.replaceChildren(
      h('p', { class: 'hint' }, 'On the classpath of the local cluster’s SQL Gateway, JobManager and TaskManager. Adding a jar downloads it from the Maven repository, checks the checksum it publishes and restarts the Flink JVMs (about half a minute; the Kafka broker keeps running). For one note only, use flink.execution.packages in a %flink.conf paragraph.'),
      table,
      h('h3', null, 'Add'),
      h(
        'div',
        { class: 'conn-suggested' },
        ...suggested.map((s) =>
          h(
            'div',
            { class: 'example', 'data-testid': 'connector-suggestion' },
            h(
              'div',
              { class: 'example-text' },
              h('div', { class: 'example-title' }, ...s.provides.map((p) => h('span', { class: 'badge kafka' }, p)), h('span', { class: 'mono small' }, s.coordinates)),
              h('div', { class: 'muted' }, s.description),
            ),
            s.installed ? h('span', { class: 'badge final' }, 'installed') : button({ icon: 'plus', label: 'Add', testid: 'add-suggested', onClick: () => void this.add(s.coordinates) }),
          ),
        ),
      ),
      h('div', { class: 'conn-other' }, input, button({ icon: 'plus', label: 'Add by coordinates', testid: 'add-connector', onClick: addOther })),
    );
  }

  /** add asks first, adds, and asks again when jobs are running, which the restart would end. */
  private async add(coords: string): Promise<void> {
    if (this.busy) return;
    const ok = await confirm(
      'Add a connector',
      `Download ${coords} from the Maven repository and restart the Flink JVMs with it? Notes keep their sessions; the restart takes about half a minute.`,
      'Add and restart',
    );
    if (!ok) return;
    this.busy = true;
    try {
      let added: Connector;
      try {
        added = await this.withStatus(`Adding ${coords}: downloading, then restarting Flink…`, () => this.deps.api.addConnector(coords));
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 409 || !/running/.test(e.message)) throw e;
        if (!(await confirm('Jobs are running', `${e.message}.`, 'End them and add'))) return;
        added = await this.withStatus(`Adding ${coords}: downloading, then restarting Flink…`, () => this.deps.api.addConnector(coords, true));
      }
      toast(`Added ${added.file}; the cluster restarted with it.`, 'ok');
    } catch (e) {
      toast(`Could not add ${coords}: ${(e as Error).message}`, 'error');
    } finally {
      this.busy = false;
      await this.refresh();
    }
  }

  private async withStatus<T>(text: string, f: () => Promise<T>): Promise<T> {
    this.status.textContent = text;
    this.status.hidden = false;
    this.el.classList.add('busy');
    try {
      return await f();
    } finally {
      this.status.hidden = true;
      this.el.classList.remove('busy');
    }
  }
}

/** shortClass drops a class name's package: org.apache.flink.X.KafkaDynamicTableFactory → KafkaDynamicTableFactory. */
export function shortClass(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}
