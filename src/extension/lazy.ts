/**
 * The database modules are loaded on first use, never at activation: node-postgres alone costs tens of
 * milliseconds to load. esbuild turns these dynamic imports into lazily initialised parts of the one bundle.
 * Everything else in src/extension imports them with `import type` only.
 */
export type ConnModule = typeof import('../core/conn');
export type CatalogModule = typeof import('../core/catalog');

let conn: Promise<ConnModule> | undefined;
let catalog: Promise<CatalogModule> | undefined;

export function loadConn(): Promise<ConnModule> {
  return (conn ??= import('../core/conn'));
}

export function loadCatalog(): Promise<CatalogModule> {
  return (catalog ??= import('../core/catalog'));
}
