/**
 * Replication errors within seconds (issue 9): the initial copy and the apply are watched for signals of failure
 * (worker restarts, pg_stat_subscription_stats error counts on 15+, an apply worker that stays away), and on a signal
 * the cause is looked for where it can be read: colliding rows on the target, SELECT missing for the replication role,
 * DDL the target lacks, a table missing on the target, a name the walsender cannot parse. A found cause stops the
 * wait at once; a signal without a found cause stops it after SIGNAL_GRACE_MS, saying so.
 */
import type { Queryable } from '../../db';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../sql';
import { compareSchemas, describeDrift } from './drift';
import { WRITABLE_SESSION_FIX, dropSubscriptionFix, dropPublicationFix } from './fixes';
import { slotNameOf, type LogicalUpgradeParams, type TableName } from './params';
import { replicationPrivileges, unparsableName } from './preflight-safety';
import { display, parseJson, tableKey, type RelState } from './queries';
import { inspectReplicatedSet } from './replicated-set';

/** From the first signal, how long the wait goes on without a found cause before it stops and says so. */
export const SIGNAL_GRACE_MS = 60_000;
/** Without a new signal for this long, the replication is taken as recovered. */
export const QUIET_RESET_MS = 30_000;
/** An apply worker absent this long (after the start) is a signal. */
export const APPLY_ABSENT_MS = 15_000;

export interface WorkerSnapshot {
  at: number;
  applyPid: number | null;
  /** Table-sync workers: tableKey → pid. */
  syncPids: Map<string, number>;
  /** pg_stat_subscription_stats (15+); null before 15. */
  applyErrors: number | null;
  syncErrors: number | null;
}

type Row = Record<string, unknown>;

export async function workerSnapshot(target: Queryable, subOid: number, major: number): Promise<WorkerSnapshot> {
  const stats = major >= 15
    ? '(SELECT json_build_object(\'apply\', x.apply_error_count, \'sync\', x.sync_error_count) FROM pg_stat_subscription_stats x WHERE x.subid = $1)'
    : 'NULL::json';
  const { rows } = await target.query<Row>(
    `SELECT (SELECT COALESCE(json_agg(json_build_object('schema', n.nspname, 'name', c.relname, 'pid', st.pid)), '[]'::json)
             FROM pg_stat_subscription st LEFT JOIN pg_class c ON c.oid = st.relid LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE st.subid = $1 AND st.pid IS NOT NULL) AS workers,
       ${stats} AS stats`,
    [subOid],
  );
  const workers = parseJson<Array<{ schema: string | null; name: string | null; pid: number }>>(rows[0].workers);
  const stats0 = rows[0].stats === null || rows[0].stats === undefined ? null : parseJson<{ apply: number; sync: number }>(rows[0].stats);
  const apply = workers.find((w) => w.name === null);
  return {
    at: Date.now(),
    applyPid: apply ? Number(apply.pid) : null,
    syncPids: new Map(workers.filter((w) => w.name !== null).map((w) => [tableKey({ schema: w.schema!, name: w.name! }), Number(w.pid)])),
    applyErrors: stats0 ? Number(stats0.apply) : null,
    syncErrors: stats0 ? Number(stats0.sync) : null,
  };
}

/** Pure: compares snapshots and remembers the first signal. */
export class ErrorSignals {
  private baseline: WorkerSnapshot | null = null;
  private last: WorkerSnapshot | null = null;
  private applySeenAt: number;
  firstSignalAt: number | null = null;
  private lastSignalAt = 0;
  readonly signals: string[] = [];

  constructor(private readonly startedAt: number) {
    this.applySeenAt = startedAt;
  }

  /** Returns the new signals of this snapshot (also kept in `signals`). */
  observe(s: WorkerSnapshot): string[] {
    const found: string[] = [];
    const base = (this.baseline ??= s);
    const prev = this.last;
    if (s.applyErrors !== null && base.applyErrors !== null && s.applyErrors > (prev?.applyErrors ?? base.applyErrors)) {
      found.push(`the apply worker failed ${s.applyErrors - base.applyErrors} time(s) since the wait started`);
    }
    if (s.syncErrors !== null && base.syncErrors !== null && s.syncErrors > (prev?.syncErrors ?? base.syncErrors)) {
      found.push(`table copy workers failed ${s.syncErrors - base.syncErrors} time(s) since the wait started`);
    }
    if (s.applyPid !== null) {
      if (prev?.applyPid && prev.applyPid !== s.applyPid) found.push(`the apply worker restarted (pid ${prev.applyPid} → ${s.applyPid})`);
      this.applySeenAt = s.at;
    } else if (s.at - this.applySeenAt > APPLY_ABSENT_MS) {
      found.push(`the apply worker has not been running for ${Math.round((s.at - this.applySeenAt) / 1000)} s`);
    }
    for (const [k, pid] of s.syncPids) {
      const before = prev?.syncPids.get(k);
      if (before !== undefined && before !== pid) found.push(`the copy worker of a table restarted (pid ${before} → ${pid})`);
    }
    this.last = s;
    if (found.length) {
      this.firstSignalAt ??= s.at;
      this.lastSignalAt = s.at;
      this.signals.push(...found);
    } else if (this.firstSignalAt !== null && s.at - this.lastSignalAt > QUIET_RESET_MS) {
      this.firstSignalAt = null; // recovered: a later failure starts a new grace period
    }
    return found;
  }
}

