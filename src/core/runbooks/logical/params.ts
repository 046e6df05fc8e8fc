import type { ClientRoutingParams } from '../../routing/types';
import { databaseScopedNames } from './database-names';

/** Parameters of the logical major-upgrade runbook; JSON-safe (they are journaled), never a password. */
export interface TableName {
  schema: string;
  name: string;
}

export interface LogicalUpgradeParams {
  /** Publication on the source (created by this runbook). */
  publication: string;
  /** Subscription on the target; its replication slot on the source has the same name unless slotName is set. */
  subscription: string;
  slotName?: string;
  /** Replicate only these schemas (FOR TABLES IN SCHEMA on 15+, the schemas' tables listed before 15). */
  schemas: string[];
  /** Replicate only these tables. With neither schemas nor tables: FOR ALL TABLES. */
  tables: TableName[];
  /**
   * Connection string the TARGET server uses to reach the source (CREATE SUBSCRIPTION … CONNECTION), when it
   * differs from ours (internal hostname, replication user). No password: the source's password is added.
   */
  subscriberConnection?: string;
  /**
   * A password file (.pgpass format) on THIS machine holding the password of subscriberConnection's user, when it
   * is a dedicated replication user (default: PGPASSFILE, else ~/.pgpass). A path, never a password.
   */
  subscriberPasswordFile?: string;
  /** Create the source's roles missing on the target (attributes, password hashes, memberships, settings). */
  copyRoles: boolean;
  /** Copy role password hashes (SCRAM/MD5), so applications can log in on the new server; needs a superuser source. */
  copyRolePasswords: boolean;
  /** pg_dump --schema-only | psql into the target; when false the step only checks the tables are there. */
  copySchema: boolean;
  /** Directory (or list) holding pg_dump/psql, searched before PATH and the usual install directories. */
  clientToolsPath?: string;
  /** Stream large in-progress transactions (subscription streaming=on; both servers 14+). */
  streaming: boolean;
  /** Upper bound for the initial copy and catch-up. */
  syncTimeoutMs: number;
  /** The switchover starts only when the subscriber is at most this far behind (bytes of WAL). */
  lagThresholdBytes: number;
  /** From the source's freeze: the drain must finish within this, or the switchover is aborted. */
  switchoverTimeoutMs: number;
  /**
   * Application roles set NOLOGIN on the source during the switchover (and after it); LOGIN restored on abort.
   * Only for clients that ignore read-only: libpq stops at an authentication failure instead of trying the next
   * host, so multi-host (target_session_attrs) clients of these roles would not move by themselves.
   */
  freezeRoles: string[];
  /** Tables up to this size (pg_total_relation_size) get a checksum comparison, bigger ones a row count. */
  checksumMaxBytes: number;
  /** Compare row counts inside the switchover window, when both sides are frozen (lengthens the window). */
  verifyInWindow: boolean;
  /**
   * The gate uses verify-data's result only when it is at most this old (ms); an older one must be run again before
   * the switchover (the record says how old the comparison was when the source was frozen).
   */
  verifyMaxAgeMs: number;
  /** Set up replication back from the new server to the old one (copy_data=false) after the switchover. */
  reverseReplication: boolean;
  reversePublication: string;
  reverseSubscription: string;
  /** Connection string the OLD server uses to reach the new one (no password); defaults to ours. */
  reverseSubscriberConnection?: string;
  /**
   * Keep a subscription's password inside its connection (pg_subscription, only while it must run) instead of the
   * password file the subscriber writes on its own host (passfile.ts, the default where our user is a superuser there).
   */
  passwordInCatalog?: boolean;
  /** ANALYZE the target after the switchover (statistics are not replicated). */
  analyzeTarget: boolean;
  /** REFRESH the target's materialized views (a schema copy creates them empty). */
  refreshMaterializedViews: boolean;
  /** At cleanup, make the old source writable again (default: it stays read-only). */
  reopenSourceAtCleanup: boolean;
  /**
   * How a server is made read-only (the target while it replicates, the source in the window): 'database' (default)
   * ALTER DATABASE <db> SET default_transaction_read_only = on, only the upgraded database, opened again by one atomic
   * RESET; 'system' ALTER SYSTEM + pg_reload_conf(), the whole cluster.
   */
  freezeMethod: FreezeMethod;
  /** How clients find the new primary (PgBouncer, hooks); none: libpq multi-host + target_session_attrs. */
  clientRouting?: ClientRoutingParams;
  /** Let the preflight go on when replicated tables already hold rows on the target (they must not collide). */
  allowTargetRows?: boolean;
  /**
   * Which databases move in this run, in ONE coordinated switchover (issue 10). undefined: the source connection's
   * database (names as given). 'all': every non-template database of the source that allows connections, re-derived
   * from the source's catalog at the preflight and at the gate (never remembered). A list: exactly those. With a list
   * or 'all', each database gets its own publication, subscription and slots (pgpilot_upgrade_<db>, pgpilot_reverse_<db>).
   */
  databases?: 'all' | string[];
}

export type FreezeMethod = 'database' | 'system';

