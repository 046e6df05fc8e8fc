import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { upgradedBinDir } from '../../../hosts/binaries';
import { copyTreeCommand, packageUpgradeInstruction, type HostTarget } from '../../../hosts/commands';
import { recordLabServer } from '../../../hosts/labRecord';
import { restartActions, restartWithBinaries, RestartError, type RestartResult } from '../../../hosts/restart';
import { messageOf, versionNumOf, versionText } from '../../../hosts/wait';
import type { HostResult } from '../../../hosts/types';
import type { PlannedAction, StepDefinition, StepOutcome } from '../../../runbook/types';
import { checklistOf, serverHost, STEP, target, type Ctx } from '../context';
import type { MinorUpgradeParams } from '../params';

interface Plan {
  host: HostTarget;
  major: number;
  newBinDir: string;
  coldCopy?: string;
  stop: PlannedAction[];
  start: PlannedAction[];
  notes: PlannedAction[];
}

async function currentVersionNum(ctx: Ctx): Promise<number> {
  return versionNumOf(await ctx.db('server'));
}

export function coldCopyPath(ctx: Ctx, dataDir: string): string {
  return ctx.params.backupPath ?? `${dataDir}.pgpilot-backup-${ctx.runId}`;
}

async function buildPlan(ctx: Ctx): Promise<Plan> {
  const host = await serverHost(ctx);
  const major = target(ctx).major;
  const newBinDir = upgradedBinDir(host, major, ctx.params.toVersion);
  const coldCopy = ctx.params.backup === 'cold-copy' ? coldCopyPath(ctx, host.dataDir) : undefined;
  const { stop, start } = restartActions({ host, newBinDir, whileDown: coldCopy ? [copyTreeCommand(host, host.dataDir, coldCopy)] : undefined });
  const notes: PlannedAction[] = host.executor === 'manual' ? [packageUpgradeInstruction('server', major, ctx.params.toVersion)] : [];
  return { host, major, newBinDir, coldCopy, stop, start, notes };
}

interface TreeStats { files: number; bytes: number }

async function treeStats(dir: string): Promise<TreeStats> {
  const s: TreeStats = { files: 0, bytes: 0 };
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const sub = await treeStats(p);
      s.files += sub.files;
      s.bytes += sub.bytes;
    } else if (e.isFile()) {
      s.files += 1;
      s.bytes += (await fs.stat(p)).size;
    }
  }
  return s;
}

export const upgradeServerStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.upgrade,
  title: 'Stop, install the new minor release, start (same data directory)',
  why:
    'A minor release never changes the on-disk format: the new binaries start on the same data directory. The fast ' +
    'stop writes a clean shutdown checkpoint, so the start needs no recovery and the downtime is the stop plus the start ' +
    '(plus the package installation on a real host). The step then checks over SQL that the server reports the new release.',
  kind: 'host',
  clusters: ['server'],
  risk: 'disruptive',
  async plan(ctx) {
    const p = await buildPlan(ctx);
    return [
      ...p.stop,
      ...p.notes,
      ...p.start,
      { kind: 'wait', cluster: 'server', description: `until the server accepts connections (up to ${ctx.params.startTimeoutMs / 1000} s) and SELECT current_setting('server_version_num') says ${ctx.params.toVersion}` },
    ];
  },
  async isDone(ctx) {
    return (await currentVersionNum(ctx)) === target(ctx).num;
  },
  async precondition(ctx) {
    const p = await buildPlan(ctx); // throws for a missing build / unknown paths
    const now = await currentVersionNum(ctx);
    if (Math.floor(now / 10000) !== p.major) return { ok: false, message: `the server runs ${versionText(now)}, not PostgreSQL ${p.major}` };
    if (now > target(ctx).num) return { ok: false, message: `the server runs ${versionText(now)}, newer than ${ctx.params.toVersion}` };
    if (p.coldCopy) {
      const exists = await fs.access(p.coldCopy).then(() => true, () => false);
      if (exists && p.host.executor === 'local') return { ok: false, message: `${p.coldCopy} already exists; a backup is never written over another (choose another backupPath)` };
    }
    return { ok: true };
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = await buildPlan(ctx);
    const t = target(ctx);
    const before = await currentVersionNum(ctx);
    const outputs: Record<string, unknown> = {
      versionBefore: versionText(before), dataDir: p.host.dataDir, oldBinDir: p.host.binDir, newBinDir: p.newBinDir, executor: p.host.executor,
    };
    if (p.coldCopy) outputs.coldCopy = p.coldCopy;
    const checkCopy = async (results: HostResult[]): Promise<string | undefined> => {
      if (!p.coldCopy) return undefined;
      outputs.coldCopyMs = results[1]?.durationMs;
      if (p.host.executor !== 'local') return undefined;
      const [a, b] = await Promise.all([treeStats(p.host.dataDir), treeStats(p.coldCopy)]);
      Object.assign(outputs, { coldCopyFiles: b.files, coldCopyBytes: b.bytes, coldCopyVerified: a.files === b.files && a.bytes === b.bytes });
      return outputs.coldCopyVerified ? undefined : `the copy ${p.coldCopy} differs from the data directory (${b.files} files/${b.bytes} bytes vs ${a.files}/${a.bytes})`;
    };
    let r: RestartResult;
    try {
      r = await restartWithBinaries(ctx, {
        stepId: STEP.upgrade, role: 'server', risk: 'disruptive', host: p.host, newBinDir: p.newBinDir,
        whileDown: p.coldCopy ? [copyTreeCommand(p.host, p.host.dataDir, p.coldCopy)] : undefined, notes: p.notes,
        afterStop: checkCopy, startTimeoutMs: ctx.params.startTimeoutMs, stopBatchTimeoutMs: 6 * 3600_000,
      });
    } catch (err) {
      if (err instanceof RestartError) Object.assign(outputs, err.partial.stopMs !== undefined ? { stopMs: err.partial.stopMs } : {});
      return { status: 'failed', outputs, message: messageOf(err) };
    }
    Object.assign(outputs, {
      stopMs: r.stopMs, startMs: r.startMs, downtimeMs: r.downtimeMs, downSince: r.downSince, upAt: r.upAt,
      versionAfter: versionText(r.versionNum), versionAfterNum: r.versionNum,
    });
    if (p.host.executor === 'local') outputs.labRecordUpdated = await recordLabServer(p.host.dataDir, { binDir: p.newBinDir }).catch(() => false);
    if (r.versionNum !== t.num) {
      return { status: 'failed', outputs, message: `the server is up but reports ${versionText(r.versionNum)}, not ${ctx.params.toVersion}: were the new binaries installed (package upgrade) before the start?` };
    }
    const before0 = checklistOf(ctx)?.versionBefore ?? versionText(before);
    return { status: 'succeeded', outputs, message: `${before0} → ${outputs.versionAfter}: down for ${r.downtimeMs} ms (stop ${r.stopMs} ms, start ${r.startMs} ms)` };
  },
  async verify(ctx) {
    const v = await currentVersionNum(ctx);
    return v === target(ctx).num ? { ok: true } : { ok: false, message: `the server reports ${versionText(v)}, not ${ctx.params.toVersion}` };
  },
  rollbackHint:
    'Go back to the old release on the same data directory: stop the server (pg_ctl -D DATADIR -m fast stop), then start it with ' +
    'the old binaries (oldBinDir/pg_ctl -D DATADIR start; on a package host reinstall the old package version). A cold copy ' +
    '(coldCopy) can replace the data directory while stopped (mv it back) if the data itself is in doubt.',
};
