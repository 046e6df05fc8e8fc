import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import type { Logger } from '../log';
import type { ClusterRegistry } from '../services';
import {
  compareClusters, generateClusterId, mergeClusterScopes, patchEntries, readClusterEntries, removeEntry, toSettingsEntry,
  type ClusterPatch, type ClusterScope, type ScopedCluster,
} from './settings';

const SECTION = 'pgUpgradePilot';
const KEY = 'clusters';

/**
 * Cluster definitions in the `pgUpgradePilot.clusters` setting, user and workspace scope (workspace entries only in a
 * trusted workspace: the setting is a restricted configuration). Never holds a password. Writes are serialised.
 */
export class SettingsClusterRegistry implements ClusterRegistry, vscode.Disposable {
  private cache: ScopedCluster[] | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private lastProblems = '';

  constructor(private readonly log: Logger) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${KEY}`)) this.invalidate();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.invalidate()),
    );
  }

  private invalidate(): void {
    this.cache = undefined;
    this.changed.fire();
  }

  private load(): ScopedCluster[] {
    if (this.cache) return this.cache;
    const info = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(KEY);
    const workspace = vscode.workspace.isTrusted ? readClusterEntries(info?.workspaceValue, 'workspace') : { clusters: [], problems: [] };
    const result = mergeClusterScopes(workspace, readClusterEntries(info?.globalValue, 'user'));
    const problems = result.problems.join('\n');
    if (problems && problems !== this.lastProblems) result.problems.forEach((p) => this.log.warn(p));
    this.lastProblems = problems;
    this.cache = result.clusters.sort((a, b) => compareClusters(a.definition, b.definition));
    return this.cache;
  }

  list(): ClusterDefinition[] {
    return this.load().map((c) => c.definition);
  }

  get(id: string): ClusterDefinition | undefined {
    return this.load().find((c) => c.definition.id === id)?.definition;
  }

  /** Case-insensitive lookup by display name. */
  findByName(name: string): ClusterDefinition | undefined {
    const lower = name.trim().toLocaleLowerCase();
    return this.list().find((c) => c.name.toLocaleLowerCase() === lower);
  }

  scopeOf(id: string): ClusterScope | undefined {
    return this.load().find((c) => c.definition.id === id)?.scope;
  }

  /** Entries in the workspace settings (whatever the trust; only counted). */
  untrustedWorkspaceEntryCount(): number {
    const value = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(KEY)?.workspaceValue;
    return Array.isArray(value) ? value.length : 0;
  }

  /** Workspace scope is writable only with a folder or workspace open and trusted. */
  workspaceScopeAvailable(): boolean {
    return vscode.workspace.workspaceFolders !== undefined && vscode.workspace.isTrusted;
  }

  async pick(placeHolder: string, excludeIds: string[] = []): Promise<ClusterDefinition | undefined> {
    const clusters = this.list().filter((c) => !excludeIds.includes(c.id));
    if (!clusters.length) {
      const add = vscode.l10n.t('Add Cluster');
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('No PostgreSQL cluster is registered yet.'), add);
      if (choice === add) await vscode.commands.executeCommand('pgUpgradePilot.addCluster');
      return undefined;
    }
    const items = clusters.map((c) => ({
      label: c.name,
      description: [c.group, c.production ? vscode.l10n.t('production') : undefined].filter(Boolean).join(' · '),
      detail: c.connection,
      cluster: c,
    }));
    const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true });
    return picked?.cluster;
  }

  /** Adds a definition (a new id is generated when none is given). The connection must hold no password. */
  async add(input: Omit<ClusterDefinition, 'id'> & { id?: string }, scope: ClusterScope): Promise<ClusterDefinition> {
    this.assertWritable(scope);
    const taken = new Set(this.load().map((c) => c.definition.id));
    if (input.id && taken.has(input.id)) throw new Error(vscode.l10n.t('A cluster with id "{0}" already exists.', input.id));
    const definition: ClusterDefinition = { ...input, id: input.id ?? generateClusterId(taken, () => randomBytes(8).toString('hex')) };
    await this.write(scope, (entries) => [...entries, toSettingsEntry(definition)]);
    this.log.info(`added cluster "${definition.name}" (${definition.id}) to ${scope} settings`);
    return definition;
  }

  /** Changes fields of a registered cluster in the scope it is stored in. */
  async update(id: string, patch: ClusterPatch): Promise<ClusterDefinition> {
    const scope = this.requireScope(id);
    await this.write(scope, (entries) => patchEntries(entries, id, patch) ?? entries);
    const updated = this.get(id);
    if (!updated) throw new Error(vscode.l10n.t('The cluster is no longer registered.'));
    this.log.info(`updated cluster "${updated.name}" (${id}): ${Object.keys(patch).join(', ')}`);
    return updated;
  }

  /** Removes a cluster's definition; false when it was not registered. */
  async remove(id: string): Promise<boolean> {
    const scope = this.scopeOf(id);
    if (!scope) return false;
    let removed = false;
    await this.write(scope, (entries) => {
      const next = removeEntry(entries, id);
      removed = next !== undefined;
      return next ?? entries;
    });
    if (removed) this.log.info(`removed cluster ${id} from ${scope} settings`);
    return removed;
  }

  private requireScope(id: string): ClusterScope {
    const scope = this.scopeOf(id);
    if (!scope) throw new Error(vscode.l10n.t('No registered cluster has the id "{0}".', id));
    return scope;
  }

  private assertWritable(scope: ClusterScope): void {
    if (scope !== 'workspace') return;
    if (!vscode.workspace.workspaceFolders) throw new Error(vscode.l10n.t('Open a folder or workspace to store clusters in workspace settings.'));
    if (!vscode.workspace.isTrusted) throw new Error(vscode.l10n.t('Trust this workspace to store clusters in its settings.'));
  }

  private write(scope: ClusterScope, mutate: (entries: unknown[]) => unknown[]): Promise<void> {
    const run = async (): Promise<void> => {
      const config = vscode.workspace.getConfiguration(SECTION);
      const info = config.inspect<unknown>(KEY);
      const current = scope === 'user' ? info?.globalValue : info?.workspaceValue;
      const next = mutate(Array.isArray(current) ? [...current] : []);
      const target = scope === 'user' ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace;
      await config.update(KEY, next.length ? next : undefined, target);
      this.invalidate();
    };
    const result = this.writes.then(run, run);
    this.writes = result.catch(() => undefined);
    return result;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
