/**
 * Row-level comparison of the replicated tables on both servers: exact counts, and for tables up to a size limit an
 * order-independent checksum (sum of 64-bit row hashes of the row's text form, so no sort and no memory growth).
 */
import type { Queryable } from '../../db';
import type { Finding } from '../../runbook/types';
import type { TableName } from './params';
import { display } from './queries';
import { qualified } from './statements';

/** Text forms of values must not depend on the servers' defaults (time zone, date style …). */
export const COMPARE_SESSION_SETTINGS = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 1',
  "SET bytea_output = 'hex'",
  "SET lc_monetary = 'C'",
];

export interface TableToCompare extends TableName {
  checksum: boolean;
}

export interface TableComparison extends TableName {
  sourceRows: string;
  targetRows: string;
  sourceHash: string | null;
  targetHash: string | null;
  equal: boolean;
}

export function compareSql(t: TableToCompare): string {
  return t.checksum
    ? `SELECT count(*)::text AS n, COALESCE(sum(('x' || substr(md5(r::text), 1, 16))::bit(64)::int8::numeric), 0)::text AS h FROM ONLY ${qualified(t)} AS r`
    : `SELECT count(*)::text AS n, NULL::text AS h FROM ONLY ${qualified(t)}`;
}

async function measure(q: Queryable, t: TableToCompare): Promise<{ n: string; h: string | null }> {
  const r = (await q.query<{ n: string; h: string | null }>(compareSql(t))).rows[0];
  return { n: String(r.n), h: r.h === null ? null : String(r.h) };
}

/** Both sides at once per table (two sessions), so a live source moves as little as possible in between. */
export async function compareTables(src: Queryable, tgt: Queryable, tables: TableToCompare[], onTable?: (i: number) => void): Promise<TableComparison[]> {
  const out: TableComparison[] = [];
  for (const [i, t] of tables.entries()) {
    onTable?.(i);
    const [a, b] = await Promise.all([measure(src, t), measure(tgt, t)]);
    out.push({ schema: t.schema, name: t.name, sourceRows: a.n, targetRows: b.n, sourceHash: a.h, targetHash: b.h, equal: a.n === b.n && a.h === b.h });
  }
  return out;
}

export function mismatchFinding(c: TableComparison, severity: Finding['severity'], note: string): Finding {
  const what = c.sourceRows !== c.targetRows ? `${c.sourceRows} rows on the source, ${c.targetRows} on the target` : 'same row count, different contents (checksum)';
  return { id: 'data-mismatch', severity, message: `${display(c)}: ${what}${note}` };
}