/**
 * What the earlier steps left, and how to remove it: said whenever the wait stops without success. The subscription is
 * detached from its slot before it is dropped (its connection may have lost its password when the run ended, so DROP
 * SUBSCRIPTION could not reach the source); the slots are then dropped on the source — this subscription's own and
 * its table-copy slots (pg_<subscription oid>_sync_…), no other.
 */
export function leftInPlace(p: LogicalUpgradeParams, target: { database: string; subscriptionOid?: number }): string {
  const sub = quoteIdent(p.subscription);
  const open = p.freezeMethod === 'system'
    ? 'ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf();'
    : `ALTER DATABASE ${quoteIdent(target.database)} RESET default_transaction_read_only;`;
  const syncSlots = target.subscriptionOid !== undefined ? ` OR slot_name LIKE ${quoteLiteral(`pg\\_${target.subscriptionOid}\\_sync\\_%`)}` : '';
  return `Left in place by the earlier steps: the publication ${quoteIdent(p.publication)} and the replication slot ${quoteIdent(slotNameOf(p))} ` +
    `(and its table-copy slots pg_…_sync_…) on the source, the subscription ${sub} on the target, the target read-only. ` +
    'Fix the cause and resume the run (this step waits again), or remove them: on the target ' +
    `${WRITABLE_SESSION_FIX} ALTER SUBSCRIPTION ${sub} DISABLE; ALTER SUBSCRIPTION ${sub} SET (slot_name = NONE); ${dropSubscriptionFix(p.subscription)} ${open} ` +
    `and on the source ${dropPublicationFix(p.publication)} SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(slotNameOf(p))}${syncSlots};`;
}

/** One query on the target: which of these tables (copy not finished) already hold rows there — rows the copy collides with. */
async function collidingTables(target: Queryable, tables: TableName[]): Promise<TableName[]> {
  if (!tables.length) return [];
  const sql = tables.map((t, i) => `SELECT ${i} AS i WHERE EXISTS (SELECT 1 FROM ONLY ${quoteQualified(t.schema, t.name)})`).join(' UNION ALL ');
  const { rows } = await target.query<{ i: number }>(sql);
  return rows.map((r) => tables[Number(r.i)]);
}

export interface DiagnosisInput {
  source: Queryable;
  target: Queryable;
  params: LogicalUpgradeParams;
  states: RelState[];
  /** The role the subscription connects to the source as. */
  replicationUser: string;
  viaRoot: boolean;
}

/** Looks for the cause of replication failures; null when none of the known causes is found. */
export async function diagnose(d: DiagnosisInput): Promise<string | null> {
  const p = d.params;
  for (const name of [p.publication]) {
    const why = unparsableName(name);
    if (why) return `the publication name ${quoteIdent(name)} contains ${why}, which the walsender cannot parse: START_REPLICATION fails every time. Re-run with another publication name.`;
  }
  // copy not finished (i, d): rows visible on the target were there before (the copy's own rows are not committed yet)
  const copying = d.states.filter((s) => s.state === 'i' || s.state === 'd').map((s) => ({ schema: s.schema, name: s.name }));
  const colliding = await collidingTables(d.target, copying);
  if (colliding.length) {
    return `the initial copy collides with rows already on the target in ${colliding.map(display).join(', ')} (a duplicate key stops it, and it retries forever). ` +
      `Empty them on the target (${WRITABLE_SESSION_FIX} TRUNCATE ONLY ${colliding.map((t) => quoteQualified(t.schema, t.name)).join(', ')};) and the copy goes on by itself.`;
  }
  const notReady = d.states.filter((s) => s.state !== 'r').map((s) => ({ schema: s.schema, name: s.name }));
  if (notReady.length) {
    const priv = await replicationPrivileges(d.source, d.replicationUser, notReady, d.viaRoot);
    if (priv.replicationRole && priv.noSelect.length) {
      const role = quoteIdent(priv.replicationRole);
      return `the replication role ${role} may not read ${priv.noSelect.map(display).join(', ')} on the source ("permission denied"): their copy fails again and again. ` +
        `On the source: ${priv.noUsage.length ? `GRANT USAGE ON SCHEMA ${priv.noUsage.map(quoteIdent).join(', ')} TO ${role}; ` : ''}GRANT SELECT ON TABLE ${priv.noSelect.map((t) => quoteQualified(t.schema, t.name)).join(', ')} TO ${role}; and the copy goes on by itself.`;
    }
  }
  const set = await inspectReplicatedSet(d.source, d.target, p, false);
  const drift = await compareSchemas(d.source, d.target, set.tables);
  const breaking = drift.items.filter((i) => i.breaksReplication);
  if (breaking.length) return `the apply stopped on DDL the target lacks — ${describeDrift({ items: breaking, ddl: breaking.flatMap((i) => i.ddl) })}`;
  return null;
}
