/**
 * What the replication monitor reports each tick: plain, JSON-safe data (it crosses into the webview through
 * postMessage and may be journaled as a `snapshot` event). Never a password or a connection string: clusters are
 * named by their display name, endpoints by host:port only.
 * Conventions as in src/core/catalog/types.ts: bytes and seconds are numbers, LSNs strings, times ISO-8601 UTC,
 * null = not known / not available on that major.
 */
import type { TableStateCounts } from '../catalog/types';
import type { PoolerView } from './poolers';

export type { TableStateCounts } from '../catalog/types';

/** pg_subscription_rel.srsubstate: i initialize, d data copy, f finished copy (14+), s synchronized, r ready. */
export type TableSyncState = 'i' | 'd' | 'f' | 's' | 'r';
export const TABLE_SYNC_STATES: readonly TableSyncState[] = ['i', 'd', 'f', 's', 'r'];

export type PairKind = 'logical' | 'streaming';
export type MonitorRole = 'source' | 'target' | 'primary' | 'standby';

export interface ClusterView {
  role: MonitorRole;
  name: string;
  /** "16.14" (server_version), null when the cluster could not be reached this tick. */
  version: string | null;
  major: number | null;
  /** What the server says it is right now (pg_is_in_recovery). */
  serverRole: 'primary' | 'standby' | null;
  walLevel: string | null;
  /** Current WAL position (primary) or last received (standby). */
  walLsn: string | null;
  /** Why this cluster has no figures this tick (connection lost, permission denied …); no secret inside. */
  error?: string;
  /** Round-trip time of this tick's one query, ms. */
  queryMs?: number;
}

export interface SubscriptionView {
  name: string;
  enabled: boolean;
  /** The apply worker runs. */
  workerRunning: boolean;
  publications: string[];
  slotName: string | null;
  /** Publisher host:port as written in the subscription (never its password); null when not readable. */
  publisher: string | null;
  tableCount: number;
  states: TableStateCounts;
  syncWorkers: number;
  /** Bytes of WAL the subscriber still has to confirm (source slot: current LSN − confirmed_flush_lsn). */
  lagBytes: number | null;
  /** Seconds behind (walsender replay_lag on the source, else the subscriber's last message delay). */
  lagSeconds: number | null;
  applyErrorCount: number | null; // (15+)
  syncErrorCount: number | null; // (15+)
  conflictCount: number | null; // (18+)
  receivedLsn: string | null;
}

/** One table of a subscription that is not ready yet. */
export interface TableSyncRow {
  subscription: string;
  schema: string;
  name: string;
  state: TableSyncState;
  /** Bytes the table's COPY has processed (pg_stat_progress_copy, 14+); null when not copying or < 14. */
  bytesCopied: number | null;
  /** Epoch ms since which the monitor has seen this table in a non-ready state (for "slowest first"). */
  since: number;
}

export interface TablesView {
  /** Over every subscription shown. */
  counts: TableStateCounts;
  total: number;
  /** Non-ready tables: copying first (most bytes first), then longest waiting. At most MAX_LISTED_TABLES. */
  listed: TableSyncRow[];
  /** Non-ready tables not listed (over the cap). */
  omitted: number;
}

/** How close a slot's retained WAL is to being invalidated (max_slot_wal_keep_size / wal_status). */
export type WalRisk = 'ok' | 'unbounded' | 'warning' | 'critical' | 'lost';

export interface SlotView {
  name: string;
  type: 'physical' | 'logical';
  active: boolean;
  retainedWalBytes: number | null;
  walStatus: string | null; // (13+)
  safeWalSizeBytes: number | null; // (13+)
  /** max_slot_wal_keep_size in bytes; -1 unlimited; null before 13. */
  maxSlotWalKeepSizeBytes: number | null;
  risk: WalRisk;
}

export interface StandbyView {
  /** application_name (a standby's cluster_name / a subscription's name). */
  name: string;
  kind: 'physical' | 'logical';
  clientAddr: string | null;
  state: string | null;
  syncState: string | null;
  writeLagSeconds: number | null;
  flushLagSeconds: number | null;
  replayLagSeconds: number | null;
  replayLagBytes: number | null;
}

export interface LongTransaction {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  seconds: number;
}

export interface SequencesView {
  /** Sequences on the source. */
  count: number;
  /** Sequences the monitor's user cannot read on the source ("schema.name"), at most 20. */
  unreadable: string[];
  /** Source sequences with no namesake on the target ("schema.name"), at most 20. */
  missingOnTarget: string[];
  missingCount: number;
  unreadableCount: number;
}

export type ReadinessId = 'tables-ready' | 'lag' | 'long-transactions' | 'sequences' | 'slot-wal' | 'errors' | 'standbys-streaming';

export interface ReadinessItem {
  id: ReadinessId;
  /** null = cannot tell this tick (a cluster unreachable). */
  ok: boolean | null;
  /** Plain English detail with the figures ("3 of 10,000 tables not ready"); the UI may localise by id. */
  detail: string;
}

export interface LagSample {
  /** Epoch ms. */
  t: number;
  bytes: number | null;
  seconds: number | null;
}

export interface DashboardSnapshot {
  kind: PairKind;
  /** ISO time of the tick. */
  at: string;
  /** Wall time of the whole tick (all clusters in parallel), ms. */
  tookMs: number;
  clusters: ClusterView[];
  subscriptions: SubscriptionView[];
  tables: TablesView;
  slots: SlotView[];
  standbys: StandbyView[];
  longTransactions: LongTransaction[];
  sequences: SequencesView | null;
  readiness: ReadinessItem[];
  /** True when every readiness item is ok. */
  ready: boolean;
  lag: LagSample;
  /** The lag threshold the readiness uses (the chart draws it). */
  lagThresholdBytes: number;
  /** The run's PgBouncer poolers (client routing): paused databases, clients waiting, longest wait. Absent: none. */
  poolers?: PoolerView[];
}

/** Tables listed per snapshot at most (the rest are counted): keeps a 10,000-table subscription light. */
export const MAX_LISTED_TABLES = 10_000;
