import { execFile } from 'node:child_process';
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
  // A terminal whose psql exits at once closes and hides psql's message: try it first, and show that message.
  const problem = await psqlProblem(shellPath, connection, env);
  if (problem) {
    void vscode.window.showErrorMessage(t('psql could not connect to {0}', cluster.name), { modal: true, detail: problem });
    ctx.log.warn(`psql on "${cluster.name}" failed before opening a terminal: ${problem}`);
    return undefined;
  }
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

const PSQL_CHECK_TIMEOUT_MS = 15_000;

/** psql's own message and exit code when `psql -c 'SELECT 1'` fails (not found, cannot connect …); else undefined. */
function psqlProblem(psql: string, connection: string, env: Record<string, string>): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(psql, ['--no-psqlrc', '--no-password', '-X', '-q', '-c', 'SELECT 1', connection], {
      env: { ...process.env, ...env }, timeout: PSQL_CHECK_TIMEOUT_MS,
    }, (err, _stdout, stderr) => {
      // psql asks for a password in the terminal itself: nothing to report
      if (!err || /no password supplied/.test(String(stderr))) return resolve(undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve(t('"{0}" was not found: install the PostgreSQL client (psql) or set pgUpgradePilot.clientToolsPath.', psql));
      const text = String(stderr).trim() || err.message;
      resolve(`${text}\n\n${t('(psql exit code {0})', String(typeof code === 'number' ? code : (err as { code?: unknown }).code ?? '?'))}`);
    });
  });
}
