import { quoteLiteral } from '../../../sql';
import type { PlannedAction, StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { findPublication, findSlot, findSubscription } from '../queries';
import { messageOf, withSession } from '../session';
import { alterSubscriptionSql, dropPublicationSql, dropSubscriptionSql, roleLoginSql } from '../statements';
import { rollbackWindowText } from '../rollback-window';
import { openServer, openStatements, readLive } from '../switchover/live';

type Ctx = StepContext<LogicalUpgradeParams>;

interface Leftovers {
  forwardSubscription: boolean;
  forwardPublication: boolean;
  forwardSlot: boolean;
  reverseSubscription: boolean;
  reversePublication: boolean;
  reverseSlot: boolean;
}

async function leftovers(ctx: Ctx): Promise<Leftovers> {
  const p = ctx.params;
  const src = await ctx.db('source');
  const tgt = await ctx.db('target');
  return {
    forwardSubscription: (await findSubscription(tgt, p.subscription)) !== null,
    forwardPublication: (await findPublication(src, p.publication)) !== null,
    forwardSlot: (await findSlot(src, slotNameOf(p))) !== null,
    reverseSubscription: (await findSubscription(src, p.reverseSubscription)) !== null,
    reversePublication: (await findPublication(tgt, p.reversePublication)) !== null,
    reverseSlot: (await findSlot(tgt, p.reverseSubscription)) !== null,
  };
}

function detachSql(name: string): string[] {
  return [alterSubscriptionSql(name, 'DISABLE'), alterSubscriptionSql(name, 'SET (slot_name = NONE)'), dropSubscriptionSql(name)];
}

/**
 * DROP SUBSCRIPTION also drops its slot on the publisher (it connects there). If the publisher cannot be reached,
 * the subscription is detached from its slot and dropped; the slot is then dropped directly where we can.
 */
async function dropSubscription(ctx: Ctx, on: 'source' | 'target', name: string, slot: string, publisher: 'source' | 'target'): Promise<string | null> {
  return withSession(ctx, on, async (s) => {
    try {
      await s.query(dropSubscriptionSql(name));
      return null;
    } catch (err) {
      for (const st of detachSql(name)) await s.query(st);
      const pub = await ctx.db(publisher);
      const left = await findSlot(pub, slot);
      if (left && !left.active) await pub.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return `DROP SUBSCRIPTION could not reach the publisher (${messageOf(err)}); detached it and dropped the slot directly`;
    }
  });
}

export const cleanupStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'cleanup',
  title: 'Remove the replication set-up (subscriptions, slots, publications)',
  why:
    'After the switchover the replication objects only cost: the slot on the old server keeps WAL, the publications keep ' +
    'decoding. Dropping them ends the upgrade; it also removes the way back (reverse replication), so it runs only when ' +
    'asked (finish), once the new server is trusted.',
  kind: 'sql',
  clusters: ['target', 'source'],
  risk: 'destructive',
  // Never part of a default run: it removes the way back. `logical-upgrade --resume RUNID --finish` / "Finish Upgrade".
  explicit: true,
  async plan(ctx) {
    const p = ctx.params;
    const l = await leftovers(ctx);
    const src: string[] = [];
    const tgt: string[] = [];
    if (l.reverseSubscription) src.push(dropSubscriptionSql(p.reverseSubscription));
    else if (l.reverseSlot) tgt.push(`SELECT pg_drop_replication_slot(${quoteLiteral(p.reverseSubscription)})`);
    if (l.reversePublication) tgt.push(dropPublicationSql(p.reversePublication));
    if (l.forwardSubscription) tgt.unshift(dropSubscriptionSql(p.subscription));
    else if (l.forwardSlot) src.push(`SELECT pg_drop_replication_slot(${quoteLiteral(slotNameOf(p))})`);
    if (l.forwardPublication) src.push(dropPublicationSql(p.publication));
    if (p.reopenSourceAtCleanup) src.push(...openStatements(await readLive(ctx, 'source')), ...p.freezeRoles.map((r) => roleLoginSql(r, true)));
    const actions: PlannedAction[] = [{ kind: 'manual', cluster: 'target', instructions: `Finish: ${rollbackWindowText(ctx)}; this drops it.` }];
    if (tgt.length) actions.push({ kind: 'sql', cluster: 'target', statements: tgt });
    if (src.length) actions.push({ kind: 'sql', cluster: 'source', statements: src });
    return actions.length > 1 ? actions : [];
  },
  async isDone(ctx) {
    const l = await leftovers(ctx);
    return !Object.values(l).some(Boolean) && !ctx.params.reopenSourceAtCleanup;
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    const notes: string[] = [];
    const l = await leftovers(ctx);
    if (l.reverseSubscription) {
      const n = await dropSubscription(ctx, 'source', p.reverseSubscription, p.reverseSubscription, 'target');
      if (n) notes.push(n);
    } else if (l.reverseSlot) {
      await (await ctx.db('target')).query('SELECT pg_drop_replication_slot($1)', [p.reverseSubscription]);
    }
    if (l.reversePublication) await withSession(ctx, 'target', (s) => s.query(dropPublicationSql(p.reversePublication)));
    if (l.forwardSubscription) {
      const n = await dropSubscription(ctx, 'target', p.subscription, slotNameOf(p), 'source');
      if (n) notes.push(n);
    } else if (l.forwardSlot) {
      await (await ctx.db('source')).query('SELECT pg_drop_replication_slot($1)', [slotNameOf(p)]);
    }
    await withSession(ctx, 'source', async (s) => {
      if (l.forwardPublication) await s.query(dropPublicationSql(p.publication));
      if (p.reopenSourceAtCleanup) for (const r of p.freezeRoles) await s.query(roleLoginSql(r, true));
    });
    if (p.reopenSourceAtCleanup) await openServer(ctx, 'source');
    const after = await leftovers(ctx);
    const remaining = Object.entries(after).filter(([, v]) => v).map(([k]) => k);
    if (remaining.length) return { status: 'failed', message: `still there: ${remaining.join(', ')}`, outputs: { remaining } };
    return {
      status: 'succeeded',
      message: `replication objects removed${p.reopenSourceAtCleanup ? '; the old server is writable again' : '; the old server stays read-only'}${notes.length ? ` (${notes.join('; ')})` : ''}`,
      outputs: { dropped: Object.entries(l).filter(([, v]) => v).map(([k]) => k), sourceReopened: p.reopenSourceAtCleanup },
    };
  },
  rollbackHint: 'Dropped subscriptions, slots and publications cannot be restored; replication would have to start over with a new initial copy.',
};
