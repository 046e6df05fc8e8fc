import * as vscode from 'vscode';
import { askClusterName, askConnectionString, askGroup, askGuidedConnection, askProduction, askScope } from '../clusters/prompts';
import { clusterNameProblem, type ClusterScope } from '../clusters/settings';
import { connStringErrorMessage, suggestClusterName } from '../clusters/connectionInput';
import { loadConn, type ConnModule } from '../lazy';
import type { CommandContext } from './context';
import { option, isBoolean, isString } from './target';

const t = vscode.l10n.t;

/** Programmatic form: `executeCommand('pgUpgradePilot.addCluster', args)` → the new cluster's id. */
export interface AddClusterArgs {
  name: string;
  /** libpq connection string (URI or keyword/value). A password in it goes to SecretStorage. */
  connection: string;
  password?: string;
  production?: boolean;
  group?: string;
  /** Default "user". */
  scope?: ClusterScope;
  subscriberConnection?: string;
}

/** PG Upgrade: Add Cluster. Returns the new cluster's id, or undefined when cancelled. */
export async function addCluster(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const conn = await loadConn();
  if (typeof arg === 'object' && arg !== null && 'connection' in arg) return addFromArgs(ctx, conn, arg as AddClusterArgs);

  const title = t('Add PostgreSQL Cluster');
  const how = await vscode.window.showQuickPick(
    [
      { label: `$(link) ${t('Paste a connection string')}`, detail: t('URI or keyword/value, multi-host and target_session_attrs included'), guided: false },
      { label: `$(list-ordered) ${t('Enter host, port, database, user…')}`, detail: t('Step by step, including sslmode'), guided: true },
    ],
    { title, placeHolder: t('How do you want to describe the connection?'), ignoreFocusOut: true },
  );
  if (!how) return undefined;
  const typed = how.guided ? await askGuidedConnection(conn, title) : await askConnectionString(conn, title);
  if (!typed) return undefined;
  const params = conn.parseConnString(typed);
  const name = await askClusterName(ctx.registry, title, suggestName(ctx, params));
  if (!name) return undefined;
  const group = await askGroup(ctx.registry, title);
  if (group === undefined) return undefined;
  const production = await askProduction(title);
  if (production === undefined) return undefined;
  const scope = await askScope(ctx.registry, title);
  if (!scope) return undefined;

  const id = await save(ctx, conn, { name, connection: typed, production, group: group || undefined, scope });
  const test = t('Test Connection');
  void vscode.window.showInformationMessage(t('Cluster "{0}" added.', name), test).then((choice) => {
    if (choice === test) void vscode.commands.executeCommand('pgUpgradePilot.testConnection', { clusterId: id });
  });
  await reveal(ctx, id);
  return id;
}

function suggestName(ctx: CommandContext, params: ReturnType<ConnModule['parseConnString']>): string {
  const base = suggestClusterName(params);
  return ctx.registry.findByName(base) ? '' : base;
}

async function addFromArgs(ctx: CommandContext, conn: ConnModule, arg: AddClusterArgs): Promise<string> {
  const name = option(arg, 'name', isString) ?? '';
  const nameProblem = clusterNameProblem(name, ctx.registry.list(), t);
  if (nameProblem) throw new Error(nameProblem);
  const connection = option(arg, 'connection', isString) ?? '';
  try {
    conn.parseConnString(connection);
  } catch (err) {
    throw new Error(t('Invalid connection string: {0}', connStringErrorMessage(err, t)));
  }
  const scope = option(arg, 'scope', (v): v is ClusterScope => v === 'user' || v === 'workspace') ?? 'user';
  return save(ctx, conn, {
    name: name.trim(),
    connection: connection.trim(),
    password: option(arg, 'password', isString),
    production: option(arg, 'production', isBoolean) ?? false,
    group: option(arg, 'group', isString)?.trim() || undefined,
    scope,
    subscriberConnection: option(arg, 'subscriberConnection', isString)?.trim() || undefined,
  });
}

/** Stores the definition (password stripped, moved to SecretStorage). */
async function save(ctx: CommandContext, conn: ConnModule, a: AddClusterArgs): Promise<string> {
  const params = conn.parseConnString(a.connection);
  const password = a.password || params.password || undefined;
  const connection = params.password !== undefined || params.sslpassword !== undefined ? conn.redactConnString(a.connection) : a.connection;
  let subscriberConnection = a.subscriberConnection;
  if (subscriberConnection) {
    try {
      conn.parseConnString(subscriberConnection);
    } catch (err) {
      throw new Error(t('Invalid subscriber connection string: {0}', connStringErrorMessage(err, t)));
    }
    subscriberConnection = conn.redactConnString(subscriberConnection);
  }
  const definition = await ctx.registry.add(
    { name: a.name, connection, production: a.production || undefined, group: a.group, subscriberConnection },
    a.scope ?? 'user',
  );
  if (password) await ctx.passwords.set(definition.id, password);
  ctx.log.info(`added "${definition.name}": ${conn.redactConnString(connection)}${password ? ' (password in SecretStorage)' : ''}`);
  return definition.id;
}

async function reveal(ctx: CommandContext, clusterId: string): Promise<void> {
  if (!ctx.treeView.visible) return;
  // The tree re-reads settings asynchronously; give it one turn before revealing.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await ctx.explorer.getChildren();
  const node = ctx.explorer.clusterNode(clusterId);
  if (node) await ctx.treeView.reveal(node, { select: true, focus: false }).then(undefined, () => undefined);
}
