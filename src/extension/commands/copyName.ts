import * as vscode from 'vscode';
import type { ExplorerNode } from '../tree/nodes';
import type { CommandContext } from './context';

/** Copy Name (context menu of databases, publications, subscriptions, slots, standbys). Returns the copied name. */
export async function copyName(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const node = arg as ExplorerNode | undefined;
  let name: string | undefined;
  switch (node?.kind) {
    case 'database': case 'publication': case 'subscription': case 'replicationSlot': name = node.info.name; break;
    case 'standby': name = node.info.applicationName; break;
    case 'cluster': name = ctx.registry.get(node.clusterId)?.name; break;
    case 'group': name = node.group; break;
    default: name = undefined;
  }
  if (name === undefined) return undefined;
  await vscode.env.clipboard.writeText(name);
  vscode.window.setStatusBarMessage(vscode.l10n.t('$(clippy) Copied "{0}".', name), 3000);
  return name;
}
