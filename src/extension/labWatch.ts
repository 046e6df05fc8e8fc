import * as vscode from 'vscode';
import { LAB_STATE_RELATIVE_PATH } from './clusters/labImport';

/** Context key for the "Import Lab Clusters" welcome link: a `.lab/lab.json` exists in a workspace folder. */
export const LAB_STATE_CONTEXT_KEY = 'pgUpgradePilot.labStateFound';

/**
 * Keeps the context key up to date: one stat per workspace folder after activation (not awaited) and a watcher on
 * that one relative path per folder.
 */
export function watchLabState(): vscode.Disposable {
  const disposables: vscode.Disposable[] = [];
  let watchers: vscode.Disposable[] = [];

  const check = async (): Promise<void> => {
    let found = false;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      try {
        await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, LAB_STATE_RELATIVE_PATH));
        found = true;
        break;
      } catch {
        // not in this folder
      }
    }
    await vscode.commands.executeCommand('setContext', LAB_STATE_CONTEXT_KEY, found);
  };

  const watch = (): void => {
    watchers.forEach((w) => w.dispose());
    watchers = (vscode.workspace.workspaceFolders ?? []).map((folder) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, LAB_STATE_RELATIVE_PATH));
      watcher.onDidCreate(() => void check());
      watcher.onDidDelete(() => void check());
      return watcher;
    });
  };

  watch();
  void check();
  disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => {
    watch();
    void check();
  }));
  return new vscode.Disposable(() => {
    watchers.forEach((w) => w.dispose());
    disposables.forEach((d) => d.dispose());
  });
}
