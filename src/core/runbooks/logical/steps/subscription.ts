import type { StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { CONNINFO_PLACEHOLDER, passwordPlacement, passwordPlanNotes, peerConninfo, runWithPeerConninfo } from '../conninfo';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { backendPid, currentDatabase, findPublication, findSlot, findSubscription } from '../queries';
import { readLive } from '../switchover/live';
import { ownedByRun } from '../rules';
import { majorOf, withSession } from '../session';
import { alterSubscriptionSql, commentOnSql, createSlotSql, createSubscriptionSql, freezeSql, ownerComment, TERMINATE_DATABASE_CLIENTS_SQL } from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

async function useStreaming(ctx: Ctx): Promise<boolean> {
  // protocol version 2 (streaming) needs both the publisher and the subscriber on 14+
  return ctx.params.streaming && (await majorOf(ctx, 'source')) >= 14 && (await majorOf(ctx, 'target')) >= 14;
}

/**
 * The slot is created on the source first (pg_create_logical_replication_slot), then the subscription with
 * create_slot = false and enabled = false — a statement that may run inside the DO block that carries the
 * password without any server log seeing it (unlogged-secret.ts) — and then enabled. Its tables enter in state
 * "i" (copy_data = true): each is copied by a table-sync worker and caught up exactly as with create_slot = true.
 */
async function subscriptionSql(ctx: Ctx, conninfo: string): Promise<string> {
  const p = ctx.params;
  return createSubscriptionSql(p.subscription, conninfo, p.publication, {
    slotName: slotNameOf(p), copyData: true, createSlot: false, enabled: false, streaming: await useStreaming(ctx),
  });
}

export const createSubscriptionStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'create-subscription',
  title: 'Freeze the target and subscribe it to the source',
  why:
    'The subscription creates a replication slot on the source (WAL is kept from that moment) and copies every table ' +
    '(copy_data = true), then applies changes continuously. The target is made read-only first: nothing but the replication ' +
    'may write there before the switchover, or a later replicated change would silently overwrite it or break the apply.',
  kind: 'sql',
  clusters: ['target', 'source'],
  risk: 'reversible',
  async plan(ctx) {
    const p = ctx.params;
    const peer = await peerConninfo(ctx, 'source', p.subscriberConnection);
    return [
      { kind: 'sql', cluster: 'target', statements: freezeSql(p.freezeMethod, await currentDatabase(await ctx.db('target'))) },
      { kind: 'sql', cluster: 'source', statements: [createSlotSql(slotNameOf(p))] },
      {
        kind: 'sql', cluster: 'target',
        statements: [
          ...passwordPlanNotes(peer, 'target'), await subscriptionSql(ctx, peer.shown),
          alterSubscriptionSql(p.subscription, 'ENABLE'), commentOnSql('SUBSCRIPTION', p.subscription, ownerComment(ctx.runId)),
        ],
      },
    ];
  },
  async isDone(ctx) {
    const sub = await findSubscription(await ctx.db('target'), ctx.params.subscription);
    if (!sub || !ownedByRun(sub.comment, ctx.runId)) return false;
    return (await findSlot(await ctx.db('source'), slotNameOf(ctx.params))) !== null && (await readLive(ctx, 'target')).readOnly;
  },
  async precondition(ctx) {
    const p = ctx.params;
    if (!(await findPublication(await ctx.db('source'), p.publication))) return { ok: false, message: `the publication "${p.publication}" does not exist on the source; run the publication step first` };
    const sub = await findSubscription(await ctx.db('target'), p.subscription);
    if (sub && !ownedByRun(sub.comment, ctx.runId)) return { ok: false, message: `a subscription named "${p.subscription}" already exists on the target and was not created by this run` };
    const slot = await findSlot(await ctx.db('source'), slotNameOf(p));
    if (slot && !sub) return { ok: false, message: `a replication slot named "${slotNameOf(p)}" already exists on the source; drop it (SELECT pg_drop_replication_slot('${slotNameOf(p)}')) or set slotName` };
    return { ok: true };
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    const peer = await peerConninfo(ctx, 'source', p.subscriberConnection);
    const t0 = Date.now();
    await withSession(ctx, 'target', async (s) => {
      for (const st of freezeSql(p.freezeMethod, await currentDatabase(s))) await s.query(st);
      // sessions opened before a per-database freeze keep their setting: end them (ours and superusers' stay)
      if (p.freezeMethod === 'database') await s.query(TERMINATE_DATABASE_CLIENTS_SQL, [[await backendPid(s), await backendPid(await ctx.db('target'))]]);
      const existing = await findSubscription(s, p.subscription);
      if (existing) return;
      const src = await ctx.db('source');
      const slotMade = !(await findSlot(src, slotNameOf(p)));
      if (slotMade) await src.query(createSlotSql(slotNameOf(p)));
      try {
        await runWithPeerConninfo(s, await subscriptionSql(ctx, CONNINFO_PLACEHOLDER), peer);
      } catch (err) {
        // leave nothing behind: the slot would keep WAL on the source
        if (slotMade) await src.query('SELECT pg_drop_replication_slot($1)', [slotNameOf(p)]).catch(() => undefined);
        throw new Error(`CREATE SUBSCRIPTION failed (${peer.shown}): ${(err as Error).message}`);
      }
      await s.query(alterSubscriptionSql(p.subscription, 'ENABLE'));
      await s.query(commentOnSql('SUBSCRIPTION', p.subscription, ownerComment(ctx.runId)));
    });
    return {
      status: 'succeeded',
      message: `subscription "${p.subscription}" created (slot "${slotNameOf(p)}" on the source); the target is read-only until the switchover`,
      outputs: {
        subscription: p.subscription, slot: slotNameOf(p), streaming: await useStreaming(ctx), targetFrozen: true, createMs: Date.now() - t0,
        replicationUser: peer.user, passwordPlacement: passwordPlacement(peer, 'target'), passwordStoredAt: peer.withPassword || peer.toolPassfile ? new Date(t0).toISOString() : undefined,
        passwordFile: peer.toolPassfile?.path,
      },
    };
  },
  async verify(ctx) {
    const sub = await findSubscription(await ctx.db('target'), ctx.params.subscription);
    if (!sub) return { ok: false, message: 'the subscription is not there' };
    if (!(await findSlot(await ctx.db('source'), slotNameOf(ctx.params)))) return { ok: false, message: 'the replication slot is not on the source' };
    return { ok: true };
  },
  rollbackHint:
    'On the target: DROP SUBSCRIPTION (it also drops the slot on the source); then ALTER DATABASE <db> RESET default_transaction_read_only (or, with freezeMethod system, ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf()) to make the target writable again.',
};
