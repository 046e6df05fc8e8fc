import * as vscode from 'vscode';
import { componentLogger, type Logger } from '../log';
import type { ExtensionServices } from '../services';
import { registerRunbookCommands } from './commands';
import { RunController } from './controller';
import { PendingQuestions, SHOW_PENDING_COMMAND } from './pending';
import { StatementsDocuments } from './statementsView';
import { RESUMABLE_STATES, RunStore, stateLabel, type RunView } from './runStore';

export interface RunbookFeature {
  /** Runs per cluster for the explorer (see RunStore). */
  runs: RunStore;
  /** Questions open in this window (a run waiting for an answer). */
  pending: PendingQuestions;
  controller: RunController;
}

/** Runbook commands (Start Logical Upgrade…, Run Next Step, Run Step…, Dry Run, Abort, Add Note, Open Journal). */
export function registerRunbookFeature(services: ExtensionServices): RunbookFeature {
  const log = componentLogger(services.log, 'runbook');
  const runs = new RunStore(services.context.globalStorageUri);
  const pending = new PendingQuestions();
  const statements = new StatementsDocuments();
  runs.waitingFor = (runId) => pending.get(runId)?.title;
  const controller = new RunController(services, runs, log, pending, statements);
  services.context.subscriptions.push(runs, pending, statements, pending.onDidChange(() => runs.refresh()));
  services.context.subscriptions.push(vscode.commands.registerCommand(SHOW_PENDING_COMMAND, (arg?: { runId?: string }) => {
    if (!pending.reshow(arg?.runId)) void vscode.window.showInformationMessage(vscode.l10n.t('PG Upgrade: no question is waiting for an answer.'));
  }));
  registerRunbookCommands({ services, store: runs, controller, log });
  // After a window reload: unfinished runs are found again in their journals (read after activation, no DB).
  const timer = setTimeout(() => void offerInterruptedRuns(runs, log), 3000);
  services.context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  return { runs, controller, pending };
}

/** Runs left unfinished (interrupted, or paused / failed / cancelled in the last hours) are offered once per window. */
const RECENT_MS = 12 * 3600_000;

async function offerInterruptedRuns(runs: RunStore, log: Logger): Promise<void> {
  let open: RunView[];
  try {
    const all = await runs.list();
    const recent = (r: RunView) => Date.now() - Date.parse(r.updatedAt) < RECENT_MS;
    open = all.filter((r) => !r.dryRun && !r.active && (r.state === 'interrupted' || (RESUMABLE_STATES.includes(r.state) && recent(r))));
    log.info(`${all.length} run(s) in the journals, ${open.length} to offer for resuming`);
  } catch (err) {
    log.warn(`could not read the run journals: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (!open.length) return;
  const r = open[0];
  const t = vscode.l10n.t;
  const next = t('Run Next Step');
  const journal = t('Open Journal');
  const text = t('PG Upgrade: run {0} ({1}, {2}) is {3}; next step: {4}.',
    r.runId, r.title, r.clusters.map((c) => c.name).join(' → '), stateLabel(r.state), r.nextStepTitle ?? '-');
  const choice = await vscode.window.showWarningMessage(open.length > 1 ? `${text} ${t('({0} more)', open.length - 1)}` : text, next, journal);
  if (choice === next) void vscode.commands.executeCommand('pgUpgradePilot.runNextStep', { runId: r.runId });
  if (choice === journal) void vscode.commands.executeCommand('pgUpgradePilot.openJournal', { runId: r.runId });
}
