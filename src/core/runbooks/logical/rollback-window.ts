/** How long the way back (reverse replication) has been open: shown before the finish drops it. */
import type { StepContext } from '../../runbook/types';

export function formatAge(ms: number): string {
  const min = Math.max(0, Math.floor(ms / 60_000));
  if (min < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h ${min % 60} min` : `${Math.floor(h / 24)} days ${h % 24} h`;
}

/** "the way back (reverse replication) has been open for 2 h 5 min (the target opened at …)", from the run's outputs. */
export function rollbackWindowText<P>(ctx: Pick<StepContext<P>, 'outputsOf'>, now = Date.now()): string {
  const opened = ctx.outputsOf('switchover')?.targetOpenedAt;
  if (typeof opened !== 'string') return 'this run has not switched over (no target opening in its journal)';
  return `the way back (reverse replication) has been open for ${formatAge(now - Date.parse(opened))} (the target opened at ${opened})`;
}
