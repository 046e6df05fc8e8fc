/**
 * Who the target's subscription connects to the source as (issue 11): the source connection's user (its password is
 * ours), or a dedicated replication user — its connection WITHOUT password goes into `params.subscriberConnection`,
 * its password into SecretStorage (asked once), from where the core's replication-password provider hands it to
 * the subscription (the same seam as the CLI's password file).
 */
import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../../core/clusters';
import { endpointSecretOf, type EndpointPasswords } from '../../endpointSecrets';
import { loadConn } from '../../lazy';

const t = vscode.l10n.t;

/** The problem with a subscriber connection string, or undefined. */
export async function subscriberConnectionProblem(text: string): Promise<string | undefined> {
  const conn = await loadConn();
  try {
    const p = conn.parseConnString(text);
    if (p.password !== undefined) return t('No password in the connection: it is asked next and kept in the secret store.');
    if (!p.user) return t('Give the replication user (user=…).');
    if (!p.host && !p.hostaddr && !p.service) return t('Give the host the TARGET server reaches the source by (host=… port=…).');
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Asks the replication user; `null` when cancelled, undefined for "the source connection's user". */
export async function askReplicationUser(source: ClusterDefinition, stores: EndpointPasswords, current: string | undefined): Promise<string | undefined | null> {
  const picked = await vscode.window.showQuickPick([
    { label: t('The source connection\'s user'), detail: t('The subscription connects as the user of {0}, with its password.', source.name), dedicated: false },
    { label: t('A dedicated replication user…'), detail: t('Its own login with REPLICATION; its password is kept in VS Code\'s secret storage.'), dedicated: true },
  ], { title: t('Replication user of the upgrade of {0}', source.name), ignoreFocusOut: true });
  if (!picked) return null;
  if (!picked.dedicated) return undefined;
  const conn = await loadConn();
  const base = conn.parseConnString(source.connection);
  const suggestion = current ?? conn.formatConnString({ host: base.host, port: base.port, dbname: base.dbname, user: 'replicator' });
  const text = await vscode.window.showInputBox({
    title: t('Replication user: how the TARGET server reaches the source'),
    prompt: t('A connection string without password, e.g. host=db14.internal port=5432 user=replicator'),
    value: suggestion,
    ignoreFocusOut: true,
    validateInput: (v) => subscriberConnectionProblem(v.trim()),
  });
  if (text === undefined) return null;
  const connection = text.trim();
  const id = await endpointSecretOf(connection, 5432);
  const stored = await stores.replication.has(id);
  const password = await vscode.window.showInputBox({
    title: t('Password of {0}', id),
    prompt: stored
      ? t('A password is stored for {0}: leave empty to keep it. Kept in VS Code\'s secret storage, never in settings.', id)
      : t('Kept in VS Code\'s secret storage, never in settings; the target receives it only for the subscription.'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v || stored ? undefined : t('Enter the password (an empty password is never sent).')),
  });
  if (password === undefined) return null;
  if (password) await stores.replication.set(id, password);
  return connection;
}
