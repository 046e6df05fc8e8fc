import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { isString, option } from '../../commands/target';
import type { RunbookCommandContext } from './context';
import { countOption, openPairTerminal, resolveClusterPair } from './pairTerminal';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Start Write Probe…  Args: a cluster node (the old cluster), `{ sourceId, targetId, intervalMs?, seconds?,
 * table? }`, or nothing (pick both). Opens a terminal running the bundled CLI's `probe` — a heartbeat row every 50 ms
 * through "host=old,new … target_session_attrs=read-write", each gap printed as it happens — which creates its table
 * on the old cluster if missing and, when stopped (Ctrl-C, or after `seconds`), checks on the new cluster that every
 * acknowledged commit arrived. Node is VS Code's own (process.execPath as node). Returns `{ terminalName,
 * connection }` (no password), undefined when cancelled.
 */
export async function startProbe(ctx: RunbookCommandContext, arg?: unknown): Promise<{ terminalName: string; connection: string } | undefined> {
  const interval = countOption(arg, 'intervalMs');
  const seconds = countOption(arg, 'seconds');
  const table = option(arg, 'table', isString);
  const pair = await resolveClusterPair(ctx, arg);
  if (!pair) return undefined;
  const cli = vscode.Uri.joinPath(ctx.services.context.extensionUri, 'dist', 'cli.js').fsPath;
  if (!existsSync(cli)) throw new Error(t('The bundled command-line tool is missing ({0}): build the extension (npm run build).', cli));
  const { redactConnString } = await import('../../../core/conn/format');
  const argv = [
    process.execPath, cli, 'probe', '--connection', pair.connection, '--create-table', '--verify', redactConnString(pair.target.connection),
    ...(interval ? ['--interval', String(interval)] : []),
    ...(seconds ? ['--duration', String(seconds)] : []),
    ...(table ? ['--table', table] : []),
  ];
  const terminalName = openPairTerminal(ctx, t('write probe: {0} → {1}', pair.source.name, pair.target.name), argv, pair, { ELECTRON_RUN_AS_NODE: '1' });
  void vscode.window.showInformationMessage(t('The write probe runs in the terminal "{0}". Start it before the upgrade run, so that its table is copied to {1} with the schema; press Ctrl-C there to stop it and see the figures.', terminalName, pair.target.name));
  return { terminalName, connection: pair.connection };
}
