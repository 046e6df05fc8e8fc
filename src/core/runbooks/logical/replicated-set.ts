/**
 * The replicated set, re-derived from the live catalogs (never remembered): every table in scope on the source must be
 * in the subscription and ready. Called by the switchover's gate and again inside the window's checks.
 *
 * SEAM: owned by the "replicated set" work (issue 9). The switchover calls it; it throws GateError naming what is missing.
 *
 * A table is in scope when it holds rows (a leaf: an ordinary table or a partition), is logged, and the parameters name
 * it: FOR ALL TABLES, one of the schemas (itself or one of its partition ancestors), or one of the tables (itself or an
 * ancestor). It is "published as" itself or, with publish_via_partition_root, as its published root; the subscription
 * must list that relation in state r, and the target must have the leaf itself (rows are routed to it there).
 */
import type { Queryable } from '../../db';
import { quoteIdent } from '../../sql';
import { compareSchemas, describeDrift } from './drift';
import { addTablesFix, refreshPublicationFix, WRITABLE_SESSION_FIX } from './fixes';
import { GateError } from './gate-error';
import { replicatesAllTables, type LogicalUpgradeParams, type TableName } from './params';
import { display, parseJson, tableKey } from './queries';

export interface ReplicatedTable extends TableName {
  /** The relation the publication sends its rows as (itself, or its partition root); null: not published. */
  publishedAs: TableName | null;
  /** pg_total_relation_size on the source; null when not measured (in the window). */
  sizeBytes: number | null;
}

export type ReplicatedSetProblemKind = 'not-published' | 'missing-on-target' | 'not-subscribed' | 'not-ready';

export interface ReplicatedSetProblem {
  kind: ReplicatedSetProblemKind;
  table: TableName;
  /** pg_subscription_rel state for not-ready (i, d, f, s). */
  state?: string;
}

export interface ReplicatedSetCheck {
  /** Tables in scope on the source, as re-derived now. */
  tablesInScope: number;
  /** The leaf tables in scope (what verification must compare). */
  tables: ReplicatedTable[];
  /** Order-independent digest of the set (verify-data records it; the gate compares it). */
  digest: string;
}

export interface ReplicatedSetState extends ReplicatedSetCheck {
  problems: ReplicatedSetProblem[];
  subscriptionExists: boolean;
}

type Row = Record<string, unknown>;

/** One round trip on the source: the leaf tables in scope and what the publication publishes them as. */
export const SOURCE_SET_SQL = `WITH named AS (
  SELECT c.oid FROM json_to_recordset($3::json) AS t(schema text, name text)
  JOIN pg_namespace n ON n.nspname = t.schema JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
), pub AS (
  SELECT c.oid, p.schemaname, p.tablename FROM pg_publication_tables p
  JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
  WHERE p.pubname = $4
), leaves AS (
  SELECT c.oid, n.nspname, c.relname,
    ARRAY(SELECT c.oid UNION ALL SELECT a.relid FROM pg_partition_ancestors(c.oid) a WHERE a.relid <> c.oid) AS lineage
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND c.relpersistence = 'p'
    AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
)
SELECT l.nspname, l.relname,
  CASE WHEN $5 THEN pg_total_relation_size(l.oid)::float8 END AS size,
  (SELECT json_build_object('schema', p.schemaname, 'name', p.tablename) FROM pub p
   WHERE p.oid = ANY(l.lineage) ORDER BY array_position(l.lineage, p.oid) DESC LIMIT 1) AS published_as
FROM leaves l
WHERE $1 OR EXISTS (
  SELECT 1 FROM unnest(l.lineage) AS x(oid) JOIN pg_class xc ON xc.oid = x.oid JOIN pg_namespace xn ON xn.oid = xc.relnamespace
  WHERE xn.nspname = ANY($2::text[]) OR x.oid IN (SELECT oid FROM named))
ORDER BY 1, 2`;

