/**
 * Client routing: how applications find the writable server, as part of a switchover (issue 12).
 * kind 'none': libpq multi-host + target_session_attrs=read-write (clients move by themselves).
 * kind 'pgbouncer': PAUSE before the freeze, repoint + RELOAD + RESUME after the target opens, RESUME on abort
 *   (host-command hooks may come along, e.g. to move a VIP in front of the poolers).
 * kind 'hooks': host commands at before-freeze / after-open / after-abort.
 *
 * SEAM: the switchover protocols (logical and rolling) call these three hooks at fixed points; the routing work
 * implements them. Params are JSON-safe (journaled) and never hold a password.
 */
import type { ExecutorKind } from '../hosts/types';
import type { PlannedAction } from '../runbook/types';

export type HookPoint = 'before-freeze' | 'after-open' | 'after-abort';
export const HOOK_POINTS: readonly HookPoint[] = ['before-freeze', 'after-open', 'after-abort'];

/** One host command run at a point of the switchover (a VIP move, a DNS update, an HAProxy/Consul change …). */
export interface HostHookParams {
  at: HookPoint;
  /** The command as an argument array: run without a shell, exactly as shown in the plan. */
  argv: string[];
  /** local: this process runs it (default); manual: the operator runs it and confirms. */
  executor?: ExecutorKind;
  /** Default 30 s. A before-freeze hook that fails or times out stops the switchover before anything is frozen. */
  timeoutMs?: number;
  /** Run as this OS user (local executor, when this process is root: runuser). */
  osUser?: string;
}

/** Where a pooler's configuration file is and who can edit it. */
export interface PgBouncerConfigFile {
  /** Absolute path of pgbouncer.ini (the file holding the [databases] entries to repoint). */
  path: string;
  /** local: edited here (this machine; lab and same-host poolers); manual: the operator edits it and confirms. */
  executor: ExecutorKind;
  /** Local executor as root: edit as this user (the file's owner, e.g. "postgres" or "pgbouncer"). */
  osUser?: string;
}

export interface PgBouncerPoolerParams {
  /** Display name (default: the admin console's host:port). */
  name?: string;
  /** Admin console connection string WITHOUT password: "host=… port=6432 dbname=pgbouncer user=…". */
  admin: string;
  config: PgBouncerConfigFile;
  /** The pooler's database names to move; default: every [databases] entry pointing at the old server. */
  databases?: string[];
  /** Bound for PAUSE (waits for running transactions to end); default 5000 ms. On timeout: RESUME, no switchover. */
  pauseTimeoutMs?: number;
  /**
   * Where the entries point after the switchover; default: the new server's first host and port from the run's
   * connection (target, or standby for a rolling switchover). Give it when the pooler reaches the server by
   * another name than this tool does.
   */
  newHost?: string;
  newPort?: number;
}

export type ClientRoutingParams =
  | { kind: 'none' }
  | { kind: 'pgbouncer'; poolers: PgBouncerPoolerParams[]; hooks?: HostHookParams[] }
  | { kind: 'hooks'; hooks: HostHookParams[] };

export interface ClientRouting {
  /** Called before the source is frozen; may throw: the switchover then does not start (or aborts, source reopened). Bounded. */
  beforeFreeze(): Promise<Record<string, unknown>>;
  /** Called right after the target opened (the commit point passed): only forward from here; errors are reported, not thrown. */
  afterOpen(): Promise<Record<string, unknown>>;
  /** Called after an abort handed the source back: clients continue on the old server. */
  afterAbort(): Promise<Record<string, unknown>>;
  /** What the hooks will do, for the plan / dry run / confirmation. */
  plan(): PlannedAction[];
}