export const LOGICAL_UPGRADE_DEFAULTS: Readonly<LogicalUpgradeParams> = Object.freeze({
  publication: 'pgpilot_upgrade',
  subscription: 'pgpilot_upgrade',
  schemas: [],
  tables: [],
  copyRoles: true,
  copyRolePasswords: true,
  copySchema: true,
  streaming: true,
  syncTimeoutMs: 12 * 3600_000,
  lagThresholdBytes: 1024 * 1024,
  switchoverTimeoutMs: 10_000,
  freezeRoles: [],
  checksumMaxBytes: 64 * 1024 * 1024,
  verifyInWindow: false,
  verifyMaxAgeMs: 30 * 60_000,
  reverseReplication: true,
  reversePublication: 'pgpilot_reverse',
  reverseSubscription: 'pgpilot_reverse',
  analyzeTarget: true,
  refreshMaterializedViews: true,
  reopenSourceAtCleanup: false,
  freezeMethod: 'database',
});

/**
 * The defaults with `partial` on top; throws a clear error for values that cannot work. With `database` (the
 * source connection's database), the default publication/subscription/slot names are derived from it
 * (pgpilot_upgrade_<db>, pgpilot_reverse_<db>), so one-database runs on one cluster cannot collide.
 */
export function defaultLogicalUpgradeParams(partial: Partial<LogicalUpgradeParams> = {}, database?: string): LogicalUpgradeParams {
  const p: LogicalUpgradeParams = {
    ...LOGICAL_UPGRADE_DEFAULTS,
    ...(database === undefined ? {} : databaseScopedNames(database)),
    schemas: [...LOGICAL_UPGRADE_DEFAULTS.schemas],
    tables: [...LOGICAL_UPGRADE_DEFAULTS.tables],
    freezeRoles: [...LOGICAL_UPGRADE_DEFAULTS.freezeRoles],
  };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
  validateLogicalUpgradeParams(p);
  return p;
}

const IDENT_MAX_BYTES = 63;

function checkName(what: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') throw new Error(`${what} must be a non-empty name`);
  if (Buffer.byteLength(value, 'utf8') > IDENT_MAX_BYTES) {
    throw new Error(`${what} "${value}" is longer than ${IDENT_MAX_BYTES} bytes; PostgreSQL would truncate it`);
  }
  if (value.includes('\0')) throw new Error(`${what} must not contain a NUL character`);
}

function checkPositive(what: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`${what} must be a positive number, got ${JSON.stringify(value)}`);
}

export function validateLogicalUpgradeParams(p: LogicalUpgradeParams): void {
  checkName('publication', p.publication);
  checkName('subscription', p.subscription);
  checkName('slot name', slotNameOf(p));
  // Replication slot names: lower-case letters, digits and underscores only.
  if (!/^[a-z0-9_]+$/.test(slotNameOf(p))) {
    throw new Error(`replication slot name "${slotNameOf(p)}" may contain only lower-case letters, digits and underscores: `
      + 'choose such a subscription name (the slot takes its name; CLI: --subscription NAME), or a separate slot name (parameter slotName)');
  }
  checkName('reverse publication', p.reversePublication);
  checkName('reverse subscription', p.reverseSubscription);
  if (!/^[a-z0-9_]+$/.test(p.reverseSubscription)) {
    throw new Error(`reverse subscription "${p.reverseSubscription}" names a replication slot: use only lower-case letters, digits and underscores`);
  }
  if (!Array.isArray(p.schemas) || !Array.isArray(p.tables) || !Array.isArray(p.freezeRoles)) {
    throw new Error('schemas, tables and freezeRoles must be arrays');
  }
  p.schemas.forEach((s) => checkName('schema', s));
  for (const t of p.tables) {
    checkName('table schema', t?.schema);
    checkName('table name', t?.name);
  }
  p.freezeRoles.forEach((r) => checkName('freeze role', r));
  checkPositive('syncTimeoutMs', p.syncTimeoutMs);
  checkPositive('switchoverTimeoutMs', p.switchoverTimeoutMs);
  checkPositive('checksumMaxBytes', p.checksumMaxBytes);
  checkPositive('verifyMaxAgeMs', p.verifyMaxAgeMs);
  if (p.freezeMethod !== 'database' && p.freezeMethod !== 'system') throw new Error(`freezeMethod must be 'database' or 'system', got ${JSON.stringify(p.freezeMethod)}`);
  if (typeof p.lagThresholdBytes !== 'number' || !(p.lagThresholdBytes >= 0)) throw new Error('lagThresholdBytes must be ≥ 0');
  if (p.databases !== undefined && p.databases !== 'all') {
    if (!Array.isArray(p.databases) || p.databases.length === 0) throw new Error("databases must be 'all' or a non-empty list of database names");
    const seen = new Set<string>();
    for (const d of p.databases) {
      checkName('database', d);
      if (seen.has(d)) throw new Error(`database "${d}" is named twice in databases`);
      seen.add(d);
    }
  }
  if (p.databases !== undefined && p.freezeMethod === 'system') {
    throw new Error('moving several databases freezes each of them (freezeMethod database); freezeMethod system cannot be combined with databases');
  }
}

export function slotNameOf(p: LogicalUpgradeParams): string {
  return p.slotName ?? p.subscription;
}

/** True when the runbook replicates every table (FOR ALL TABLES). */
export function replicatesAllTables(p: LogicalUpgradeParams): boolean {
  return p.schemas.length === 0 && p.tables.length === 0;
}
