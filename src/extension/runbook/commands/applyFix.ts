import * as vscode from 'vscode';
import { LOGICAL_UPGRADE_RUNBOOK_ID, defaultLogicalUpgradeParams } from '../../../core/runbooks/logical';
import { applyFix as runFix, offeredFixes, type FixStep } from '../../../core/runbooks/logical/fix-steps';
import type { RunbookCommandContext } from './context';
import { resolveRun } from './pick';
import { clusterIdsOf } from './runNextStep';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Apply a Fix… (issue 15: fixes offered as steps). Args: `{ runId }` or nothing (pick a logical upgrade).
 * The fixes the tool can apply are re-derived from both servers now (src/core/runbooks/logical/fix-steps.ts); the one
 * picked is shown in a modal with its exact statements, where they run, its risk, effect and undo, and applied only
 * on "Apply". The run's journal gets a note (who applied what); Run Next Step then checks again.
 */
export async function applyFixCommand(ctx: RunbookCommandContext, arg?: unknown): Promise<FixStep | undefined> {
  const candidates = async () => (await ctx.store.list()).filter((r) => r.runbook === LOGICAL_UPGRADE_RUNBOOK_ID && !r.active && !r.dryRun);
  const run = await resolveRun(ctx, arg, candidates, t('Apply a fix for which run?'), t('PG Upgrade: no logical upgrade to fix.'));
  if (!run) return undefined;
  const ids = clusterIdsOf(run);
  if (!ids.source || !ids.target) throw new Error(t('Run {0} has no source and target cluster.', run.runId));
  const params = defaultLogicalUpgradeParams(run.params);
  const db = async (role: 'source' | 'target') => (await ctx.services.connections.get(ids[role]!, { interactive: true })).client;
  const fixes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: t('PG Upgrade: looking for fixes the tool can apply…') },
    async () => offeredFixes(await db('source'), await db('target'), params));
  if (!fixes.length) {
    void vscode.window.showInformationMessage(t('PG Upgrade: no fix the tool can apply was found for run {0}.', run.runId));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(fixes.map((f) => ({
    label: f.title, description: t('{0} · on the {1}', f.risk, f.cluster), detail: f.statements.join(' '), fix: f,
  })), { placeHolder: t('Which fix to apply? (each shows its statements before anything runs)'), matchOnDetail: true });
  if (!picked) return undefined;
  const f = picked.fix;
  const apply = t('Apply');
  const answer = await vscode.window.showWarningMessage(
    t('Apply "{0}" on the {1}?', f.title, f.cluster),
    { modal: true, detail: [t('Risk: {0}', f.risk), '', ...f.statements, '', t('Effect: {0}', f.effect), t('Undo: {0}', f.undo)].join('\n') },
    apply,
  );
  if (answer !== apply) return undefined;
  await runFix(f, db);
  await vscode.commands.executeCommand('pgUpgradePilot.addNote', { runId: run.runId, text: `fix applied (${f.id}) on the ${f.cluster}: ${f.statements.join(' ')}` });
  const next = t('Run Next Step');
  void vscode.window.showInformationMessage(t('PG Upgrade: applied "{0}". Run Next Step to check again.', f.title), next).then((c) => {
    if (c === next) void vscode.commands.executeCommand('pgUpgradePilot.runNextStep', { runId: run.runId });
  });
  return f;
}
