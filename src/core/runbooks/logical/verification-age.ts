/**
 * A comparison has an age (issue 9): the gate uses verify-data's result only while it is recent enough. The set it
 * compared is checked against the live, re-derived set by checkReplicatedSet (its digest); this adds the age. Pure.
 */
import { GateError } from './gate-error';

export interface VerificationAge {
  /** When verify-data finished comparing (its outputs' comparedAt). */
  comparedAt: string;
  ageMs: number;
}

function minutes(ms: number): string {
  const m = ms / 60_000;
  return m < 1 ? `${Math.round(ms / 1000)} s` : m < 120 ? `${Math.round(m)} min` : `${(m / 60).toFixed(1)} h`;
}

/**
 * The verification's age at `now`; throws GateError naming why it cannot be used: no result, no time recorded, or
 * older than `maxAgeMs` (with the command that runs it again).
 */
export function checkVerificationAge(verified: Record<string, unknown> | undefined, maxAgeMs: number, now = Date.now()): VerificationAge {
  const again = 'run verify-data again (CLI: logical-upgrade … --resume RUNID --only verify-data; VS Code: PG Upgrade: Run Step… → verify-data)';
  if (!verified) throw new GateError(`the data was not verified for this run (verify-data has no result); ${again} before the switchover`);
  const at = typeof verified.comparedAt === 'string' ? Date.parse(verified.comparedAt) : NaN;
  if (!Number.isFinite(at)) throw new GateError(`verify-data's result has no comparison time, so its age is unknown; ${again} before the switchover`);
  const ageMs = Math.max(0, now - at);
  if (ageMs > maxAgeMs) {
    throw new GateError(`verify-data compared the data ${minutes(ageMs)} ago (at ${new Date(at).toISOString()}), longer than the limit of ${minutes(maxAgeMs)} (parameter verifyMaxAgeMs, CLI --verify-max-age MINUTES): rows written since were never compared; ${again} before the switchover`);
  }
  return { comparedAt: new Date(at).toISOString(), ageMs };
}
