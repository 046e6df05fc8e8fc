import { upgradedBinDir } from '../../../hosts/binaries';
import { packageUpgradeInstruction } from '../../../hosts/commands';
import { recordLabServer } from '../../../hosts/labRecord';
import { restartActions, restartWithBinaries } from '../../../hosts/restart';
import { messageOf, parseMinorVersion, versionNumOf, versionText, waitForServer } from '../../../hosts/wait';
import type { Queryable } from '../../../db';
import type { PlannedAction, StepDefinition, StepOutcome } from '../../../runbook/types';
import { majorOf, pairHost, STEP, type Ctx } from '../context';
import type { RollingSwitchoverParams } from '../params';

/** In recovery and streaming again (the WAL receiver reconnected). */
export async function streamingStandby(q: Queryable): Promise<boolean> {
  const r = await q.query<{ rec: boolean; status: string | null }>('SELECT pg_is_in_recovery() AS rec, (SELECT status FROM pg_stat_wal_receiver) AS status');
  return r.rows[0].rec === true && r.rows[0].status === 'streaming';
}

async function planOf(ctx: Ctx) {
  const host = await pairHost(ctx, 'standby');
  const major = majorOf(ctx, 'standby');
  const newBinDir = upgradedBinDir(host, major, ctx.params.upgradeTo);
  const notes: PlannedAction[] = host.executor === 'manual' ? [packageUpgradeInstruction('standby', major, ctx.params.upgradeTo)] : [];
  return { host, major, newBinDir, notes, ...restartActions({ host, newBinDir }) };
}

export const upgradeStandbyStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.upgradeStandby,
  title: 'Upgrade the standby: stop, new minor release, start, streaming again',
  why:
    'The standby goes first: while it restarts on the new release the primary keeps serving everyone, and afterwards it ' +
    'catches up from the primary\'s WAL (a newer minor release replays an older one\'s WAL). Once it streams again it ' +
    'becomes the new primary, already upgraded.',
  kind: 'host',
  clusters: ['standby'],
  risk: 'disruptive',
  async plan(ctx) {
    if (!ctx.params.upgradeTo) return [{ kind: 'wait', cluster: 'standby', description: 'nothing: no upgradeTo release given (switchover only)' }];
    const p = await planOf(ctx);
    return [
      ...p.stop, ...p.notes, ...p.start,
      { kind: 'wait', cluster: 'standby', description: `until the standby accepts connections, reports ${ctx.params.upgradeTo}, is in recovery and its WAL receiver is streaming (up to ${ctx.params.startTimeoutMs / 1000} s)` },
    ];
  },
  async isDone(ctx) {
    if (!ctx.params.upgradeTo) return true;
    const q = await ctx.db('standby');
    return (await versionNumOf(q)) === parseMinorVersion(ctx.params.upgradeTo).num && (await streamingStandby(q));
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = await planOf(ctx);
    const target = parseMinorVersion(ctx.params.upgradeTo!).num;
    const before = await versionNumOf(await ctx.db('standby'));
    const outputs: Record<string, unknown> = { versionBefore: versionText(before), oldBinDir: p.host.binDir, newBinDir: p.newBinDir };
    try {
      const r = await restartWithBinaries(ctx, {
        stepId: STEP.upgradeStandby, role: 'standby', risk: 'disruptive', host: p.host, newBinDir: p.newBinDir, notes: p.notes,
        startTimeoutMs: ctx.params.startTimeoutMs,
      });
      Object.assign(outputs, { stopMs: r.stopMs, startMs: r.startMs, standbyDownMs: r.downtimeMs, versionAfter: versionText(r.versionNum) });
      if (p.host.executor === 'local') outputs.labRecordUpdated = await recordLabServer(p.host.dataDir, { binDir: p.newBinDir }).catch(() => false);
      if (r.versionNum !== target) {
        return { status: 'failed', outputs, message: `the standby is up but reports ${versionText(r.versionNum)}, not ${ctx.params.upgradeTo}: were the new binaries installed before the start?` };
      }
      const s = await waitForServer(ctx, 'standby', { timeoutMs: ctx.params.streamTimeoutMs, what: 'the standby to stream again', check: async (q) => ((await streamingStandby(q)) ? true : undefined) });
      outputs.streamingAfterMs = s.waitedMs;
    } catch (err) {
      return { status: 'failed', outputs, message: messageOf(err) };
    }
    return { status: 'succeeded', outputs, message: `standby ${outputs.versionBefore} → ${outputs.versionAfter}, streaming again (down ${outputs.standbyDownMs} ms; the primary served throughout)` };
  },
  async verify(ctx) {
    const q = await ctx.db('standby');
    const v = await versionNumOf(q);
    if (ctx.params.upgradeTo && v !== parseMinorVersion(ctx.params.upgradeTo).num) return { ok: false, message: `the standby reports ${versionText(v)}` };
    return (await streamingStandby(q)) ? { ok: true } : { ok: false, message: 'the standby is not streaming' };
  },
  rollbackHint: 'Stop the standby and start it with the old binaries (oldBinDir; on a package host reinstall the old version): it resumes streaming. The primary was never touched.',
};