/** One round trip on the target: the subscription's relations with their states, and the tables that exist. */
export const TARGET_SET_SQL = `SELECT
  EXISTS (SELECT 1 FROM pg_subscription s WHERE s.subname = $1
          AND s.subdbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())) AS has_sub,
  (SELECT COALESCE(json_agg(json_build_object('schema', n.nspname, 'name', c.relname, 'state', sr.srsubstate::text)), '[]'::json)
   FROM pg_subscription s JOIN pg_subscription_rel sr ON sr.srsubid = s.oid
   JOIN pg_class c ON c.oid = sr.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE s.subname = $1 AND s.subdbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())) AS rels,
  (SELECT COALESCE(json_agg(json_build_object('schema', n.nspname, 'name', c.relname)), '[]'::json)
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
     AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%') AS tables`;

/** The leaf tables in scope on the source, re-derived now (one query). */
export async function sourceReplicatedTables(source: Queryable, p: LogicalUpgradeParams, measure = true): Promise<ReplicatedTable[]> {
  const { rows } = await source.query<Row>(SOURCE_SET_SQL, [
    replicatesAllTables(p), p.schemas, JSON.stringify(p.tables.map((t) => ({ schema: t.schema, name: t.name }))), p.publication, measure,
  ]);
  return rows.map((r) => ({
    schema: String(r.nspname),
    name: String(r.relname),
    publishedAs: r.published_as === null || r.published_as === undefined ? null : parseJson<TableName>(r.published_as),
    sizeBytes: r.size === null || r.size === undefined ? null : Number(r.size),
  }));
}

export function setDigest(tables: TableName[]): string {
  // FNV-1a over the sorted keys: small, stable, no crypto needed (it detects a changed set, it guards no secret).
  let h = 0x811c9dc5;
  for (const k of tables.map(tableKey).sort()) {
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ 0x1e, 0x01000193) >>> 0;
  }
  return `${tables.length}:${h.toString(16).padStart(8, '0')}`;
}

/** Both sides, one query each, and what is wrong with the set (empty problems: the set is complete and ready). */
export async function inspectReplicatedSet(source: Queryable, target: Queryable, p: LogicalUpgradeParams, measure = true): Promise<ReplicatedSetState> {
  const [tables, tr] = await Promise.all([
    sourceReplicatedTables(source, p, measure),
    target.query<Row>(TARGET_SET_SQL, [p.subscription]).then((r) => r.rows[0]),
  ]);
  const rels = new Map(parseJson<Array<TableName & { state: string }>>(tr.rels).map((r) => [tableKey(r), r.state]));
  const existing = new Set(parseJson<TableName[]>(tr.tables).map(tableKey));
  return { tablesInScope: tables.length, tables, digest: setDigest(tables), problems: problemsOf(tables, rels, existing), subscriptionExists: tr.has_sub === true };
}

/** Pure: what is missing or not ready, given the source's set, the subscription's states and the target's tables. */
export function problemsOf(tables: ReplicatedTable[], subscribed: Map<string, string>, onTarget: Set<string>): ReplicatedSetProblem[] {
  const out: ReplicatedSetProblem[] = [];
  for (const t of tables) {
    const table = { schema: t.schema, name: t.name };
    if (!onTarget.has(tableKey(t))) out.push({ kind: 'missing-on-target', table });
    else if (!t.publishedAs) out.push({ kind: 'not-published', table });
    else {
      const state = subscribed.get(tableKey(t.publishedAs));
      if (state === undefined) out.push({ kind: 'not-subscribed', table });
      else if (state !== 'r') out.push({ kind: 'not-ready', table, state });
    }
  }
  return out;
}

const LIST_MAX = 10;

/** The statements that bring the set back: shown in GateError messages and run by the replicated-set CLI action. */
export function replicatedSetFix(problems: ReplicatedSetProblem[], p: LogicalUpgradeParams): { source: string[]; target: string[]; notes: string[] } {
  const source: string[] = [];
  const target: string[] = [];
  const notes: string[] = [];
  const unpublished = problems.filter((x) => x.kind === 'not-published').map((x) => x.table);
  if (unpublished.length) {
    source.push(addTablesFix(p.publication, unpublished));
  }
  const missing = problems.filter((x) => x.kind === 'missing-on-target').map((x) => x.table);
  if (missing.length) {
    notes.push(`create ${missing.length} table(s) on the target first (pg-upgrade-pilot schema-drift prints the DDL): ${missing.slice(0, LIST_MAX).map(display).join(', ')}`);
  }
  if (unpublished.length || missing.length || problems.some((x) => x.kind === 'not-subscribed')) {
    target.push(WRITABLE_SESSION_FIX, refreshPublicationFix(p.subscription));
    notes.push('then wait until every table is ready (pg-upgrade-pilot logical-upgrade … --only wait-initial-sync)');
  }
  if (problems.some((x) => x.kind === 'not-ready')) notes.push('wait for the copy of the tables not ready yet (wait-initial-sync step)');
  return { source, target, notes };
}

