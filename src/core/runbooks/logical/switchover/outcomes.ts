/**
 * The two ways a switchover ends once the source was frozen, shared by the running protocol and by resume:
 * forward (the commit point passed: target open, source kept frozen, forward subscription disabled) and back
 * (before the commit point: the target proved read-only by a fresh session, then the source reopened).
 */
import type { Finding, StepContext } from '../../../runbook/types';
import { clientRoutingFor } from '../../../routing';
import { liftFence, type FenceState } from '../fence';
import type { LogicalUpgradeParams } from '../params';
import { findSubscription } from '../queries';
import { messageOf, withSession, type Session } from '../session';
import { alterSubscriptionSql, roleLoginSql, setSubscriptionOptionSql } from '../statements';
import { openServer, readLive, type ServerLive } from './live';
import { dropReverseSlot } from './reverse-slot';
import { iso, stamp } from './sessions';

type Ctx = StepContext<LogicalUpgradeParams>;

export interface SwitchoverOutcome {
  status: 'succeeded' | 'aborted' | 'failed';
  message: string;
  outputs: Record<string, unknown>;
  findings?: Finding[];
}

/**
 * After the target opened: the routing hook (errors reported; once per run, `withRouting` false for the other
 * databases of a cluster run), the forward subscription disabled, a checkpoint.
 */
export async function afterTargetOpen(ctx: Ctx, outputs: Record<string, unknown>, withRouting = true): Promise<void> {
  const routing = clientRoutingFor(ctx);
  try {
    if (withRouting) outputs['routing.afterOpen'] = await routing.afterOpen();
  } catch (err) {
    outputs['routing.afterOpen'] = { error: messageOf(err) };
    ctx.ui.log('warn', `client routing after the target opened: ${messageOf(err)} (the switchover stands)`);
  }
  try {
    await withSession(ctx, 'target', async (s) => {
      const sub = await findSubscription(s, ctx.params.subscription);
      if (sub?.enabled) await s.query(alterSubscriptionSql(ctx.params.subscription, 'DISABLE'));
    });
    outputs.subscriptionDisabled = true;
  } catch (err) {
    outputs.subscriptionDisabled = false;
    ctx.ui.log('warn', `could not disable the forward subscription yet (${messageOf(err)}); resuming the run does it`);
  }
  await ctx.checkpoint('opened', { at: outputs.targetOpenedAt ?? iso(Date.now()) }).catch(() => undefined);
}

export interface HandBack {
  sourceDatabase: string;
  method: 'database' | 'system';
  loginRoles: string[];
  fence?: FenceState;
  subSyncBefore?: string | null;
  /** The session to run the reopening on (a fresh one is used when it fails). */
  session?: Session;
  /** When the freeze started (monotonic ms of this process), for sourceReadOnlyMs. */
  freezeMono?: number;
  freezeWall?: number;
}

/**
 * Before the commit point: the source is reopened only once a fresh session on the target says read-only (or the
 * target cannot be reached at all: this run never sent it an opening statement). If the target is writable, both
 * would be: the source stays frozen and the step fails.
 */
export async function handSourceBack(ctx: Ctx, h: HandBack, cause: string, findings?: Finding[]): Promise<SwitchoverOutcome> {
  const outputs: Record<string, unknown> = { aborted: true };
  let target: ServerLive | undefined;
  try {
    target = await readLive(ctx, 'target');
    outputs.targetReadOnly = target.readOnly;
  } catch (err) {
    outputs.targetReadOnly = null;
    outputs.targetCheck = `the target could not be reached to check it (${messageOf(err)}); this run never sent it an opening statement`;
  }
  if (target && !target.readOnly) {
    return {
      status: 'failed', outputs, findings,
      message: `NOT REOPENING THE SOURCE: a fresh session on the target is writable although this run never opened it; the source stays read-only so that only one server takes writes. Find out who opened the target, then resume the run (it rolls forward). Cause of the stop: ${cause}`,
    };
  }
  try {
    // liftFence is idempotent: also called on resume, where the fence state of the dead process is not known
    if (h.session) await liftFence(h.session, h.sourceDatabase, h.fence);
    else await withSession(ctx, 'source', (s) => liftFence(s, h.sourceDatabase, h.fence));
    const known: ServerLive = { readOnly: true, database: h.sourceDatabase, byDatabase: h.method === 'database', bySystemFile: h.method === 'system' };
    const opened = await openServer(ctx, 'source', known, h.session, 3000);
    const at = opened.openedAt ?? stamp(); // when the opening statement completed (proved writable just after)
    await withSession(ctx, 'source', async (s) => {
      for (const role of h.loginRoles) await s.query(roleLoginSql(role, true));
    });
    outputs.sourceReopenedAt = iso(at.wall);
    if (h.freezeMono !== undefined) outputs.sourceReadOnlyMs = Math.round((at.mono - h.freezeMono) * 10) / 10;
    else if (h.freezeWall !== undefined) outputs.sourceReadOnlyMs = at.wall - h.freezeWall;
  } catch (err) {
    return {
      status: 'failed', outputs, findings,
      message: `SWITCHOVER ABORTED AND THE SOURCE COULD NOT BE REOPENED YET (${messageOf(err)}); the target is read-only. Resume the run: it reopens the source by itself. Cause: ${cause}`,
    };
  }
  const slotNote = await withSession(ctx, 'target', (s) => dropReverseSlot(ctx, s)).catch((err) => `the reverse slot could not be checked (${messageOf(err)}); the next attempt of this run reuses it`);
  if (slotNote) outputs.reverseSlotLeft = slotNote;
  if (h.subSyncBefore) {
    await withSession(ctx, 'target', (s) => s.query(setSubscriptionOptionSql(ctx.params.subscription, 'synchronous_commit', h.subSyncBefore!))).catch(() => undefined);
  }
  try {
    outputs['routing.afterAbort'] = await clientRoutingFor(ctx).afterAbort();
  } catch (err) {
    outputs['routing.afterAbort'] = { error: messageOf(err) };
  }
  return {
    status: 'aborted', outputs, findings,
    message: `switchover aborted: ${cause}. The source is writable again${outputs.sourceReadOnlyMs !== undefined ? ` (read-only for ${outputs.sourceReadOnlyMs} ms)` : ''}; ${target ? 'a fresh session on the target confirms it is read-only and it keeps replicating' : 'the target could not be checked (never opened by this run)'}. Fix the cause and run the switchover again.`,
  };
}
