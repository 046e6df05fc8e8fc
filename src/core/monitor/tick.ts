/**
 * One tick against one cluster: its one statement (sql.ts), and the row mapped into catalog types. The json arrays
 * are handed to the catalog's own list functions through a Queryable that replays them, so the mapping (and its
 * version quirks) lives only in src/core/catalog.
 */
import {
  listReplicationSlots, listStandbys, listSubscriptions,
  type ReplicationSlotInfo, type StandbyInfo, type SubscriptionInfo,
} from '../catalog';
import { bool, num, str, type Row } from '../catalog/values';
import type { Queryable, ServerVersion } from '../db';
import { primaryTickSql, sourceTickSql, standbyTickSql, targetTickSql, type SourceTickOptions } from './sql';
import { TABLE_SYNC_STATES, type LongTransaction, type TableSyncState } from './types';

/** A Queryable that answers any query with the given rows: feeds pre-fetched json rows to the catalog mappers. */
function replay(rows: unknown): Queryable {
  const list = (Array.isArray(rows) ? rows : typeof rows === 'string' ? JSON.parse(rows) : []) as Row[];
  return { query: async <R>() => ({ rows: list as unknown as R[], rowCount: list.length }) };
}

function array(v: unknown): Row[] {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return Array.isArray(parsed) ? (parsed as Row[]) : [];
}

export interface TickHeader {
  serverVersion: string;
  versionNum: number;
  inRecovery: boolean;
  walLevel: string;
  walLsn: string | null;
  /** Bytes; -1 unlimited; null before 13. */
  maxSlotWalKeepSizeBytes: number | null;
}

export interface SequenceName {
  schema: string;
  name: string;
  readable: boolean;
}

export interface NotReadyTable {
  subscription: string;
  schema: string;
  name: string;
  state: TableSyncState;
  bytesCopied: number | null;
}

export interface SourceTick {
  header: TickHeader;
  slots: ReplicationSlotInfo[];
  senders: StandbyInfo[];
  longTransactions: LongTransaction[];
  sequences: SequenceName[];
}

export interface TargetTick {
  header: TickHeader;
  subscriptions: SubscriptionInfo[];
  tables: NotReadyTable[];
  sequences: SequenceName[];
}

export interface PrimaryTick {
  header: TickHeader;
  senders: StandbyInfo[];
  slots: ReplicationSlotInfo[];
}

async function oneRow(q: Queryable, sql: string): Promise<Row> {
  const { rows } = await q.query<Row>(sql);
  if (!rows[0]) throw new Error('The server returned no row for the monitor query.');
  return rows[0];
}

function header(r: Row): TickHeader {
  return {
    serverVersion: str(r.server_version) ?? '',
    versionNum: num(r.version_num) ?? 0,
    inRecovery: bool(r.in_recovery) ?? false,
    walLevel: str(r.wal_level) ?? '',
    walLsn: str(r.wal_lsn),
    maxSlotWalKeepSizeBytes: num(r.max_slot_wal_keep_size),
  };
}

function sequences(v: unknown): SequenceName[] {
  return array(v).map((r) => ({ schema: String(r.schema), name: String(r.name), readable: r.readable === true || r.readable === 't' }));
}

function syncState(v: unknown): TableSyncState {
  const s = String(v) as TableSyncState;
  return TABLE_SYNC_STATES.includes(s) ? s : 'i';
}

export async function tickSource(q: Queryable, v: ServerVersion, o: SourceTickOptions): Promise<SourceTick> {
  const r = await oneRow(q, sourceTickSql(v, o));
  return {
    header: header(r),
    slots: await listReplicationSlots(replay(r.slots), v),
    senders: await listStandbys(replay(r.senders), v),
    longTransactions: array(r.long_transactions).map((x) => ({
      pid: num(x.pid) ?? 0,
      user: str(x.user_name),
      application: str(x.application),
      state: str(x.state),
      seconds: num(x.seconds) ?? 0,
    })),
    sequences: sequences(r.sequences),
  };
}

export async function tickTarget(q: Queryable, v: ServerVersion, o: { conninfo: boolean }): Promise<TargetTick> {
  const r = await oneRow(q, targetTickSql(v, o));
  return {
    header: header(r),
    subscriptions: await listSubscriptions(replay(r.subscriptions), v, o),
    tables: array(r.tables).map((x) => ({
      subscription: String(x.subscription),
      schema: String(x.schema),
      name: String(x.name),
      state: syncState(x.state),
      bytesCopied: num(x.bytes_copied),
    })),
    sequences: sequences(r.sequences),
  };
}

export async function tickPrimary(q: Queryable, v: ServerVersion): Promise<PrimaryTick> {
  const r = await oneRow(q, primaryTickSql(v));
  return { header: header(r), senders: await listStandbys(replay(r.senders), v), slots: await listReplicationSlots(replay(r.slots), v) };
}

export async function tickStandby(q: Queryable, v: ServerVersion): Promise<{ header: TickHeader }> {
  return { header: header(await oneRow(q, standbyTickSql(v))) };
}
