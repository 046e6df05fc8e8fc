import * as vscode from 'vscode';
import type { ClusterDefinition } from '../../core/clusters';

/** Where the password is for, shown in the prompt. */
export interface PasswordTarget {
  user?: string;
  host?: string;
  port?: number;
}

/**
 * A password InputBox for a cluster. Returns undefined when dismissed. An empty entry is refused: an empty password
 * is never sent silently.
 */
export async function promptPassword(cluster: ClusterDefinition, target: PasswordTarget = {}, reason?: string): Promise<string | undefined> {
  const where = target.host ? `${target.user ?? ''}${target.user ? '@' : ''}${target.host}${target.port ? `:${target.port}` : ''}` : cluster.name;
  const value = await vscode.window.showInputBox({
    title: vscode.l10n.t('Password for {0}', cluster.name),
    prompt: [reason, vscode.l10n.t('Password for {0}. It is kept in VS Code\'s secret storage, never in settings.', where)].filter(Boolean).join(' '),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v ? undefined : vscode.l10n.t('Enter the password (an empty password is never sent).')),
  });
  return value ? value : undefined;
}
