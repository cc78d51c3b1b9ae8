// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import type { Api } from '../api';
import type { CatalogObject, CatalogTree } from '../schema';
import { CatalogPanel } from './catalogPanel';

const TREE: CatalogTree = {
  currentCatalog: 'default_catalog',
  currentDatabase: 'default_database',
  truncated: false,
  catalogs: [{ name: 'default_catalog', truncated: false, databases: [{ name: 'default_database', tables: ['orders'], views: [], functions: [], truncated: false }] }],
};

const ORDERS: CatalogObject = {
  catalog: 'default_catalog',
  database: 'default_database',
  name: 'orders',
  kind: 'table',
  temporary: true,
  columns: [{ name: 'id', type: 'BIGINT', nullable: false }],
  primaryKey: ['id'],
  watermarks: [],
  connector: 'datagen',
  options: [
    { key: 'connector', value: 'datagen', masked: false },
    { key: 'password', value: '******', masked: true },
  ],
};

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('CatalogPanel', () => {
  it('loads when opened, opens the current database, describes on expand and inserts on click', async () => {
    localStorage.clear();
    const api = { catalogTree: vi.fn(async () => TREE), catalogObject: vi.fn(async () => ORDERS) } as unknown as Api;
    const inserted: string[] = [];
    const p = new CatalogPanel({ api, noteId: 'N1', onInsert: (t) => inserted.push(t) });
    document.body.replaceChildren(p.el);
    p.mount();
    expect(api.catalogTree).not.toHaveBeenCalled(); // closed by default
    (p.el.querySelector('[data-testid=catalog-toggle]') as HTMLElement).click();
    await flush();
    expect(api.catalogTree).toHaveBeenCalledWith('N1');
    const obj = p.el.querySelector('[data-testid=catalog-object][data-name=orders]') as HTMLElement;
    expect(obj).not.toBeNull();
    (obj.querySelector('[data-testid=catalog-expand]') as HTMLElement).click();
    await flush();
    expect(api.catalogObject).toHaveBeenCalledWith('N1', 'default_catalog', 'default_database', 'orders');
    const details = p.el.querySelector('[data-testid=catalog-details]');
    expect(details?.textContent).toContain('BIGINT');
    expect(details?.querySelector('[data-option=password]')?.textContent).toBe('password******');
    (p.el.querySelector('[data-testid=catalog-insert]') as HTMLElement).click();
    expect(inserted).toEqual(['`default_catalog`.`default_database`.`orders`']);
    expect(localStorage.getItem('eddy.catalog.open')).toBe('1');
    p.destroy();
  });
});
