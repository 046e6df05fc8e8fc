/**
 * The confirmation policy: how much the operator must do before a step runs, scaled to what the step can break.
 *   read-only                          → nothing
 *   reversible (production included)  → one click, the effects listed in the prompt
 *   disruptive                         → a modal listing the effects and the expected write outage
 *   destructive, or a disruptive step on a production cluster (the switchover) → type the cluster's name
 * And the effects themselves (what changes where, the outage, how to undo), for the prompt.
 */
import { runsLocally } from './statements-doc';
import type { ClusterInfo, ConfirmationLevel, PlannedAction, Risk } from './types';

export interface ConfirmationPolicy {
  level: ConfirmationLevel;
  /** The exact text to type (a cluster's name) when level is 'typed'. */
  typedConfirmation?: string;
}

export function confirmationFor(risk: Risk, touched: ClusterInfo[]): ConfirmationPolicy {
  if (risk === 'read-only') return { level: 'none' };
  if (risk === 'reversible') return { level: 'confirm' };
  const production = touched.find((c) => c.production);
  if (production) return { level: 'typed', typedConfirmation: production.name };
  if (risk === 'destructive') {
    const name = touched[0]?.name;
    // a destructive step always needs a typed answer; without a cluster, the word itself
    return { level: 'typed', typedConfirmation: name ?? 'destructive' };
  }
  return { level: 'modal' };
}

/** Whether the operator's typed answer matches (exact, surrounding blanks ignored). */
export function typedAnswerMatches(expected: string, answer: string | undefined): boolean {
  return answer !== undefined && answer.trim() === expected;
}

/**
 * The write outage a disruptive step causes, in words, from what the step plans and the run's parameters (a
 * switchover's bound is its switchoverTimeoutMs). undefined for a step that does not interrupt writes.
 */
export function expectedWriteOutage(risk: Risk, touched: ClusterInfo[], params: Record<string, unknown>): string | undefined {
  if (risk !== 'disruptive' && risk !== 'destructive') return undefined;
  const where = touched.map((c) => c.name).join(', ') || 'the cluster';
  const bound = typeof params.switchoverTimeoutMs === 'number' && params.switchoverTimeoutMs > 0 ? params.switchoverTimeoutMs : undefined;
  if (risk === 'disruptive' && bound !== undefined) {
    return `Writes stop on ${where} for the switchover window: at most ${formatSeconds(bound)}, then either the new server opens or the old one is handed back writable.`;
  }
  return `Writes on ${where} may fail while this step runs.`;
}

/** One line per cluster: how many statements / commands / waits this step runs there. */
export function effectsOf(actions: PlannedAction[], touched: ClusterInfo[]): string[] {
  const byRole = new Map<string, { sql: number; host: number; local: number; manual: number; wait: number }>();
  for (const a of actions) {
    const e = byRole.get(a.cluster) ?? { sql: 0, host: 0, local: 0, manual: 0, wait: 0 };
    if (a.kind === 'sql') e.sql += a.statements.filter((s) => !s.trim().startsWith('--')).length;
    else if (runsLocally(a)) e.local += 1;
    else e[a.kind] += 1;
    byRole.set(a.cluster, e);
  }
  return [...byRole.entries()].map(([role, e]) => {
    const c = touched.find((x) => x.role === role);
    const what = [
      e.sql ? `${e.sql} SQL statement(s)` : '',
      e.host ? `${e.host} command(s) on its host` : '',
      e.local ? `${e.local} client command(s) run on this machine, connecting to it` : '',
      e.manual ? `${e.manual} manual action(s)` : '',
      e.wait ? `${e.wait} wait(s)` : '',
    ].filter(Boolean).join(', ') || 'nothing';
    return `${role}${c ? ` ${c.name} (${c.hosts})${c.production ? ' [production]' : ''}` : ''}: ${what}`;
  });
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
