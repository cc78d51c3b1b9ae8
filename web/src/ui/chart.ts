// The chart view: an ECharts instance drawn from a result table with the
// paragraph's Zeppelin graph settings, and the settings pane (keys, groups,
// values with aggregation; scatter axes; per-chart options). Changes are
// reported through onChange so the paragraph can persist them.

import { BarChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { Column } from '../protocol';
import type { ViewRow } from '../model/table';
import {
  AGGREGATIONS,
  isAggregation,
  modeOf,
  scatterColumns,
  toEChartsOption,
  withAggregation,
  withColumn,
  withSetting,
  withoutColumn,
  type ChartMode,
  type Role,
} from '../model/chart';
import type { GraphColumn, GraphConfig } from '../model/note';
import { perf } from '../perf';
import { button, clear, h } from './dom';

echarts.use([BarChart, LineChart, PieChart, ScatterChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** Live charts redraw at most this often. */
const MIN_REDRAW_MS = 250;

export class ChartView {
  readonly el: HTMLElement;
  private readonly canvasBox: HTMLElement;
  private readonly settingsBox: HTMLElement;
  private chart: echarts.ECharts | null = null;
  private observer: ResizeObserver | null = null;
  private columns: Column[] = [];
  private rows: readonly ViewRow[] = [];
  private graph: GraphConfig = {};
  private lastDraw = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private settingsKey = '';
  private drawn = 0;

  constructor(private readonly onChange: (g: GraphConfig) => void) {
    this.canvasBox = h('div', { class: 'chart-canvas', 'data-testid': 'chart' });
    this.settingsBox = h('div', { class: 'chart-settings' });
    this.el = h('div', { class: 'chart' }, this.settingsBox, this.canvasBox);
  }

  /** update redraws with new data/settings; live updates are throttled. */
  update(columns: Column[], rows: readonly ViewRow[], graph: GraphConfig, live: boolean): void {
    this.columns = columns;
    this.rows = rows;
    this.graph = graph;
    this.canvasBox.style.height = (Number(graph.height) > 120 ? Number(graph.height) : 300) + 'px';
    this.renderSettings();
    const wait = live ? MIN_REDRAW_MS - (Date.now() - this.lastDraw) : 0;
    if (wait <= 0) this.draw(live);
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.draw(true);
      }, wait);
    }
  }

  /** showSettings opens or closes the settings pane. */
  set settingsOpen(open: boolean) {
    this.settingsBox.hidden = !open;
  }

  get settingsOpen(): boolean {
    return !this.settingsBox.hidden;
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.observer?.disconnect();
    this.chart?.dispose();
    this.chart = null;
  }

  private draw(live: boolean): void {
    this.lastDraw = Date.now();
    const opt = toEChartsOption({ graph: this.graph, columns: this.columns, rows: this.rows, animate: !live && this.drawn === 0 });
    if (!opt) return;
    if (!this.chart) {
      this.chart = echarts.init(this.canvasBox, undefined, { renderer: 'canvas' });
      if (typeof ResizeObserver === 'function') {
        this.observer = new ResizeObserver(() => this.chart?.resize());
        this.observer.observe(this.canvasBox);
      }
    }
    perf.time('chart-set-option', () => this.chart?.setOption(opt, { notMerge: true, lazyUpdate: true }));
    this.drawn++;
    this.canvasBox.dataset['mode'] = modeOf(this.graph);
    this.canvasBox.dataset['points'] = String(this.rows.length);
  }

  private renderSettings(): void {
    const mode = modeOf(this.graph);
    const key = JSON.stringify([mode, this.columns, this.graph.keys, this.graph.groups, this.graph.values, this.graph.setting?.[mode]]);
    if (key === this.settingsKey) return;
    this.settingsKey = key;
    clear(this.settingsBox);
    if (mode === 'scatterChart') this.renderScatterSettings();
    else {
      this.settingsBox.appendChild(this.roleBox('keys', 'Keys', 'x axis'));
      this.settingsBox.appendChild(this.roleBox('groups', 'Groups', 'series'));
      this.settingsBox.appendChild(this.roleBox('values', 'Values', 'aggregated'));
    }
    const extra = this.modeOptions(mode);
    if (extra) this.settingsBox.appendChild(extra);
  }

  private roleBox(role: Role, label: string, hint: string): HTMLElement {
    const chosen = this.graph[role] ?? [];
    const chips = chosen.map((c) =>
      h(
        'span',
        { class: 'chip', 'data-role': role, 'data-col': c.name },
        h('span', { class: 'chip-name' }, c.name),
        role === 'values'
          ? h(
              'select',
              {
                class: 'chip-aggr',
                title: 'aggregation',
                'data-testid': `aggr-${c.name}`,
                onchange: (e: Event) => {
                  const v = (e.target as HTMLSelectElement).value;
                  if (isAggregation(v)) this.onChange(withAggregation(this.graph, c.name, v));
                },
              },
              AGGREGATIONS.map((a) => h('option', { value: a, selected: a === c.aggr }, a)),
            )
          : null,
        button({ icon: 'x', title: `remove ${c.name}`, cls: 'chip-x', onClick: () => this.onChange(withoutColumn(this.graph, role, c.name)) }),
      ),
    );
    const available = this.columns.map((c, i) => ({ c, i })).filter(({ c }) => !chosen.some((x) => x.name === c.name));
    const add = h(
      'select',
      {
        class: 'role-add',
        'data-testid': `add-${role}`,
        title: `add a column to ${label.toLowerCase()}`,
        onchange: (e: Event) => {
          const sel = e.target as HTMLSelectElement;
          const i = Number(sel.value);
          const col = this.columns[i];
          sel.value = '';
          if (col) this.onChange(withColumn(this.graph, role, col, i));
        },
      },
      h('option', { value: '', selected: true }, '+ add'),
      available.map(({ c, i }) => h('option', { value: String(i) }, c.name)),
    );
    return h('div', { class: 'role', 'data-role': role }, h('div', { class: 'role-label' }, label, h('span', { class: 'role-hint' }, hint)), h('div', { class: 'role-chips' }, chips, available.length > 0 ? add : null));
  }

  private renderScatterSettings(): void {
    const sc = scatterColumns(this.graph, this.columns);
    const pick = (name: 'xAxis' | 'yAxis' | 'group' | 'size', label: string, optional: boolean) => {
      const current = sc[name];
      return h(
        'div',
        { class: 'role' },
        h('div', { class: 'role-label' }, label),
        h(
          'select',
          {
            class: 'role-add',
            'data-testid': `scatter-${name}`,
            onchange: (e: Event) => {
              const i = Number((e.target as HTMLSelectElement).value);
              const col = this.columns[i];
              const value: GraphColumn | null = col ? { name: col.name, index: i, aggr: 'sum' } : null;
              this.onChange(withSetting(this.graph, 'scatterChart', name, value));
            },
          },
          optional ? h('option', { value: '-1', selected: !current }, '—') : null,
          this.columns.map((c, i) => h('option', { value: String(i), selected: current?.name === c.name }, c.name)),
        ),
      );
    };
    this.settingsBox.append(pick('xAxis', 'x axis', false), pick('yAxis', 'y axis', false), pick('group', 'Group', true), pick('size', 'Size', true));
  }

  private modeOptions(mode: ChartMode): HTMLElement | null {
    const s = (this.graph.setting?.[mode] ?? {}) as Record<string, unknown>;
    const toggle = (key: string, label: string) =>
      h('label', { class: 'opt' }, h('input', { type: 'checkbox', checked: s[key] === true, onchange: (e: Event) => this.onChange(withSetting(this.graph, mode, key, (e.target as HTMLInputElement).checked)) }), label);
    const xlabels = () =>
      h(
        'label',
        { class: 'opt' },
        'x labels ',
        h(
          'select',
          { onchange: (e: Event) => this.onChange(withSetting(this.graph, mode, 'xLabelStatus', (e.target as HTMLSelectElement).value)) },
          ['default', 'rotate', 'hide'].map((v) => h('option', { value: v, selected: (s['xLabelStatus'] ?? 'default') === v }, v)),
        ),
      );
    switch (mode) {
      case 'multiBarChart':
        return h('div', { class: 'role opts' }, toggle('stacked', 'stacked'), xlabels());
      case 'lineChart':
        return h('div', { class: 'role opts' }, toggle('forceY', 'y from zero'), xlabels());
      case 'stackedAreaChart':
        return h(
          'div',
          { class: 'role opts' },
          h(
            'label',
            { class: 'opt' },
            'style ',
            h(
              'select',
              { onchange: (e: Event) => this.onChange(withSetting(this.graph, mode, 'style', (e.target as HTMLSelectElement).value)) },
              ['stack', 'expand'].map((v) => h('option', { value: v, selected: (s['style'] ?? 'stack') === v }, v)),
            ),
          ),
          xlabels(),
        );
      default:
        return null;
    }
  }
}
