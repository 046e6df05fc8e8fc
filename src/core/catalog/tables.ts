import type { Queryable, ServerVersion } from '../db';
import type { ReplicaIdentity, TableInfo } from './types';
import { num, reqBool, reqNum, reqStr, type Row } from './values';
import { catalogMajor } from './version';

/**
 * User tables of the connected database (ordinary and partitioned; no system schemas, no temporary tables)
 * with what logical replication cares about. The same SQL for 12–18.
 */
export function listTablesForReplicationSql(v: ServerVersion): string {
  catalogMajor(v);
  return `SELECT n.nspname AS schema, c.relname AS name,
  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_primary_key,
  c.relreplident::text AS replica_identity,
  c.relpersistence = 'u' AS is_unlogged,
  c.relispartition AS is_partition,
  c.relkind = 'p' AS is_partitioned,
  CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::float8 END AS estimated_rows,
  pg_total_relation_size(c.oid)::float8 AS size_bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND c.relpersistence <> 't'
  AND n.nspname <> 'information_schema'
  AND left(n.nspname, 3) <> 'pg_'
ORDER BY n.nspname, c.relname`;
}

export async function listTablesForReplication(q: Queryable, v: ServerVersion): Promise<TableInfo[]> {
  const { rows } = await q.query<Row>(listTablesForReplicationSql(v));
  return rows.map((r) => ({
    schema: reqStr(r.schema, 'nspname'),
    name: reqStr(r.name, 'relname'),
    hasPrimaryKey: reqBool(r.has_primary_key, 'primary key'),
    replicaIdentity: replicaIdentity(reqStr(r.replica_identity, 'relreplident')),
    isUnlogged: reqBool(r.is_unlogged, 'relpersistence'),
    isPartition: reqBool(r.is_partition, 'relispartition'),
    isPartitioned: reqBool(r.is_partitioned, 'relkind'),
    estimatedRows: num(r.estimated_rows),
    sizeBytes: reqNum(r.size_bytes, 'pg_total_relation_size'),
  }));
}

function replicaIdentity(v: string): ReplicaIdentity {
  if (v === 'd' || v === 'n' || v === 'f' || v === 'i') return v;
  throw new Error(`Unknown replica identity ${JSON.stringify(v)}.`);
}
