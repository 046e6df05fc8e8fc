import { quoteIdent } from '../../../sql';
import { formatBytes, listTablesForReplication } from '../../../catalog';
import type { StepDefinition, StepOutcome } from '../../../runbook/types';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { copyProgress, currentDatabase, findPublication, findSubscription, slotLag, subscriptionRelStates, tableKey, type RelState } from '../queries';
import { versionOf, majorOf, sleep } from '../session';
import { peerConninfo } from '../conninfo';
import { diagnose, ErrorSignals, leftInPlace, SIGNAL_GRACE_MS, workerSnapshot } from '../replication-watch';

const DIAGNOSIS_EVERY_MS = 5000;

const POLL_MS = 1000;
const STATE_NAMES: Record<string, string> = { i: 'waiting', d: 'copying', f: 'copy finished', s: 'synchronized', r: 'ready' };

export function summarizeStates(states: RelState[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  return ['r', 's', 'f', 'd', 'i'].filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${STATE_NAMES[k]}`).join(', ');
}

/** Fraction of the data copied: finished tables count whole, tables being copied by their COPY progress. */
export function copiedFraction(states: RelState[], sizes: Map<string, number>, copied: Map<string, number>): number {
  let total = 0;
  let done = 0;
  for (const s of states) {
    const size = Math.max(sizes.get(tableKey(s)) ?? 0, 8192);
    total += size;
    if (s.state === 'r' || s.state === 's' || s.state === 'f') done += size;
    else if (s.state === 'd') done += Math.min(size, copied.get(tableKey(s)) ?? 0);
  }
  return total === 0 ? 1 : done / total;
}

export const waitSyncStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'wait-initial-sync',
  title: 'Wait for the initial copy and the catch-up',
  why:
    'Every table is first copied (state d), then caught up to the stream (s) and handed to the apply worker (r). Only when ' +
    'all tables are ready and the subscriber is close behind the source can a switchover drain in well under a second. ' +
    'Failures are watched (worker restarts, error counts): the wait stops with the cause (colliding rows, missing SELECT, ' +
    'schema drift) within seconds of finding it, and within a minute of the first failure in any case.',
  kind: 'wait',
  clusters: ['target', 'source'],
  risk: 'read-only',
  async plan(ctx) {
    return [{
      kind: 'wait', cluster: 'target',
      description: `until every table of subscription ${quoteIdent(ctx.params.subscription)} is ready (pg_subscription_rel state r) and the slot lags ≤ ${formatBytes(ctx.params.lagThresholdBytes)}; at most ${Math.round(ctx.params.syncTimeoutMs / 1000)} s`,
    }];
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    const tgt = await ctx.db('target');
    const src = await ctx.db('source');
    const tmajor = await majorOf(ctx, 'target');
    const sizes = new Map((await listTablesForReplication(src, await versionOf(ctx, 'source'))).map((t) => [tableKey(t), t.sizeBytes] as const));
    const t0 = Date.now();
    const deadline = t0 + p.syncTimeoutMs;
    let states: RelState[] = [];
    let readyAt: number | null = null;
    let lag: number | null = null;
    let lastLog = 0;
    let publishes: number | undefined;
    const signals = new ErrorSignals(t0);
    const left = { database: await currentDatabase(tgt), subscriptionOid: undefined as number | undefined };
    const smajor = await majorOf(ctx, 'source');
    let replicationUser: string | undefined;
    let lastDiagnosis = 0;
    for (;;) {
      if (ctx.signal.aborted) return { status: 'aborted', message: `stopped waiting: ${summarizeStates(states)}. ${leftInPlace(p, left)}` };
      const sub = await findSubscription(tgt, p.subscription);
      if (sub) left.subscriptionOid = Number(sub.oid);
      if (!sub) return { status: 'failed', message: `the subscription ${quoteIdent(p.subscription)} does not exist on the target` };
      if (!sub.enabled) return { status: 'failed', message: `the subscription ${quoteIdent(p.subscription)} is disabled; on the target: ALTER SUBSCRIPTION ${quoteIdent(p.subscription)} ENABLE; then re-run this step` };
      states = await subscriptionRelStates(tgt, sub.oid);
      // ---- errors within seconds: a signal, then its cause ----
      const fresh = signals.observe(await workerSnapshot(tgt, sub.oid, tmajor));
      for (const x of fresh) ctx.ui.log('warn', `replication: ${x}`);
      if (signals.firstSignalAt !== null && (fresh.length || Date.now() - lastDiagnosis > DIAGNOSIS_EVERY_MS)) {
        lastDiagnosis = Date.now();
        replicationUser ??= (await peerConninfo(ctx, 'source', p.subscriberConnection)).user;
        const cause = await diagnose({ source: src, target: tgt, params: p, states, replicationUser, viaRoot: smajor >= 13 });
        if (cause) {
          return { status: 'failed', message: `the replication is failing: ${cause} ${leftInPlace(p, left)}`, outputs: { tables: states.length, ready: states.filter((x) => x.state === 'r').length, signals: signals.signals.slice(0, 10) } };
        }
        if (Date.now() - signals.firstSignalAt > SIGNAL_GRACE_MS) {
          return {
            status: 'failed',
            message: `the replication keeps failing (${[...new Set(signals.signals)].slice(0, 3).join('; ')}) and none of the known causes (colliding rows, missing SELECT, schema drift, unparsable names) was found; the target server's log says why. ${leftInPlace(p, left)}`,
            outputs: { tables: states.length, ready: states.filter((x) => x.state === 'r').length, signals: signals.signals.slice(0, 10) },
          };
        }
      }
      // an empty publication (a database without tables) is ready at once
      publishes ??= (await findPublication(src, p.publication))?.tables.length ?? 0;
      const allReady = (states.length > 0 || publishes === 0) && states.every((s) => s.state === 'r');
      if (allReady) {
        readyAt ??= Date.now();
        lag = (await slotLag(src, slotNameOf(p))).lagBytes;
        ctx.ui.progress(`all ${states.length} tables ready; catching up (${lag === null ? 'lag unknown' : `${formatBytes(lag)} behind`})`, 1);
        if (lag !== null && lag <= p.lagThresholdBytes) break;
      } else {
        const fraction = copiedFraction(states, sizes, await copyProgress(tgt, tmajor));
        ctx.ui.progress(`initial copy: ${summarizeStates(states) || 'no table yet'}`, fraction);
      }
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        if (sub.workerPid === null) ctx.ui.log('warn', `the apply worker of ${quoteIdent(p.subscription)} is not running; the target server log says why (connection, permissions, a conflict)`);
      }
      if (Date.now() > deadline) {
        return {
          status: 'failed',
          message: `not in sync after ${Math.round(p.syncTimeoutMs / 1000)} s: ${summarizeStates(states)}${lag !== null ? `, ${formatBytes(lag)} behind` : ''}; the target server log tells what holds it up. Re-run this step to keep waiting. ${leftInPlace(p, left)}`,
          outputs: { tables: states.length, ready: states.filter((s) => s.state === 'r').length },
        };
      }
      await sleep(POLL_MS, ctx.signal);
    }
    return {
      status: 'succeeded',
      message: `${states.length} table(s) ready, ${formatBytes(lag ?? 0)} behind`,
      outputs: { tables: states.length, syncMs: (readyAt ?? Date.now()) - t0, catchUpMs: Date.now() - (readyAt ?? Date.now()), lagBytes: lag ?? 0 },
    };
  },
  rollbackHint: 'Nothing to roll back: waiting changes nothing.',
};
