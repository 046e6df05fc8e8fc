import type { Queryable, ServerVersion } from '../db';
import { CURRENT_WAL_POSITION, isoTimestamp, nonNegative } from './sqlparts';
import type { ReplicationSlotInfo, SlotType } from './types';
import { bool, num, reqBool, reqStr, str, type Row } from './values';
import { catalogMajor } from './version';

export function listReplicationSlotsSql(v: ServerVersion): string {
  const major = catalogMajor(v);
  const from = (min: number, expr: string, type: string) => (major >= min ? expr : `NULL::${type}`);
  return `WITH pos AS (SELECT ${CURRENT_WAL_POSITION} AS lsn)
SELECT s.slot_name AS name, s.slot_type AS type, s.plugin, s.database,
  s.temporary, s.active, s.active_pid,
  s.restart_lsn::text AS restart_lsn,
  s.confirmed_flush_lsn::text AS confirmed_flush_lsn,
  ${nonNegative('pos.lsn - s.restart_lsn')} AS retained_wal_bytes,
  ${nonNegative('pos.lsn - s.confirmed_flush_lsn')} AS lag_bytes,
  ${from(13, 's.wal_status', 'text')} AS wal_status,
  ${from(13, 's.safe_wal_size::float8', 'float8')} AS safe_wal_size,
  ${from(14, 's.two_phase', 'boolean')} AS two_phase,
  ${from(16, 's.conflicting', 'boolean')} AS conflicting,
  ${from(17, 's.invalidation_reason', 'text')} AS invalidation_reason,
  ${from(17, isoTimestamp('s.inactive_since'), 'text')} AS inactive_since,
  ${from(17, 's.failover', 'boolean')} AS failover,
  ${from(17, 's.synced', 'boolean')} AS synced
FROM pg_replication_slots s CROSS JOIN pos
ORDER BY s.slot_name`;
}

export async function listReplicationSlots(q: Queryable, v: ServerVersion): Promise<ReplicationSlotInfo[]> {
  const { rows } = await q.query<Row>(listReplicationSlotsSql(v));
  return rows.map((r) => ({
    name: reqStr(r.name, 'slot_name'),
    type: slotType(reqStr(r.type, 'slot_type')),
    plugin: str(r.plugin),
    database: str(r.database),
    temporary: reqBool(r.temporary, 'temporary'),
    active: reqBool(r.active, 'active'),
    activePid: num(r.active_pid),
    restartLsn: str(r.restart_lsn),
    confirmedFlushLsn: str(r.confirmed_flush_lsn),
    retainedWalBytes: num(r.retained_wal_bytes),
    lagBytes: num(r.lag_bytes),
    walStatus: str(r.wal_status),
    safeWalSizeBytes: num(r.safe_wal_size),
    twoPhase: bool(r.two_phase),
    conflicting: bool(r.conflicting),
    invalidationReason: str(r.invalidation_reason),
    inactiveSince: str(r.inactive_since),
    failover: bool(r.failover),
    synced: bool(r.synced),
  }));
}

function slotType(t: string): SlotType {
  if (t === 'physical' || t === 'logical') return t;
  throw new Error(`Unknown replication slot type ${JSON.stringify(t)}.`);
}
