/**
 * What "Run pgbench Through Both Clusters" and "Start Write Probe" share: the old and the new cluster (arguments or
 * QuickPicks), seed 001's multi-host connection through both, the terminal's environment (the stored password only
 * there, as PGPASSWORD) and the terminal itself, started on a program with an argument array (no shell).
 */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../../core/clusters';
import type { RunbookCommandContext } from './context';
import { resolveSourceTarget } from './pick';

const t = vscode.l10n.t;

export interface ClusterPair {
  source: ClusterDefinition;
  target: ClusterDefinition;
  /** The multi-host connection string (no password). */
  connection: string;
  /** PGPASSWORD when a cluster has a stored password; nothing else. */
  env: Record<string, string>;
}

/** The pair named by `{ sourceId, targetId }` (or a cluster node: the old one), else picked; undefined when cancelled. */
export async function resolveClusterPair(ctx: RunbookCommandContext, arg: unknown): Promise<ClusterPair | undefined> {
  const picked = await resolveSourceTarget(ctx, arg);
  if (!picked) return undefined;
  const { source, target } = picked;
  const { clusterPairConnection, sharedPassword } = await import('./multiHost');
  const { connection, leftOut } = clusterPairConnection(source, target, t);
  if (leftOut.length) {
    void vscode.window.showWarningMessage(t('{0} and {1} set {2} differently: the shared connection string leaves it out.', source.name, target.name, leftOut.join(', ')));
  }
  const [a, b] = await Promise.all([ctx.services.connections.password(source.id), ctx.services.connections.password(target.id)]);
  const password = sharedPassword({ name: source.name, password: a }, { name: target.name, password: b }, t);
  return { source, target, connection, env: password === undefined ? {} : { PGPASSWORD: password } };
}

/** A positive whole number from the argument object, or undefined when absent; anything else is an error. */
export function countOption(arg: unknown, key: string): number | undefined {
  const v = typeof arg === 'object' && arg !== null ? (arg as Record<string, unknown>)[key] : undefined;
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(t('"{0}" must be a positive whole number.', key));
  return v;
}

/** Opens and shows a terminal running `argv` (program first); logs the command line, which holds no password. */
export function openPairTerminal(ctx: RunbookCommandContext, name: string, argv: string[], pair: ClusterPair, extraEnv: Record<string, string> = {}): string {
  const terminal = vscode.window.createTerminal({
    name,
    shellPath: argv[0],
    shellArgs: argv.slice(1),
    env: { ...extraEnv, ...pair.env },
    iconPath: new vscode.ThemeIcon('pulse'),
    color: pair.source.production || pair.target.production ? new vscode.ThemeColor('terminal.ansiRed') : undefined,
  });
  terminal.show();
  ctx.log.info(`${name}: ${argv.join(' ')}${pair.env.PGPASSWORD ? ' (stored password in PGPASSWORD)' : ''}`);
  return name;
}
