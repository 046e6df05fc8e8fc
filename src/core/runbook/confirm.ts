/**
 * The confirmation policy: how much the operator must do before a step runs, from its risk and the clusters it
 * touches. read-only → nothing; reversible → see the statements and confirm; disruptive → a modal warning;
 * destructive, or any changing step on a production cluster → type the cluster's name.
 */
import type { ClusterInfo, ConfirmationLevel, Risk } from './types';

export interface ConfirmationPolicy {
  level: ConfirmationLevel;
  /** The exact text to type (a cluster's name) when level is 'typed'. */
  typedConfirmation?: string;
}

export function confirmationFor(risk: Risk, touched: ClusterInfo[]): ConfirmationPolicy {
  if (risk === 'read-only') return { level: 'none' };
  const production = touched.find((c) => c.production);
  if (production) return { level: 'typed', typedConfirmation: production.name };
  if (risk === 'destructive') {
    const name = touched[0]?.name;
    // a destructive step always needs a typed answer; without a cluster, the word itself
    return { level: 'typed', typedConfirmation: name ?? 'destructive' };
  }
  return { level: risk === 'disruptive' ? 'modal' : 'confirm' };
}

/** Whether the operator's typed answer matches (exact, surrounding blanks ignored). */
export function typedAnswerMatches(expected: string, answer: string | undefined): boolean {
  return answer !== undefined && answer.trim() === expected;
}
