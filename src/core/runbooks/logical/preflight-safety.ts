/**
 * Preflight refusals for what would break once replication starts (issue 9), read before anything is created:
 * target tables that already hold rows, a replication role without SELECT (or USAGE on the schema), names the
 * walsender cannot parse. Facts in one query per server; the judgement is pure.
 */
import type { Queryable } from '../../db';
import type { Finding } from '../../runbook/types';
import { quoteIdent, quoteQualified } from '../../sql';
import { grantSelectFix, grantUsageFix, truncateFix } from './fixes';
import type { LogicalUpgradeParams, TableName } from './params';
import { display, parseJson, tableKey } from './queries';

export interface SafetyFacts {
  /** In-scope tables that exist on the target and hold at least one row. */
  targetTablesWithRows: TableName[];
  /** The role the subscription connects as, when it is not a superuser (null: superuser, or unknown). */
  replicationRole: string | null;
  /** Relations that role cannot SELECT (what the initial copy reads: the partition root when published via it). */
  noSelect: TableName[];
  /** Schemas of those relations the role has no USAGE on. */
  noUsage: string[];
}

type Row = Record<string, unknown>;
const LIST_MAX = 10;
const list = (xs: string[]) => (xs.length <= LIST_MAX ? xs.join(', ') : `${xs.slice(0, LIST_MAX).join(', ')} and ${xs.length - LIST_MAX} more`);

/** One query on the target: which of these tables (if present there) hold a row. */
export async function targetTablesWithRows(target: Queryable, tables: TableName[], existing: Set<string>): Promise<TableName[]> {
  const present = tables.filter((t) => existing.has(tableKey(t)));
  if (!present.length) return [];
  const sql = present.map((t, i) => `SELECT ${i} AS i WHERE EXISTS (SELECT 1 FROM ONLY ${quoteQualified(t.schema, t.name)})`).join(' UNION ALL ');
  const { rows } = await target.query<{ i: number }>(sql);
  return rows.map((r) => present[Number(r.i)]);
}

/**
 * One query on the source: for each in-scope table, the relation the initial copy reads (itself, or its partition
 * root when partitions are published via the root, 13+), and whether `role` may read it.
 */
export const PRIVILEGES_SQL = `WITH scope AS (
  SELECT DISTINCT CASE WHEN $3 AND c.relispartition THEN pg_partition_root(c.oid) ELSE c.oid END AS oid
  FROM json_to_recordset($2::json) AS t(schema text, name text)
  JOIN pg_namespace n ON n.nspname = t.schema JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
)
SELECT COALESCE(json_agg(json_build_object('schema', n.nspname, 'name', c.relname, 'usage', has_schema_privilege($1, n.oid, 'USAGE'))
  ORDER BY n.nspname, c.relname) FILTER (WHERE NOT has_table_privilege($1, c.oid, 'SELECT') OR NOT has_schema_privilege($1, n.oid, 'USAGE')), '[]'::json) AS denied,
  (SELECT rolsuper FROM pg_roles WHERE rolname = $1) AS super
FROM scope s JOIN pg_class c ON c.oid = s.oid JOIN pg_namespace n ON n.oid = c.relnamespace`;

export async function replicationPrivileges(source: Queryable, role: string, tables: TableName[], viaRoot: boolean): Promise<Pick<SafetyFacts, 'replicationRole' | 'noSelect' | 'noUsage'>> {
  const { rows } = await source.query<Row>(PRIVILEGES_SQL, [role, JSON.stringify(tables.map((t) => ({ schema: t.schema, name: t.name }))), viaRoot]);
  const r = rows[0] ?? {};
  if (r.super === true || r.super === null || r.super === undefined) return { replicationRole: null, noSelect: [], noUsage: [] };
  const denied = parseJson<Array<TableName & { usage: boolean }>>(r.denied ?? '[]');
  return {
    replicationRole: role,
    noSelect: denied.map((d) => ({ schema: d.schema, name: d.name })),
    noUsage: [...new Set(denied.filter((d) => !d.usage).map((d) => d.schema))],
  };
}

/**
 * Names the walsender cannot take: the subscriber sends publication names inside a replication command
 * (START_REPLICATION … publication_names '…'), whose scanner has no E'' strings — a backslash there fails forever.
 */
export function unparsableName(name: string): string | null {
  if (name.includes('\\')) return 'a backslash';
  return null;
}

export function evaluateSafety(f: SafetyFacts, p: LogicalUpgradeParams & { allowTargetRows?: boolean }): Finding[] {
  const out: Finding[] = [];
  if (f.targetTablesWithRows.length) {
    const ts = f.targetTablesWithRows;
    out.push({
      id: 'target-rows', severity: p.allowTargetRows ? 'warning' : 'error', cluster: 'target',
      message: `${ts.length} table(s) to replicate already hold rows on the target: ${list(ts.map(display))}. The initial copy would stop on the first duplicate key (and wait forever) or double the rows.${p.allowTargetRows ? ' Allowed by allowTargetRows.' : ''}`,
      fix: `Empty them on the target (${truncateFix(ts.slice(0, LIST_MAX))}), point the target at an empty database, or set allowTargetRows if the rows cannot collide.`,
    });
  }
  if (f.replicationRole && f.noSelect.length) {
    const role = f.replicationRole;
    out.push({
      id: 'replication-select', severity: 'error', cluster: 'source',
      message: `The replication role ${quoteIdent(role)} cannot read ${f.noSelect.length} table(s) it must copy: ${list(f.noSelect.map(display))}. The initial copy would fail on them again and again.`,
      fix: [f.noUsage.length ? grantUsageFix(role, f.noUsage) : '', grantSelectFix(role, f.noSelect)].filter(Boolean).join(' '),
    });
  }
  for (const [what, name] of [['publication', p.publication], ['reverse publication', p.reverseReplication ? p.reversePublication : '']] as const) {
    const why = name ? unparsableName(name) : null;
    if (why) {
      out.push({
        id: 'unparsable-name', severity: 'error',
        message: `The ${what} name ${quoteIdent(name)} contains ${why}: the subscriber sends it in a replication command the walsender cannot parse (START_REPLICATION would fail forever).`,
        fix: `Choose a ${what} name without ${why} (letters, digits and underscores are always safe).`,
      });
    }
  }
  return out;
}
