/** What the preflight reads from both servers of the streaming pair (read-only, a few round trips each). */
import { listReplicationSlots, listStandbys, type ReplicationSlotInfo, type StandbyInfo } from '../../catalog';
import type { Queryable, ServerVersion } from '../../db';
import { readHostFacts, type HostFacts } from '../../hosts/facts';
import { APPLICATION_NAME } from '../../runbook/connections';
import { frozenBySystem } from '../logical/queries';

export interface PrimaryFacts {
  host: HostFacts;
  isSuperuser: boolean;
  standbys: StandbyInfo[];
  slots: ReplicationSlotInfo[];
  longestTransactionSeconds: number | null;
  preparedTransactions: number;
  archiveMode: string;
  archiver: { archivedCount: number; failedCount: number; lastFailedAt: string | null; failing: boolean };
  walKeepSize: string | null;
  frozen: boolean;
  currentLsn: string;
  /** The primary's synchronous_standby_names and synchronous_commit: commits (the drain marker too) wait for them. */
  synchronousStandbyNames: string;
  synchronousCommit: string;
}

export interface StandbyFacts {
  host: HostFacts;
  isSuperuser: boolean;
  receiverStatus: string | null;
  senderHost: string | null;
  senderPort: number | null;
  replayPaused: boolean;
  replayLsn: string | null;
  receiveLsn: string | null;
  synchronousStandbyNames: string;
  hotStandby: boolean;
  archiveMode: string;
  walKeepSize: string | null;
  /** recovery_min_apply_delay in ms: every commit is replayed this long after it happened. */
  applyDelayMs: number;
  /** max_standby_streaming_delay in ms (-1: replay waits for conflicting standby queries forever). */
  maxStreamingDelayMs: number;
  /** Queries running on the standby now (they can hold replay back through conflicts). */
  activeQueries: number;
}

const PRIMARY_SQL = `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser,
  (SELECT extract(epoch FROM max(now() - xact_start))::float8 FROM pg_stat_activity
     WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
       AND application_name IS DISTINCT FROM $1) AS longest_xact,
  (SELECT count(*) FROM pg_prepared_xacts)::int AS prepared,
  current_setting('archive_mode') AS archive_mode,
  a.archived_count::int8 AS archived, a.failed_count::int8 AS failed,
  to_char(a.last_failed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_failed,
  coalesce(a.last_failed_time > coalesce(a.last_archived_time, '-infinity'), false) AS failing,
  (SELECT setting FROM pg_settings WHERE name = 'wal_keep_size') AS wal_keep_size,
  pg_current_wal_lsn()::text AS lsn,
  current_setting('synchronous_standby_names') AS sync_names,
  current_setting('synchronous_commit') AS sync_commit
FROM pg_stat_archiver a`;

export async function readPrimaryFacts(q: Queryable, v: ServerVersion): Promise<PrimaryFacts> {
  const host = await readHostFacts(q);
  const r = (await q.query<Record<string, unknown>>(PRIMARY_SQL, [APPLICATION_NAME])).rows[0];
  return {
    host,
    isSuperuser: r.is_superuser === true,
    standbys: await listStandbys(q, v),
    slots: await listReplicationSlots(q, v),
    longestTransactionSeconds: r.longest_xact === null ? null : Number(r.longest_xact),
    preparedTransactions: Number(r.prepared),
    archiveMode: String(r.archive_mode),
    archiver: { archivedCount: Number(r.archived), failedCount: Number(r.failed), lastFailedAt: (r.last_failed as string | null) ?? null, failing: r.failing === true },
    walKeepSize: (r.wal_keep_size as string | null) ?? null,
    frozen: await frozenBySystem(q),
    currentLsn: String(r.lsn),
    synchronousStandbyNames: String(r.sync_names ?? ''),
    synchronousCommit: String(r.sync_commit ?? 'on'),
  };
}

const STANDBY_SQL = `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser,
  (SELECT status FROM pg_stat_wal_receiver) AS receiver_status,
  (SELECT sender_host FROM pg_stat_wal_receiver) AS sender_host,
  (SELECT sender_port FROM pg_stat_wal_receiver) AS sender_port,
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused,
  pg_last_wal_replay_lsn()::text AS replay_lsn, pg_last_wal_receive_lsn()::text AS receive_lsn,
  current_setting('synchronous_standby_names') AS sync_names,
  current_setting('hot_standby') = 'on' AS hot_standby,
  current_setting('archive_mode') AS archive_mode,
  (SELECT setting FROM pg_settings WHERE name = 'wal_keep_size') AS wal_keep_size,
  (SELECT setting::int8 FROM pg_settings WHERE name = 'recovery_min_apply_delay') AS apply_delay_ms,
  (SELECT setting::int8 FROM pg_settings WHERE name = 'max_standby_streaming_delay') AS streaming_delay_ms,
  (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active'
     AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM $1) AS active_queries`;

export async function readStandbyFacts(q: Queryable): Promise<StandbyFacts> {
  const host = await readHostFacts(q);
  const r = (await q.query<Record<string, unknown>>(STANDBY_SQL, [APPLICATION_NAME])).rows[0];
  return {
    host,
    isSuperuser: r.is_superuser === true,
    receiverStatus: (r.receiver_status as string | null) ?? null,
    senderHost: (r.sender_host as string | null) ?? null,
    senderPort: r.sender_port === null || r.sender_port === undefined ? null : Number(r.sender_port),
    replayPaused: r.paused === true,
    replayLsn: (r.replay_lsn as string | null) ?? null,
    receiveLsn: (r.receive_lsn as string | null) ?? null,
    synchronousStandbyNames: String(r.sync_names ?? ''),
    hotStandby: r.hot_standby === true,
    archiveMode: String(r.archive_mode),
    walKeepSize: (r.wal_keep_size as string | null) ?? null,
    applyDelayMs: Number(r.apply_delay_ms ?? 0),
    maxStreamingDelayMs: Number(r.streaming_delay_ms ?? 30000),
    activeQueries: Number(r.active_queries ?? 0),
  };
}
