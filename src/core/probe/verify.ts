/**
 * Proof against the new server: every commit a client saw acknowledged must be there exactly once.
 * A commit whose acknowledgement was lost (connection cut while COMMIT was in flight) may or may not be there:
 * it is counted apart (unacknowledgedPresent), never as lost.
 */
import type { Queryable } from '../db';
import { quoteIdent } from '../sql';

const SAMPLE = 20;

export interface CommitVerification {
  acked: number;
  /** Acknowledged commits found on the target. */
  present: number;
  /** Acknowledged commits missing on the target. */
  lostCommits: number;
  lostIds: string[]; // the first few
  /** Ids found more than once. */
  duplicates: number;
  duplicateIds: string[]; // the first few
  /** Rows of this run whose commit was never acknowledged to the client (in flight when its connection broke). */
  unacknowledgedPresent: number;
}

/** Pure comparison of acknowledged ids with the (id, row count) pairs found on the target. */
export function compareCommits(ackedIds: Iterable<string>, found: Iterable<{ id: string; n: number }>): CommitVerification {
  const counts = new Map<string, number>();
  for (const f of found) counts.set(f.id, (counts.get(f.id) ?? 0) + Number(f.n));
  const v: CommitVerification = { acked: 0, present: 0, lostCommits: 0, lostIds: [], duplicates: 0, duplicateIds: [], unacknowledgedPresent: 0 };
  const acked = new Set<string>();
  for (const id of ackedIds) {
    if (acked.has(id)) continue;
    acked.add(id);
    v.acked++;
    if (counts.has(id)) v.present++;
    else {
      v.lostCommits++;
      if (v.lostIds.length < SAMPLE) v.lostIds.push(id);
    }
  }
  for (const [id, n] of counts) {
    if (n > 1) {
      v.duplicates++;
      if (v.duplicateIds.length < SAMPLE) v.duplicateIds.push(id);
    }
    if (!acked.has(id)) v.unacknowledgedPresent++;
  }
  return v;
}

/** Check a probe run's acknowledged ids against the probe table on the target. */
export async function verifyProbeCommits(target: Queryable, table: string, run: string, ackedIds: Iterable<string>): Promise<CommitVerification> {
  const r = await target.query<{ id: string; n: number }>(
    `SELECT id::text AS id, count(*)::integer AS n FROM ${quoteIdent(table)} WHERE run = $1 GROUP BY id`, [run]);
  return compareCommits(ackedIds, r.rows);
}
