/**
 * Named points of the switchover protocol where the fault-injection tests act (test-only: inert unless the
 * environment variable PGPILOT_FAULT is set). PGPILOT_FAULT="<point>:kill" kills this process with SIGKILL at that
 * point (a runner crash); "<point>:throw" throws there (a failure of the step).
 *
 * SEAM between the switchover protocol (which calls faultPoint at each boundary) and the fault suite (which sets
 * PGPILOT_FAULT for a CLI child process). Add points here; never rename one without updating the suite.
 */
export const FAULT_POINTS = [
  'before-freeze',           // preparation done, nothing frozen on the source yet
  'after-source-freeze',     // source frozen (read-only set), sessions not yet terminated
  'after-terminate',         // client sessions of the source terminated
  'during-drain',            // marker written, waiting for the slot to confirm the frozen position
  'after-drain',             // frozen position confirmed, sequences copied
  'after-commit-journaled',  // the commit point is durably journaled; the target's opening statement not yet sent
  'after-target-open',       // the target's opening statement ran (its reply received)
  'after-switchover',        // the step finished, before the next step starts
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export function faultPoint(point: FaultPoint): void {
  const spec = process.env.PGPILOT_FAULT;
  if (!spec) return;
  const [at, action] = spec.split(':');
  if (at !== point) return;
  if (action === 'kill') process.kill(process.pid, 'SIGKILL');
  if (action === 'throw') throw new Error(`fault injected at ${point}`);
}
