import * as vscode from 'vscode';
import { loadConn } from '../lazy';
import type { CommandContext } from './context';
import { resolveCluster } from './target';

const t = vscode.l10n.t;

/** PG Upgrade: Copy Connection String. Copies it WITHOUT any password and returns the copied text. */
export async function copyConnectionString(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, arg, t('Cluster whose connection string to copy'));
  if (!cluster) return undefined;
  const conn = await loadConn();
  const text = conn.redactConnString(cluster.connection); // settings never hold a password; this makes sure
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(t('$(clippy) Connection string of "{0}" copied (without password).', cluster.name), 4000);
  return text;
}
