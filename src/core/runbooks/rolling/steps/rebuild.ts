import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { hostToolPath, upgradedBinDir } from '../../../hosts/binaries';
import {
  basebackupCommand, copyFilesCommand, mkdirCommand, moveCommand, packageUpgradeInstruction, rewindCommand, startServerCommand, stopServerCommand,
  touchCommand, type HostTarget,
} from '../../../hosts/commands';
import { hostSpecOf, runHostBatch } from '../../../hosts/context';
import { readHostFacts } from '../../../hosts/facts';
import { recordLabServer } from '../../../hosts/labRecord';
import type { HostAction } from '../../../hosts/types';
import { messageOf, versionNumOf, versionText, waitForServer } from '../../../hosts/wait';
import type { Queryable } from '../../../db';
import type { PlannedAction, StepDefinition, StepOutcome } from '../../../runbook/types';
import { frozenBySystem } from '../../logical/queries';
import { UNFREEZE } from '../../logical/statements';
import { majorOf, pairHost, preflightOf, rejoinFor, STEP, type Ctx, type RejoinConninfo } from '../context';
import type { RollingSwitchoverParams } from '../params';

interface RebuildPlan {
  host: HostTarget;
  rejoin: RejoinConninfo;
  newBinDir: string;
  tool: string;
  saveDir: string;
  asideDir?: string;
  configFiles: string[];
  stop: HostAction;
  rebuild: HostAction[];
  start: HostAction;
  notes: PlannedAction[];
}

/** The configuration files inside the old primary's data directory (pg_rewind / pg_basebackup bring the new primary's). */
async function configFilesOf(ctx: Ctx): Promise<string[]> {
  const known = preflightOf(ctx)?.hosts.primary.configFilesInDataDir;
  if (known?.length) return known;
  try {
    return (await readHostFacts(await ctx.db('primary'))).configFilesInDataDir; // a dry run, or a run without the preflight
  } catch {
    return ['postgresql.auto.conf'];
  }
}

/** Relative config file names grouped by their directory ("" for the data directory itself). Pure. */
export function groupByDir(files: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of files) {
    const d = dirname(f) === '.' ? '' : dirname(f);
    out.set(d, [...(out.get(d) ?? []), f]);
  }
  return out;
}

async function buildPlan(ctx: Ctx): Promise<RebuildPlan> {
  const p = ctx.params;
  const host = await pairHost(ctx, 'primary');
  const major = majorOf(ctx);
  const rejoin = await rejoinFor(ctx, host);
  const newBinDir = upgradedBinDir(host, major, p.upgradeTo);
  const toolName = p.rebuild === 'rewind' ? 'pg_rewind' : 'pg_basebackup';
  const tool = await hostToolPath(host, toolName, major, p.clientToolsPath);
  const saveDir = `${host.dataDir}.pgpilot-conf-${ctx.runId}`;
  const configFiles = await configFilesOf(ctx);
  const byDir = groupByDir(configFiles);
  const rebuild: HostAction[] = [];
  for (const [dir, files] of byDir) {
    rebuild.push(mkdirCommand(host, join(saveDir, dir)), copyFilesCommand(host, files.map((f) => join(host.dataDir, f)), join(saveDir, dir)));
  }
  let asideDir: string | undefined;
  if (p.rebuild === 'rewind') {
    rebuild.push(rewindCommand(host, tool, rejoin.sourceServer));
  } else {
    asideDir = `${host.dataDir}.pgpilot-old-${ctx.runId}`;
    rebuild.push(moveCommand(host, host.dataDir, asideDir), basebackupCommand(host, tool, rejoin.sourceServer));
  }
  // back: our own configuration (port, pg_hba, the primary_conninfo set by prepare-rejoin), then the standby signal
  for (const [dir, files] of byDir) rebuild.push(copyFilesCommand(host, files.map((f) => join(saveDir, f)), join(host.dataDir, dir)));
  rebuild.push(touchCommand(host, join(host.dataDir, 'standby.signal')));
  const notes: PlannedAction[] = host.executor === 'manual' && p.upgradeTo ? [packageUpgradeInstruction('primary', major, p.upgradeTo)] : [];
  return { host, rejoin, newBinDir, tool, saveDir, asideDir, configFiles, stop: stopServerCommand(host, 'fast'), rebuild, start: startServerCommand(host, newBinDir), notes };
}

/** The old primary is a standby streaming from the new primary. */
async function rejoined(q: Queryable, newPrimaryPort: number): Promise<boolean> {
  const r = await q.query<{ rec: boolean; status: string | null; port: number | null }>(
    'SELECT pg_is_in_recovery() AS rec, (SELECT status FROM pg_stat_wal_receiver) AS status, (SELECT sender_port FROM pg_stat_wal_receiver) AS port',
  );
  const row = r.rows[0];
  return row.rec === true && row.status === 'streaming' && Number(row.port) === newPrimaryPort;
}

async function isUp(ctx: Ctx): Promise<boolean> {
  try {
    const s = await ctx.connect('primary');
    await s.end();
    return true;
  } catch {
    return false;
  }
}

/** "servers diverged at WAL location 0/3000180 on timeline 1" / "no rewind required" from pg_rewind's output. */
export function rewindSummary(output: string): string | null {
  const lines = output.split('\n').map((l) => l.replace(/^pg_rewind:\s*/, '').trim());
  return lines.find((l) => /diverged at|no rewind required/i.test(l)) ?? null;
}

