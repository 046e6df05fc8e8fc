import * as vscode from 'vscode';
import type { RunbookCommandContext } from './context';
import { countOption, openPairTerminal, resolveClusterPair } from './pairTerminal';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Run pgbench Through Both Clusters…  Args: a cluster node (the old cluster), `{ sourceId, targetId,
 * clients?, seconds? }`, or nothing (pick both). Opens a terminal running seed 001's pgbench — 20 clients, a new
 * connection per transaction, an hour — through "host=old,new … target_session_attrs=read-write", so the load follows
 * the primary across the switchover. pgbench comes from the clientToolsPath setting, PATH or the usual install
 * directories. Returns `{ terminalName, connection }` (no password), undefined when cancelled.
 */
export async function runPgbench(ctx: RunbookCommandContext, arg?: unknown): Promise<{ terminalName: string; connection: string } | undefined> {
  const clients = countOption(arg, 'clients');
  const seconds = countOption(arg, 'seconds');
  const pair = await resolveClusterPair(ctx, arg);
  if (!pair) return undefined;
  const pgbench = await findPgbench();
  const { pgbenchTerminalCommand } = await import('../../../core/probe/pgbenchCommand');
  const argv = pgbenchTerminalCommand(pair.connection, { pgbench, clients, timeSeconds: seconds });
  const terminalName = openPairTerminal(ctx, t('pgbench: {0} → {1}', pair.source.name, pair.target.name), argv, pair);
  return { terminalName, connection: pair.connection };
}

/** The first pgbench found (the setting's directory first); a clear error when there is none. */
async function findPgbench(): Promise<string> {
  const clientToolsPath = vscode.workspace.getConfiguration('pgUpgradePilot').get<string>('clientToolsPath', '').trim();
  const { discoverClientTools } = await import('../../../core/tools/discover');
  const [found] = await discoverClientTools(['pgbench'], { clientToolsPath });
  if (!found) {
    throw new Error(t('pgbench was not found (searched the pgUpgradePilot.clientToolsPath setting, PATH and the usual install directories such as /usr/lib/postgresql/*/bin). Install it (Debian/Ubuntu: the postgresql-NN server package ships it; elsewhere the PostgreSQL server or contrib package) or point the pgUpgradePilot.clientToolsPath setting at its bin directory.'));
  }
  return found.path;
}
