import type { ServerVersion } from '../db';

export const OLDEST_SUPPORTED_MAJOR = 12;
export const NEWEST_KNOWN_MAJOR = 18;

/**
 * The catalog major to write SQL for. Below 12 is refused with an actionable message; above the newest
 * known major the newest known SQL is used (catalog columns are rarely removed).
 */
export function catalogMajor(v: ServerVersion): number {
  if (!Number.isInteger(v.major) || v.major < OLDEST_SUPPORTED_MAJOR) {
    throw new Error(
      `PostgreSQL ${v.text} is not supported: PostgreSQL Upgrade Pilot works with PostgreSQL ` +
        `${OLDEST_SUPPORTED_MAJOR}–${NEWEST_KNOWN_MAJOR}. Upgrade that server with pg_upgrade first.`,
    );
  }
  return Math.min(v.major, NEWEST_KNOWN_MAJOR);
}
