/** Which tables this run replicates, and how the publication names them on the source's major. */
import { listTablesForReplication, type TableInfo } from '../../catalog';
import type { Queryable, ServerVersion } from '../../db';
import { quoteQualified } from '../../sql';
import { replicatesAllTables, type LogicalUpgradeParams, type TableName } from './params';
import { display, tableKey } from './queries';
import type { PublicationScope } from './statements';

export interface ResolvedScope {
  publication: PublicationScope;
  /** Tables holding rows that will be replicated (leaf tables; partitioned parents and unlogged tables excluded). */
  tables: TableInfo[];
  /** Tables in scope that logical replication skips: unlogged. */
  unlogged: TableInfo[];
}

/** Thrown for a scope naming tables or schemas that do not exist: nothing has been changed. */
export class ScopeError extends Error {}

/** Tables of the source a FOR TABLE list names (13+: partitioned roots, not their partitions; 12: leaf partitions). */
function listable(t: TableInfo, sourceMajor: number): boolean {
  return !t.isUnlogged && (sourceMajor >= 13 ? !t.isPartition : !t.isPartitioned);
}

/**
 * @param leavesOf partitions (all levels) of a partitioned table named in `tables`, keyed by tableKey of the parent;
 *   see partitionLeaves().
 * @param opts.listTables the source user is not a superuser: FOR ALL TABLES and FOR TABLES IN SCHEMA need one, so the
 *   publication names the tables (issue 11, docs/managed-postgres.md).
 */
export function resolveScope(
  p: LogicalUpgradeParams,
  sourceTables: TableInfo[],
  sourceMajor: number,
  leavesOf: Map<string, TableName[]> = new Map(),
  opts: { listTables?: boolean } = {},
): ResolvedScope {
  const holdsRows = (t: TableInfo) => !t.isPartitioned;
  if (replicatesAllTables(p)) {
    const inScope = sourceTables.filter(holdsRows);
    const publication: PublicationScope = opts.listTables
      ? { kind: 'tables', tables: sourceTables.filter((t) => listable(t, sourceMajor)).map((t) => ({ schema: t.schema, name: t.name })) }
      : { kind: 'all' };
    return { publication, tables: inScope.filter((t) => !t.isUnlogged), unlogged: inScope.filter((t) => t.isUnlogged) };
  }
  const known = new Set(sourceTables.map(tableKey));
  const missingTables = p.tables.filter((t) => !known.has(tableKey(t)));
  const knownSchemas = new Set(sourceTables.map((t) => t.schema));
  const missingSchemas = p.schemas.filter((s) => !knownSchemas.has(s));
  if (missingTables.length || missingSchemas.length) {
    const parts = [
      missingTables.length ? `table(s) ${missingTables.map(display).join(', ')}` : '',
      missingSchemas.length ? `schema(s) with tables ${missingSchemas.map((s) => JSON.stringify(s)).join(', ')}` : '',
    ].filter(Boolean);
    throw new ScopeError(`the source has no ${parts.join(' and no ')}; fix the tables/schemas parameters`);
  }
  const bySchema = new Set(p.schemas);
  const named = new Set(p.tables.map(tableKey));
  for (const t of p.tables) for (const leaf of leavesOf.get(tableKey(t)) ?? []) named.add(tableKey(leaf));
  const inScope = sourceTables.filter((t) => bySchema.has(t.schema) || named.has(tableKey(t)));
  const rows = inScope.filter(holdsRows);
  let publication: PublicationScope;
  if (p.tables.length === 0 && sourceMajor >= 15 && !opts.listTables) publication = { kind: 'schemas', schemas: [...p.schemas] };
  else {
    // Before 15 there is no FOR TABLES IN SCHEMA: name the schemas' tables (tables created later are not included).
    // PostgreSQL 12 cannot publish a partitioned table itself: name its leaf partitions instead.
    const direct = new Set(p.tables.map(tableKey));
    const listed: TableName[] = inScope
      .filter((t) => !t.isUnlogged)
      .filter((t) => (sourceMajor >= 13
        ? direct.has(tableKey(t)) || (bySchema.has(t.schema) && !t.isPartition)
        : !t.isPartitioned && (named.has(tableKey(t)) || bySchema.has(t.schema))))
      .map((t) => ({ schema: t.schema, name: t.name }));
    publication = { kind: 'tables', tables: listed };
  }
  return { publication, tables: rows.filter((t) => !t.isUnlogged), unlogged: rows.filter((t) => t.isUnlogged) };
}

/** Leaf partitions (any depth) of a partitioned table, read with pg_partition_tree (12+). */
export const PARTITION_LEAVES_SQL = `SELECT n.nspname, c.relname FROM pg_partition_tree($1::regclass) pt
JOIN pg_class c ON c.oid = pt.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE pt.isleaf`;

/** The source's tables and the scope resolved against them (partitions of named partitioned tables included). */
export async function loadScope(q: Queryable, v: ServerVersion, p: LogicalUpgradeParams): Promise<{ tables: TableInfo[]; scope: ResolvedScope }> {
  const tables = await listTablesForReplication(q, v);
  const leaves = new Map<string, TableName[]>();
  for (const t of p.tables) {
    const info = tables.find((x) => x.schema === t.schema && x.name === t.name);
    if (!info?.isPartitioned) continue;
    const r = await q.query<Record<string, unknown>>(PARTITION_LEAVES_SQL, [quoteQualified(t.schema, t.name)]);
    leaves.set(tableKey(t), r.rows.map((x) => ({ schema: String(x.nspname), name: String(x.relname) })));
  }
  const superuser = (await q.query<{ s: boolean }>("SELECT current_setting('is_superuser') = 'on' AS s")).rows[0]?.s === true;
  return { tables, scope: resolveScope(p, tables, v.major, leaves, { listTables: !superuser }) };
}

/**
 * The reverse publication on the new server: FOR ALL TABLES for a superuser; for anyone else (a managed admin) the
 * replicated tables by name — PostgreSQL lets only a superuser publish all tables; the owner may list its own.
 */
export async function reversePublicationScope(target: Queryable, replicated: () => Promise<TableName[]>): Promise<PublicationScope> {
  const superuser = (await target.query<{ s: boolean }>("SELECT current_setting('is_superuser') = 'on' AS s")).rows[0]?.s === true;
  if (superuser) return { kind: 'all' };
  return { kind: 'tables', tables: (await replicated()).map((t) => ({ schema: t.schema, name: t.name })) };
}
