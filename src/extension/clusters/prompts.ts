/** The dialogs of Add Cluster / Edit Cluster: each returns undefined when the user cancels. */
import * as vscode from 'vscode';
import type { SslMode, TargetSessionAttrs } from '../../core/conn/types';
import type { ConnModule } from '../lazy';
import type { SettingsClusterRegistry } from './registry';
import { clusterNameProblem, groupNames, type ClusterScope } from './settings';
import { connStringErrorMessage, connectionNotes, guidedParams, hostsProblem, portsProblem, splitList } from './connectionInput';

const t = vscode.l10n.t;

/** Inline validation of a connection string: parse errors name the bad part; notes are non-blocking. */
export function validateConnectionString(conn: ConnModule, value: string, optional = false): vscode.InputBoxValidationMessage | string | undefined {
  if (!value.trim()) return optional ? undefined : t('Enter a connection string, e.g. host=db1,db2 port=5432 dbname=app user=admin target_session_attrs=read-write');
  try {
    const params = conn.parseConnString(value.trim());
    const notes = connectionNotes(params, t);
    const worst = notes.find((n) => n.severity === 'warning') ?? notes[0];
    if (!worst) return undefined;
    return { message: worst.message, severity: worst.severity === 'warning' ? vscode.InputBoxValidationSeverity.Warning : vscode.InputBoxValidationSeverity.Info };
  } catch (err) {
    return connStringErrorMessage(err, t);
  }
}

export async function askConnectionString(conn: ConnModule, title: string, initial?: string): Promise<string | undefined> {
  const value = await vscode.window.showInputBox({
    title,
    prompt: t('A libpq connection string: URI (postgresql://user@host1:5432,host2:5432/db?target_session_attrs=read-write) or keyword/value (host=… port=… dbname=… user=…).'),
    placeHolder: 'host=db1,db2 port=5432 dbname=postgres user=postgres target_session_attrs=read-write',
    value: initial,
    ignoreFocusOut: true,
    validateInput: (v) => validateConnectionString(conn, v),
  });
  return value?.trim() || undefined;
}

/** Host(s), port(s), database, user, sslmode (and sslrootcert), target_session_attrs for several hosts. */
export async function askGuidedConnection(conn: ConnModule, title: string): Promise<string | undefined> {
  const step = (n: number) => `${title} (${n}/6)`;
  const hosts = await vscode.window.showInputBox({
    title: step(1), prompt: t('Host name(s) or IP address(es), comma-separated for a multi-host connection'),
    value: 'localhost', ignoreFocusOut: true, validateInput: (v) => hostsProblem(v, t),
  });
  if (hosts === undefined) return undefined;
  const hostCount = splitList(hosts).length;
  const ports = await vscode.window.showInputBox({
    title: step(2), prompt: hostCount > 1 ? t('Port, or one port per host, comma-separated') : t('Port'),
    value: '5432', ignoreFocusOut: true, validateInput: (v) => portsProblem(v, hostCount, t),
  });
  if (ports === undefined) return undefined;
  const database = await vscode.window.showInputBox({
    title: step(3), prompt: t('Database to connect to'), value: 'postgres', ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : t('Enter a database name.')),
  });
  if (database === undefined) return undefined;
  const user = await vscode.window.showInputBox({
    title: step(4), prompt: t('User name (a superuser or a role with REPLICATION for upgrades)'), value: 'postgres', ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : t('Enter a user name.')),
  });
  if (user === undefined) return undefined;
  const sslmode = await pickSslMode(step(5));
  if (sslmode === undefined) return undefined;
  let sslrootcert: string | undefined;
  if (sslmode === 'verify-ca' || sslmode === 'verify-full') {
    sslrootcert = await vscode.window.showInputBox({
      title: step(5), prompt: t('sslrootcert: file of the CA certificate(s), or "system" for the system roots (empty: ~/.postgresql/root.crt)'),
      ignoreFocusOut: true,
    });
    if (sslrootcert === undefined) return undefined;
  }
  let targetSessionAttrs: TargetSessionAttrs | undefined;
  if (hostCount > 1) {
    targetSessionAttrs = await pickTargetSessionAttrs(step(6));
    if (targetSessionAttrs === undefined) return undefined;
  }
  return conn.formatConnString(guidedParams({ hosts, ports, database, user, sslmode, sslrootcert, targetSessionAttrs }));
}

