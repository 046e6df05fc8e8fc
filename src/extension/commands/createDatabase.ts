/**
 * PG Upgrade: Create the Missing Database.  Args: a cluster (node, `{ id }`). Offered when a cluster's connection
 * fails with "database … does not exist": names the database, shows the exact statement (identifier quoted), asks,
 * then connects to the same server's "postgres" database (same host, user, password) and runs CREATE DATABASE.
 * Returns the database created, or undefined.
 */
import * as vscode from 'vscode';
import { quoteIdent } from '../../core/sql';
import { errorMessage } from '../log';
import { loadConn } from '../lazy';
import type { CommandContext } from './context';
import { resolveCluster } from './target';

const t = vscode.l10n.t;
const MAINTENANCE_DB = 'postgres';

export async function createDatabase(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const cluster = await resolveCluster(ctx, arg, t('Cluster whose database is missing'));
  if (!cluster) return undefined;
  const conn = await loadConn();
  const resolved = await conn.resolveConn(conn.parseConnString(cluster.connection));
  const name = resolved.dbname;
  if (name === MAINTENANCE_DB) throw new Error(t('The database "{0}" is the maintenance database; it cannot be created from here.', name));
  const statement = `CREATE DATABASE ${quoteIdent(name)}`;
  const create = t('Create Database');
  const choice = await vscode.window.showWarningMessage(
    t('Create the database "{0}" on {1}?', name, cluster.name),
    { modal: true, detail: `${t('Runs on {0} (connected to its "{1}" database as {2}):', cluster.name, MAINTENANCE_DB, resolved.user)}\n\n${statement};` },
    create,
  );
  if (choice !== create) return undefined;
  const password = await ctx.connections.password(cluster.id);
  const { client } = await conn.connect({ ...resolved, dbname: MAINTENANCE_DB, password: password ?? resolved.password }, { applicationName: 'PG Upgrade Pilot' });
  try {
    await client.query(statement);
  } catch (err) {
    throw new Error(t('Could not create the database "{0}" on {1}: {2}', name, cluster.name, errorMessage(err)));
  } finally {
    await client.end().catch(() => undefined);
  }
  ctx.log.info(`created database "${name}" on "${cluster.name}"`);
  ctx.connections.allowPrompt(cluster.id);
  await ctx.connections.dispose(cluster.id);
  ctx.explorer.refresh(cluster.id);
  void vscode.window.showInformationMessage(t('Database "{0}" created on {1}.', name, cluster.name));
  return name;
}