export const rebuildStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.rebuild,
  title: 'Rebuild the old primary as a standby of the new one (pg_rewind or pg_basebackup)',
  why:
    'The old primary\'s timeline ended at the switchover; anything it wrote after the fork point (at least its own ' +
    'checkpoints) must go. pg_rewind copies back only the blocks that changed since the fork (pg_basebackup copies all), ' +
    'but it also brings the new primary\'s configuration files: ours are saved first and put back, then standby.signal ' +
    'makes it start as a standby, on the new minor release if one was given. Its primary_conninfo was set by the ' +
    'prepare step (password in a password file).',
  kind: 'host',
  clusters: ['primary'],
  risk: 'destructive',
  async plan(ctx) {
    const p = await buildPlan(ctx);
    return [
      { kind: 'wait', cluster: 'primary', description: 'if the old primary still runs (read-only fence): stop it' },
      p.stop, ...p.rebuild, ...p.notes, p.start,
      { kind: 'wait', cluster: 'primary', description: `until it is in recovery and streams from ${p.rejoin.host}:${p.rejoin.port} (up to ${ctx.params.streamTimeoutMs / 1000} s)` },
      { kind: 'sql', cluster: 'primary', statements: ['-- if the fence left it read-only by ALTER SYSTEM (harmless on a standby, wrong once it is promoted again):', ...UNFREEZE] },
    ];
  },
  async isDone(ctx) {
    try {
      const port = (await rejoinFor(ctx, await pairHost(ctx, 'primary'))).port;
      const s = await ctx.connect('primary');
      try {
        return await rejoined(s, port);
      } finally {
        await s.end();
      }
    } catch {
      return false;
    }
  },
  async precondition(ctx) {
    const r = await (await ctx.db('standby')).query<{ rec: boolean }>('SELECT pg_is_in_recovery() AS rec');
    if (r.rows[0].rec) return { ok: false, message: 'the standby has not been promoted: run the switchover first (the old primary is not rebuilt while it is the only primary)' };
    try {
      await buildPlan(ctx);
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    }
    return { ok: true };
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = await buildPlan(ctx);
    const outputs: Record<string, unknown> = {
      method: ctx.params.rebuild, tool: p.tool, savedConfig: p.saveDir, configFiles: p.configFiles, primaryConninfo: p.rejoin.primaryConninfo,
      oldBinDir: p.host.binDir, newBinDir: p.newBinDir, ...(p.asideDir ? { oldDataDirKept: p.asideDir } : {}),
    };
    const t0 = performance.now();
    const base = { stepId: STEP.rebuild, role: 'primary' as const, risk: 'destructive' as const };
    try {
      if (await isUp(ctx)) {
        const s = await runHostBatch(ctx, { ...base, title: 'stop the old primary', why: 'pg_rewind and a base backup need it cleanly stopped.', actions: [p.stop] });
        outputs.stopMs = s[0]?.durationMs;
      }
      const r = await runHostBatch(ctx, {
        ...base, title: `${ctx.params.rebuild === 'rewind' ? 'pg_rewind' : 'pg_basebackup'} the old primary from the new one, keep its own configuration, mark it a standby`,
        why: 'Rebuild the stopped old primary from the new primary; its own configuration files are saved first and put back.',
        actions: p.rebuild, notes: p.notes, timeoutMs: 6 * 3600_000,
      });
      const tool = r.find((x) => x.argv.includes(p.tool));
      if (tool) {
        outputs.rebuildMs = tool.durationMs;
        outputs.rewind = tool.manual ? null : rewindSummary(`${tool.stdout}\n${tool.stderr}`);
      }
      const st = await runHostBatch(ctx, { ...base, title: 'start the old primary as a standby', why: 'It starts in recovery (standby.signal) and streams from the new primary.', actions: [p.start], timeoutMs: ctx.params.startTimeoutMs + 10_000 });
      outputs.startMs = st[0]?.durationMs;
    } catch (err) {
      return { status: 'failed', outputs, message: `${messageOf(err)}. The old primary is stopped; its configuration files are saved in ${p.saveDir}${p.asideDir ? `, its old data directory in ${p.asideDir}` : ''}` };
    }
    try {
      const w = await waitForServer(ctx, 'primary', {
        timeoutMs: ctx.params.streamTimeoutMs, what: `the old primary to stream from ${p.rejoin.host}:${p.rejoin.port}`,
        check: async (q) => ((await rejoined(q, p.rejoin.port)) ? versionNumOf(q) : undefined),
      });
      outputs.versionAfter = versionText(w.value);
      outputs.streamingAfterMs = w.waitedMs;
      const db = await ctx.db('primary');
      if (await frozenBySystem(db)) {
        for (const st of UNFREEZE) await db.query(st);
        outputs.readOnlyReset = true;
      }
    } catch (err) {
      return { status: 'failed', outputs, message: `the old primary was rebuilt and started but does not stream: ${messageOf(err)} (check its log, its primary_conninfo and the password file)` };
    }
    outputs.rebuiltInMs = Math.round(performance.now() - t0);
    if (p.host.executor === 'local') {
      outputs.labRecordUpdated = await recordLabServer(p.host.dataDir, { binDir: p.newBinDir, role: 'standby', primaryPort: p.rejoin.port }).catch(() => false);
      if (hostSpecOf(ctx, 'standby').executor === 'local') await recordLabServer((await pairHost(ctx, 'standby')).dataDir, { role: 'primary' }).catch(() => false);
    }
    return {
      status: 'succeeded', outputs,
      message: `the old primary is a standby of the new one (${outputs.rewind ?? ctx.params.rebuild}), on ${outputs.versionAfter}, streaming after ${outputs.streamingAfterMs} ms`,
    };
  },
  rollbackHint:
    'The old primary\'s configuration files are kept in <data directory>.pgpilot-conf-<run id> (and, for a base backup, its ' +
    'former data directory in <data directory>.pgpilot-old-<run id>). If the rebuild failed half-way, run the step again: ' +
    'pg_rewind (or a fresh base backup) starts over from the new primary.',
};
