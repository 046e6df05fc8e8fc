import * as vscode from 'vscode';
import { LAB_STATE_RELATIVE_PATH } from '../clusters/labImport';
import type { CommandContext } from './context';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Start a Local Lab. In a workspace whose package.json has a "lab" script (this project), opens a terminal
 * running `npm run lab -- up` there (npm started directly with an argument array, no shell string) and offers to
 * import the clusters once `.lab/lab.json` appears. Elsewhere it explains the CLI. Returns the terminal name, if any.
 */
export async function startLocalLab(ctx: CommandContext): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) throw new Error(t('Starting a local lab needs a trusted workspace.'));
  const folder = await folderWithLabScript();
  if (!folder) {
    const copy = t('Copy Command');
    const choice = await vscode.window.showInformationMessage(
      t('The local lab runs real PostgreSQL 12–18 servers on 127.0.0.1 from npm builds.'),
      {
        modal: true,
        detail: t('Run "pg-upgrade-pilot lab up 14 16" in a terminal (or "npm run lab -- up" in the PG Upgrade Pilot repository), then run "PG Upgrade: Import Lab Clusters" with the lab directory\'s lab.json.'),
      },
      copy,
    );
    if (choice === copy) await vscode.env.clipboard.writeText('pg-upgrade-pilot lab up 14 16');
    return undefined;
  }
  const name = t('PG Upgrade lab');
  const terminal = vscode.window.createTerminal({
    name, cwd: folder.uri, shellPath: process.platform === 'win32' ? 'npm.cmd' : 'npm', shellArgs: ['run', 'lab', '--', 'up'],
    iconPath: new vscode.ThemeIcon('beaker'),
  });
  terminal.show();
  ctx.log.info(`started "npm run lab -- up" in ${folder.uri.fsPath}`);
  offerImportWhenReady(folder);
  return name;
}

async function folderWithLabScript(): Promise<vscode.WorkspaceFolder | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    try {
      const pkg = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'package.json')))) as { scripts?: Record<string, unknown> };
      if (typeof pkg.scripts?.lab === 'string') return folder;
    } catch {
      // no package.json, or not JSON
    }
  }
  return undefined;
}

/** Watches for the lab state file for ten minutes and offers the import once it is written. */
function offerImportWhenReady(folder: vscode.WorkspaceFolder): void {
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, LAB_STATE_RELATIVE_PATH));
  let offered = false;
  const stop = setTimeout(() => watcher.dispose(), 10 * 60_000);
  const offer = async (): Promise<void> => {
    if (offered) return;
    offered = true;
    clearTimeout(stop);
    watcher.dispose();
    const importNow = t('Import Lab Clusters');
    const choice = await vscode.window.showInformationMessage(t('The local lab is up.'), importNow);
    if (choice === importNow) await vscode.commands.executeCommand('pgUpgradePilot.importLabClusters');
  };
  watcher.onDidCreate(() => void offer());
  watcher.onDidChange(() => void offer());
}
