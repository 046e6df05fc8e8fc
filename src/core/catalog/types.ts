/**
 * Plain, JSON-safe result types of the catalog queries (PostgreSQL 12–18).
 * Conventions: sizes and LSN differences are numbers of bytes; LSNs are strings ("16/B374D848");
 * timestamps are ISO-8601 UTC strings; a field that the connected major does not have is null
 * (the "(13+)" notes say from which major it is filled in).
 */
import type { ServerVersion } from '../db';

export type ServerRole = 'primary' | 'standby';

export interface ServerOverview {
  version: ServerVersion; // from server_version_num
  serverVersion: string; // server_version, the full string, e.g. "16.14" or "16.4 (Debian 16.4-1.pgdg120+1)"
  inRecovery: boolean;
  role: ServerRole; // 'standby' when in recovery
  walLevel: string; // 'replica' | 'logical' | 'minimal'
  maxReplicationSlots: number;
  maxWalSenders: number;
  maxLogicalReplicationWorkers: number;
  maxWorkerProcesses: number;
  maxSyncWorkersPerSubscription: number;
  maxActiveReplicationOrigins: number | null; // (18+) origins a subscriber may use; before 18 max_replication_slots
  uptimeSeconds: number;
  postmasterStartTime: string;
  totalDatabaseSizeBytes: number; // sum over the databases this user may connect to
  currentDatabase: string;
  currentUser: string;
  isSuperuser: boolean;
  /** default_transaction_read_only is on for this session: the server (ALTER SYSTEM) or this database is frozen. */
  defaultReadOnly?: boolean;
}

export interface DatabaseInfo {
  name: string;
  owner: string;
  sizeBytes: number | null; // null when the user lacks CONNECT on it
  encoding: string;
  allowConnections: boolean;
  isTemplate: boolean;
  /** ALTER DATABASE … SET default_transaction_read_only = on (a database frozen by a switchover). */
  readOnly?: boolean;
}

export interface PublicationInfo {
  name: string;
  owner: string;
  allTables: boolean;
  tableCount: number; // rows of pg_publication_tables for it
  insert: boolean;
  update: boolean;
  delete: boolean;
  truncate: boolean;
  viaRoot: boolean | null; // (13+) publish_via_partition_root
}

/** Counts of pg_subscription_rel.srsubstate: i initialize, d data copy, f finished copy (14+), s synchronized, r ready. */
export interface TableStateCounts {
  i: number;
  d: number;
  f: number;
  s: number;
  r: number;
}

export type SubscriptionStreaming = 'off' | 'on' | 'parallel';

export interface SubscriptionInfo {
  name: string;
  owner: string;
  enabled: boolean;
  publications: string[];
  slotName: string | null; // null for slot_name = NONE
  /** Host(s) of the publisher, parsed out of subconninfo on the server: the password never leaves it. */
  conninfoHost: string | null; // comma-separated for multi-host; null if not given or not readable
  conninfoPort: string | null;
  tableCount: number;
  tableStates: TableStateCounts;
  workerPid: number | null; // the apply worker, null when it is not running
  syncWorkers: number; // table synchronization workers running now
  receivedLsn: string | null;
  latestEndLsn: string | null;
  latestEndTime: string | null;
  lastMsgSendTime: string | null;
  lastMsgReceiptTime: string | null;
  /**
   * Delay of the last message from the publisher (receipt − send time, ≥ 0, includes clock skew); grows when
   * the apply worker falls behind. Byte lag is only computable on the publisher: ReplicationSlotInfo.lagBytes.
   */
  lagSeconds: number | null;
  applyErrorCount: number | null; // (15+) pg_stat_subscription_stats
  syncErrorCount: number | null; // (15+)
  conflictCount: number | null; // (18+) sum of the confl_* counters
  streaming: SubscriptionStreaming | null; // (14+)
  disableOnError: boolean | null; // (15+)
}

