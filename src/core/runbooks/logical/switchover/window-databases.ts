/**
 * The databases of one switchover window (issue 10): each moved database's sessions, sequences, slot and state,
 * prepared before the freeze. A one-database run has one of them, with the run's own context.
 */
import type { StepContext } from '../../../runbook/types';
import { compareLsn } from '../../../catalog';
import type { DatabaseUnit } from '../cluster';
import type { TableToCompare } from '../compare';
import type { FenceState } from '../fence';
import { GateError } from '../gate-error';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { sourceReplicatedTables } from '../replicated-set';
import { backendPid, display, fromKey, sequenceOids } from '../queries';
import type { Session } from '../session';
import { readSequencesSql } from '../statements';
import type { GateReport } from './gate';
import type { ServerLive } from './live';
import { closeSessions, openSessions, type Sessions } from './sessions';

type Ctx = StepContext<LogicalUpgradeParams>;

export interface WindowDatabase {
  database: string;
  ctx: Ctx;
  /** The forward slot on the source (cluster-wide name, one per database). */
  slot: string;
  s: Sessions;
  gate: GateReport;
  /** Where this database's per-database outputs go (the step's outputs themselves for a one-database run). */
  out: Record<string, unknown>;
  seqs: Array<{ oid: number | undefined; name: ReturnType<typeof fromKey> }>;
  readSeqs: string;
  toCompare: TableToCompare[];
  subSyncBefore: string | null;
  targetFrozen?: ServerLive;
  fence?: FenceState;
}

/** Sessions for every database (all closed again if one cannot be opened). */
export async function openWindowDatabases(units: DatabaseUnit[], gates: GateReport[], compare: boolean, outputs: Record<string, unknown>): Promise<WindowDatabase[]> {
  const cluster = units.length > 1 || units[0]?.ctx.params.databases !== undefined;
  const per: Record<string, Record<string, unknown>> = {};
  if (cluster) outputs.databases = per;
  const out: WindowDatabase[] = [];
  try {
    for (const [i, u] of units.entries()) {
      const s = await openSessions(u.ctx, compare);
      const o: Record<string, unknown> = cluster ? (per[u.database] = { tables: gates[i].tables, gateLagBytes: gates[i].lagBytes }) : outputs;
      out.push({ database: u.database, ctx: u.ctx, slot: slotNameOf(u.ctx.params), s, gate: gates[i], out: o, seqs: [], readSeqs: '', toCompare: [], subSyncBefore: null });
    }
    return out;
  } catch (err) {
    await closeWindowDatabases(out);
    throw err;
  }
}

export async function closeWindowDatabases(dbs: WindowDatabase[]): Promise<void> {
  await Promise.allSettled(dbs.map((d) => closeSessions(d.s)));
}

/** Our own backends on the source (every database's sessions): the freeze's terminations spare them. */
export async function ourSourcePids(dbs: WindowDatabase[]): Promise<number[]> {
  const all = dbs.flatMap((d) => [d.s.srcCtl, d.s.srcSpare, d.s.srcSeq, d.s.srcCmp].filter((x): x is Session => !!x));
  return Promise.all(all.map(backendPid));
}

/** The database's sequences resolved on the target, and what the window compares (before the freeze). */
export async function prepareSequences(d: WindowDatabase, compare: boolean): Promise<void> {
  const srcOids = await sequenceOids(d.s.srcCtl);
  const tgtOids = await sequenceOids(d.s.tgtCtl);
  d.seqs = [...srcOids.keys()].map((k) => ({ oid: tgtOids.get(k), name: fromKey(k) }));
  const absent = d.seqs.filter((x) => x.oid === undefined);
  if (absent.length) throw new GateError(`sequence(s) missing on the target in database "${d.database}": ${absent.slice(0, 5).map((x) => display(x.name)).join(', ')}`);
  d.readSeqs = readSequencesSql(d.seqs.map((x) => x.name));
  d.toCompare = compare ? (await sourceReplicatedTables(d.s.srcCtl, d.ctx.params, false)).map((x) => ({ schema: x.schema, name: x.name, checksum: false })) : [];
}

/** Slots among `dbs` whose confirmed_flush_lsn has not reached `lsn` yet (one query: slots are cluster-wide). */
export async function slotsBehind(q: Session, dbs: WindowDatabase[], lsn: string): Promise<Array<{ database: string; slot: string; confirmed: string | null }>> {
  const r = await q.query<{ s: string; c: string | null }>('SELECT slot_name::text AS s, confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = ANY($1::text[])', [dbs.map((d) => d.slot)]);
  const at = new Map(r.rows.map((x) => [x.s, x.c]));
  for (const d of dbs) d.out.confirmedFlushLsn = at.get(d.slot) ?? null;
  return dbs
    .map((d) => ({ database: d.database, slot: d.slot, confirmed: at.get(d.slot) ?? null }))
    .filter((x) => !x.confirmed || compareLsn(x.confirmed, lsn) < 0);
}
