/**
 * Talking to a pooler's admin console from VS Code: the password comes from SecretStorage (the core's provider), else
 * the password file; when the pooler asks for one and the caller is interactive, a password InputBox — the password
 * is kept in SecretStorage only once the pooler accepted it, and never shown, logged or put in settings.
 */
import * as vscode from 'vscode';
import type { AdminConsole } from '../../core/routing/pgbouncer-admin';
import { endpointOf, registerEndpointPasswordProviders, type EndpointPasswords } from '../endpointSecrets';
import { errorMessage } from '../log';
import { endpointSecretId } from '../secrets';
import { poolerDatabases, type PoolerDatabaseState } from '../../core/monitor/poolers';

const t = vscode.l10n.t;
const isPasswordError = (err: unknown) => /password/i.test(errorMessage(err));

/** Opens the console, asking for the password when needed and `interactive`; the caller ends it. */
export async function openPoolerConsole(stores: EndpointPasswords, admin: string, interactive: boolean): Promise<AdminConsole> {
  await registerEndpointPasswordProviders(stores);
  const { openAdminConsole } = await import('../../core/routing/pgbouncer-admin');
  try {
    return await openAdminConsole(admin);
  } catch (err) {
    if (!interactive || !isPasswordError(err)) throw err;
  }
  const ep = await endpointOf(admin, 6432);
  const id = endpointSecretId(ep.user, ep.host, ep.port);
  const stale = await stores.poolers.get(id);
  const password = await vscode.window.showInputBox({
    title: t('PgBouncer admin console {0}:{1}', ep.host, ep.port),
    prompt: [stale ? t('The stored password was refused.') : '', t('Password of {0} on the pooler {1}:{2}. It is kept in VS Code\'s secret storage, never in settings.', ep.user, ep.host, ep.port)].filter(Boolean).join(' '),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v ? undefined : t('Enter the password (an empty password is never sent).')),
  });
  if (!password) throw new Error(t('No password for the pooler {0}:{1}: nothing was changed.', ep.host, ep.port));
  await stores.poolers.set(id, password);
  try {
    return await openAdminConsole(admin);
  } catch (err) {
    if (isPasswordError(err)) await stores.poolers.delete(id); // only an accepted password is kept
    throw err;
  }
}

/** The pooled databases with their pools, read in one console session. */
export async function readPoolerState(stores: EndpointPasswords, admin: string, interactive: boolean): Promise<PoolerDatabaseState[]> {
  const c = await openPoolerConsole(stores, admin, interactive);
  try {
    const { showConfig, showDatabases, showPools } = await import('../../core/routing/pgbouncer-admin');
    const dbs = await showDatabases(c);
    const pools = await showPools(c);
    const poolMode = (await showConfig(c)).get('pool_mode'); // the default of entries without pool_mode=
    return poolerDatabases(dbs, pools, poolMode);
  } finally {
    await c.end().catch(() => undefined);
  }
}
