import { describe, expect, it } from 'vitest';
import { paragraph } from '../fixtures';
import type { Cell } from '../protocol';
import { aggregate, exactAggregate, normalizeGraph, pivot, resultsConfigPatch, scatterColumns, toEChartsOption, withAggregation, withColumn, withMode, withSetting, withoutColumn } from './chart';
import type { Paragraph } from '../schema';
import { graphOf, type GraphConfig } from './note';
import type { ViewRow } from './table';

const columns = [
  { name: 'day', type: 'STRING' },
  { name: 'region', type: 'STRING' },
  { name: 'pv', type: 'BIGINT' },
  { name: 'ms', type: 'DOUBLE' },
];

const rows: ViewRow[] = [
  ['mon', 'eu', 10, 1.5],
  ['mon', 'us', 20, 2.5],
  ['tue', 'eu', 5, 3],
  ['mon', 'eu', 1, 0.5],
  ['tue', 'us', null, 4],
].map((values, i) => ({ id: String(i), values: values as Cell[] }));

// A graph as Zeppelin 0.9+ writes it into config.results["0"].graph.
const zeppelinGraph: GraphConfig = {
  mode: 'multiBarChart',
  height: 300.0,
  optionOpen: false,
  setting: {
    table: { tableGridState: {}, tableColumnTypeState: { names: { day: 'string', pv: 'string' }, updated: false } },
    multiBarChart: { rotate: { degree: '-45' }, xLabelStatus: 'default', stacked: true },
  },
  commonSetting: {},
  keys: [{ name: 'day', index: 0.0, aggr: 'sum' }],
  groups: [],
  values: [{ name: 'pv', index: 2.0, aggr: 'sum' }],
};

describe('aggregate', () => {
  const cells: Cell[] = [3, '4', null, 'x', 1];
  it.each([
    ['sum', 8],
    ['count', 5],
    ['avg', 8 / 3],
    ['min', 1],
    ['max', 4],
  ] as const)('%s', (aggr, want) => {
    expect(aggregate(aggr, cells)).toBeCloseTo(want);
  });
  it('is null without numbers (except count)', () => {
    expect(aggregate('sum', ['a', null])).toBeNull();
    expect(aggregate('count', [])).toBe(0);
  });
});

describe('normalizeGraph', () => {
  it("defaults like Zeppelin's first parse: first column key, second value, sum", () => {
    const g = normalizeGraph(undefined, columns);
    expect(g.mode).toBe('table');
    expect(g.keys).toEqual([{ name: 'day', index: 0, aggr: 'sum' }]);
    expect(g.values).toEqual([{ name: 'region', index: 1, aggr: 'sum' }]);
    expect(g.groups).toEqual([]);
  });

  it('keeps saved settings, re-resolves indexes by name and drops missing columns', () => {
    const g = normalizeGraph({ ...zeppelinGraph, values: [{ name: 'pv', index: 7, aggr: 'avg' }, { name: 'gone', index: 1, aggr: 'sum' }] }, columns);
    expect(g.mode).toBe('multiBarChart');
    expect(g.values).toEqual([{ name: 'pv', index: 2, aggr: 'avg' }]);
    expect(g.setting?.['multiBarChart']?.['stacked']).toBe(true);
    expect(g.height).toBe(300);
  });

  it('maps lineWithFocusChart to line and unknown modes to table', () => {
    expect(normalizeGraph({ mode: 'lineWithFocusChart' }, columns).mode).toBe('lineChart');
    expect(normalizeGraph({ mode: 'network' }, columns).mode).toBe('table');
  });
});

describe('pivot', () => {
  it('groups by keys and aggregates values', () => {
    const p = pivot(rows, { keys: [{ name: 'day', index: 0, aggr: 'sum' }], groups: [], values: [{ name: 'pv', index: 2, aggr: 'sum' }] });
    expect(p.keys).toEqual(['mon', 'tue']);
    expect(p.series).toHaveLength(1);
    expect(p.series[0]?.name).toBe('pv(sum)');
    expect(p.series[0]?.data).toEqual([31, 5]);
  });

  it('splits series by groups', () => {
    const p = pivot(rows, { keys: [{ name: 'day', index: 0, aggr: 'sum' }], groups: [{ name: 'region', index: 1, aggr: 'sum' }], values: [{ name: 'pv', index: 2, aggr: 'max' }] });
    expect(p.series.map((s) => [s.name, s.data])).toEqual([
      ['eu', [10, 5]],
      ['us', [20, null]],
    ]);
  });

  it('names series by group and value when there are several values', () => {
    const p = pivot(rows, {
      keys: [{ name: 'day', index: 0, aggr: 'sum' }],
      groups: [{ name: 'region', index: 1, aggr: 'sum' }],
      values: [
        { name: 'pv', index: 2, aggr: 'count' },
        { name: 'ms', index: 3, aggr: 'avg' },
      ],
    });
    expect(p.series.map((s) => s.name)).toEqual(['eu · pv(count)', 'eu · ms(avg)', 'us · pv(count)', 'us · ms(avg)']);
    expect(p.series[1]?.data).toEqual([1, 3]);
  });
});