async function pickSslMode(title: string): Promise<SslMode | undefined> {
  const items: Array<vscode.QuickPickItem & { value: SslMode }> = [
    { value: 'prefer', label: 'prefer', description: t('TLS when the server offers it (libpq default)') },
    { value: 'require', label: 'require', description: t('TLS always, certificate not checked') },
    { value: 'verify-ca', label: 'verify-ca', description: t('TLS, certificate signed by a trusted CA') },
    { value: 'verify-full', label: 'verify-full', description: t('TLS, trusted certificate matching the host name') },
    { value: 'disable', label: 'disable', description: t('No TLS') },
    { value: 'allow', label: 'allow', description: t('Plain first, TLS if the server insists') },
  ];
  return (await vscode.window.showQuickPick(items, { title, placeHolder: t('sslmode'), ignoreFocusOut: true }))?.value;
}

async function pickTargetSessionAttrs(title: string): Promise<TargetSessionAttrs | undefined> {
  const items: Array<vscode.QuickPickItem & { value: TargetSessionAttrs }> = [
    { value: 'read-write', label: 'read-write', description: t('The server that accepts writes (the primary): recommended') },
    { value: 'primary', label: 'primary', description: t('A server not in recovery') },
    { value: 'any', label: 'any', description: t('The first server that answers') },
    { value: 'prefer-standby', label: 'prefer-standby', description: t('A standby if one answers, else any server') },
    { value: 'standby', label: 'standby', description: t('A server in recovery') },
    { value: 'read-only', label: 'read-only', description: t('A server that refuses writes') },
  ];
  return (await vscode.window.showQuickPick(items, { title, placeHolder: 'target_session_attrs', ignoreFocusOut: true }))?.value;
}

export async function askClusterName(registry: SettingsClusterRegistry, title: string, value: string, exceptId?: string): Promise<string | undefined> {
  const name = await vscode.window.showInputBox({
    title, prompt: t('Display name of the cluster'), value, ignoreFocusOut: true,
    validateInput: (v) => clusterNameProblem(v, registry.list(), t, exceptId),
  });
  return name?.trim() || undefined;
}

/** '' = no group. */
export async function askGroup(registry: SettingsClusterRegistry, title: string, current?: string): Promise<string | undefined> {
  const none = { label: t('No group'), value: '' };
  const create = { label: `$(add) ${t('New group…')}`, value: undefined as string | undefined };
  const existing = groupNames(registry.list()).map((g) => ({ label: g, value: g as string | undefined, description: g === current ? t('current') : undefined }));
  const picked = await vscode.window.showQuickPick([none, ...existing, create], { title, placeHolder: t('Group shown in the explorer (optional)'), ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.value !== undefined) return picked.value;
  const name = await vscode.window.showInputBox({
    title, prompt: t('Name of the new group'), ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : t('Enter a group name.')),
  });
  return name?.trim() || undefined;
}

export async function askProduction(title: string, current = false): Promise<boolean | undefined> {
  const items = [
    { label: t('Not production'), description: t('development, test, lab'), value: false, picked: !current },
    { label: `$(shield) ${t('Production')}`, description: t('disruptive and destructive steps ask for typed confirmation'), value: true, picked: current },
  ];
  return (await vscode.window.showQuickPick(items, { title, placeHolder: t('Is this a production cluster?'), ignoreFocusOut: true }))?.value;
}

/** Asks only when a workspace is open and trusted; otherwise user settings. */
export async function askScope(registry: SettingsClusterRegistry, title: string): Promise<ClusterScope | undefined> {
  if (!registry.workspaceScopeAvailable()) return 'user';
  const items: Array<vscode.QuickPickItem & { value: ClusterScope }> = [
    { value: 'user', label: t('User settings'), description: t('available in every workspace') },
    { value: 'workspace', label: t('Workspace settings'), description: t('only in this workspace (shared with it, e.g. in .vscode/settings.json)') },
  ];
  return (await vscode.window.showQuickPick(items, { title, placeHolder: t('Where to store the cluster definition (never the password)'), ignoreFocusOut: true }))?.value;
}
