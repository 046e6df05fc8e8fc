import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import { LAB_STATE_RELATIVE_PATH, labClusterFields, parseLabState, planLabImport } from '../clusters/labImport';
import type { ClusterScope } from '../clusters/settings';
import { loadConn } from '../lazy';
import type { CommandContext } from './context';
import { isString, option } from './target';

const t = vscode.l10n.t;

/**
 * PG Upgrade: Import Lab Clusters. Reads `.lab/lab.json` of every workspace folder (or a picked file; or the path
 * given: a string, or `{ file, scope? }`). Each server becomes a cluster with lab metadata, executor "local" and group
 * "lab"; its lab-only password goes to SecretStorage. Servers imported before (same data directory) are updated,
 * not duplicated. Scope: workspace settings when a trusted workspace is open, else user. Returns the cluster ids.
 */
export async function importLabClusters(ctx: CommandContext, arg?: unknown): Promise<string[]> {
  if (!vscode.workspace.isTrusted) throw new Error(t('Importing lab clusters needs a trusted workspace (their binaries run locally).'));
  const file = isString(arg) ? arg : option(arg, 'file', isString);
  const uris = file ? [vscode.Uri.file(file)] : await findLabFiles();
  if (!uris.length) {
    if (file === undefined && arg !== undefined) throw new Error(t('No {0} in the workspace folders.', LAB_STATE_RELATIVE_PATH));
    const picked = await vscode.window.showOpenDialog({
      title: t('Lab state file (lab.json)'), canSelectMany: false, filters: { [t('Lab state')]: ['json'] },
      openLabel: t('Import'),
    });
    if (!picked?.length) return [];
    uris.push(picked[0]);
  }
  const requested = option(arg, 'scope', (v): v is ClusterScope => v === 'user' || v === 'workspace');
  const scope: ClusterScope = requested ?? (ctx.registry.workspaceScopeAvailable() ? 'workspace' : 'user');

  const conn = await loadConn();
  const ids: string[] = [];
  let created = 0;
  for (const uri of uris) {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const servers = parseLabState(text, uri.fsPath, t);
    for (const step of planLabImport(servers, ctx.registry.list())) {
      const fields = labClusterFields(step.server);
      fields.connection = conn.redactConnString(fields.connection); // the lab writes none; be sure
      let cluster: ClusterDefinition;
      if (step.existingId) {
        cluster = await ctx.registry.update(step.existingId, fields);
        await ctx.connections.dispose(cluster.id);
      } else {
        cluster = await ctx.registry.add({ name: step.name, ...fields }, scope);
        created++;
      }
      if (step.server.password) await ctx.passwords.set(cluster.id, step.server.password);
      ids.push(cluster.id);
    }
    ctx.log.info(`imported ${servers.length} lab servers from ${uri.fsPath}`);
  }
  ctx.explorer.refresh();
  if (arg === undefined) {
    void vscode.window.showInformationMessage(t('Imported {0} lab clusters ({1} new, {2} updated).', ids.length, created, ids.length - created));
  }
  return ids;
}

/** `.lab/lab.json` of each workspace folder that has one. */
export async function findLabFiles(): Promise<vscode.Uri[]> {
  const found: vscode.Uri[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, LAB_STATE_RELATIVE_PATH);
    try {
      await vscode.workspace.fs.stat(uri);
      found.push(uri);
    } catch {
      // none in this folder
    }
  }
  return found;
}
