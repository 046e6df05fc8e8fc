import * as vscode from 'vscode';
import { renderPlanMarkdown } from '../../../core/runbook/render';
import type { RunResult } from '../../../core/runbook/types';
import { isString, option } from '../../commands/target';
import { loadRunbook, LOGICAL_UPGRADE } from '../runbooks';
import type { RunbookCommandContext } from './context';
import { paramsArg, resolveSourceTarget } from './pick';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Dry Run (logical upgrade).  Args like Start Logical Upgrade, plus `output: 'document' | 'log'`
 * (default document: a new untitled markdown document with every step's statements). Executes nothing; sessions
 * are read-only. Returns the RunResult.
 */
export async function dryRun(ctx: RunbookCommandContext, arg?: unknown): Promise<RunResult | undefined> {
  const picked = await resolveSourceTarget(ctx, arg);
  if (!picked) return undefined;
  const result = await ctx.controller.run({
    runbook: LOGICAL_UPGRADE,
    clusterIds: { source: picked.source.id, target: picked.target.id },
    params: paramsArg(arg),
    dryRun: true,
  });
  if (!result) return undefined;
  const { runbook } = await loadRunbook(LOGICAL_UPGRADE);
  const text = renderPlanMarkdown(
    t('Dry run: {0} — {1} → {2}', runbook.title, picked.source.name, picked.target.name),
    result,
    runbook.steps.map((s) => ({ id: s.id, why: s.why, clusters: s.clusters })),
  );
  if (option(arg, 'output', isString) === 'log') {
    ctx.log.info(`\n${text}`);
  } else {
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: text });
    await vscode.window.showTextDocument(doc, { preview: false });
  }
  if (result.status !== 'succeeded') void vscode.window.showWarningMessage(t('PG Upgrade: the dry run ended {0}: {1}', result.status, result.message ?? ''));
  return result;
}
