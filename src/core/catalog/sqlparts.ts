/** SQL fragments shared by the catalog queries (constant text only: no user input is ever spliced in). */

/** A timestamptz expression as ISO-8601 UTC text ("2025-01-31T12:00:00.123456Z"), NULL stays NULL. */
export function isoTimestamp(expr: string): string {
  return `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/**
 * The server's current WAL position: pg_current_wal_lsn() on a primary, the last received (else replayed)
 * position on a standby, where pg_current_wal_lsn() raises an error. Both functions are volatile, so the
 * CASE evaluates only the branch that applies.
 */
export const CURRENT_WAL_POSITION = `CASE WHEN pg_is_in_recovery()
  THEN COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
  ELSE pg_current_wal_lsn() END`;

/** Seconds in an interval expression, as float8. */
export function intervalSeconds(expr: string): string {
  return `extract(epoch FROM (${expr}))::float8`;
}

/** expr as float8, negative values clamped to 0, NULL kept (GREATEST would turn NULL into 0). */
export function nonNegative(expr: string): string {
  return `(CASE WHEN (${expr}) < 0 THEN 0 ELSE (${expr}) END)::float8`;
}
