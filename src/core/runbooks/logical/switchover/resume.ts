/**
 * Resume finishes the protocol by itself (docs/switchover.md, "What resume does"): the state is decided from what
 * fresh sessions see on both servers; the journal only says whether the last attempt passed its commit point.
 */
import type { StepContext } from '../../../runbook/types';
import { compareLsn } from '../../../catalog';
import { hardFence } from '../fence';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { findSlot } from '../queries';
import { messageOf, withSession } from '../session';
import { TERMINATE_CLIENTS_SQL } from '../statements';
import { openServer, readLive, type ServerLive } from './live';
import { afterTargetOpen, handSourceBack, type SwitchoverOutcome } from './outcomes';
import { iso } from './sessions';

type Ctx = StepContext<LogicalUpgradeParams>;

/** 'mixed': the databases of a cluster run disagree in a way no protocol step produces (resume-databases.ts). */
export type ResumeState = 'replicating' | 'frozen' | 'committed' | 'open' | 'both-writable' | 'mixed';

export interface ResumeDecision {
  state: ResumeState;
  source: ServerLive;
  target: ServerLive;
  /** The last attempt's 'freezing' checkpoint (when the window of an earlier attempt started). */
  freezing?: { ts: string; data?: Record<string, unknown> };
  commit?: { ts: string; data?: Record<string, unknown> };
}

/** The last attempt's checkpoints: its freeze and, if it got there, its commit point. */
function lastAttempt(ctx: Ctx): Pick<ResumeDecision, 'freezing' | 'commit'> {
  const cps = ctx.checkpointsOf('switchover');
  const freezing = [...cps].reverse().find((c) => c.name === 'freezing');
  if (!freezing) return {};
  const attempt = freezing.data?.attempt;
  const commit = cps.find((c) => c.name === 'commit' && c.data?.attempt === attempt);
  return { freezing, commit };
}

export async function decideResume(ctx: Ctx): Promise<ResumeDecision> {
  const [source, target] = await Promise.all([readLive(ctx, 'source'), readLive(ctx, 'target')]);
  const { freezing, commit } = lastAttempt(ctx);
  const opened = ctx.checkpointsOf('switchover').some((c) => c.name === 'opened');
  let state: ResumeState;
  if (source.readOnly && target.readOnly) state = commit ? 'committed' : 'frozen';
  else if (source.readOnly) state = 'open';
  else if (target.readOnly) state = 'replicating';
  // Both writable: before any commit point the gate freezes the target again; after one, someone reopened the source.
  else state = commit || opened ? 'both-writable' : 'replicating';
  return { state, source, target, freezing, commit };
}

/** One line for the precondition / plan: what resume will do from here. */
export function describeDecision(d: ResumeDecision): string {
  switch (d.state) {
    case 'replicating': return 'the source takes writes, the target is read-only: the switchover runs from its gate';
    case 'frozen': return 'an earlier attempt stopped inside its window before its commit point (both servers read-only): the source is handed back (target read-only)';
    case 'committed': return 'an earlier attempt passed its commit point (both servers read-only): the target is opened, the source stays read-only';
    case 'open': return 'the target is open and the source read-only: the switchover is finished (forward subscription disabled, source fenced)';
    case 'both-writable': return 'BOTH servers take writes although this run passed its commit point: nothing is changed; make the old source read-only, then resume';
    case 'mixed': return 'the databases of this run are in states no switchover leaves (someone changed a server by hand): nothing is changed; see each database\'s state';
  }
}

/** The subscription's synchronous_commit before the attempt (per database in a cluster run's checkpoint). */
function subSyncBeforeOf(d: ResumeDecision): string | null {
  const data = d.freezing?.data;
  if (Array.isArray(data?.databases)) return ((data.subSyncBeforeByDatabase as Record<string, string> | undefined)?.[d.source.database]) ?? null;
  return (data?.subSyncBefore as string | null | undefined) ?? null;
}

