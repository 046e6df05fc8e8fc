/**
 * The reverse slot (the way back), prepared BEFORE the freeze and only advanced inside the window.
 *
 * Creating a logical slot waits for every transaction holding an xid on the target to end (it needs a consistent
 * snapshot): done while the source still takes writes, bounded by the session's statement_timeout, and when it waits
 * the blocking transactions are named. Inside the window, after the drain, the slot is advanced to the target's WAL
 * position: every change the forward apply wrote up to the frozen point lies before it and is never sent back to the
 * old server; writes made on the new server after it opens lie after it.
 */
import type { Queryable } from '../../../db';
import type { StepContext } from '../../../runbook/types';
import { quoteLiteral } from '../../../sql';
import { GateError } from '../gate-error';
import type { LogicalUpgradeParams } from '../params';
import { findSlot } from '../queries';
import { messageOf } from '../session';

type Ctx = StepContext<LogicalUpgradeParams>;

export const REVERSE_SLOT_CHECKPOINT = 'reverse-slot';

/** Did this run (any earlier attempt) create — or start creating — the reverse slot? */
export function slotIsOurs(ctx: Ctx): boolean {
  return ctx.checkpointsOf('switchover').some((c) => c.name === REVERSE_SLOT_CHECKPOINT && c.data?.slot === ctx.params.reverseSubscription);
}

/** Transactions on a server that hold an xid or are prepared: what a slot's creation waits for. */
export async function blockingTransactions(q: Queryable, exceptPids: number[] = [], openForAtLeastS = 0): Promise<string[]> {
  const r = await q.query<{ what: string }>(
    `SELECT format('pid %s (%s, user %s, application %s, %s, open for %s s)', pid, backend_type, usename, quote_literal(coalesce(application_name, '')),
                   coalesce(state, '?'), round(extract(epoch FROM now() - xact_start))) AS what
       FROM pg_stat_activity
      WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND pid <> ALL($1::int[])
        AND xact_start <= now() - make_interval(secs => $2)
     UNION ALL
     SELECT format('prepared transaction %s (owner %s, database %s, prepared %s)', quote_literal(gid), owner, database, prepared)
       FROM pg_prepared_xacts`,
    [exceptPids, openForAtLeastS],
  );
  return r.rows.map((x) => x.what);
}

/**
 * Ensures the reverse slot exists on the target: created now (bounded) or left by an earlier attempt of this run.
 * Returns whether it was created by this call. Throws GateError (nothing frozen yet) naming what blocks it.
 */
export async function prepareReverseSlot(ctx: Ctx, tgt: Queryable): Promise<{ created: boolean; lsn: string | null }> {
  const name = ctx.params.reverseSubscription;
  const existing = await findSlot(tgt, name);
  if (existing) {
    if (!slotIsOurs(ctx)) throw new GateError(`a replication slot "${name}" already exists on the target and this run did not create it; drop it (SELECT pg_drop_replication_slot(${quoteLiteral(name)})) or choose another reverseSubscription`);
    if (existing.active) throw new GateError(`the reverse slot "${name}" on the target is in use by another process; nothing can subscribe to it before the switchover`);
    return { created: false, lsn: existing.confirmedFlushLsn };
  }
  // Journaled before the slot exists: a crash right after the creation still leaves a slot this run recognises.
  await ctx.checkpoint(REVERSE_SLOT_CHECKPOINT, { slot: name, runId: ctx.runId });
  try {
    const r = await tgt.query<{ l: string }>("SELECT lsn::text AS l FROM pg_create_logical_replication_slot($1, 'pgoutput')", [name]);
    return { created: true, lsn: String(r.rows[0].l) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '57014' || code === '55P03') {
      const blockers = await blockingTransactions(tgt).catch(() => [] as string[]);
      throw new GateError(`creating the reverse slot "${name}" on the target waited too long for open transactions to end${blockers.length ? `: ${blockers.slice(0, 5).join('; ')}` : ''}; end them (COMMIT/ROLLBACK PREPARED, or end those sessions) and run the switchover again. Nothing was frozen.`);
    }
    throw new GateError(`could not create the reverse slot "${name}" on the target (nothing was frozen): ${messageOf(err)}`);
  }
}

/** Inside the window, after the drain: the way back starts exactly at the target's current WAL position. */
export async function advanceReverseSlot(tgt: Queryable, name: string): Promise<string> {
  const r = await tgt.query<{ l: string }>('SELECT end_lsn::text AS l FROM pg_replication_slot_advance($1, pg_current_wal_lsn())', [name]);
  return String(r.rows[0].l);
}

/** Drops the reverse slot when it is ours and idle (abort); a failure is returned, not thrown. */
export async function dropReverseSlot(ctx: Ctx, tgt: Queryable): Promise<string | null> {
  try {
    const slot = await findSlot(tgt, ctx.params.reverseSubscription);
    if (!slot || slot.active || !slotIsOurs(ctx)) return null;
    await tgt.query('SELECT pg_drop_replication_slot($1)', [ctx.params.reverseSubscription]);
    return null;
  } catch (err) {
    return `the reverse slot "${ctx.params.reverseSubscription}" could not be dropped (${messageOf(err)}); the next attempt of this run reuses it`;
  }
}

