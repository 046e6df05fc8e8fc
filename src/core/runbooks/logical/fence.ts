/**
 * The hard fence on the old source of a logical switchover: after the switchover no session on the old server can
 * commit a write, whatever it SETs (issue 16), while the reverse replication (the way back) keeps working.
 *
 * SEAM: owned by the fence work (issue 16). The switchover protocol calls hardFence inside the window (after the
 * read-only freeze, before client sessions are terminated) and liftFence when it hands the source back (abort,
 * rollback). Both must be idempotent and safe to call again on resume. Statements shown to users come from planFence.
 */
import type { Queryable } from '../../db';

export interface FenceState {
  /** What was changed, JSON-safe, enough for liftFence to undo exactly that (journaled in the step's outputs). */
  applied: Record<string, unknown>;
}

/** The statements hardFence would run (for the plan / dry run). */
export function planFence(_database: string): string[] {
  return [];
}

export async function hardFence(_session: Queryable, _database: string): Promise<FenceState> {
  return { applied: {} };
}

export async function liftFence(_session: Queryable, _database: string, _state?: FenceState): Promise<void> {
  // nothing yet
}
