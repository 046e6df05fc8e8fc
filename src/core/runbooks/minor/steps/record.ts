import { join } from 'node:path';
import { startServerCommand, stopServerCommand, type HostTarget } from '../../../hosts/commands';
import { renderAction } from '../../../runbook/render';
import type { StepDefinition, StepOutcome } from '../../../runbook/types';
import { checklistOf, serverHost, STEP, type Ctx } from '../context';
import { connectionFor } from '../databases';
import type { MinorUpgradeParams } from '../params';

const line = (a: Parameters<typeof renderAction>[0]) => renderAction(a).slice(1).join(' ');

/** The way back, as exact commands for this server (journaled, and printed in the upgrade record). Pure but for ctx reads. */
export function rollbackProcedure(ctx: Ctx, host: HostTarget, o: { oldBinDir?: string; newBinDir?: string; versionBefore?: string; coldCopy?: string; backupPath?: string; databases?: { name: string; dir: string }[]; jobs: number }): string[] {
  const old: HostTarget = { ...host, binDir: o.oldBinDir ?? host.binDir };
  const steps: string[] = [];
  steps.push(`1. Stop the server: ${line(stopServerCommand(o.newBinDir ? { ...host, binDir: o.newBinDir } : host, 'fast'))}`);
  if (host.executor === 'manual' && !o.oldBinDir) steps.push(`2. Reinstall the ${o.versionBefore ?? 'previous'} packages (e.g. apt-get install postgresql-NN=<old version>).`);
  if (o.coldCopy) {
    steps.push(`${steps.length + 1}. Only if the data is in doubt, put the cold copy back while stopped: mv -T ${host.dataDir} ${host.dataDir}.failed-${ctx.runId}; mv -T ${o.coldCopy} ${host.dataDir}`);
  }
  steps.push(`${steps.length + 1}. Start with the old binaries (${o.versionBefore ?? 'previous release'}): ${line(startServerCommand(old, old.binDir))}`);
  if (o.backupPath && o.databases?.length) {
    steps.push(`${steps.length + 1}. Only if data must be restored from the logical backup ${o.backupPath}: psql -f ${join(o.backupPath, 'globals.sql')} (roles), then per database: ` +
      o.databases.map((d) => `pg_restore --clean --if-exists --create --jobs=${o.jobs} --dbname="${connectionFor(ctx, 'server', 'postgres')}" ${d.dir}`).join(' ; '));
  }
  steps.push(`${steps.length + 1}. Check: SELECT version(); and the applications.`);
  return steps;
}

export const recordStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.record,
  title: 'Record: versions, downtime, backup, rollback procedure',
  why:
    'The upgrade record needs the facts in one place — versions before and after, how long the server was down, where the ' +
    'backup is and that it was verified — and the exact way back for this server, written down while everything is known.',
  kind: 'check',
  clusters: ['server'],
  risk: 'read-only',
  async plan() {
    return [{ kind: 'wait', cluster: 'server', description: 'collect the earlier steps\' outputs and write the rollback procedure into this step\'s outputs' }];
  },
  async execute(ctx): Promise<StepOutcome> {
    const up = ctx.outputsOf(STEP.upgrade) ?? {};
    const bk = ctx.outputsOf(STEP.backup) ?? {};
    const ext = ctx.outputsOf(STEP.extensions) ?? {};
    const post = ctx.outputsOf(STEP.postChecks) ?? {};
    const cl = checklistOf(ctx);
    const host = await serverHost(ctx);
    const backupKind = ctx.params.backup === 'cold-copy' ? 'cold-copy' : (bk.backupKind as string | undefined) ?? (ctx.params.backupPath ? 'existing' : 'none');
    const backupPath = (up.coldCopy as string | undefined) ?? (bk.backupPath as string | undefined) ?? ctx.params.backupPath ?? null;
    const rollback = rollbackProcedure(ctx, host, {
      oldBinDir: up.oldBinDir as string | undefined, newBinDir: up.newBinDir as string | undefined, versionBefore: (cl?.versionBefore ?? up.versionBefore) as string | undefined,
      coldCopy: up.coldCopy as string | undefined, backupPath: bk.backupPath as string | undefined,
      databases: bk.databases as { name: string; dir: string }[] | undefined, jobs: ctx.params.backupJobs,
    });
    const outputs = {
      versionBefore: cl?.versionBefore ?? up.versionBefore ?? null,
      versionAfter: post.versionAfter ?? up.versionAfter ?? null,
      downtimeMs: up.downtimeMs ?? null,
      backupKind, backupPath,
      backupVerified: backupKind === 'pg_dump' ? bk.backupVerified === true : backupKind === 'cold-copy' ? up.coldCopyVerified ?? null : null,
      extensionsUpdated: (ext.updated as string[] | undefined) ?? [],
      amcheck: post.amcheck ?? null,
      executor: host.executor,
      rollback,
    };
    return { status: 'succeeded', outputs, message: `${outputs.versionBefore} → ${outputs.versionAfter}, down ${outputs.downtimeMs ?? '?'} ms, backup ${backupKind}${backupPath ? ` at ${backupPath}` : ''}` };
  },
  rollbackHint: 'See this step\'s outputs.rollback for the exact procedure.',
};