/** Finishes the protocol from a state other than 'replicating'. */
export async function resumeSwitchover(ctx: Ctx, d: ResumeDecision): Promise<SwitchoverOutcome> {
  const p = ctx.params;
  const outputs: Record<string, unknown> = { resumedFrom: d.state, freezeMethod: p.freezeMethod };
  if (d.freezing) outputs.freezeStartedAt = d.freezing.data?.at ?? d.freezing.ts;
  if (d.commit) outputs.commitPointAt = d.commit.data?.at ?? d.commit.ts;
  const freezeWall = d.freezing ? Date.parse(String(d.freezing.data?.at ?? d.freezing.ts)) : undefined;
  if (d.state === 'both-writable' || d.state === 'mixed') {
    return { status: 'failed', outputs, message: `${describeDecision(d)}. Source ${d.source.database}: writable; target ${d.target.database}: writable.` };
  }
  if (d.state === 'frozen') {
    const loginRoles = Array.isArray(d.freezing?.data?.loginRoles) ? (d.freezing!.data!.loginRoles as string[]) : [];
    const back = await handSourceBack(ctx, {
      sourceDatabase: d.source.database, method: d.source.byDatabase ? 'database' : 'system', loginRoles,
      subSyncBefore: subSyncBeforeOf(d), freezeWall,
    }, 'the earlier attempt stopped inside its window before its commit point (resumed)');
    Object.assign(outputs, back.outputs);
    return { ...back, outputs };
  }
  // 'committed' or 'open': only forward. Keep the source frozen and fenced, its clients out.
  try {
    await withSession(ctx, 'source', async (s) => {
      outputs.fence = await hardFence(s, d.source.database);
      const r = await s.query(TERMINATE_CLIENTS_SQL, [[]]);
      outputs.terminatedBackends = r.rowCount ?? 0;
    });
  } catch (err) {
    ctx.ui.log('warn', `could not re-check the old source's sessions (${messageOf(err)}); it stays read-only for new sessions`);
  }
  if (d.state === 'committed') {
    const frozenLsn = d.commit?.data?.frozenLsn;
    if (typeof frozenLsn === 'string') {
      const slot = await withSession(ctx, 'source', (s) => findSlot(s, slotNameOf(p))).catch(() => null);
      if (slot?.confirmedFlushLsn) outputs.drainReverified = compareLsn(slot.confirmedFlushLsn, frozenLsn) >= 0;
    }
    try {
      await openServer(ctx, 'target', d.target);
    } catch (err) {
      return { status: 'failed', outputs, message: `the commit point passed but the target could not be opened yet (${messageOf(err)}); the source stays read-only. Resume again when the target answers.` };
    }
    const now = Date.now();
    outputs.targetOpenedAt = iso(now);
    if (freezeWall !== undefined) outputs.writeUnavailableMs = now - freezeWall;
  } else {
    const opened = ctx.checkpointsOf('switchover').find((c) => c.name === 'opened');
    outputs.targetOpenedAt = opened?.data?.at ?? opened?.ts ?? null;
    if (freezeWall !== undefined && typeof outputs.targetOpenedAt === 'string') outputs.writeUnavailableMs = Date.parse(outputs.targetOpenedAt) - freezeWall;
  }
  await afterTargetOpen(ctx, outputs);
  const target = await readLive(ctx, 'target');
  const source = await readLive(ctx, 'source');
  if (target.readOnly || !source.readOnly) {
    return { status: 'failed', outputs, message: `after rolling forward a fresh session sees the target ${target.readOnly ? 'read-only' : 'writable'} and the source ${source.readOnly ? 'read-only' : 'writable'}; resume again` };
  }
  return {
    status: 'succeeded', outputs,
    message: `resumed from "${d.state}": the target is open (proved by a new session), the old source stays read-only${outputs.writeUnavailableMs !== undefined ? `; writes were unavailable for ${outputs.writeUnavailableMs} ms` : ''}`,
  };
}
