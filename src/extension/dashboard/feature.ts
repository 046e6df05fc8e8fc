/**
 * The dashboard feature: "Upgrade Dashboard" for a run and "Replication" for any pair, their panel serializer (a
 * reloaded window gets its dashboards back from the webview's own state), and "Export Upgrade Record".
 * Nothing here touches a database at activation: the monitor and the record load on first use.
 */
import * as vscode from 'vscode';
import { DASHBOARD_VIEW_TYPE, parseDashboardState, type DashboardTarget } from '../../core/protocol/dashboard';
import { isString, option } from '../commands/target';
import { componentLogger, errorMessage } from '../log';
import type { ExtensionServices } from '../services';
import { exportRecord } from './exportRecord';
import { resolveReplicationTarget } from './openReplication';
import { DashboardPanel, type PanelDeps } from './panel';
import { journalDirOf } from './runs';

const t = vscode.l10n.t;

export const DASHBOARD_COMMANDS = {
  openDashboard: 'pgUpgradePilot.openDashboard',
  openReplication: 'pgUpgradePilot.openReplication',
  exportRecord: 'pgUpgradePilot.exportRecord',
} as const;

/** `{ runId }` (a run row, a notification, tests) or a pick among the runs, newest first. */
async function resolveRunTarget(services: ExtensionServices, arg: unknown): Promise<DashboardTarget | undefined> {
  const runId = option(arg, 'runId', isString) ?? (typeof arg === 'string' && arg ? arg : undefined);
  if (runId) return { kind: 'run', runId };
  const { listRuns } = await import('../../core/runbook');
  const runs = await listRuns(journalDirOf(services.context));
  if (!runs.length) {
    void vscode.window.showInformationMessage(t('PG Upgrade: no run yet. Start one with "PG Upgrade: Start Logical Upgrade…".'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(runs.map((r) => ({
    label: r.runbook + (r.dryRun ? t(' (dry run)') : ''),
    description: `${r.status} · ${new Date(r.startedAt).toLocaleString()}`,
    detail: r.clusters.map((c) => `${c.role}: ${c.name}`).join(' → '),
    runId: r.runId,
  })), { placeHolder: t('Open the dashboard of which run?'), matchOnDetail: true });
  return picked ? { kind: 'run', runId: picked.runId } : undefined;
}

export function registerDashboardFeature(services: ExtensionServices, pending?: PanelDeps['pending']): void {
  const log = componentLogger(services.log, 'dashboard');
  const deps: PanelDeps = { services, log, pending };
  const register = (id: string, fn: (...args: unknown[]) => Promise<unknown>) =>
    services.context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      log.debug(id);
      try {
        return await fn(...args);
      } catch (err) {
        log.error(`${id} failed: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(`PG Upgrade: ${errorMessage(err)}`);
        return undefined;
      }
    }));

  // Each returns the target it opened (or undefined when cancelled), so tests and other features can drive them.
  register(DASHBOARD_COMMANDS.openDashboard, async (arg) => {
    const target = await resolveRunTarget(services, arg);
    if (target) DashboardPanel.show(deps, target);
    return target;
  });
  register(DASHBOARD_COMMANDS.openReplication, async (arg) => {
    const target = await resolveReplicationTarget(services, arg);
    if (target) DashboardPanel.show(deps, target);
    return target;
  });
  register(DASHBOARD_COMMANDS.exportRecord, (arg) => exportRecord(services, log, arg));

  services.context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const restored = parseDashboardState(state);
        if (!restored) {
          // The state holds cluster ids and filters only (never a secret): safe to show for diagnosis.
          log.warn(`a dashboard panel could not be restored (no usable state: ${JSON.stringify(state ?? null)?.slice(0, 300)}): closed`);
          panel.dispose();
          return;
        }
        new DashboardPanel(deps, panel, restored.target);
      },
    }),
    { dispose: () => [...DashboardPanel.open.values()].forEach((p) => p.dispose()) },
  );
}
