import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runTool, type ToolInvocation } from '../../../tools';
import { ClientToolError } from '../../../tools/types';
import type { PlannedAction, StepDefinition, StepOutcome } from '../../../runbook/types';
import {
  chooseBackupTools, defaultDumpBackupDir, dirBytes, dumpPlan, findDumpDirs, maskedInvocation, MASK, verifyDumpDir, writeManifest,
  type VerifiedDump,
} from '../backup';
import { databasesOf, STEP, type Ctx } from '../context';
import { connectionFor } from '../databases';
import type { MinorUpgradeParams } from '../params';

function backupDir(ctx: Ctx): string {
  return ctx.params.backupPath ?? defaultDumpBackupDir(ctx.runId);
}

async function serverMajor(ctx: Ctx): Promise<number> {
  const r = await (await ctx.db('server')).query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Math.floor(Number(r.rows[0].v) / 10000);
}

async function planFor(ctx: Ctx, password: string | undefined) {
  const tools = await chooseBackupTools(await serverMajor(ctx), ctx.params.clientToolsPath);
  const dbs = await databasesOf(ctx);
  return { tools, plan: dumpPlan(tools, backupDir(ctx), dbs, ctx.params.backupJobs, (db) => connectionFor(ctx, 'server', db), password) };
}

function hostAction(inv: ToolInvocation): PlannedAction {
  const m = maskedInvocation(inv);
  return m.env ? { kind: 'host', cluster: 'server', argv: m.argv, env: m.env } : { kind: 'host', cluster: 'server', argv: m.argv };
}

async function run(inv: ToolInvocation, what: string, ctx: Ctx, secret: string | undefined): Promise<void> {
  const r = await runTool(inv, { signal: ctx.signal, secrets: [secret] });
  if (r.code !== 0) throw new ClientToolError(`${what} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-6).join(' ')}`, r.code, r.stderr);
}

export const backupStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.backup,
  title: 'Back up every database (pg_dump, directory format) and verify it',
  why:
    'The rollback of last resort. A minor upgrade keeps the data directory, so the usual way back is the old binaries; a ' +
    'logical backup taken just before, checked with pg_restore --list, covers what that cannot (a bug that damaged data ' +
    'after the restart). The globals (roles, tablespaces) are dumped too: pg_dump of a database does not carry them.',
  kind: 'host',
  clusters: ['server'],
  risk: 'read-only',
  async plan(ctx) {
    if (ctx.params.backup !== 'pg_dump') {
      return [{ kind: 'wait', cluster: 'server', description: ctx.params.backup === 'cold-copy' ? 'nothing here: the cold copy is taken while the server is stopped (upgrade step)' : 'nothing: no backup requested' }];
    }
    const { plan } = await planFor(ctx, MASK);
    return [
      { kind: 'wait', cluster: 'server', description: `create ${plan.dir} (mode 0700) on this machine` },
      hostAction(plan.globals),
      ...plan.databases.flatMap((d) => [hostAction(d.dump), hostAction(d.verify)]),
    ];
  },
  async isDone(ctx) {
    if (ctx.params.backup !== 'pg_dump') return true;
    return existsSync(backupDir(ctx)) && (await findDumpDirs(backupDir(ctx))).length > 0 && existsSync(join(backupDir(ctx), 'manifest.json'));
  },
  async precondition(ctx) {
    const dir = backupDir(ctx);
    if (existsSync(dir) && (await fs.readdir(dir)).length > 0) {
      return { ok: false, message: `${dir} exists and is not empty; choose another backupPath (a backup is never written over another)` };
    }
    try {
      await planFor(ctx, MASK);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
    return { ok: true };
  },
  async execute(ctx): Promise<StepOutcome> {
    const password = await ctx.password('server');
    const { tools, plan } = await planFor(ctx, password);
    const t0 = performance.now();
    await fs.mkdir(plan.dir, { recursive: true, mode: 0o700 });
    await fs.chmod(plan.dir, 0o700);
    ctx.ui.progress('pg_dumpall --globals-only');
    await run(plan.globals, 'pg_dumpall --globals-only', ctx, password);
    const globalsBytes = (await fs.stat(join(plan.dir, 'globals.sql'))).size;
    const done: VerifiedDump[] = [];
    for (const [i, d] of plan.databases.entries()) {
      ctx.ui.progress(`pg_dump ${d.name} (${i + 1}/${plan.databases.length})`, i / plan.databases.length);
      await run(d.dump, `pg_dump of database ${d.name}`, ctx, password);
      const tocEntries = await verifyDumpDir(d.verify, ctx.signal);
      done.push({ name: d.name, dir: d.dir, tocEntries, bytes: await dirBytes(d.dir) });
    }
    const manifest = {
      createdBy: 'pg-upgrade-pilot minor upgrade', runId: ctx.runId, server: ctx.cluster('server').name, hosts: ctx.cluster('server').hosts,
      serverVersion: ctx.cluster('server').version?.text, pgDump: tools.pgDump.version.text, createdAt: new Date().toISOString(),
      globals: 'globals.sql', databases: done,
    };
    await writeManifest(plan.dir, manifest);
    const totalBytes = done.reduce((n, d) => n + d.bytes, 0) + globalsBytes;
    return {
      status: 'succeeded',
      message: `${done.length} database(s) dumped to ${plan.dir} (${totalBytes} bytes) with pg_dump ${tools.pgDump.version.text}, verified with pg_restore --list`,
      outputs: {
        backupKind: 'pg_dump', backupPath: plan.dir, backupVerified: true, pgDump: tools.pgDump.path, pgDumpVersion: tools.pgDump.version.text,
        jobs: ctx.params.backupJobs, databases: done.map((d) => ({ name: d.name, dir: d.dir, tocEntries: d.tocEntries, bytes: d.bytes })),
        totalBytes, backupMs: Math.round(performance.now() - t0),
      },
    };
  },
  async verify(ctx) {
    const dirs = await findDumpDirs(backupDir(ctx));
    return dirs.length > 0 ? { ok: true } : { ok: false, message: `no dump archive in ${backupDir(ctx)}` };
  },
  rollbackHint: 'Nothing changed on the server. A half-written backup directory can be deleted; the next attempt needs an empty or new backupPath.',
};
