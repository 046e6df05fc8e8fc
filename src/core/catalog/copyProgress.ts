import type { Queryable, ServerVersion } from '../db';
import type { CopyProgressInfo } from './types';
import { num, reqNum, reqStr, str, type Row } from './values';
import { catalogMajor } from './version';

/** pg_stat_progress_copy exists from 14 on; null for 12/13, where there is nothing to ask. */
export function listCopyProgressSql(v: ServerVersion): string | null {
  const major = catalogMajor(v);
  if (major < 14) return null;
  return `SELECT p.pid, p.datname AS database, n.nspname AS schema, c.relname AS table_name,
  p.command, p.type, p.bytes_processed::float8 AS bytes_processed, NULLIF(p.bytes_total, 0)::float8 AS bytes_total,
  p.tuples_processed::float8 AS tuples_processed, p.tuples_excluded::float8 AS tuples_excluded,
  ${major >= 17 ? 'p.tuples_skipped::float8' : 'NULL::float8'} AS tuples_skipped
FROM pg_stat_progress_copy p
LEFT JOIN pg_class c ON c.oid = p.relid AND p.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY p.pid`;
}

/**
 * COPY commands running now, in every database (e.g. the initial table copy of a subscription: COPY FROM on the
 * subscriber, COPY TO in the walsender on the publisher). One round trip on 14+; none on 12/13 (always []).
 */
export async function listCopyProgress(q: Queryable, v: ServerVersion): Promise<CopyProgressInfo[]> {
  const sql = listCopyProgressSql(v);
  if (sql === null) return [];
  const { rows } = await q.query<Row>(sql);
  return rows.map((r) => ({
    pid: reqNum(r.pid, 'pid'),
    database: reqStr(r.database, 'datname'),
    schema: str(r.schema),
    table: str(r.table_name),
    command: str(r.command),
    type: str(r.type),
    bytesProcessed: reqNum(r.bytes_processed, 'bytes_processed'),
    bytesTotal: num(r.bytes_total),
    tuplesProcessed: reqNum(r.tuples_processed, 'tuples_processed'),
    tuplesExcluded: reqNum(r.tuples_excluded, 'tuples_excluded'),
    tuplesSkipped: num(r.tuples_skipped),
  }));
}
