/**
 * PG Upgrade: Export Upgrade Record.  Args: `{ runId, lang? }` (the dashboard's button, a run row, tests) or nothing
 * (pick a run). Renders the run's markdown record (src/core/record) in the UI language (Spanish when VS Code is in
 * Spanish, else English), saves it in the workspace as upgrade-records/YYYY-MM-DD-<source>-to-<target>.md through
 * workspace.fs, and opens the Markdown preview. Returns the file's Uri.
 */
import * as vscode from 'vscode';
import type { RecordLang } from '../../core/record';
import type { JournalEvent } from '../../core/runbook/types';
import { isString, option } from '../commands/target';
import type { Logger } from '../log';
import type { ExtensionServices } from '../services';
import { journalDirOf, RunReader } from './runs';

const t = vscode.l10n.t;

/** The record's language: the argument, else the pgUpgradePilot.recordLanguage setting, else ("auto") the UI's. */
export function langOf(arg: unknown): RecordLang {
  const given = option(arg, 'lang', isString);
  if (given === 'en' || given === 'es') return given;
  const setting = vscode.workspace.getConfiguration('pgUpgradePilot').get<string>('recordLanguage', 'auto');
  if (setting === 'en' || setting === 'es') return setting;
  return vscode.env.language.toLowerCase().startsWith('es') ? 'es' : 'en';
}

async function pickRun(journalDir: string): Promise<string | undefined> {
  const { listRuns } = await import('../../core/runbook');
  const runs = (await listRuns(journalDir)).filter((r) => !r.dryRun);
  if (!runs.length) {
    void vscode.window.showInformationMessage(t('PG Upgrade: no run yet, so no upgrade record to export.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(runs.map((r) => ({
    label: r.runbook, description: `${r.status} · ${new Date(r.startedAt).toLocaleString()}`,
    detail: r.clusters.map((c) => `${c.role}: ${c.name}`).join(' → '), runId: r.runId,
  })), { placeHolder: t('Export the upgrade record of which run?') });
  return picked?.runId;
}

/** Names for the file: source → target (logical), primary → standby, or the server and its new version. */
function pairNames(events: JournalEvent[]): [string, string] {
  const start = events.find((e) => e.type === 'run-started');
  const clusters = start?.type === 'run-started' ? start.clusters : [];
  const of = (role: string) => clusters.find((c) => c.role === role)?.name;
  const first = of('source') ?? of('primary') ?? of('server') ?? clusters[0]?.name ?? 'cluster';
  const second = of('target') ?? of('standby') ?? clusters[1]?.name ?? 'upgraded';
  return [first, second];
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** The record's Uri in `folder`; "-2", "-3" … when another run's record already has the name. */
async function freeUri(folder: vscode.Uri, relative: string, runId: string): Promise<vscode.Uri> {
  for (let i = 1; ; i++) {
    const rel = i === 1 ? relative : relative.replace(/\.md$/, `-${i}.md`);
    const uri = vscode.Uri.joinPath(folder, ...rel.split('/'));
    if (!(await exists(uri))) return uri;
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    if (text.includes(`\`${runId}\``)) return uri; // this run's record: replace it
  }
}

export async function exportRecord(services: ExtensionServices, log: Logger, arg?: unknown): Promise<vscode.Uri | undefined> {
  const journalDir = journalDirOf(services.context);
  const runId = option(arg, 'runId', isString) ?? (typeof arg === 'string' ? arg : undefined) ?? await pickRun(journalDir);
  if (!runId) return undefined;
  const { run } = await new RunReader(journalDir, runId).read();
  const { renderUpgradeRecord, recordFileName } = await import('../../core/record');
  const markdown = renderUpgradeRecord(run.events, {
    lang: langOf(arg),
    runbook: run.runbook ? { title: run.runbook.title, steps: run.runbook.steps } : undefined,
  });
  const [source, target] = pairNames(run.events);
  const relative = recordFileName(new Date(run.summary.startedAt), source, target);
  let uri: vscode.Uri | undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (folder) uri = await freeUri(folder, relative, runId);
  else {
    uri = await vscode.window.showSaveDialog({ title: t('Save the upgrade record'), filters: { Markdown: ['md'] }, defaultUri: vscode.Uri.file(relative.split('/').pop()!) });
    if (!uri) return undefined;
  }
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
  await vscode.workspace.fs.writeFile(uri, Buffer.from(markdown, 'utf8'));
  log.info(`upgrade record of run ${runId} written to ${uri.toString()}`);
  void vscode.commands.executeCommand('markdown.showPreview', uri).then(undefined, () => vscode.window.showTextDocument(uri!));
  return uri;
}
