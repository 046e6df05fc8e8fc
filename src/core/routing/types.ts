/**
 * Client routing: how applications find the writable server, as part of a switchover (issue 12).
 * kind 'none': libpq multi-host + target_session_attrs=read-write (clients move by themselves).
 * kind 'pgbouncer': PAUSE before the freeze, repoint + RELOAD + RESUME after the target opens, RESUME on abort.
 * kind 'hooks': host commands at before-freeze / after-open / after-abort.
 *
 * SEAM: the switchover protocols (logical and rolling) call these three hooks at fixed points; the routing work
 * implements them. Params are JSON-safe (journaled) and never hold a password.
 */
import type { PlannedAction } from '../runbook/types';

export type ClientRoutingParams =
  | { kind: 'none' }
  | { kind: 'pgbouncer'; poolers: Array<Record<string, unknown>> }
  | { kind: 'hooks'; hooks: Array<Record<string, unknown>> };

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
