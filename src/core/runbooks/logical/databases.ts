import type { Queryable } from '../../db';
import type { Finding } from '../../runbook/types';
import { quoteIdent, quoteLiteral } from '../../sql';
import { slotNameOf, type LogicalUpgradeParams } from './params';

/**
 * Database scope: a logical upgrade moves the source connection's database only. The preflight lists every database
 * of the source with what happens to it, warns about the ones left behind, and refuses slot names another database's
 * run already uses (replication slots are cluster-wide: the forward slot on the source, the reverse slot on the target).
 */
export interface SourceDatabase {
  name: string;
  allowsConnections: boolean;
  /** ALTER DATABASE … SET default_transaction_read_only = on (an earlier one-database upgrade froze it). */
  frozen: boolean;
  /** Logical replication slots of this database on the source (another run, or another tool). */
  slots: string[];
}

export interface SlotUse {
  slot: string;
  database: string | null;
}

export interface DatabaseScopeFacts {
  current: string;
  databases: SourceDatabase[];
  /** The forward slot's name on the source, if a slot of that name exists (any database). */
  sourceSlot?: SlotUse;
  /** The reverse slot's name on the target, if a slot of that name exists (any database). */
  targetReverseSlot?: SlotUse;
  targetCurrent: string;
}

type Row = Record<string, unknown>;

export async function gatherDatabaseScopeFacts(source: Queryable, target: Queryable, p: LogicalUpgradeParams): Promise<DatabaseScopeFacts> {
  const dbs = await source.query<Row>(`SELECT d.datname, d.datallowconn,
      EXISTS (SELECT 1 FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0
              AND 'default_transaction_read_only=on' = ANY (s.setconfig)) AS frozen,
      COALESCE((SELECT array_agg(r.slot_name::text ORDER BY r.slot_name) FROM pg_replication_slots r
                WHERE r.slot_type = 'logical' AND r.database = d.datname), '{}') AS slots,
      current_database() AS current
    FROM pg_database d WHERE NOT d.datistemplate ORDER BY d.datname`);
  const slotSql = 'SELECT slot_name::text AS slot, database::text AS database FROM pg_replication_slots WHERE slot_name = $1';
  const src = await source.query<Row>(slotSql, [slotNameOf(p)]);
  const tgt = await target.query<Row>(slotSql, [p.reverseSubscription]);
  const tgtDb = await target.query<Row>('SELECT current_database() AS current');
  const slotUse = (r: Row | undefined): SlotUse | undefined => r && { slot: String(r.slot), database: r.database == null ? null : String(r.database) };
  return {
    current: String(dbs.rows[0]?.current ?? ''),
    databases: dbs.rows.map((r) => ({
      name: String(r.datname), allowsConnections: Boolean(r.datallowconn), frozen: Boolean(r.frozen), slots: (r.slots as string[]) ?? [],
    })),
    sourceSlot: slotUse(src.rows[0]),
    targetReverseSlot: slotUse(tgt.rows[0]),
    targetCurrent: String(tgtDb.rows[0]?.current ?? ''),
  };
}

/** The databases this run moves: the resolved list of a cluster-scope run (cluster.ts), else the connection's database. */
export function movedDatabases(facts: DatabaseScopeFacts, p: LogicalUpgradeParams): string[] {
  return Array.isArray(p.databases) ? p.databases : [facts.current];
}

/** What happens to one database of the source in this run, in words. */
export function fateOf(db: SourceDatabase, facts: DatabaseScopeFacts, p: LogicalUpgradeParams): string {
  const moved = movedDatabases(facts, p);
  if (moved.includes(db.name) && moved.length > 1) {
    return `moved now, with ${moved.length - 1} other database(s) in ONE switchover: replicated to the target, then frozen on the source together with them and opened on the target together`;
  }
  if (db.name === facts.current || moved.includes(db.name)) {
    return p.freezeMethod === 'system'
      ? 'moved now: replicated to the target, then the WHOLE source cluster is frozen (freezeMethod system) and this database opens on the target'
      : 'moved now: replicated to the target, then frozen on the source (this database only) and opened on the target';
  }
  const frozen = p.freezeMethod === 'system' ? 'frozen with the cluster during the switchover (freezeMethod system), then left read-only' : 'stays writable on the source';
  if (!db.allowsConnections) return 'untouched (does not allow connections)';
  if (db.frozen) return 'untouched; already read-only on the source (default_transaction_read_only set on the database: an earlier upgrade moved it)';
  if (db.slots.length > 0) return `untouched by this run; ${frozen}; replicated by slot(s) ${db.slots.join(', ')} (another run or tool)`;
  return `untouched; ${frozen}; not replicated (stays on the old server)`;
}

export function evaluateDatabaseScope(facts: DatabaseScopeFacts, p: LogicalUpgradeParams): Finding[] {
  const findings: Finding[] = [];
  for (const db of facts.databases) {
    findings.push({ id: 'database-scope', severity: 'info', cluster: 'source', message: `Database ${quoteIdent(db.name)}: ${fateOf(db, facts, p)}.` });
  }
  const moved = movedDatabases(facts, p);
  const others = facts.databases.filter((d) => !moved.includes(d.name) && d.allowsConnections && !d.frozen);
  const leftBehind = others.filter((d) => d.slots.length === 0);
  if (leftBehind.length > 0) {
    findings.push({
      id: 'databases-left-behind', severity: 'warning', cluster: 'source',
      message: `This run moves only ${moved.map((d) => quoteIdent(d)).join(', ')}; ${leftBehind.map((d) => quoteIdent(d.name)).join(', ')} ${leftBehind.length === 1 ? 'is' : 'are'} not replicated and stay${leftBehind.length === 1 ? 's' : ''} on the old server (writable there${p.freezeMethod === 'system' ? ', except during and after this switchover: freezeMethod system freezes the whole cluster' : ''}).`,
      fix: 'Move them in the same run (--all-databases, or --databases naming them too), or upgrade each with its own run (a --source connection naming that database); each database has its own slot names (pgpilot_upgrade_<database>).',
    });
  }
  if (p.freezeMethod === 'system' && others.length > 0) {
    findings.push({
      id: 'cluster-wide-freeze', severity: 'warning', cluster: 'source',
      message: `freezeMethod system makes the whole source cluster read-only in the window and after it: writes to ${others.map((d) => quoteIdent(d.name)).join(', ')} will fail although this run does not move them.`,
      fix: 'Use the per-database freeze (freezeMethod database, --freeze-method database), which leaves the other databases writable.',
    });
  }
  const collision = (use: SlotUse | undefined, own: string, where: 'source' | 'target'): void => {
    if (!use || use.database === own) return; // same database: the slot-exists rules decide (a leftover, or this run's own)
    findings.push({
      id: 'slot-name-collision', severity: 'error', cluster: where,
      message: `The replication slot ${quoteIdent(use.slot)} this run would create on the ${where} already belongs to ${use.database === null ? 'a physical replication' : `database ${quoteIdent(use.database)} (another upgrade run or tool)`}; slot names are cluster-wide. Nothing has been changed.`,
      fix: `Give this run its own names (--subscription NAME, or leave the defaults: pgpilot_upgrade_<database>), or, if that slot is a leftover, drop it on the ${where}: SELECT pg_drop_replication_slot(${quoteLiteral(use.slot)});`,
    });
  };
  collision(facts.sourceSlot, facts.current, 'source');
  if (p.reverseReplication) collision(facts.targetReverseSlot, facts.targetCurrent, 'target');
  return findings;
}
