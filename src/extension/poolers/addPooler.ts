/**
 * Adds a PgBouncer pooler in front of a cluster: its admin console (no password in the connection: asked when the
 * pooler wants one, kept in SecretStorage) and its pgbouncer.ini. Checked against the pooler before it is saved: the
 * console answers and lists its databases.
 */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';
import { endpointSecretOf } from '../endpointSecrets';
import { loadConn } from '../lazy';
import { errorMessage } from '../log';
import type { ExtensionServices } from '../services';
import { readPoolerState } from './console';
import { adminConnectionProblem, configPathProblem, type PoolerDefinition } from './settings';

const t = vscode.l10n.t;

export interface GivenPooler {
  admin?: string;
  config?: string;
  /** Programmatic callers (tests): stored in SecretStorage before the first connection. */
  password?: string;
}

export async function addPooler(services: ExtensionServices, cluster: ClusterDefinition, given: GivenPooler = {}): Promise<PoolerDefinition | undefined> {
  const conn = await loadConn();
  const parse = (s: string) => conn.parseConnString(s) as Record<string, string | undefined>;
  if (given.admin !== undefined) {
    const problem = adminConnectionProblem(given.admin, parse);
    if (problem) throw new Error(t('The pooler\'s admin connection: {0}', problem));
  }
  if (given.config !== undefined) {
    const problem = configPathProblem(given.config);
    if (problem) throw new Error(t('The pooler\'s configuration file: {0}', problem));
  }
  if (given.password === '') throw new Error(t('An empty password is never stored.'));
  const admin = given.admin ?? await vscode.window.showInputBox({
    title: t('PgBouncer in front of {0}: its admin console', cluster.name),
    prompt: t('Connection string without password, e.g. host=pool1 port=6432 dbname=pgbouncer user=pgbouncer'),
    value: 'host=127.0.0.1 port=6432 dbname=pgbouncer user=pgbouncer',
    ignoreFocusOut: true,
    validateInput: (v) => adminConnectionProblem(v.trim(), parse),
  });
  if (admin === undefined) return undefined;
  const config = given.config ?? await vscode.window.showInputBox({
    title: t('PgBouncer in front of {0}: its configuration file', cluster.name),
    prompt: t('Absolute path of the pgbouncer.ini holding its [databases] entries (edited at the switchover, comments and order kept); prefix manual: when it is on another host'),
    value: '/etc/pgbouncer/pgbouncer.ini',
    ignoreFocusOut: true,
    validateInput: (v) => configPathProblem(v.trim()),
  });
  if (config === undefined) return undefined;
  if (given.password) await services.endpointPasswords.poolers.set(await endpointSecretOf(admin.trim(), 6432), given.password);
  let count: number;
  try {
    count = (await readPoolerState(services.endpointPasswords, admin.trim(), true)).length;
  } catch (err) {
    throw new Error(t('The pooler was not added: {0}', errorMessage(err)));
  }
  const def = await services.poolers.add({ clusterId: cluster.id, admin: admin.trim(), config: config.trim() });
  void vscode.window.showInformationMessage(t('PG Upgrade: pooler {0} added under {1} ({2} database(s)).', admin.trim(), cluster.name, count));
  services.refreshTree(cluster.id);
  return def;
}
