/**
 * The gate: the conditions checked before anything is frozen (also the step's precondition when both servers are in
 * the REPLICATING state). Throws GateError: the switchover did not start, nothing is frozen on the source.
 */
import type { Queryable } from '../../../db';
import type { StepContext } from '../../../runbook/types';
import { sleep } from '../session';
import { quoteIdent } from '../../../sql';
import { GateError } from '../gate-error';
import { slotNameOf, type LogicalUpgradeParams, type TableName } from '../params';
import { checkReplicatedSet } from '../replicated-set';
import { checkVerificationAge } from '../verification-age';
import { display, findPublication, findSlot, findSubscription, fromKey, sequenceOids, slotLag, subscriptionRelStates, tableKey } from '../queries';
import { blockingTransactions, slotIsOurs } from './reverse-slot';

type Ctx = StepContext<LogicalUpgradeParams>;

export interface GateReport {
  tables: number;
  lagBytes: number;
  sequences: TableName[];
  /** Client transactions open on the source for a while: the freeze will end them (warned, not refused). */
  longOnSource: string[];
}

/** Transactions older than this on the source are named in a warning (the freeze terminates them). */
const LONG_TRANSACTION_S = 10;
/** An apply worker restarts on its own (after a server restart or a transient error) within wal_retrieve_retry_interval (5 s by default). */
const APPLY_WORKER_GRACE_MS = 8000;
/** How long the gate waits for a subscriber that is behind to come within the lag threshold. */
const CATCH_UP_GRACE_MS = 30_000;

/** True once the subscription's apply worker runs again within the grace period. */
async function applyWorkerBack(tgt: Queryable, subscription: string): Promise<boolean> {
  const until = Date.now() + APPLY_WORKER_GRACE_MS;
  while (Date.now() < until) {
    await sleep(250);
    if ((await findSubscription(tgt, subscription))?.workerPid != null) return true;
  }
  return false;
}

async function preparedOn(q: Awaited<ReturnType<Ctx['db']>>): Promise<number> {
  const r = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()');
  return Number(r.rows[0].n);
}

export async function checkGate(ctx: Ctx): Promise<GateReport> {
  const p = ctx.params;
  const src = await ctx.db('source');
  const tgt = await ctx.db('target');
  const sub = await findSubscription(tgt, p.subscription);
  if (!sub) throw new GateError(`the subscription "${p.subscription}" does not exist on the target`);
  if (!sub.enabled) throw new GateError(`the subscription "${p.subscription}" is disabled: the drain could never finish. ALTER SUBSCRIPTION ${quoteIdent(p.subscription)} ENABLE on the target first`);
  // issue 9: the set re-derived from the source's catalog (new tables/partitions) and verified as it is now; first, so that
  // an apply stopped by DDL or by a table missing on the target is reported as exactly that
  await checkReplicatedSet(src, tgt, p, { inWindow: false, verified: ctx.outputsOf('verify-data') });
  checkVerificationAge(ctx.outputsOf('verify-data'), p.verifyMaxAgeMs); // issue 9: a comparison has an age
  if (sub.workerPid === null && !(await applyWorkerBack(tgt, p.subscription))) {
    throw new GateError(`the apply worker of "${p.subscription}" is not running on the target (see its server log); the drain could not finish`);
  }
  const states = await subscriptionRelStates(tgt, sub.oid);
  const notReady = states.filter((s) => s.state !== 'r');
  if (states.length === 0 && ((await findPublication(src, p.publication))?.tables.length ?? 0) > 0) {
    throw new GateError(`the subscription lists no table yet although the publication has some; ALTER SUBSCRIPTION ${quoteIdent(p.subscription)} REFRESH PUBLICATION on the target`);
  }
  if (notReady.length) throw new GateError(`${notReady.length} table(s) are not ready yet (e.g. ${notReady.slice(0, 5).map((s) => `${display(s)}: ${s.state}`).join(', ')}); wait for the initial sync`);
  let lag = await slotLag(src, slotNameOf(p));
  // A subscriber that is catching up (e.g. just enabled again by a resumed run) gets a bounded wait, not a refusal.
  for (const until = Date.now() + CATCH_UP_GRACE_MS; lag.lagBytes !== null && lag.lagBytes > p.lagThresholdBytes && Date.now() < until;) {
    await sleep(250);
    lag = await slotLag(src, slotNameOf(p));
  }
  if (lag.lagBytes === null) throw new GateError(`the replication slot "${slotNameOf(p)}" is missing on the source or has not confirmed anything yet`);
  if (lag.lagBytes > p.lagThresholdBytes) throw new GateError(`the subscriber is ${lag.lagBytes} bytes behind (threshold ${p.lagThresholdBytes}) after ${CATCH_UP_GRACE_MS / 1000} s; wait until it catches up`);
  const [preparedSrc, preparedTgt] = [await preparedOn(src), await preparedOn(tgt)];
  if (preparedSrc > 0) throw new GateError(`${preparedSrc} prepared transaction(s) are pending on the source; COMMIT PREPARED or ROLLBACK PREPARED them first (they could commit after the freeze)`);
  if (preparedTgt > 0) throw new GateError(`${preparedTgt} prepared transaction(s) are pending on the target (${(await blockingTransactions(tgt)).filter((x) => x.startsWith('prepared')).slice(0, 3).join('; ')}); COMMIT PREPARED or ROLLBACK PREPARED them first (the reverse slot would wait for them)`);
  if (p.reverseReplication && !(await findSlot(tgt, p.reverseSubscription))) {
    const blockers = (await blockingTransactions(tgt, [], LONG_TRANSACTION_S)).filter((x) => x.includes('client backend') && !x.includes("application 'pg-upgrade-pilot'"));
    if (blockers.length) throw new GateError(`transaction(s) holding an xid are open on the target: ${blockers.slice(0, 5).join('; ')}; the reverse slot cannot be created before they end`);
  }
  const longOnSource = (await src.query<{ what: string }>(
    `SELECT format('pid %s (user %s, open for %s s)', pid, usename, round(extract(epoch FROM now() - xact_start))) AS what
       FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
        AND xact_start < now() - make_interval(secs => $1)`, [LONG_TRANSACTION_S])).rows.map((r) => r.what);
  const srcSeqs = await sequenceOids(src);
  const tgtSeqs = await sequenceOids(tgt);
  const missing = [...srcSeqs.keys()].filter((k) => !tgtSeqs.has(k));
  const sequences = [...srcSeqs.keys()].map(fromKey);
  if (missing.length) {
    throw new GateError(`${missing.length} sequence(s) of the source do not exist on the target (${sequences.filter((s) => missing.includes(tableKey(s))).slice(0, 5).map(display).join(', ')}); create them (schema copy) before the switchover`);
  }
  if (p.reverseReplication) {
    const slot = await findSlot(tgt, p.reverseSubscription);
    if (slot && !slotIsOurs(ctx)) throw new GateError(`a replication slot "${p.reverseSubscription}" already exists on the target and this run did not create it; drop it or choose another reverseSubscription`);
  }
  return { tables: states.length, lagBytes: lag.lagBytes, sequences, longOnSource };
}
