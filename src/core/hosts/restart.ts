/**
 * Stop a server, optionally do something while it is down (a cold copy, a package upgrade on a manual host), start
 * it with (possibly newer) binaries and wait until it answers over SQL: the host part of every minor upgrade.
 * Two batches, so a manual operator confirms the stop (and the installation) before the start.
 */
import { performance } from 'node:perf_hooks';
import type { ClusterRole, PlannedAction, Risk, StepContext } from '../runbook/types';
import { startServerCommand, stopServerCommand, type HostTarget } from './commands';
import { runHostBatch, type HostParams } from './context';
import type { HostAction, HostResult } from './types';
import { messageOf, versionNumOf, waitForServer } from './wait';

export interface RestartOptions {
  stepId: string;
  role: ClusterRole;
  risk: Risk;
  host: HostTarget;
  newBinDir: string;
  /** Run right after the stop, in the same batch (e.g. cp -a of the data directory). */
  whileDown?: HostAction[];
  /** Instructions for a manual host between the stop and the start (package upgrade). */
  notes?: PlannedAction[];
  /** Checked after the stop batch; a string stops the restart with that message (the server stays down). */
  afterStop?: (results: HostResult[]) => Promise<string | undefined>;
  startTimeoutMs: number;
  /** Per command of the stop batch (a cold copy can take long). */
  stopBatchTimeoutMs?: number;
}

export interface RestartResult {
  stopMs: number;
  startMs: number;
  /** From the last moment the server was known up to the first successful connection afterwards. */
  downtimeMs: number;
  downSince: string;
  upAt: string;
  versionNum: number;
  stopResults: HostResult[];
}

/** A restart failure: `down` says whether the server was left stopped (the message says how to start it). */
export class RestartError extends Error {
  constructor(message: string, readonly down: boolean, readonly partial: Partial<RestartResult> = {}) {
    super(message);
    this.name = 'RestartError';
  }
}

export function restartActions(o: Pick<RestartOptions, 'host' | 'newBinDir' | 'whileDown'>): { stop: HostAction[]; start: HostAction[] } {
  return { stop: [stopServerCommand(o.host, 'fast'), ...(o.whileDown ?? [])], start: [startServerCommand(o.host, o.newBinDir)] };
}

export async function restartWithBinaries<P extends HostParams>(ctx: StepContext<P>, o: RestartOptions): Promise<RestartResult> {
  const { stop, start } = restartActions(o);
  const manual = o.host.executor === 'manual';
  const lastUp = performance.now();
  const downSince = new Date().toISOString();
  const stopResults = await runHostBatch(ctx, {
    stepId: o.stepId, role: o.role, risk: o.risk,
    title: o.whileDown?.length ? `stop the ${o.role} and work on its stopped data directory` : `stop the ${o.role}`,
    why: manual && o.notes?.length ? 'Stop the server, then do what the notes say before confirming.' : 'Fast stop: clients are disconnected, a clean shutdown checkpoint is written.',
    actions: stop, notes: o.notes, timeoutMs: o.stopBatchTimeoutMs ?? 120_000,
  });
  const stopMs = stopResults[0]?.durationMs ?? 0;
  const back = startServerCommand(o.host, o.host.binDir).argv.join(' ');
  if (manual) {
    const stillUp = await ctx.connect(o.role).then(async (s) => { await s.end(); return true; }, () => false);
    if (stillUp) throw new RestartError(`the ${o.role} still accepts connections: it was not stopped. Stop it, then run the step again`, false, { stopMs });
  }
  const problem = await o.afterStop?.(stopResults);
  if (problem) throw new RestartError(`${problem}. The ${o.role} is STOPPED with its old binaries untouched; start it again: ${back}`, true, { stopMs, stopResults });
  let startMs = 0;
  try {
    const started = await runHostBatch(ctx, {
      stepId: o.stepId, role: o.role, risk: o.risk, title: `start the ${o.role}${o.newBinDir !== o.host.binDir ? ' with the new binaries' : ''}`,
      why: 'The server is stopped: start it on the same data directory.', actions: start, timeoutMs: o.startTimeoutMs + 10_000,
    });
    startMs = started[0]?.durationMs ?? 0;
  } catch (err) {
    throw new RestartError(`the ${o.role} did not start${o.newBinDir !== o.host.binDir ? ' with the new binaries' : ''}: ${messageOf(err)}. It is STOPPED; see its log. To go back, start it with the old binaries: ${back}`, true, { stopMs, stopResults });
  }
  const up = await waitForServer(ctx, o.role, { timeoutMs: o.startTimeoutMs, what: `the ${o.role} to accept connections`, check: (q) => versionNumOf(q) });
  return {
    stopMs, startMs, downtimeMs: Math.round(performance.now() - lastUp), downSince, upAt: new Date().toISOString(), versionNum: up.value, stopResults,
  };
}
