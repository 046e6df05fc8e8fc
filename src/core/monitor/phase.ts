/**
 * Where a run stands, in the operator's words: preparing → copying → catching up → ready → switched over → finished,
 * from the run's steps (journal) and, while copying, the monitor's table states. Pure. After the switchover the
 * dashboard watches the reverse path (when reverse replication runs) and the new primary instead of the forward
 * subscription, which the switchover disabled on purpose.
 */
import type { TablesView } from './types';

export type RunPhase = 'preparing' | 'copying' | 'catching-up' | 'ready' | 'switched-over' | 'finished';
export const RUN_PHASES: readonly RunPhase[] = ['preparing', 'copying', 'catching-up', 'ready', 'switched-over', 'finished'];

export interface PhaseStep {
  id: string;
  status: string;
}

/** The step after which the new server takes the writes, per runbook. */
const SWITCH_STEPS: Record<string, string> = {
  'logical-major-upgrade': 'switchover',
  'rolling-switchover': 'switchover',
  'minor-upgrade': 'upgrade-server',
};

const done = (steps: PhaseStep[], id: string) => steps.some((s) => s.id === id && (s.status === 'succeeded' || s.status === 'skipped'));

export function runPhase(runbook: string, runStatus: string, steps: PhaseStep[], tables?: Pick<TablesView, 'total' | 'counts'>): RunPhase {
  if (runStatus === 'succeeded') return 'finished';
  const switchStep = SWITCH_STEPS[runbook];
  if (switchStep && done(steps, switchStep)) return 'switched-over';
  if (runbook !== 'logical-major-upgrade') return 'preparing';
  if (done(steps, 'wait-initial-sync')) return 'ready';
  if (!done(steps, 'create-subscription')) return 'preparing';
  if (!tables || tables.total === 0 || tables.counts.r < tables.total) return 'copying';
  return 'catching-up';
}

/** After the switchover the forward subscription is disabled on purpose: watch the reverse one (or none). */
export function watchesReversePath(phase: RunPhase): boolean {
  return phase === 'switched-over' || phase === 'finished';
}
