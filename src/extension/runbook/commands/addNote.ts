import * as vscode from 'vscode';
import { appendNote } from '../../../core/runbook/summary';
import { isString, option } from '../../commands/target';
import type { RunbookCommandContext } from './context';
import { resolveRun } from './pick';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Add Note.  Args: `{ runId, text?, stepId? }` or nothing (pick a run, then type). The note goes into the
 * run's journal (and so into its upgrade record), with the operator's name. Returns the text written.
 */
export async function addNote(ctx: RunbookCommandContext, arg?: unknown): Promise<string | undefined> {
  const run = await resolveRun(ctx, arg, async () => (await ctx.store.list()).filter((r) => !r.dryRun), t('Add a note to which run?'), t('PG Upgrade: no run yet.'));
  if (!run) return undefined;
  const text = option(arg, 'text', isString) ?? await vscode.window.showInputBox({
    title: t('Note for run {0} ({1})', run.runId, run.title),
    prompt: t('Written into the run\'s journal and upgrade record. Do not type passwords.'),
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : t('Type a note')),
  });
  if (!text?.trim()) return undefined;
  await appendNote(ctx.store.journalDir, run.runId, text, ctx.controller.operator, option(arg, 'stepId', isString) ?? (run.state === 'running' ? run.nextStepId : undefined));
  ctx.store.refresh();
  return text.trim();
}
