import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Logger } from '../log';
import { readPoolerEntries, type PoolerDefinition } from './settings';

const SECTION = 'pgUpgradePilot';
const KEY = 'poolers';

/** The poolers in the `pgUpgradePilot.poolers` user setting (never a password: that is in SecretStorage). */
export class PoolerRegistry implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly log: Logger) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.${KEY}`)) this.changed.fire();
    });
  }

  list(clusterId?: string): PoolerDefinition[] {
    const { poolers, problems } = readPoolerEntries(vscode.workspace.getConfiguration(SECTION).inspect(KEY)?.globalValue);
    for (const p of problems) this.log.warn(p);
    return clusterId === undefined ? poolers : poolers.filter((p) => p.clusterId === clusterId);
  }

  get(id: string): PoolerDefinition | undefined {
    return this.list().find((p) => p.id === id);
  }

  add(input: Omit<PoolerDefinition, 'id'>): Promise<PoolerDefinition> {
    const def: PoolerDefinition = { id: `p${randomBytes(5).toString('hex')}`, ...input };
    return this.write((all) => [...all, def]).then(() => def);
  }

  remove(id: string): Promise<void> {
    return this.write((all) => all.filter((p) => p.id !== id));
  }

  /** Serialised read-modify-write of the raw user setting (unknown fields of other entries kept). */
  private write(edit: (all: PoolerDefinition[]) => PoolerDefinition[]): Promise<void> {
    const run = async () => {
      const config = vscode.workspace.getConfiguration(SECTION);
      const raw = config.inspect<unknown[]>(KEY)?.globalValue;
      const known = readPoolerEntries(raw).poolers;
      const next = edit(known);
      const rawById = new Map((Array.isArray(raw) ? raw : []).map((e) => [(e as { id?: unknown })?.id, e]));
      const value = next.map((p) => ({ ...((rawById.get(p.id) as object | undefined) ?? {}), ...p }));
      await config.update(KEY, value.length ? value : undefined, vscode.ConfigurationTarget.Global);
    };
    const p = this.writes.then(run, run);
    this.writes = p.catch(() => undefined);
    return p;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
