/**
 * Starts, resumes and dry-runs runbooks from VS Code: clusters from the registry (passwords from SecretStorage or
 * libpq's own sources), a cancellable progress notification, confirmations through VsCodeRunnerUi, the journal in
 * globalStorage. The engine (and node-postgres) load on first use.
 */
import { userInfo } from 'node:os';
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import type { ClusterRole, RunCluster, RunResult } from '../../core/runbook/types';
import { errorMessage, type Logger } from '../log';
import { registerEndpointPasswordProviders } from '../endpointSecrets';
import type { ExtensionServices } from '../services';
import { showBlockingFindings } from './findings';
import type { PendingQuestions } from './pending';
import { loadRunbook } from './runbooks';
import type { RunStore } from './runStore';
import type { StatementsDocuments } from './statementsView';
import { VsCodeRunnerUi } from './vscodeUi';

const t = vscode.l10n.t;

export interface StartRequest {
  /** Our runbook key ("logical") or a journaled runbook id. */
  runbook: string;
  clusterIds: Partial<Record<ClusterRole, string>>;
  params?: Record<string, unknown>;
  dryRun?: boolean;
  /** Resume this run. */
  runId?: string;
  only?: string;
  until?: string;
}

export class RunController {
  readonly operator: string;

  constructor(
    private readonly services: ExtensionServices, private readonly store: RunStore, private readonly log: Logger,
    readonly pending: PendingQuestions, readonly statements: StatementsDocuments,
  ) {
    this.operator = `${safeUser()} (VS Code)`;
  }

  /** Runs and reports; undefined when the run could not start (the reason was shown). */
  async run(req: StartRequest): Promise<RunResult | undefined> {
    if (req.runId && this.store.isActive(req.runId)) {
      void vscode.window.showWarningMessage(t('PG Upgrade: run {0} is already executing in this window.', req.runId));
      return undefined;
    }
    const loaded = await loadRunbook(req.runbook);
    const defs: Partial<Record<ClusterRole, ClusterDefinition>> = {};
    for (const [role, id] of Object.entries(req.clusterIds) as [ClusterRole, string][]) {
      const def = this.services.clusters.get(id);
      if (!def) throw new Error(t('The {0} cluster of this run ({1}) is no longer registered.', role, id));
      defs[role] = def;
    }
    const params = loaded.params(req.params ?? {}, defs);
    await registerEndpointPasswordProviders(this.services.endpointPasswords); // pooler consoles, replication users
    const { runRunbook } = await import('../../core/runbook/engine');
    const { libpqPassword } = await import('../../core/runbook/passwords');

    const clusters: Partial<Record<ClusterRole, RunCluster>> = {};
    for (const [role, def] of Object.entries(defs) as [ClusterRole, ClusterDefinition][]) {
      clusters[role] = {
        name: def.name, id: def.id, connection: def.connection, production: def.production === true,
        password: async () => (await this.services.connections.password(def.id)) ?? libpqPassword(def.connection).catch(() => undefined),
      };
    }
    const source = req.clusterIds.source ?? req.clusterIds.primary ?? req.clusterIds.server;
    const title = req.dryRun ? t('PG Upgrade: dry run of {0}', loaded.runbook.title) : t('PG Upgrade: {0}', loaded.runbook.title);
    const ui = new VsCodeRunnerUi(this.log, this.operator, this.pending, this.statements);
    const abort = new AbortController();
    let runId = req.runId;

    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      ui.attach(progress, abort.signal);
      token.onCancellationRequested(() => abort.abort());
      if (!req.dryRun) {
        // A user action: may ask for a missing password once (stored in SecretStorage after the server accepts it).
        progress.report({ message: t('connecting…') });
        for (const [role, def] of Object.entries(defs) as [ClusterRole, ClusterDefinition][]) {
          try {
            await this.services.connections.get(def.id, { interactive: true, signal: abort.signal });
          } catch (err) {
            void vscode.window.showErrorMessage(t('PG Upgrade: cannot connect to the {0} cluster "{1}": {2}', role, def.name, errorMessage(err)));
            return undefined;
          }
        }
      }
      if (runId) this.store.markActive(runId, abort);
      try {
        const result = await runRunbook({
          runbook: loaded.runbook, clusters, params, ui, journalDir: this.store.journalDir, runId: req.runId,
          dryRun: req.dryRun, signal: abort.signal, only: req.only, until: req.until, operator: this.operator,
          onEvent: (e) => {
            if (e.type === 'run-started' && !runId && !req.dryRun) {
              runId = e.runId;
              this.store.markActive(runId, abort);
            } else {
              this.store.refresh(source);
              // the step may have created or dropped publications, subscriptions, slots, or frozen a server
              if (e.type === 'step-finished') for (const id of Object.values(req.clusterIds)) if (id) this.services.refreshTree(id);
            }
          },
        });
        this.log.info(`run ${result.runId}: ${result.status}${result.message ? ` — ${result.message}` : ''}`);
        return result;
      } finally {
        ui.attach(undefined);
        if (runId) this.store.markDone(runId);
        this.store.refresh(source);
        if (source) this.services.refreshTree(source);
      }
    }).then((result) => {
      if (result && !result.dryRun) this.announce(result, req.until !== undefined || req.only !== undefined);
      return result;
    });
  }

  /** The outcome as a notification with the next useful action (not awaited: the command returns at once). */
  private announce(r: RunResult, stepwise: boolean): void {
    const open = t('Open Journal');
    const next = t('Run Next Step');
    const arg = { runId: r.runId };
    const act = (choice: string | undefined) => {
      if (choice === open) void vscode.commands.executeCommand('pgUpgradePilot.openJournal', arg);
      if (choice === next) void vscode.commands.executeCommand('pgUpgradePilot.runNextStep', arg);
    };
    switch (r.status) {
      case 'succeeded':
        void vscode.window.showInformationMessage(t('PG Upgrade: run {0} succeeded. {1}', r.runId, r.message ?? ''), open).then(act);
        break;
      case 'paused':
        // Stepping one step at a time (Run Next Step, the dashboard's button): the pause was asked for, so a
        // status-bar line says where the run stands instead of piling up a notification per step.
        if (stepwise && r.steps.some((s) => s.status === 'pending')) {
          vscode.window.setStatusBarMessage(t('PG Upgrade: run {0} is paused. {1}', r.runId, r.message ?? ''), 15_000);
          break;
        }
        void vscode.window.showInformationMessage(t('PG Upgrade: run {0} is paused. {1}', r.runId, r.message ?? ''), next, open).then(act);
        break;
      case 'failed':
        // a step that failed with errors (a preflight): every error with its object and fix, in a modal
        if (showBlockingFindings(r, this.statements)) break;
        void vscode.window.showErrorMessage(t('PG Upgrade: run {0} failed. {1}', r.runId, r.message ?? ''), open, next).then(act);
        break;
      case 'aborted':
        void vscode.window.showWarningMessage(t('PG Upgrade: run {0} was aborted. {1}', r.runId, r.message ?? ''), open, next).then(act);
        break;
    }
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}
