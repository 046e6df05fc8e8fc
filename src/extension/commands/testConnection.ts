import * as vscode from 'vscode';
import type { ConnectErrorKind } from '../../core/conn/types';
import { connectErrorKind, errorKindLabel, isPasswordProblem } from '../clusters/status';
import { loadCatalog } from '../lazy';
import { elapsedMs, errorMessage } from '../log';
import type { CommandContext } from './context';
import { isBoolean, option, resolveCluster } from './target';

const t = vscode.l10n.t;

export type TestConnectionResult =
  | { clusterId: string; ok: true; version: string; role: 'primary' | 'standby'; endpoint?: string; elapsedMs: number }
  | { clusterId: string; ok: false; kind: ConnectErrorKind; message: string; elapsedMs: number };

/**
 * PG Upgrade: Test Connection. Opens a fresh connection (multi-host / target_session_attrs as libpq would), reads the
 * server overview, closes it. Args: a node / `{ id, interactive?, silent? }`: interactive=false never prompts for a
 * password, silent=true shows no notification. The explorer node shows the outcome either way.
 */
export async function testConnection(ctx: CommandContext, arg?: unknown): Promise<TestConnectionResult | undefined> {
  const cluster = await resolveCluster(ctx, arg, t('Cluster to test'));
  if (!cluster) return undefined;
  const interactive = option(arg, 'interactive', isBoolean) ?? true;
  const silent = option(arg, 'silent', isBoolean) ?? false;
  if (interactive) ctx.connections.allowPrompt(cluster.id);
  const start = performance.now();
  const run = async (): Promise<TestConnectionResult> => {
    try {
      const client = await ctx.connections.open(cluster.id, { interactive, applicationName: 'PG Upgrade Pilot test' });
      try {
        const catalog = await loadCatalog();
        const overview = await catalog.fetchServerOverview(client);
        ctx.status.update(cluster.id, { overview, version: overview.version, checkedAt: Date.now() });
        const status = ctx.status.get(cluster.id);
        return {
          clusterId: cluster.id, ok: true, version: overview.serverVersion, role: overview.role,
          endpoint: status.state === 'connected' ? status.endpoint : undefined, elapsedMs: Number(elapsedMs(start)),
        };
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (err) {
      return { clusterId: cluster.id, ok: false, kind: connectErrorKind(err), message: errorMessage(err), elapsedMs: Number(elapsedMs(start)) };
    }
  };
  const result = await vscode.window.withProgress(
    { location: { viewId: 'pgUpgradePilot.clusters' }, title: t('Testing connection to {0}…', cluster.name) },
    run,
  );
  ctx.explorer.refresh(cluster.id);
  if (!silent) void report(ctx, cluster.name, result);
  return result;
}

async function report(ctx: CommandContext, name: string, r: TestConnectionResult): Promise<void> {
  if (r.ok) {
    const role = r.role === 'standby' ? t('standby') : t('primary');
    const ms = Math.round(r.elapsedMs);
    await vscode.window.showInformationMessage(
      r.endpoint
        ? t('Connected to "{0}" at {1}: PostgreSQL {2}, {3} ({4} ms).', name, r.endpoint, r.version, role, ms)
        : t('Connected to "{0}": PostgreSQL {1}, {2} ({3} ms).', name, r.version, role, ms),
    );
    return;
  }
  const reenter = t('Re-enter Password');
  const showLog = t('Show Log');
  const actions = isPasswordProblem(r.kind) ? [reenter, showLog] : [showLog];
  const choice = await vscode.window.showErrorMessage(t('Cannot connect to "{0}": {1}.', name, errorKindLabel(r.kind, t)), { detail: r.message }, ...actions);
  if (choice === reenter) await vscode.commands.executeCommand('pgUpgradePilot.reenterPassword', { clusterId: r.clusterId });
  if (choice === showLog) ctx.services.log.show(true);
}
