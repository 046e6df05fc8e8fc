import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import type { CommandContext } from './context';

/**
 * How commands name a cluster: a tree node (anything with `clusterId`), `{ id }`, `{ clusterId }`, `{ name }`, or a
 * string (id or name). Nothing: the user picks one (QuickPick).
 */
export type ClusterTarget = string | { clusterId?: string; id?: string; name?: string } | undefined;

/** The cluster a command argument names; undefined only when the user cancelled the pick. Throws for unknown ones. */
export async function resolveCluster(ctx: CommandContext, arg: unknown, placeHolder: string): Promise<ClusterDefinition | undefined> {
  const key = targetKey(arg);
  if (key === undefined) return ctx.registry.pick(placeHolder);
  const cluster = ctx.registry.get(key) ?? ctx.registry.findByName(key);
  if (!cluster) throw new Error(vscode.l10n.t('No registered cluster has the id or name "{0}".', key));
  return cluster;
}

/** The id or name inside a command argument, if any. */
export function targetKey(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg || undefined;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const o = arg as { clusterId?: unknown; id?: unknown; name?: unknown; kind?: unknown };
  if (typeof o.clusterId === 'string') return o.clusterId;
  if (o.kind === undefined && typeof o.id === 'string') return o.id; // tree nodes have ids too, but always a clusterId
  if (o.kind === undefined && typeof o.name === 'string') return o.name;
  return undefined;
}

/** Whether the call came with arguments (programmatic or from a tree node) rather than from the palette. */
export function hasArgs(args: unknown[]): boolean {
  return args.some((a) => a !== undefined);
}

/** Options read from a plain object argument. */
export function option<T>(arg: unknown, key: string, check: (v: unknown) => v is T): T | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const v = (arg as Record<string, unknown>)[key];
  return check(v) ? v : undefined;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