export type SlotType = 'physical' | 'logical';

export interface ReplicationSlotInfo {
  name: string;
  type: SlotType;
  plugin: string | null;
  database: string | null;
  temporary: boolean;
  active: boolean;
  activePid: number | null;
  restartLsn: string | null;
  confirmedFlushLsn: string | null; // logical slots only
  /** WAL the slot holds back: current position (primary) or last received (standby) − restart_lsn. */
  retainedWalBytes: number | null;
  /** Logical slots: current WAL position − confirmed_flush_lsn, i.e. how far the subscriber is behind. */
  lagBytes: number | null;
  walStatus: string | null; // (13+) reserved | extended | unreserved | lost
  safeWalSizeBytes: number | null; // (13+) null when max_slot_wal_keep_size = -1
  twoPhase: boolean | null; // (14+)
  conflicting: boolean | null; // (16+) logical slots only
  invalidationReason: string | null; // (17+)
  inactiveSince: string | null; // (17+)
  failover: boolean | null; // (17+)
  synced: boolean | null; // (17+)
}

export interface StandbyInfo {
  pid: number;
  /** 'physical' for a streaming standby or base backup, 'logical' for a subscription's walsender. */
  kind: 'physical' | 'logical';
  userName: string | null;
  applicationName: string;
  clientAddr: string | null; // null for a Unix-socket connection
  clientPort: number | null;
  backendStart: string | null;
  state: string | null; // startup | catchup | streaming | backup | stopping
  sentLsn: string | null;
  writeLsn: string | null;
  flushLsn: string | null;
  replayLsn: string | null;
  writeLagSeconds: number | null;
  flushLagSeconds: number | null;
  replayLagSeconds: number | null;
  syncPriority: number | null;
  syncState: string | null; // async | potential | sync | quorum
  replyTime: string | null;
  /** Current WAL position − replay_lsn. */
  replayLagBytes: number | null;
}

export type ReplicaIdentity = 'd' | 'n' | 'f' | 'i';

export interface TableInfo {
  schema: string;
  name: string;
  hasPrimaryKey: boolean;
  replicaIdentity: ReplicaIdentity; // d default (primary key), n nothing, f full, i index
  isUnlogged: boolean;
  isPartition: boolean; // a partition of another table
  isPartitioned: boolean; // a partitioned table (holds no rows itself)
  estimatedRows: number | null; // pg_class.reltuples; null when never vacuumed/analyzed (14+ reports -1)
  sizeBytes: number; // pg_total_relation_size: heap + indexes + TOAST
}

export interface SequenceOwner {
  schema: string;
  table: string;
  column: string;
}

export interface SequenceInfo {
  schema: string;
  name: string;
  dataType: string; // smallint | integer | bigint
  incrementBy: string; // bigint as text
  /** last_value as text (bigint); null when nextval was never called or it is not readable. */
  lastValue: string | null;
  /** The is_called equivalent: last_value is not null (only meaningful when readable). */
  isCalled: boolean;
  readable: boolean; // the user has SELECT or USAGE on it
  ownedBy: SequenceOwner | null; // OWNED BY column (serial) or the identity column
  isIdentity: boolean;
}

/** A COPY in progress (pg_stat_progress_copy, 14+). */
export interface CopyProgressInfo {
  pid: number;
  database: string;
  /** The table, when it is in the connected database; null for COPY of a query or another database's table. */
  schema: string | null;
  table: string | null;
  /** 'COPY FROM' | 'COPY TO'; null for the instant between the COPY starting and reporting its parameters. */
  command: string | null;
  type: string | null; // FILE | PROGRAM | PIPE | CALLBACK
  bytesProcessed: number;
  bytesTotal: number | null; // null when unknown (not a file)
  tuplesProcessed: number;
  tuplesExcluded: number; // rows filtered out by WHERE
  tuplesSkipped: number | null; // (17+) rows skipped by ON_ERROR ignore
}
