/** Builds the StepContext the engine hands to every step of a run. */
import { redactConnString } from '../conn/format';
import type { Queryable } from '../db';
import type { RunConnections, Session } from './connections';
import type { Redactor } from './redact';
import type { ClusterInfo, ClusterRole, JournalEvent, RunnerUi, StepContext } from './types';

export interface ContextDeps<P> {
  runId: string;
  params: P;
  conns: RunConnections;
  infos: Partial<Record<ClusterRole, ClusterInfo>>;
  passwords: Partial<Record<ClusterRole, string | undefined>>;
  outputs: Map<string, Record<string, unknown>>;
  /** Journals a checkpoint event durably (the engine's journal writer). */
  checkpoint(name: string, data?: Record<string, unknown>): Promise<void>;
  /** Checkpoints journaled so far in this run (prior processes included). */
  checkpoints(): Array<Extract<JournalEvent, { type: 'checkpoint' }>>;
  redactor: Redactor;
  ui: RunnerUi;
  signal: AbortSignal;
  dryRun: boolean;
}

/** A RunnerUi whose log lines and progress messages are scrubbed of secrets. */
export function scrubbedUi(ui: RunnerUi, redactor: Redactor): RunnerUi {
  return {
    confirm: (req) => ui.confirm(redactor.value(req)),
    acknowledge: ui.acknowledge ? (req) => ui.acknowledge!(redactor.value(req)) : undefined,
    progress: (message, fraction) => ui.progress(redactor.text(message), fraction),
    log: (level, message) => ui.log(level, redactor.text(message)),
  };
}

export function makeStepContext<P>(d: ContextDeps<P>): StepContext<P> {
  // In a dry run a role that could not be reached is not tried again for every step's plan.
  const unreachable = new Map<ClusterRole, Error>();
  const guard = async <T>(role: ClusterRole, open: () => Promise<T>): Promise<T> => {
    const known = unreachable.get(role);
    if (known) throw known;
    try {
      return await open();
    } catch (err) {
      const e = new Error(d.redactor.text(err instanceof Error ? err.message : String(err)));
      if (d.dryRun) unreachable.set(role, e);
      throw e;
    }
  };
  return {
    runId: d.runId,
    params: d.params,
    db: (role): Promise<Queryable> => guard(role, () => d.conns.db(role)),
    connect: (role): Promise<Session> => guard(role, () => d.conns.connect(role)),
    cluster(role) {
      const info = d.infos[role];
      if (!info) throw new Error(`this run has no ${role} cluster`);
      return { ...info, version: info.version ?? d.conns.version(role) };
    },
    // Functional text (a subscription's conninfo): drop secret keywords, never mask look-alike words.
    connection: (role) => redactConnString(d.conns.cluster(role).connection),
    password: async (role) => {
      d.conns.cluster(role); // unknown role → clear error
      return d.passwords[role];
    },
    outputsOf: (stepId) => d.outputs.get(stepId),
    checkpoint: (name, data) => d.checkpoint(name, data),
    checkpointsOf: (stepId) => d.checkpoints().filter((e) => e.stepId === stepId).map((e) => ({ ts: e.ts, name: e.name, data: e.data })),
    signal: d.signal,
    ui: scrubbedUi(d.ui, d.redactor),
    dryRun: d.dryRun,
  };
}
