/**
 * Show Statements as ONE read-only virtual document per run (pgupgrade-statements:/run-<id>.md): asking again for
 * another step of the same run updates that document instead of opening a new untitled one (which asked to be saved
 * on close). The client tools' versions are read once per path (`<tool> --version`, 3 s bound).
 */
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { clientToolsOf, renderStatementsMarkdown, type ToolVersionSeen } from '../../core/runbook/statements-doc';
import type { ConfirmRequest } from '../../core/runbook/types';
import { parseToolVersion } from '../../core/tools';

export const STATEMENTS_SCHEME = 'pgupgrade-statements';
const VERSION_TIMEOUT_MS = 3000;

export class StatementsDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly versions = new Map<string, Promise<ToolVersionSeen>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(STATEMENTS_SCHEME, this);
  }

  uriFor(runId: string): vscode.Uri {
    return vscode.Uri.from({ scheme: STATEMENTS_SCHEME, path: `/run-${runId}.md` });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? vscode.l10n.t('(no statements shown for this run in this window)');
  }

  /** Sets the run's document to this request (tool versions filled in as soon as they are read) and shows it. */
  async show(req: ConfirmRequest): Promise<void> {
    await this.showMarkdown(req.runId, renderStatementsMarkdown(req));
    const tools = clientToolsOf(req.actions);
    if (!tools.length) return;
    const seen = await Promise.all(tools.map((p) => this.versionOf(p)));
    this.set(req.runId, renderStatementsMarkdown(req, seen));
  }

  /** Any markdown for the run's document (the findings of a step). */
  async showMarkdown(runId: string, markdown: string): Promise<void> {
    const uri = this.set(runId, markdown);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }

  private set(runId: string, markdown: string): vscode.Uri {
    const uri = this.uriFor(runId);
    this.contents.set(uri.path, markdown);
    this.changed.fire(uri);
    return uri;
  }

  private versionOf(path: string): Promise<ToolVersionSeen> {
    let p = this.versions.get(path);
    if (!p) {
      p = new Promise<ToolVersionSeen>((resolve) => {
        execFile(path, ['--version'], { timeout: VERSION_TIMEOUT_MS }, (err, stdout) => {
          const v = err ? null : parseToolVersion(String(stdout));
          resolve({ path, major: v?.major, text: v?.text });
        });
      });
      this.versions.set(path, p);
    }
    return p;
  }
}
