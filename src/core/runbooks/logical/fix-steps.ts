/**
 * Fixes offered as steps (issue 15): the preflight's and the gate's findings whose fix the tool can apply itself, each
 * with a stable id, the exact statements (quoted, one per line), where they run, their risk, what they change and how
 * to undo it. Re-derived from the live catalogs every time (never from a remembered finding). The CLI
 * (`logical-upgrade --fixes`, `--apply-fix ID|all`) and VS Code's findings prompt apply them after a confirmation.
 */
import type { Queryable } from '../../db';
import type { Risk } from '../../runbook/types';
import { display, tableKey } from './queries';
import { compareSchemas } from './drift';
import { refreshPublicationFix, replicaIdentityFullFix, WRITABLE_SESSION_FIX, addTablesFix } from './fixes';
import type { LogicalUpgradeParams, TableName } from './params';
import { inspectReplicatedSet, sourceReplicatedTables } from './replicated-set';
import { quoteQualified } from '../../sql';

export interface FixStep {
  /** Stable: `replica-identity:<schema>.<table>`, `create-table:<schema>.<table>`, `add-to-publication`, `refresh-publication`. */
  id: string;
  /** The finding it fixes (preflight / gate id). */
  findingId: string;
  title: string;
  cluster: 'source' | 'target';
  statements: string[];
  risk: Risk;
  /** What changes, for whom. */
  effect: string;
  undo: string;
}

/** Leaf tables without primary key and without replica identity, in scope (one query). */
const NO_IDENTITY_SQL = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r'
    AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conrelid = c.oid AND x.contype = 'p')))
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`;

function replicaIdentityFix(t: TableName): FixStep {
  return {
    id: `replica-identity:${t.schema}.${t.name}`,
    findingId: 'replica-identity',
    title: `REPLICA IDENTITY FULL for ${display(t)}`,
    cluster: 'source',
    statements: [replicaIdentityFullFix(t)],
    risk: 'reversible',
    effect: `UPDATE and DELETE on ${display(t)} keep working on the source once it is published (without it they fail); each of them writes the whole old row to the WAL and the target finds the row by a scan (or a usable index).`,
    undo: `ALTER TABLE ${quoteQualified(t.schema, t.name)} REPLICA IDENTITY DEFAULT;`,
  };
}

/** Every fix the tool can apply now, re-derived from both servers' catalogs. `target` may be unreachable (null). */
export async function offeredFixes(source: Queryable, target: Queryable | null, p: LogicalUpgradeParams): Promise<FixStep[]> {
  const fixes: FixStep[] = [];
  const scope = new Set((await sourceReplicatedTables(source, p, false)).map(tableKey));
  const { rows } = await source.query<TableName>(NO_IDENTITY_SQL);
  for (const t of rows.filter((r) => scope.has(tableKey(r))).sort((a, b) => tableKey(a).localeCompare(tableKey(b)))) fixes.push(replicaIdentityFix(t));
  if (!target) return fixes;
  const set = await inspectReplicatedSet(source, target, p, false);
  if (!set.subscriptionExists) return fixes;
  // a table or partition created on the source during replication: create it on the target (DDL from the source's catalog)
  const drift = await compareSchemas(source, target, set.tables);
  for (const i of drift.items.filter((x) => (x.kind === 'table-missing' || x.kind === 'partition-missing') && x.ddl.length)) {
    fixes.push({
      id: `create-table:${i.object}`, findingId: 'replicated-set', title: `Create ${i.object} on the target`, cluster: 'target',
      statements: [WRITABLE_SESSION_FIX, ...i.ddl], risk: 'reversible',
      effect: `${i.message}: the table is created empty on the target (its rows then come with the initial copy of the subscription).`,
      undo: `DROP TABLE ${i.object} on the target (before anything is written to it).`,
    });
  }
  const unpublished = set.problems.filter((x) => x.kind === 'not-published').map((x) => x.table);
  if (unpublished.length) {
    fixes.push({
      id: 'add-to-publication', findingId: 'replicated-set', title: `Publish ${unpublished.length} table(s)`, cluster: 'source',
      statements: [addTablesFix(p.publication, unpublished)], risk: 'reversible',
      effect: `${unpublished.map(display).join(', ')} join the publication: their changes are sent to the target from now on.`,
      undo: 'ALTER PUBLICATION … DROP TABLE … on the source.',
    });
  }
  if (unpublished.length || set.problems.some((x) => x.kind === 'not-subscribed')) {
    fixes.push({
      id: 'refresh-publication', findingId: 'replicated-set', title: 'Subscribe the tables the publication gained', cluster: 'target',
      statements: [WRITABLE_SESSION_FIX, refreshPublicationFix(p.subscription)], risk: 'reversible',
      effect: 'The subscription starts the initial copy of every table the publication has and it does not (run after the tables exist on the target and are published).',
      undo: 'Nothing to undo: the tables are copied; the switchover waits until they are ready.',
    });
  }
  return fixes;
}

/**
 * Runs one fix's statements, each on its own (REFRESH PUBLICATION refuses a transaction block), on the cluster it
 * names; `db` gives that cluster's session.
 */
export async function applyFix(fix: FixStep, db: (cluster: 'source' | 'target') => Promise<Queryable>): Promise<void> {
  const q = await db(fix.cluster);
  for (const st of fix.statements) await q.query(st);
}

/** How a fix reads in a prompt or a terminal: title, where, risk, the statements, effect and undo. */
export function describeFix(f: FixStep): string {
  return [`${f.id} — ${f.title} [${f.risk}, on the ${f.cluster}]`, ...f.statements.map((s) => `    ${s}`), `  effect: ${f.effect}`, `  undo: ${f.undo}`].join('\n');
}
