/**
 * Which registered clusters may be the target of an upgrade from a source, and in which order (no vscode import:
 * unit-tested). The source is never a candidate; a cluster whose major is not newer than the source's is left out
 * (counted, so the picker can say so); newer majors first; a cluster whose version is unknown (unreachable) comes
 * last, labelled as such.
 */
export interface TargetCandidate<T> {
  cluster: T;
  id: string;
  name: string;
  /** "127.0.0.1:5432" */
  hosts: string;
  /** undefined: could not be read (unreachable, no password yet). */
  major?: number;
  versionText?: string;
  error?: string;
}

export interface OrderedTargets<T> {
  choices: TargetCandidate<T>[];
  /** Same or older major than the source: not offered. */
  hidden: TargetCandidate<T>[];
}

export function orderTargets<T>(sourceId: string, sourceMajor: number | undefined, all: TargetCandidate<T>[]): OrderedTargets<T> {
  const others = all.filter((c) => c.id !== sourceId);
  const hidden = sourceMajor === undefined ? [] : others.filter((c) => c.major !== undefined && c.major <= sourceMajor);
  const choices = others.filter((c) => !hidden.includes(c)).sort((a, b) => {
    if (a.major === undefined || b.major === undefined) return a.major === undefined ? (b.major === undefined ? a.name.localeCompare(b.name) : 1) : -1;
    return b.major - a.major || a.name.localeCompare(b.name);
  });
  return { choices, hidden };
}
