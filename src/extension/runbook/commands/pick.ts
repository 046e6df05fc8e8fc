/** Shared pickers and argument readers of the runbook commands. */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../../core/clusters';
import { isString, option } from '../../commands/target';
import { stateLabel, type RunView } from '../runStore';
import type { RunbookCommandContext } from './context';
import { pickTarget } from './targetPicker';

const t = vscode.l10n.t;

/** `{ runId }` (a run row of the explorer, a notification button, a test) or a run id string. */
export function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg || undefined;
  return option(arg, 'runId', isString);
}

/** The run an argument names, else a QuickPick over `candidates`; undefined when cancelled or none. */
export async function resolveRun(ctx: RunbookCommandContext, arg: unknown, candidates: () => Promise<RunView[]>, placeHolder: string, none: string): Promise<RunView | undefined> {
  const id = runIdOf(arg);
  if (id) {
    const run = await ctx.store.get(id);
    if (!run) throw new Error(t('No run {0} in {1}.', id, ctx.store.journalDir));
    return run;
  }
  const runs = await candidates();
  if (!runs.length) {
    void vscode.window.showInformationMessage(none);
    return undefined;
  }
  const items = runs.map((r) => ({
    label: r.title + (r.dryRun ? t(' (dry run)') : ''),
    description: `${stateLabel(r.state)} · ${new Date(r.startedAt).toLocaleString()}`,
    detail: [r.clusters.map((c) => `${c.role}: ${c.name}`).join(' → '), r.nextStepTitle ? t('next: {0}', r.nextStepTitle) : ''].filter(Boolean).join(' · '),
    run: r,
  }));
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDetail: true }))?.run;
}

/**
 * Source and target of a new logical upgrade: `{ sourceId, targetId }`, a cluster node (its clusterId is the source),
 * or QuickPicks. undefined when cancelled.
 */
export async function resolveSourceTarget(ctx: RunbookCommandContext, arg: unknown): Promise<{ source: ClusterDefinition; target: ClusterDefinition } | undefined> {
  const pair = await resolveClusterPair(ctx, arg, {
    first: { key: 'sourceId', role: t('source'), pick: () => t('Source cluster: the one to upgrade') },
    second: {
      key: 'targetId', role: t('target'), pick: (first) => t('Target cluster: the new server (newer major) for {0}', first?.name ?? ''),
      picker: (first, placeHolder) => pickTarget(ctx, first, placeHolder),
    },
    same: t('Source and target must be different clusters.'),
  });
  return pair && { source: pair[0], target: pair[1] };
}

interface PairSide {
  /** Argument key holding the cluster id (the first side also accepts a node's `clusterId`). */
  key: string;
  role: string;
  /** QuickPick placeholder; the second side gets the first cluster. */
  pick(first?: ClusterDefinition): string;
  /** A picker of its own (the target of a major upgrade: versions, newer first); else the registry's. */
  picker?(first: ClusterDefinition, placeHolder: string): Promise<ClusterDefinition | undefined>;
}

/** Two different registered clusters from `{ <first.key>, <second.key> }`, a cluster node, or QuickPicks. */
export async function resolveClusterPair(
  ctx: RunbookCommandContext,
  arg: unknown,
  sides: { first: PairSide; second: PairSide; same: string },
): Promise<[ClusterDefinition, ClusterDefinition] | undefined> {
  const reg = ctx.services.clusters;
  const get = (id: string | undefined, what: string) => {
    if (id === undefined) return undefined;
    const c = reg.get(id);
    if (!c) throw new Error(t('No registered {0} cluster has the id "{1}".', what, id));
    return c;
  };
  const first = get(option(arg, sides.first.key, isString) ?? option(arg, 'clusterId', isString), sides.first.role)
    ?? await reg.pick(sides.first.pick());
  if (!first) return undefined;
  const second = get(option(arg, sides.second.key, isString), sides.second.role)
    ?? await (sides.second.picker ? sides.second.picker(first, sides.second.pick(first)) : reg.pick(sides.second.pick(first), [first.id]));
  if (!second) return undefined;
  if (second.id === first.id) throw new Error(sides.same);
  return [first, second];
}

export function paramsArg(arg: unknown): Record<string, unknown> | undefined {
  const p = typeof arg === 'object' && arg !== null ? (arg as { params?: unknown }).params : undefined;
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
}