const KIND_TEXT: Record<ReplicatedSetProblemKind, string> = {
  'not-published': 'not in the publication',
  'missing-on-target': 'missing on the target',
  'not-subscribed': 'not in the subscription',
  'not-ready': 'not ready',
};

export function describeProblems(problems: ReplicatedSetProblem[], p: LogicalUpgradeParams): string {
  const shown = problems.slice(0, LIST_MAX).map((x) => `${display(x.table)} (${KIND_TEXT[x.kind]}${x.state ? `: state ${x.state}` : ''})`);
  const fix = replicatedSetFix(problems, p);
  const parts = [
    `${problems.length} table(s) in scope on the source are not replicated and ready: ${shown.join(', ')}${problems.length > LIST_MAX ? ` and ${problems.length - LIST_MAX} more` : ''}.`,
    ...fix.notes.slice(0, 1).map((n) => `Fix: ${n};`),
    fix.source.length ? `on the source: ${fix.source.join(' ')}` : '',
    fix.target.length ? `on the target: ${fix.target.join(' ')}` : '',
    ...fix.notes.slice(1),
    '(pg-upgrade-pilot schema-drift --source … --target … --apply --yes runs all of it)',
  ];
  return parts.filter(Boolean).join(' ');
}

export interface ReplicatedSetOptions {
  inWindow: boolean;
  /**
   * The verify-data step's outputs (ctx.outputsOf('verify-data')). When the key is present, the set verified must be
   * the set replicated now: a table added since (or a verification never run) stops the switchover.
   */
  verified?: Record<string, unknown> | undefined;
}

/**
 * Throws GateError (from ./gate-error) when a table in scope on the source is missing from the subscription or not
 * ready, naming it with its fix. `inWindow`: called with both servers frozen — must stay fast (one query per side).
 */
export async function checkReplicatedSet(
  source: Queryable,
  target: Queryable,
  p: LogicalUpgradeParams,
  opts: ReplicatedSetOptions = { inWindow: false },
): Promise<ReplicatedSetCheck> {
  const state = await inspectReplicatedSet(source, target, p, !opts.inWindow);
  if (!state.subscriptionExists) throw new GateError(`the subscription ${quoteIdent(p.subscription)} does not exist on the target`);
  if (!opts.inWindow) {
    // DDL on the source the target lacks (a column, an enum label, a partition …) stops or will stop the apply
    const drift = await compareSchemas(source, target, state.tables);
    const breaking = drift.items.filter((i) => i.breaksReplication);
    if (breaking.length) throw new GateError(describeDrift({ items: breaking, ddl: breaking.flatMap((i) => i.ddl) }));
  }
  if (state.problems.length) throw new GateError(describeProblems(state.problems, p));
  if ('verified' in opts) {
    const v = opts.verified;
    if (!v || typeof v.setDigest !== 'string') {
      throw new GateError('the data was not verified for this run (verify-data has no result); run the verify-data step first (CLI: logical-upgrade … --resume RUNID --only verify-data; VS Code: Run Step…)');
    }
    if (v.setDigest !== state.digest) {
      throw new GateError(`the replicated set changed since verify-data compared it (${String(v.tablesCompared ?? '?')} table(s) then, ${state.tablesInScope} now); run verify-data again (CLI: logical-upgrade … --resume RUNID --only verify-data; VS Code: Run Step…) before the switchover`);
    }
  }
  return { tablesInScope: state.tablesInScope, tables: state.tables, digest: state.digest };
}
