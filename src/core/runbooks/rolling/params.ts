/** Parameters of the rolling-switchover runbook (streaming pair); JSON-safe (journaled), never a password. */
import { isAbsolute } from 'node:path';
import { parseConnString } from '../../conn';
import { validateHostSpecs } from '../../hosts/spec';
import type { HostSpecs } from '../../hosts/types';
import { parseMinorVersion } from '../../hosts/wait';
import type { ClientRoutingParams } from '../../routing/types';

/**
 * read-only: ALTER SYSTEM default_transaction_read_only + reload, client sessions terminated, the drain waits for the
 * standby to replay a flushed marker (all SQL, fast; a client that SETs read-only off could still write, so the old
 * primary is rewound). stop: pg_ctl stop -m fast on the primary (a host step; the hardest fence, the old primary needs
 * no rewind afterwards).
 */
export type FenceMode = 'read-only' | 'stop';
/** rewind: pg_rewind the old primary onto the new timeline (needs wal_log_hints or data checksums). basebackup: a fresh copy. */
export type RebuildMethod = 'rewind' | 'basebackup';

export interface RollingSwitchoverParams {
  hosts?: HostSpecs;
  /** Minor release both servers end on (standby first, the old primary when it is rebuilt). Absent: switchover only. */
  upgradeTo?: string;
  fence: FenceMode;
  /** From the fence: the standby must have replayed everything within this, or the primary is handed back. */
  switchoverTimeoutMs: number;
  /** The switchover starts only when the standby is at most this far behind (bytes of WAL). */
  lagThresholdBytes: number;
  /** Preflight: a transaction open longer than this is an error (the fence would cut it). */
  maxTransactionSeconds: number;
  rebuild: RebuildMethod;
  /** How the OLD primary's host reaches the new primary (no password); default: the standby's host, port and user as we reach them. */
  rejoinConnection?: string;
  /** Password file on the old primary's host named in its primary_conninfo. Local default: "pgpass" beside its data directory. */
  rejoinPassfile?: string;
  /** application_name of the rejoined standby (pg_stat_replication on the new primary); default from the primary's name. */
  applicationName?: string;
  /** The applications' connection string (e.g. "host=a,b … target_session_attrs=read-write"): checked to reach the new primary. */
  clientConnection?: string;
  /** Run the write probe through the clients' multi-host connection during the switchover and journal its window. */
  probe: boolean;
  probeTable: string;
  startTimeoutMs: number;
  /** How long the rejoined old primary may take to stream and catch up. */
  streamTimeoutMs: number;
  /** Directory (or list) holding pg_rewind/pg_basebackup for the local executor. */
  clientToolsPath?: string;
  /** How clients find the new primary (PgBouncer, host-command hooks); absent: libpq multi-host (issue 12). */
  clientRouting?: ClientRoutingParams;
}

export const ROLLING_DEFAULTS: Readonly<RollingSwitchoverParams> = Object.freeze({
  fence: 'read-only' as FenceMode,
  switchoverTimeoutMs: 10_000,
  lagThresholdBytes: 16 * 1024 * 1024,
  maxTransactionSeconds: 60,
  rebuild: 'rewind' as RebuildMethod,
  probe: false,
  probeTable: 'pgpilot_probe',
  startTimeoutMs: 120_000,
  streamTimeoutMs: 60_000,
});

export function defaultRollingSwitchoverParams(partial: Partial<RollingSwitchoverParams> = {}): RollingSwitchoverParams {
  const p = { ...ROLLING_DEFAULTS } as RollingSwitchoverParams;
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
  validateRollingSwitchoverParams(p);
  return p;
}

function positive(what: string, v: unknown, allowZero = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new Error(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(v)}`);
  }
}

function noPassword(what: string, conn: string | undefined): void {
  if (conn === undefined) return;
  if (parseConnString(conn).password !== undefined) throw new Error(`${what} must not contain a password (it would be stored in plain text); use a password file`);
}

export function validateRollingSwitchoverParams(p: RollingSwitchoverParams): void {
  if (p.upgradeTo !== undefined) parseMinorVersion(p.upgradeTo);
  if (p.fence !== 'read-only' && p.fence !== 'stop') throw new Error(`fence must be "read-only" or "stop", not ${JSON.stringify(p.fence)}`);
  if (p.rebuild !== 'rewind' && p.rebuild !== 'basebackup') throw new Error(`rebuild must be "rewind" or "basebackup", not ${JSON.stringify(p.rebuild)}`);
  positive('switchoverTimeoutMs', p.switchoverTimeoutMs);
  positive('lagThresholdBytes', p.lagThresholdBytes, true);
  positive('maxTransactionSeconds', p.maxTransactionSeconds);
  positive('startTimeoutMs', p.startTimeoutMs);
  positive('streamTimeoutMs', p.streamTimeoutMs);
  noPassword('rejoinConnection', p.rejoinConnection);
  noPassword('clientConnection', p.clientConnection);
  if (p.rejoinPassfile !== undefined && (!isAbsolute(p.rejoinPassfile) || /[\0\r\n]/.test(p.rejoinPassfile))) {
    throw new Error(`rejoinPassfile must be an absolute path, got ${JSON.stringify(p.rejoinPassfile)}`);
  }
  if (p.applicationName !== undefined && !/^[A-Za-z0-9_.-]{1,63}$/.test(p.applicationName)) {
    throw new Error(`applicationName may use letters, digits, "_", "." and "-" (up to 63), got ${JSON.stringify(p.applicationName)}`);
  }
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(p.probeTable)) throw new Error(`probeTable must be a plain lower-case table name, got ${JSON.stringify(p.probeTable)}`);
  validateHostSpecs(['primary', 'standby'], p.hosts);
}
