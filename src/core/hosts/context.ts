/**
 * Host steps inside a runbook: the role's spec (run parameters), its paths (spec, else what the server said over
 * SQL, remembered in an earlier step's outputs), its executor, and running a batch with the step's context.
 */
import type { ClusterRole, StepContext } from '../runbook/types';
import type { HostTarget } from './commands';
import { readHostFacts, type HostFacts } from './facts';
import { LocalExecutor } from './local';
import { ManualExecutor } from './manual';
import { validateHostSpec } from './spec';
import type { HostBatch, HostExecutor, HostResult, HostSpec, HostSpecs } from './types';

export interface HostParams {
  hosts?: HostSpecs;
}

export function isRootProcess(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function executorFor(spec: HostSpec): HostExecutor {
  return spec.executor === 'local' ? new LocalExecutor() : new ManualExecutor();
}

export function hostSpecOf<P extends HostParams>(ctx: StepContext<P>, role: ClusterRole): HostSpec {
  return validateHostSpec(role, ctx.params.hosts?.[role]);
}

/**
 * The role's host with its paths: the spec's, else the facts (from `facts`, typically an earlier step's outputs,
 * else read from the running server now); for the local executor the binaries the server reports win over the spec's.
 * Throws a clear error when neither is available.
 */
export async function hostTarget<P extends HostParams>(ctx: StepContext<P>, role: ClusterRole, facts?: Pick<HostFacts, 'dataDir' | 'binDir'>): Promise<HostTarget> {
  const spec = hostSpecOf(ctx, role);
  let known = facts;
  if ((!spec.dataDir || !spec.binDir) && !known) {
    try {
      known = await readHostFacts(await ctx.db(role));
    } catch (err) {
      throw new Error(`the ${role} host's data directory is not known and the server cannot tell (${err instanceof Error ? err.message : String(err)}); run the preflight while it is up, or give the data and binary directories`);
    }
  }
  const dataDir = spec.dataDir ?? known?.dataDir;
  // A lab cluster's registered binDir goes stale after a minor upgrade: what the server runs (pg_config) wins there.
  const binDir = (spec.executor === 'local' ? known?.binDir || spec.binDir : spec.binDir ?? known?.binDir) ?? undefined;
  if (!dataDir) throw new Error(`the ${role} host's data directory is unknown`);
  if (!binDir) throw new Error(`the ${role} host's binary directory is unknown (pg_config is not readable): give it in the cluster's host settings`);
  return {
    role, executor: spec.executor, dataDir, binDir, osUser: spec.osUser, logFile: spec.logFile, systemdUnit: spec.systemdUnit,
    root: spec.executor === 'local' ? isRootProcess() : undefined,
  };
}

/** Runs a batch with the role's executor, the run's UI, signal and secrets. */
export async function runHostBatch<P extends HostParams>(ctx: StepContext<P>, batch: Omit<HostBatch, 'runId'>, secrets: (string | undefined)[] = []): Promise<HostResult[]> {
  const spec = hostSpecOf(ctx, batch.role);
  const info = ctx.cluster(batch.role);
  return executorFor(spec).run({ ...batch, runId: ctx.runId }, {
    ui: ctx.ui, signal: ctx.signal, secrets,
    cluster: { role: info.role, name: info.name, hosts: info.hosts, production: info.production, id: info.id },
  });
}
