import type { StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { CONNINFO_PLACEHOLDER, passwordPlacement, passwordPlanNotes, peerConninfo, runWithPeerConninfo } from '../conninfo';
import type { LogicalUpgradeParams } from '../params';
import { findSlot, findSubscription } from '../queries';
import { majorOf, withSession } from '../session';
import { commentOnSql, createSubscriptionSql, ownerComment } from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

async function reverseSql(ctx: Ctx, conninfo: string): Promise<string> {
  const p = ctx.params;
  const streaming = p.streaming && (await majorOf(ctx, 'source')) >= 14;
  return createSubscriptionSql(p.reverseSubscription, conninfo, p.reversePublication, {
    slotName: p.reverseSubscription, copyData: false, createSlot: false, streaming,
  });
}

export const reverseReplicationStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'reverse-replication',
  title: 'Replicate back from the new server to the old one',
  why:
    'A way back: the old server subscribes to the new one (copy_data = false) from the slot created before the freeze and ' +
    'advanced, while both were frozen and drained, to the new server\'s WAL position: it receives exactly the writes made on ' +
    'the new server after the switchover, and none of the changes the forward replication had applied there. The old ' +
    'server stays read-only for clients; its apply worker still writes. Sequences are not carried: going back needs setval again.',
  kind: 'sql',
  clusters: ['source', 'target'],
  risk: 'reversible',
  optional: true,
  async plan(ctx) {
    if (!ctx.params.reverseReplication) return [];
    const peer = await peerConninfo(ctx, 'target', ctx.params.reverseSubscriberConnection);
    return [{ kind: 'sql', cluster: 'source', statements: [...passwordPlanNotes(peer, 'source'), await reverseSql(ctx, peer.shown), commentOnSql('SUBSCRIPTION', ctx.params.reverseSubscription, ownerComment(ctx.runId))] }];
  },
  async isDone(ctx) {
    if (!ctx.params.reverseReplication) return false;
    return (await findSubscription(await ctx.db('source'), ctx.params.reverseSubscription)) !== null;
  },
  async precondition(ctx) {
    if (!ctx.params.reverseReplication) return { ok: true };
    // With the forward subscription still enabled, every change would go round in circles between the servers.
    const forward = await findSubscription(await ctx.db('target'), ctx.params.subscription);
    if (forward?.enabled) {
      return { ok: false, message: `the forward subscription "${ctx.params.subscription}" on the new server is still enabled; after the switchover it must be disabled (ALTER SUBSCRIPTION ... DISABLE) before replicating back` };
    }
    const slot = await findSlot(await ctx.db('target'), ctx.params.reverseSubscription);
    return slot
      ? { ok: true }
      : { ok: false, message: `the slot "${ctx.params.reverseSubscription}" is not on the new server: it is prepared by the switchover (created before its freeze, advanced inside its window), so reverseReplication must be on when the switchover runs` };
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    if (!p.reverseReplication) return { status: 'skipped', message: 'reverseReplication is off' };
    const peer = await peerConninfo(ctx, 'target', p.reverseSubscriberConnection);
    const t0 = new Date().toISOString();
    await withSession(ctx, 'source', async (s) => {
      try {
        await runWithPeerConninfo(s, await reverseSql(ctx, CONNINFO_PLACEHOLDER), peer); // the password never in a loggable statement
      } catch (err) {
        throw new Error(`CREATE SUBSCRIPTION on the old server failed (${peer.shown}): ${(err as Error).message}`);
      }
      await s.query(commentOnSql('SUBSCRIPTION', p.reverseSubscription, ownerComment(ctx.runId)));
    });
    return {
      status: 'succeeded',
      message: `the old server replicates from the new one (subscription "${p.reverseSubscription}")`,
      outputs: { reverseSubscription: p.reverseSubscription, reversePublication: p.reversePublication, passwordPlacement: passwordPlacement(peer, 'source'),
        passwordStoredAt: peer.withPassword || peer.toolPassfile ? t0 : undefined, passwordFile: peer.toolPassfile?.path },
    };
  },
  rollbackHint: 'On the old server: DROP SUBSCRIPTION for the reverse subscription (this also drops its slot on the new server); the cleanup step (logical-upgrade --finish) does it.',
};