describe('toEChartsOption', () => {
  const g = (mode: string, extra: Partial<GraphConfig> = {}) => normalizeGraph({ ...zeppelinGraph, mode, ...extra }, columns);

  it('is null for the table', () => {
    expect(toEChartsOption({ graph: g('table'), columns, rows })).toBeNull();
  });

  it('bar: categories from keys, stacked from setting', () => {
    const o = toEChartsOption({ graph: g('multiBarChart'), columns, rows }) as Record<string, any>;
    expect(o['xAxis'].data).toEqual(['mon', 'tue']);
    expect(o['series']).toHaveLength(1);
    expect(o['series'][0]).toMatchObject({ type: 'bar', stack: 'total', data: [31, 5] });
  });

  it('line: y from zero only when forceY', () => {
    const o1 = toEChartsOption({ graph: g('lineChart'), columns, rows }) as Record<string, any>;
    expect(o1['series'][0].type).toBe('line');
    expect(o1['yAxis'].scale).toBe(true);
    const o2 = toEChartsOption({ graph: withSetting(g('lineChart'), 'lineChart', 'forceY', true), columns, rows }) as Record<string, any>;
    expect(o2['yAxis'].scale).toBe(false);
  });

  it('area: stacked, expand style normalises to shares', () => {
    const graph = normalizeGraph({ ...zeppelinGraph, mode: 'stackedAreaChart', groups: [{ name: 'region', index: 1, aggr: 'sum' }], setting: { stackedAreaChart: { style: 'expand' } } }, columns);
    const o = toEChartsOption({ graph, columns, rows }) as Record<string, any>;
    expect(o['series'].map((s: any) => s.stack)).toEqual(['total', 'total']);
    expect(o['series'][0].data[0] + o['series'][1].data[0]).toBeCloseTo(1);
    expect(o['yAxis'].max).toBe(1);
  });

  it('pie: one slice per (group, key), labelled group.key', () => {
    const graph = normalizeGraph({ ...zeppelinGraph, mode: 'pieChart', groups: [{ name: 'region', index: 1, aggr: 'sum' }] }, columns);
    const o = toEChartsOption({ graph, columns, rows }) as Record<string, any>;
    expect(o['series'][0].data).toEqual([
      { name: 'eu.mon', value: 11, exact: ['11'] },
      { name: 'eu.tue', value: 5, exact: ['5'] },
      { name: 'us.mon', value: 20, exact: ['20'] },
    ]);
  });

  it('scatter: first two columns by default, numeric x on a value axis, series per group', () => {
    const cols2 = [columns[2]!, columns[3]!, columns[1]!];
    const rows2 = rows.map((r) => ({ id: r.id, values: [r.values[2] ?? null, r.values[3] ?? null, r.values[1] ?? null] }));
    const sc = scatterColumns({ mode: 'scatterChart' }, cols2);
    expect([sc.xAxis?.name, sc.yAxis?.name]).toEqual(['pv', 'ms']);
    const graph = withSetting({ mode: 'scatterChart' }, 'scatterChart', 'group', { name: 'region', index: 2, aggr: 'sum' });
    const o = toEChartsOption({ graph, columns: cols2, rows: rows2 }) as Record<string, any>;
    expect(o['xAxis'].type).toBe('value');
    expect(o['series'].map((s: any) => s.name)).toEqual(['eu', 'us']);
    expect(o['series'][0].data[0]).toEqual({ value: [10, 1.5], exact: ['10', '1.5'] });
  });

  it("tooltips show values exactly: a BIGINT beyond 2^53 and a DECIMAL(38, 18)'s digits", () => {
    const cols = [
      { name: 'k', type: 'STRING' },
      { name: 'big', type: 'BIGINT' },
      { name: 'dec', type: 'DECIMAL(38, 18)' },
    ];
    const vals: Cell[][] = [
      ['a', '9007199254740993', '12345678901234567890.123456789012345678'],
      ['b', '1', '0.000000000000000001'],
      ['b', '2', '0.000000000000000002'],
    ];
    const rs: ViewRow[] = vals.map((v, i) => ({ id: String(i), values: v }));
    const graph = normalizeGraph({ mode: 'lineChart', keys: [{ name: 'k', index: 0, aggr: 'sum' }], values: [{ name: 'big', index: 1, aggr: 'sum' }, { name: 'dec', index: 2, aggr: 'sum' }] }, cols);
    const o = toEChartsOption({ graph, columns: cols, rows: rs }) as Record<string, any>;
    const tip = (dataIndex: number) =>
      o['tooltip'].formatter([
        { seriesIndex: 0, dataIndex, seriesName: 'big(sum)', axisValueLabel: dataIndex === 0 ? 'a' : 'b', marker: '' },
        { seriesIndex: 1, dataIndex, seriesName: 'dec(sum)', marker: '' },
      ]);
    expect(tip(0)).toContain('<b>9007199254740993</b>');
    expect(tip(0)).toContain('<b>12345678901234567890.123456789012345678</b>');
    expect(tip(1)).toContain('<b>3</b>');
    expect(tip(1)).toContain('<b>0.000000000000000003</b>');
    // What ECharts plots is the nearest double: the tooltip is where the digits are.
    expect(o['series'][0].data[0]).toBe(9007199254740992);
  });

  it('exactAggregate adds decimals digit by digit and keeps min/max as printed', () => {
    expect(exactAggregate('sum', ['0.1', '0.2'])).toBe('0.3');
    expect(exactAggregate('sum', ['-1.50', '1'])).toBe('-0.50');
    expect(exactAggregate('max', ['9223372036854775806', '9223372036854775807', null])).toBe('9223372036854775807');
    expect(exactAggregate('min', ['10.50', '3.00'])).toBe('3.00');
    expect(exactAggregate('count', ['x', null])).toBe('2');
    expect(exactAggregate('avg', ['1', '2'])).toBeNull();
    expect(exactAggregate('sum', ['1.0E20', '1'])).toBeNull();
  });
});

