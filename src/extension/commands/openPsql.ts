import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadConn } from '../lazy';
import type { CommandContext } from './context';
import { resolveCluster } from './target';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Open psql in Terminal. psql gets the connection string as one argument (no shell involved); the stored
 * password, if any, only goes into that terminal's environment as PGPASSWORD (else psql uses ~/.pgpass or prompts).
 * Returns `{ clusterId, terminalName }`.
 */
export async function openPsql(ctx: CommandContext, arg?: unknown): Promise<{ clusterId: string; terminalName: string } | undefined> {
  const cluster = await resolveCluster(ctx, arg, t('Cluster to open psql on'));
  if (!cluster) return undefined;
  const conn = await loadConn();
  const connection = conn.redactConnString(cluster.connection);
  const password = await ctx.connections.password(cluster.id);
  const toolsDir = vscode.workspace.getConfiguration('pgUpgradePilot').get<string>('clientToolsPath', '').trim();
  const shellPath = toolsDir ? path.join(toolsDir, 'psql') : 'psql';
  const terminalName = t('psql: {0}', cluster.name);
  const env: Record<string, string> = { PGAPPNAME: 'psql (PG Upgrade Pilot)' };
  if (password) env.PGPASSWORD = password;
  const terminal = vscode.window.createTerminal({
    name: terminalName,
    shellPath,
    shellArgs: [connection],
    env,
    iconPath: new vscode.ThemeIcon('database'),
    color: cluster.production ? new vscode.ThemeColor('terminal.ansiRed') : undefined,
  });
  terminal.show();
  ctx.log.info(`opened psql on "${cluster.name}" (${shellPath} ${connection})${password ? ' with the stored password in PGPASSWORD' : ''}`);
  return { clusterId: cluster.id, terminalName };
}
