import { hostToolPath, upgradedBinDir } from '../../../hosts/binaries';
import { hostSpecOf, hostTarget } from '../../../hosts/context';
import type { HostFacts } from '../../../hosts/facts';
import type { HostSpec } from '../../../hosts/types';
import { messageOf, versionText } from '../../../hosts/wait';
import type { StepDefinition, StepOutcome } from '../../../runbook/types';
import { STEP, type Ctx, type PairFacts, type PreflightOutputs } from '../context';
import { readPrimaryFacts, readStandbyFacts } from '../facts';
import type { RollingSwitchoverParams } from '../params';
import { evaluateRollingPreflight } from '../rules';

/** The binaries a later step uses: the running ones for a lab cluster (its registration may be stale), else the spec's. */
const pair = (h: HostFacts, spec: HostSpec): PairFacts => ({
  dataDir: h.dataDir, binDir: spec.executor === 'local' ? h.binDir ?? spec.binDir ?? null : spec.binDir ?? h.binDir, port: h.port, versionNum: h.versionNum, configFilesInDataDir: h.configFilesInDataDir,
});

export const preflightStep: StepDefinition<RollingSwitchoverParams> = {
  id: STEP.preflight,
  title: 'Preflight: the pair, replication, slots, transactions, archiving, pg_rewind prerequisites',
  why:
    'A switchover promotes the standby and rebuilds the old primary from it. That is safe only if the standby really is a ' +
    'streaming copy of this primary and nearly caught up, nothing the fence would cut is running (long or prepared ' +
    'transactions), nothing depends on the primary alone (logical slots, archiving), and the old primary can be rewound ' +
    '(wal_log_hints or data checksums). All of it is read before anything changes.',
  kind: 'check',
  clusters: ['primary', 'standby'],
  risk: 'read-only',
  async plan() {
    return [
      { kind: 'sql', cluster: 'primary', statements: ['-- read-only: data directory and settings, pg_stat_replication, pg_replication_slots, pg_stat_activity, pg_prepared_xacts, pg_stat_archiver'] },
      { kind: 'sql', cluster: 'standby', statements: ['-- read-only: data directory and settings, pg_stat_wal_receiver, pg_last_wal_replay_lsn(), pg_is_wal_replay_paused()'] },
    ];
  },
  async execute(ctx: Ctx): Promise<StepOutcome> {
    const p = ctx.params;
    const primary = await readPrimaryFacts(await ctx.db('primary'), ctx.cluster('primary').version!);
    const standby = await readStandbyFacts(await ctx.db('standby'));
    const major = Math.floor(primary.host.versionNum / 10000);
    let buildError: string | undefined;
    let rebuildTool: string | undefined;
    let rebuildToolError: string | undefined;
    const paths = (h: HostFacts) => ({ dataDir: h.dataDir, binDir: h.binDir ?? '' });
    if (p.upgradeTo) {
      for (const [role, facts] of [['primary', primary.host], ['standby', standby.host]] as const) {
        if (hostSpecOf(ctx, role).executor !== 'local') continue;
        try {
          upgradedBinDir(await hostTarget(ctx, role, paths(facts)), major, p.upgradeTo);
        } catch (err) {
          buildError = messageOf(err);
        }
      }
    }
    const tool = p.rebuild === 'rewind' ? 'pg_rewind' : 'pg_basebackup';
    try {
      rebuildTool = `${tool} ${await hostToolPath(await hostTarget(ctx, 'primary', paths(primary.host)), tool, major, p.clientToolsPath)}`;
    } catch (err) {
      rebuildToolError = messageOf(err);
    }
    const findings = evaluateRollingPreflight({ primary, standby, params: p, buildError, rebuildTool, rebuildToolError });
    const errors = findings.filter((f) => f.severity === 'error');
    const warnings = findings.filter((f) => f.severity === 'warning');
    const outputs: PreflightOutputs & Record<string, unknown> = {
      hosts: {
        primary: pair(primary.host, hostSpecOf(ctx, 'primary')),
        standby: pair(standby.host, hostSpecOf(ctx, 'standby')),
      },
      major,
      primaryVersion: versionText(primary.host.versionNum),
      standbyVersion: versionText(standby.host.versionNum),
      systemIdentifier: primary.host.systemIdentifier,
      timeline: primary.host.timeline,
      standbyReplayLsn: standby.replayLsn,
      primaryLsn: primary.currentLsn,
      walLogHints: primary.host.walLogHints,
      dataChecksums: primary.host.dataChecksums,
      slots: primary.slots.map((s) => `${s.name} (${s.type}${s.active ? ', active' : ''})`),
      executors: { primary: hostSpecOf(ctx, 'primary').executor, standby: hostSpecOf(ctx, 'standby').executor },
      errors: errors.length,
      warnings: warnings.length,
    };
    if (errors.length) {
      return { status: 'failed', outputs, findings, message: `${errors.length} problem(s) must be fixed first (nothing was changed): ${errors.map((e) => e.message).join(' | ')}` };
    }
    return { status: 'succeeded', outputs, findings, message: `the pair is ready: ${warnings.length} warning(s)` };
  },
  rollbackHint: 'Nothing to roll back: the preflight only reads.',
};
