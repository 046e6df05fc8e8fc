import * as vscode from 'vscode';
import type { RunbookCommandContext } from './context';
import { resolveRun } from './pick';

const t = vscode.l10n.t;

/** PG Upgrade: Open Run Journal.  Args: `{ runId }` or nothing (pick). Opens the JSON-lines journal. Returns its path. */
export async function openJournal(ctx: RunbookCommandContext, arg?: unknown): Promise<string | undefined> {
  const run = await resolveRun(ctx, arg, () => ctx.store.list(), t('Open the journal of which run?'), t('PG Upgrade: no run yet.'));
  if (!run?.journalFile) return undefined;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(run.journalFile));
  await vscode.window.showTextDocument(doc, { preview: true });
  return run.journalFile;
}
