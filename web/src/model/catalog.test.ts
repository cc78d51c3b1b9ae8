import { describe, expect, it } from 'vitest';
import type { CatalogObject, CatalogTree } from '../schema';
import { MASK, buildTree, finishedSince, functionName, objectDetails, objectKey, qualifiedName, quoteIdent, type RunState } from './catalog';

const TREE: CatalogTree = {
  currentCatalog: 'eddy',
  currentDatabase: 'sales',
  truncated: false,
  catalogs: [
    { name: 'default_catalog', truncated: false, databases: [{ name: 'default_database', tables: ['b', 'a'], views: [], functions: [], truncated: false }] },
    {
      name: 'eddy',
      truncated: false,
      databases: [
        { name: 'archive', tables: [], views: [], functions: [], truncated: true },
        { name: 'sales', tables: ['orders', 'user'], views: ['big orders'], functions: ['to_eur'], truncated: false, error: 'some failed' },
      ],
    },
    { name: 'hive', truncated: false, databases: [], error: 'unreachable' },
  ],
};

describe('quoting', () => {
  it('quotes every part of a qualified name, doubling backticks', () => {
    expect(quoteIdent('orders')).toBe('`orders`');
    expect(quoteIdent('we`ird')).toBe('`we``ird`');
    expect(qualifiedName('default_catalog', 'my db', 'user')).toBe('`default_catalog`.`my db`.`user`');
  });
  it('leaves plain function names bare and quotes the others', () => {
    expect(functionName('to_eur')).toBe('to_eur');
    expect(functionName('to-eur')).toBe('`to-eur`');
    expect(functionName('9lives')).toBe('`9lives`');
  });
  it('keys objects so that names with slashes cannot collide', () => {
    expect(objectKey('a/b', 'c', 'd')).not.toBe(objectKey('a', 'b/c', 'd'));
  });
});

describe('buildTree', () => {
  const t = buildTree(TREE);
  it('puts the current catalog and database first, the rest by name', () => {
    expect(t.catalogs.map((c) => c.name)).toEqual(['eddy', 'default_catalog', 'hive']);
    expect(t.catalogs[0]?.current).toBe(true);
    expect(t.catalogs[0]?.databases.map((d) => [d.name, d.current])).toEqual([
      ['sales', true],
      ['archive', false],
    ]);
  });
  it('lists tables, then views, then functions, each sorted, with what a click inserts', () => {
    const sales = t.catalogs[0]?.databases[0];
    expect(sales?.objects.map((o) => [o.kind, o.name, o.insert])).toEqual([
      ['table', 'orders', '`eddy`.`sales`.`orders`'],
      ['table', 'user', '`eddy`.`sales`.`user`'],
      ['view', 'big orders', '`eddy`.`sales`.`big orders`'],
      ['function', 'to_eur', 'to_eur'],
    ]);
    expect(sales?.objects[3]?.key).toBeNull();
    expect(sales?.error).toBe('some failed');
    expect(t.catalogs[0]?.databases[1]?.truncated).toBe(true);
    expect(t.catalogs[1]?.databases[0]?.objects.map((o) => o.name)).toEqual(['a', 'b']);
  });
  it('counts objects and carries catalog errors', () => {
    expect(t.objectCount).toBe(6);
    expect(t.catalogs[2]?.error).toBe('unreachable');
  });
});

describe('objectDetails', () => {
  const obj: CatalogObject = {
    catalog: 'default_catalog',
    database: 'default_database',
    name: 'orders',
    kind: 'table',
    temporary: true,
    columns: [
      { name: 'region', type: 'STRING', nullable: false },
      { name: 'id', type: 'BIGINT', nullable: false },
      { name: 'ts', type: 'TIMESTAMP(3) *ROWTIME*', nullable: true },
      { name: 'cost', type: 'DOUBLE', nullable: true, extras: 'AS `price` * 2' },
    ],
    primaryKey: ['id', 'region'],
    watermarks: [{ column: 'ts', expression: "`ts` - INTERVAL '5' SECOND" }],
    connector: 'kafka',
    options: [
      { key: 'connector', value: 'kafka', masked: false },
      { key: 'properties.sasl.jaas.config', value: MASK, masked: true },
      { key: 'topic', value: 'orders', masked: false },
    ],
  };
  const d = objectDetails(obj);
  it('marks key columns with their position and the rowtime column with its watermark', () => {
    expect(d.columns.map((c) => [c.name, c.keyPos, c.watermark])).toEqual([
      ['region', 2, ''],
      ['id', 1, ''],
      ['ts', 0, "`ts` - INTERVAL '5' SECOND"],
      ['cost', 0, ''],
    ]);
    expect(d.primaryKey).toBe('id, region');
    expect(d.watermarks).toEqual(["ts: `ts` - INTERVAL '5' SECOND"]);
    expect(d.columns[3]?.extras).toBe('AS `price` * 2');
  });
  it('shows the connector apart and masked options as the mask, whatever the value', () => {
    expect(d.connector).toBe('kafka');
    expect(d.badges).toEqual(['table', 'temporary']);
    expect(d.options).toEqual([
      { key: 'properties.sasl.jaas.config', value: MASK, masked: true },
      { key: 'topic', value: 'orders', masked: false },
    ]);
    const leaky = objectDetails({ ...obj, options: [{ key: 'password', value: 'hunter2', masked: true }] });
    expect(leaky.options[0]?.value).toBe(MASK);
  });
  it('gives a view its query and no options', () => {
    const v = objectDetails({ ...obj, kind: 'view', temporary: false, options: [], connector: undefined, primaryKey: [], watermarks: [], query: 'SELECT 1' });
    expect(v.badges).toEqual(['view']);
    expect(v.query).toBe('SELECT 1');
    expect(v.connector).toBe('');
    expect(v.title).toBe('`default_catalog`.`default_database`.`orders`');
  });
});

describe('finishedSince', () => {
  const m = (...e: Array<[string, string, string]>) => new Map<string, RunState>(e.map(([id, runKey, status]) => [id, { runKey, status }]));
  it('sees a run go from running to finished', () => {
    expect(finishedSince(m(['p', '1', 'RUNNING']), m(['p', '1', 'FINISHED']))).toBe(true);
    expect(finishedSince(m(['p', '1', 'PENDING']), m(['p', '1', 'FINISHED']))).toBe(true);
  });
  it('sees a new run that finished between two readings', () => {
    expect(finishedSince(m(['p', '1', 'FINISHED']), m(['p', '2', 'FINISHED']))).toBe(true);
    expect(finishedSince(m(), m(['p', '1', 'FINISHED']))).toBe(true);
  });
  it('ignores runs still going, failed ones and unchanged finished ones', () => {
    expect(finishedSince(m(['p', '1', 'PENDING']), m(['p', '1', 'RUNNING']))).toBe(false);
    expect(finishedSince(m(['p', '1', 'RUNNING']), m(['p', '1', 'ERROR']))).toBe(false);
    expect(finishedSince(m(['p', '1', 'FINISHED']), m(['p', '1', 'FINISHED']))).toBe(false);
  });
});
