// The catalog browser's model: the tree the server answers turned into what
// the panel shows (catalogs → databases → tables, views, functions, sorted,
// the current ones first and marked), the details of a table or view as
// rows, and the names a click inserts into a paragraph, quoted as Flink
// SQL needs. The server decides what exists and what is secret; this only
// arranges it.

import type { CatalogObject, CatalogTree } from '../schema';

export type ObjectKind = 'table' | 'view' | 'function';

export interface ObjectNode {
  kind: ObjectKind;
  name: string;
  /** What a click inserts: `cat`.`db`.`name` for tables and views, the function's name for functions. */
  insert: string;
  /** The key of its details (catalog/database/name); functions have none. */
  key: string | null;
}

export interface DatabaseView {
  name: string;
  current: boolean;
  objects: ObjectNode[];
  truncated: boolean;
  error: string;
}

export interface CatalogView {
  name: string;
  current: boolean;
  databases: DatabaseView[];
  truncated: boolean;
  error: string;
}

export interface TreeView {
  catalogs: CatalogView[];
  /** Some list was cut by the server's bounds. */
  truncated: boolean;
  /** Tables, views and functions in all. */
  objectCount: number;
}

const SIMPLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** quoteIdent quotes one part of a Flink SQL identifier in backticks, doubling backticks inside. */
export function quoteIdent(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/**
 * qualifiedName is `catalog`.`database`.`name`: every part quoted, so
 * reserved words (`user`, `order`), spaces and dots in names are safe.
 */
export function qualifiedName(catalog: string, database: string, name: string): string {
  return [catalog, database, name].map(quoteIdent).join('.');
}

/** functionName is how a function is called: bare when it is a plain identifier, quoted otherwise. */
export function functionName(name: string): string {
  return SIMPLE.test(name) ? name : quoteIdent(name);
}

/** objectKey identifies an object's details; the parts cannot contain the separator unescaped. */
export function objectKey(catalog: string, database: string, name: string): string {
  return [catalog, database, name].map(encodeURIComponent).join('/');
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** buildTree arranges the server's tree: current catalog and database first, the rest by name. */
export function buildTree(t: CatalogTree): TreeView {
  let objectCount = 0;
  const catalogs = t.catalogs.map((c): CatalogView => {
    const currentCatalog = c.name === t.currentCatalog;
    const databases = c.databases.map((d): DatabaseView => {
      const objects: ObjectNode[] = [];
      const add = (kind: ObjectKind, names: string[]) => {
        for (const name of [...names].sort((a, b) => a.localeCompare(b))) {
          objects.push({
            kind,
            name,
            insert: kind === 'function' ? functionName(name) : qualifiedName(c.name, d.name, name),
            key: kind === 'function' ? null : objectKey(c.name, d.name, name),
          });
        }
      };
      add('table', d.tables);
      add('view', d.views);
      add('function', d.functions);
      objectCount += objects.length;
      return { name: d.name, current: currentCatalog && d.name === t.currentDatabase, objects, truncated: d.truncated, error: d.error ?? '' };
    });
    databases.sort((a, b) => Number(b.current) - Number(a.current) || byName(a, b));
    return { name: c.name, current: currentCatalog, databases, truncated: c.truncated, error: c.error ?? '' };
  });
  catalogs.sort((a, b) => Number(b.current) - Number(a.current) || byName(a, b));
  return { catalogs, truncated: t.truncated, objectCount };
}

export interface ColumnRow {
  name: string;
  type: string;
  nullable: boolean;
  /** Its position in the primary key, from 1; 0 when not a key column. */
  keyPos: number;
  /** The watermark expression when this is a rowtime column with one. */
  watermark: string;
  extras: string;
}

export interface OptionRow {
  key: string;
  value: string;
  masked: boolean;
}

export interface ObjectDetails {
  title: string;
  badges: string[];
  columns: ColumnRow[];
  primaryKey: string;
  watermarks: string[];
  connector: string;
  options: OptionRow[];
  comment: string;
  query: string;
}

/** MASK is what a secret option shows; the server never sends the value. */
export const MASK = '******';

/** objectDetails turns a described table or view into rows for the panel. */
export function objectDetails(o: CatalogObject): ObjectDetails {
  const wm = new Map(o.watermarks.map((w) => [w.column, w.expression]));
  const columns = o.columns.map(
    (c): ColumnRow => ({
      name: c.name,
      // The type says *ROWTIME* already; the watermark column shows it in full.
      type: c.type,
      nullable: c.nullable,
      keyPos: o.primaryKey.indexOf(c.name) + 1,
      watermark: wm.get(c.name) ?? '',
      extras: c.extras ?? '',
    }),
  );
  const badges: string[] = [o.kind];
  if (o.temporary) badges.push('temporary');
  return {
    title: qualifiedName(o.catalog, o.database, o.name),
    badges,
    columns,
    primaryKey: o.primaryKey.join(', '),
    watermarks: o.watermarks.map((w) => `${w.column}: ${w.expression}`),
    connector: o.connector ?? '',
    options: o.options.filter((x) => x.key !== 'connector').map((x) => ({ key: x.key, value: x.masked ? MASK : x.value, masked: x.masked })),
    comment: o.comment ?? '',
    query: o.query ?? '',
  };
}

/** RunState is what a catalog refresh compares of a paragraph: its run and status. */
export interface RunState {
  runKey: string;
  status: string;
}

const RUNNING = new Set(['PENDING', 'RUNNING']);

/**
 * finishedSince reports whether some paragraph finished a run between two
 * readings — it was running and is now FINISHED, or a new run is FINISHED
 * already: the moments a DDL statement may have changed what the catalogs
 * hold.
 */
export function finishedSince(before: Map<string, RunState>, after: Map<string, RunState>): boolean {
  for (const [id, now] of after) {
    if (now.status !== 'FINISHED') continue;
    const was = before.get(id);
    if (!was || was.runKey !== now.runKey || RUNNING.has(was.status)) return true;
  }
  return false;
}
