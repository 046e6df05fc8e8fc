/**
 * The scope of a logical upgrade (issue 10): the source connection's database, the whole cluster, or a chosen list.
 * Sets `params.databases` ('all' | string[] | undefined), as the CLI's --all-databases / --databases do.
 */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../../core/clusters';
import type { RunbookCommandContext } from '../commands/context';

const t = vscode.l10n.t;

export type DatabaseScope = 'all' | string[] | undefined;

export function scopeLabel(scope: DatabaseScope, database: string | undefined): string {
  if (scope === 'all') return t('whole cluster (every database)');
  if (Array.isArray(scope)) return t('databases {0}', scope.join(', '));
  return t('this database ({0})', database ?? t('the connection\'s'));
}

/** The source's databases that can move (not templates, connections allowed). */
async function sourceDatabases(ctx: RunbookCommandContext, source: ClusterDefinition): Promise<string[]> {
  const { client } = await ctx.services.connections.get(source.id, { interactive: true });
  const r = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname');
  return r.rows.map((x) => x.datname);
}

/** Asks the scope; `null` when cancelled (undefined is a valid answer: this database). */
export async function askScope(ctx: RunbookCommandContext, source: ClusterDefinition, database: string | undefined, current: DatabaseScope): Promise<DatabaseScope | null> {
  type Item = vscode.QuickPickItem & { scope: 'this' | 'all' | 'choose' };
  const items: Item[] = [
    { label: t('This database'), description: database, detail: t('Only it is frozen and moved; every other database keeps taking writes on the source.'), scope: 'this' },
    { label: t('Whole cluster'), detail: t('Every non-template database of the source, in one switchover with one window.'), scope: 'all' },
    { label: t('Choose databases…'), detail: t('A list of the source\'s databases, moved together in one switchover.'), scope: 'choose' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: t('Scope of the upgrade of {0}', source.name), placeHolder: t('Now: {0}', scopeLabel(current, database)), ignoreFocusOut: true });
  if (!picked) return null;
  if (picked.scope === 'this') return undefined;
  if (picked.scope === 'all') return 'all';
  const names = await sourceDatabases(ctx, source);
  const chosen = await vscode.window.showQuickPick(
    names.map((n) => ({ label: n, picked: Array.isArray(current) ? current.includes(n) : n === database })),
    { title: t('Databases of {0} to upgrade together', source.name), canPickMany: true, ignoreFocusOut: true },
  );
  if (!chosen) return null;
  if (!chosen.length) {
    void vscode.window.showWarningMessage(t('PG Upgrade: choose at least one database; the scope was not changed.'));
    return current;
  }
  return chosen.map((c) => c.label);
}
