// Chart settings: Zeppelin's graph config (config.results[i].graph) and how
// it becomes an ECharts option. Pure functions; the chart view renders them.

import type { EChartsOption, SeriesOption } from 'echarts';
import type { Cell, Column } from '../protocol';
import type { Paragraph } from '../schema';
import type { GraphColumn, GraphConfig, ParagraphConfig, ResultConfig } from './note';
import { resultConfigs } from './note';
import { cellText, toNumber, type ViewRow } from './table';

export type ChartMode = 'table' | 'multiBarChart' | 'lineChart' | 'stackedAreaChart' | 'pieChart' | 'scatterChart';

export const CHART_MODES: Array<{ mode: ChartMode; label: string }> = [
  { mode: 'table', label: 'Table' },
  { mode: 'multiBarChart', label: 'Bar' },
  { mode: 'lineChart', label: 'Line' },
  { mode: 'stackedAreaChart', label: 'Area' },
  { mode: 'pieChart', label: 'Pie' },
  { mode: 'scatterChart', label: 'Scatter' },
];

export const AGGREGATIONS = ['sum', 'count', 'avg', 'min', 'max'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Roles a column can take in a pivot chart. */
export type Role = 'keys' | 'groups' | 'values';

export const PALETTE = ['#2f6fde', '#e8833a', '#3aa676', '#c94c4c', '#8a63d2', '#2aa9b8', '#d4a72c', '#d0588f', '#6b7a8f', '#7fb93c'];

export function isChartMode(m: unknown): m is ChartMode {
  return typeof m === 'string' && CHART_MODES.some((c) => c.mode === m);
}

/** modeOf reads the display mode of a graph; 'lineWithFocusChart' and unknown modes map sensibly. */
export function modeOf(g: GraphConfig | undefined): ChartMode {
  const m = g?.mode;
  if (m === 'lineWithFocusChart') return 'lineChart';
  return isChartMode(m) ? m : 'table';
}

function col(columns: Column[], i: number): GraphColumn {
  return { name: columns[i]?.name ?? String(i), index: i, aggr: 'sum' };
}

/**
 * normalizeGraph returns the graph with keys/values defaulted as Zeppelin
 * does on first parse (first column as key, second as value, aggr sum) when
 * they were never set, and with column indexes re-resolved by name against
 * the current columns (a column that no longer exists is dropped). The input
 * is not modified; unknown fields are kept.
 */
export function normalizeGraph(g: GraphConfig | undefined, columns: Column[]): GraphConfig {
  const out: GraphConfig = { ...(g ?? {}) };
  out.mode = modeOf(g);
  const resolve = (list: GraphColumn[] | undefined): GraphColumn[] =>
    (list ?? []).flatMap((c) => {
      const byName = columns.findIndex((x) => x.name === c.name);
      const idx = byName >= 0 ? byName : columns.length === 0 ? Math.trunc(Number(c.index)) : -1;
      if (idx < 0 || (columns.length > 0 && idx >= columns.length)) return [];
      return [{ name: c.name, index: idx, aggr: isAggregation(c.aggr) ? c.aggr : 'sum' }];
    });
  out.keys = g?.keys === undefined ? (columns.length > 0 ? [col(columns, 0)] : []) : resolve(g.keys);
  out.groups = resolve(g?.groups);
  out.values = g?.values === undefined ? (columns.length > 1 ? [col(columns, 1)] : []) : resolve(g.values);
  return out;
}

export function isAggregation(a: unknown): a is Aggregation {
  return typeof a === 'string' && (AGGREGATIONS as readonly string[]).includes(a);
}

/** aggregate folds the cells of one value column with Zeppelin's aggregations. */
export function aggregate(aggr: Aggregation, cells: Cell[]): number | null {
  if (aggr === 'count') return cells.length;
  const nums: number[] = [];
  for (const c of cells) {
    const n = toNumber(c);
    if (n !== null) nums.push(n);
  }
  if (nums.length === 0) return null;
  switch (aggr) {
    case 'sum':
      return nums.reduce((a, b) => a + b, 0);
    case 'avg':
      return nums.reduce((a, b) => a + b, 0) / nums.length;
    case 'min':
      return Math.min(...nums);
    case 'max':
      return Math.max(...nums);
  }
}

/** A plain decimal literal as an integer and a scale: "-12.50" is -1250 at scale 2. */
interface Scaled {
  int: bigint;
  scale: number;
}

function scaledOf(c: Cell): Scaled | null {
  if (typeof c !== 'string') return null;
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(c.trim());
  if (!m) return null;
  const frac = m[3] ?? '';
  const int = BigInt((m[2] ?? '0') + frac);
  return { int: m[1] === '-' ? -int : int, scale: frac.length };
}

function scaledText(v: Scaled): string {
  const neg = v.int < 0n;
  const digits = (neg ? -v.int : v.int).toString().padStart(v.scale + 1, '0');
  const text = v.scale === 0 ? digits : digits.slice(0, -v.scale) + '.' + digits.slice(-v.scale);
  return (neg ? '-' : '') + text;
}

/**
 * exactAggregate is aggregate() as exact text where the cells allow it:
 * count; sum, min and max of plain decimals (Flink's BIGINT and DECIMAL,
 * added digit by digit at the largest scale); avg of one value. null when
 * only the floating-point number is known.
 */
export function exactAggregate(aggr: Aggregation, cells: Cell[]): string | null {
  if (aggr === 'count') return String(cells.length);
  const present = cells.filter((c) => c !== null && c !== undefined);
  if (present.length === 0) return null;
  const scaled = present.map(scaledOf);
  if (scaled.some((v) => v === null)) return null;
  const vals = scaled as Scaled[];
  const scale = Math.max(...vals.map((v) => v.scale));
  const aligned = vals.map((v) => v.int * 10n ** BigInt(scale - v.scale));
  switch (aggr) {
    case 'sum':
      return scaledText({ int: aligned.reduce((a, b) => a + b, 0n), scale });
    case 'min':
    case 'max': {
      let best = 0;
      aligned.forEach((v, i) => {
        const b = aligned[best] as bigint;
        if (aggr === 'min' ? v < b : v > b) best = i;
      });
      return String(present[best]);
    }
    case 'avg':
      return present.length === 1 ? String(present[0]) : null;
  }
}

export interface PivotSeries {
  name: string;
  group: string;
  value: GraphColumn;
  data: Array<number | null>;
  /** Each point's value exactly, as text (a BIGINT beyond 2^53, a DECIMAL's digits); null where only the number is known. */
  exact: Array<string | null>;
}

export interface Pivot {
  /** x-axis categories in order of first appearance. */
  keys: string[];
  series: PivotSeries[];
}

const sep = ' · ';

/** pivot groups rows by keys (x) and groups (series) and aggregates each value column. */
export function pivot(rows: readonly ViewRow[], g: GraphConfig): Pivot {
  const keys = g.keys ?? [];
  const groups = g.groups ?? [];
  const values = g.values ?? [];
  const keyIndex = new Map<string, number>();
  const groupOrder: string[] = [];
  const seenGroup = new Set<string>();
  // cells[group][valueIdx][keyIdx] = collected cells
  const cells = new Map<string, Cell[][][]>();
  for (const r of rows) {
    const k = keys.map((c) => cellText(r.values[c.index])).join('.');
    const grp = groups.map((c) => cellText(r.values[c.index])).join('.');
    let ki = keyIndex.get(k);
    if (ki === undefined) {
      ki = keyIndex.size;
      keyIndex.set(k, ki);
    }
    if (!seenGroup.has(grp)) {
      seenGroup.add(grp);
      groupOrder.push(grp);
      cells.set(grp, values.map(() => []));
    }
    const perValue = cells.get(grp) as Cell[][][];
    values.forEach((v, vi) => {
      const bucket = (perValue[vi] ??= []);
      (bucket[ki as number] ??= []).push(r.values[v.index] ?? null);
    });
  }
  const nKeys = keyIndex.size;
  const series: PivotSeries[] = [];
  for (const grp of groupOrder) {
    const perValue = cells.get(grp) as Cell[][][];
    values.forEach((v, vi) => {
      const data: Array<number | null> = [];
      const exact: Array<string | null> = [];
      const aggr = isAggregation(v.aggr) ? v.aggr : 'sum';
      for (let ki = 0; ki < nKeys; ki++) {
        const bucket = perValue[vi]?.[ki];
        data.push(bucket ? aggregate(aggr, bucket) : null);
        exact.push(bucket ? exactAggregate(aggr, bucket) : null);
      }
      const valueName = `${v.name}(${v.aggr})`;
      const name = groups.length === 0 ? valueName : values.length === 1 ? grp : grp + sep + valueName;
      series.push({ name, group: grp, value: v, data, exact });
    });
  }
  return { keys: [...keyIndex.keys()], series };
}

function settingOf(g: GraphConfig, mode: string): Record<string, unknown> {
  return (g.setting?.[mode] as Record<string, unknown> | undefined) ?? {};
}

function axisLabel(s: Record<string, unknown>): Record<string, unknown> {
  const status = s['xLabelStatus'];
  if (status === 'hide') return { show: false };
  if (status === 'rotate') {
    const deg = Number((s['rotate'] as { degree?: unknown } | undefined)?.degree ?? -45);
    return { rotate: Number.isFinite(deg) ? Math.abs(deg) : 45, hideOverlap: true };
  }
  return { hideOverlap: true };
}

const baseText = { color: '#4a5565', fontSize: 11 };

function base(animate: boolean): EChartsOption {
  return {
    color: PALETTE,
    animation: animate,
    animationDuration: 250,
    animationDurationUpdate: 200,
    textStyle: { fontFamily: 'Inter, system-ui, -apple-system, "Segoe UI", sans-serif' },
    grid: { left: 48, right: 20, top: 36, bottom: 28, containLabel: true },
    tooltip: { trigger: 'axis', confine: true },
    legend: { type: 'scroll', top: 4, left: 'center', textStyle: baseText, itemWidth: 14, itemHeight: 8 },
  };
}

export interface OptionInput {
  graph: GraphConfig;
  columns: Column[];
  rows: readonly ViewRow[];
  animate?: boolean;
}

/** toEChartsOption builds the ECharts option for a normalised graph; null for table mode. */
export function toEChartsOption({ graph, columns, rows, animate = true }: OptionInput): EChartsOption | null {
  const mode = modeOf(graph);
  if (mode === 'table') return null;
  if (mode === 'scatterChart') return scatterOption(graph, columns, rows, animate);
  const pv = pivot(rows, graph);
  if (mode === 'pieChart') return pieOption(pv, animate);
  const setting = settingOf(graph, mode);
  const opt = base(animate);
  const xAxisName = (graph.keys ?? []).map((k) => k.name).join('.');
  opt.xAxis = {
    type: 'category',
    data: pv.keys,
    name: xAxisName,
    nameLocation: 'middle',
    nameGap: 26,
    nameTextStyle: baseText,
    axisLabel: { ...baseText, ...axisLabel(setting) },
    axisLine: { lineStyle: { color: '#c5ccd6' } },
    axisTick: { alignWithLabel: true },
    boundaryGap: mode === 'multiBarChart',
  };
  const expand = mode === 'stackedAreaChart' && setting['style'] === 'expand';
  opt.yAxis = {
    type: 'value',
    scale: mode === 'lineChart' && setting['forceY'] !== true,
    max: expand ? 1 : undefined,
    axisLabel: baseText,
    splitLine: { lineStyle: { color: '#edf0f4' } },
  };
  opt.tooltip = { trigger: 'axis', confine: true, formatter: (ps: unknown) => axisTooltip(pv, ps) };
  let data = pv.series.map((s) => s.data);
  if (expand) {
    data = data.map((d) =>
      d.map((v, ki) => {
        const total = pv.series.reduce((acc, s) => acc + Math.abs(s.data[ki] ?? 0), 0);
        return v === null || total === 0 ? null : Math.abs(v) / total;
      }),
    );
  }
  opt.series = pv.series.map((s, i): SeriesOption => {
    const d = data[i] ?? [];
    if (mode === 'multiBarChart') {
      return { type: 'bar', name: s.name, data: d, stack: setting['stacked'] === true ? 'total' : undefined, barMaxWidth: 48 };
    }
    if (mode === 'stackedAreaChart') {
      return { type: 'line', name: s.name, data: d, stack: 'total', areaStyle: { opacity: 0.55 }, symbol: 'none', smooth: false, lineStyle: { width: 1 } };
    }
    return { type: 'line', name: s.name, data: d, symbol: d.length > 60 ? 'none' : 'circle', symbolSize: 5, connectNulls: true, lineStyle: { width: 2 } };
  });
  return opt;
}

/** One series' entry of an ECharts tooltip, as much of it as the formatters read. */
interface TooltipParam {
  seriesIndex?: number;
  dataIndex?: number;
  seriesName?: string;
  marker?: unknown;
  name?: string;
  axisValueLabel?: string;
  percent?: number;
  data?: unknown;
}

const escapeHTML = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * axisTooltip lists each series' value at the hovered key as exact text
 * (the number ECharts plots may be rounded; a stacked 100 % area plots
 * shares), else as the number.
 */
export function axisTooltip(pv: Pivot, params: unknown): string {
  const ps = (Array.isArray(params) ? params : [params]) as TooltipParam[];
  const head = ps[0]?.axisValueLabel ?? pv.keys[ps[0]?.dataIndex ?? 0] ?? '';
  const lines = ps.map((p) => {
    const s = pv.series[p.seriesIndex ?? -1];
    const i = p.dataIndex ?? -1;
    const text = s ? (s.exact[i] ?? (s.data[i] === null || s.data[i] === undefined ? '-' : String(s.data[i]))) : '';
    const marker = typeof p.marker === 'string' ? p.marker : '';
    return `${marker}${escapeHTML(p.seriesName ?? '')}&nbsp;&nbsp;<b>${escapeHTML(text)}</b>`;
  });
  return [escapeHTML(head), ...lines].join('<br/>');
}

/** itemTooltip shows a pie slice's or a scatter point's exact values (carried as the data item's `exact`). */
function itemTooltip(params: unknown): string {
  const p = params as TooltipParam;
  const d = p.data as { exact?: string[] } | undefined;
  const marker = typeof p.marker === 'string' ? p.marker : '';
  const pct = typeof p.percent === 'number' ? ` (${p.percent}%)` : '';
  return `${escapeHTML(p.seriesName ?? '')}<br/>${marker}${escapeHTML(p.name ?? '')}&nbsp;&nbsp;<b>${escapeHTML((d?.exact ?? []).join(', '))}</b>${pct}`;
}

function pieOption(pv: Pivot, animate: boolean): EChartsOption {
  const opt = base(animate);
  opt.tooltip = { trigger: 'item', confine: true, formatter: itemTooltip };
  const slices: Array<{ name: string; value: number; exact: string[] }> = [];
  // One slice per (group, key); with several values only the first is used.
  const firstValue = pv.series[0]?.value;
  for (const s of pv.series) {
    if (firstValue && s.value !== firstValue && s.value.name !== firstValue.name) continue;
    s.data.forEach((v, ki) => {
      if (v === null) return;
      const key = pv.keys[ki] ?? '';
      slices.push({ name: s.group ? `${s.group}.${key}` : key, value: v, exact: [s.exact[ki] ?? String(v)] });
    });
  }
  opt.series = [
    {
      type: 'pie',
      radius: ['0%', '68%'],
      center: ['50%', '55%'],
      data: slices,
      // Labels only while they fit; the legend and tooltip carry the rest.
      label: { ...baseText, formatter: '{b}: {d}%', show: slices.length <= 12 },
      labelLine: { show: slices.length <= 12 },
      itemStyle: { borderColor: '#fff', borderWidth: 1 },
    },
  ];
  return opt;
}

/** scatterColumns returns the scatter settings with Zeppelin's defaults (first two columns). */
export function scatterColumns(g: GraphConfig, columns: Column[]): { xAxis?: GraphColumn; yAxis?: GraphColumn; group?: GraphColumn; size?: GraphColumn } {
  const s = settingOf(g, 'scatterChart') as { xAxis?: GraphColumn; yAxis?: GraphColumn; group?: GraphColumn; size?: GraphColumn };
  const fix = (c: GraphColumn | undefined): GraphColumn | undefined => {
    if (!c) return undefined;
    const i = columns.findIndex((x) => x.name === c.name);
    return i >= 0 ? { name: c.name, index: i, aggr: c.aggr ?? 'sum' } : undefined;
  };
  const x = fix(s.xAxis) ?? (columns.length > 0 ? col(columns, 0) : undefined);
  const y = fix(s.yAxis) ?? (columns.length > 1 ? col(columns, 1) : undefined);
  const out: { xAxis?: GraphColumn; yAxis?: GraphColumn; group?: GraphColumn; size?: GraphColumn } = {};
  if (x) out.xAxis = x;
  if (y) out.yAxis = y;
  const group = fix(s.group);
  if (group) out.group = group;
  const size = fix(s.size);
  if (size) out.size = size;
  return out;
}

function scatterOption(g: GraphConfig, columns: Column[], rows: readonly ViewRow[], animate: boolean): EChartsOption {
  const sc = scatterColumns(g, columns);
  const opt = base(animate);
  opt.tooltip = { trigger: 'item', confine: true, formatter: itemTooltip };
  const x = sc.xAxis;
  const y = sc.yAxis;
  if (!x || !y) {
    opt.series = [];
    return opt;
  }
  const xNumeric = rows.every((r) => toNumber(r.values[x.index]) !== null || r.values[x.index] === null);
  const bySeries = new Map<string, Array<{ value: Array<number | string | null>; exact: string[] }>>();
  let maxSize = 0;
  for (const r of rows) {
    const name = sc.group ? cellText(r.values[sc.group.index]) : y.name;
    const xv = xNumeric ? toNumber(r.values[x.index]) : cellText(r.values[x.index]);
    const point: Array<number | string | null> = [xv, toNumber(r.values[y.index])];
    if (sc.size) {
      const sz = toNumber(r.values[sc.size.index]) ?? 0;
      maxSize = Math.max(maxSize, Math.abs(sz));
      point.push(sz);
    }
    let list = bySeries.get(name);
    if (!list) bySeries.set(name, (list = []));
    list.push({ value: point, exact: [cellText(r.values[x.index]), cellText(r.values[y.index])] });
  }
  opt.xAxis = { type: xNumeric ? 'value' : 'category', name: x.name, nameLocation: 'middle', nameGap: 26, scale: true, axisLabel: baseText, nameTextStyle: baseText, splitLine: { lineStyle: { color: '#edf0f4' } } };
  opt.yAxis = { type: 'value', name: y.name, scale: true, axisLabel: baseText, nameTextStyle: baseText, splitLine: { lineStyle: { color: '#edf0f4' } } };
  opt.series = [...bySeries.entries()].map(([name, data]): SeriesOption => ({
    type: 'scatter',
    name,
    data,
    symbolSize: sc.size && maxSize > 0 ? (v: number[]) => 6 + 24 * Math.sqrt(Math.abs(Number(v[2] ?? 0)) / maxSize) : 8,
  }));
  return opt;
}

// ---- editing the settings ----

/** withMode returns a copy of the graph in another display mode. */
export function withMode(g: GraphConfig, mode: ChartMode): GraphConfig {
  return { ...g, mode };
}

/** withColumn adds a column to a role (values get aggr sum); a column already there is not repeated. */
export function withColumn(g: GraphConfig, role: Role, column: Column, index: number): GraphConfig {
  const list = (g[role] ?? []).slice();
  if (list.some((c) => c.name === column.name)) return g;
  list.push({ name: column.name, index, aggr: 'sum' });
  return { ...g, [role]: list };
}

export function withoutColumn(g: GraphConfig, role: Role, name: string): GraphConfig {
  return { ...g, [role]: (g[role] ?? []).filter((c) => c.name !== name) };
}

export function withAggregation(g: GraphConfig, name: string, aggr: Aggregation): GraphConfig {
  return { ...g, values: (g.values ?? []).map((c) => (c.name === name ? { ...c, aggr } : c)) };
}

/** withSetting sets one key of setting.<mode>. */
export function withSetting(g: GraphConfig, mode: ChartMode, key: string, value: unknown): GraphConfig {
  const setting = { ...(g.setting ?? {}) };
  setting[mode] = { ...(setting[mode] ?? {}), [key]: value };
  return { ...g, setting };
}

/** graphForSave strips indexes to plain numbers and fills the fields Zeppelin always writes. */
export function graphForSave(g: GraphConfig): GraphConfig {
  const strip = (l: GraphColumn[] | undefined) => (l ?? []).map((c) => ({ name: c.name, index: c.index, aggr: c.aggr }));
  return {
    height: 300,
    optionOpen: false,
    setting: {},
    commonSetting: {},
    ...g,
    mode: modeOf(g),
    keys: strip(g.keys),
    groups: strip(g.groups),
    values: strip(g.values),
  };
}

/**
 * resultsConfigPatch returns the `config` patch that stores graph as the
 * chart of result message `index`, keeping every other entry and field. The
 * results map is written in Zeppelin's current object form ({"0": {...}}).
 */
export function resultsConfigPatch(p: Paragraph | { config?: ParagraphConfig }, index: number, graph: GraphConfig): { results: Record<string, ResultConfig> } {
  const results: Record<string, ResultConfig> = { ...resultConfigs(p.config) };
  const key = String(index);
  results[key] = { helium: {}, ...(results[key] ?? {}), graph: graphForSave(graph) };
  return { results };
}