describe('editing and saving settings', () => {
  it('adds, removes and re-aggregates columns without touching other fields', () => {
    let g = normalizeGraph(zeppelinGraph, columns);
    g = withColumn(g, 'groups', columns[1]!, 1);
    g = withColumn(g, 'groups', columns[1]!, 1); // no duplicates
    g = withAggregation(g, 'pv', 'avg');
    g = withMode(g, 'lineChart');
    expect(g.groups).toEqual([{ name: 'region', index: 1, aggr: 'sum' }]);
    expect(g.values?.[0]?.aggr).toBe('avg');
    expect(g.setting?.['multiBarChart']).toEqual(zeppelinGraph.setting?.['multiBarChart']);
    g = withoutColumn(g, 'groups', 'region');
    expect(g.groups).toEqual([]);
  });

  it('writes the graph where Zeppelin keeps it and reads it back', () => {
    const p = paragraph({ id: 'p1', config: { results: { '0': { graph: { mode: 'table' }, helium: {} }, '1': { graph: zeppelinGraph } }, editorHide: false } });
    const patch = resultsConfigPatch(p, 0, withMode(normalizeGraph(undefined, columns), 'pieChart'));
    expect(Object.keys(patch)).toEqual(['results']);
    expect(patch.results['1']).toEqual({ graph: zeppelinGraph });
    expect(patch.results['0']?.graph?.mode).toBe('pieChart');
    expect(patch.results['0']?.helium).toEqual({});
    const after: Paragraph = { ...p, config: { ...p.config, ...patch } };
    expect(graphOf(after, 0)?.keys).toEqual([{ name: 'day', index: 0, aggr: 'sum' }]);
  });

  it('reads the old array form of config.results', () => {
    const p = paragraph({ id: 'p', config: { results: [{ graph: { mode: 'pieChart' } }] } });
    expect(graphOf(p, 0)?.mode).toBe('pieChart');
    expect(resultsConfigPatch(p, 1, { mode: 'table' }).results['0']?.graph?.mode).toBe('pieChart');
  });
});
