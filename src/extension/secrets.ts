import * as vscode from 'vscode';

const PREFIX = 'pgUpgradePilot.password.';
/** Prefixes of the other secrets: a pooler's admin console, a dedicated replication user (keyed by user@host:port). */
export const POOLER_PASSWORD_PREFIX = 'pgUpgradePilot.poolerPassword.';
export const REPLICATION_PASSWORD_PREFIX = 'pgUpgradePilot.replicationPassword.';

/** SecretStorage key of a cluster's password. */
export function passwordKey(clusterId: string, prefix = PREFIX): string {
  return prefix + clusterId;
}

/** The key of a password that belongs to a login on one endpoint rather than to a cluster. */
export function endpointSecretId(user: string, host: string, port: number | string): string {
  return `${user}@${host}:${port}`;
}

/**
 * Cluster passwords, kept only in VS Code's SecretStorage (never in settings, logs or state); with another prefix,
 * the passwords of poolers' admin consoles and of dedicated replication users (ids from endpointSecretId).
 * An empty string is never stored nor returned: "no password" is undefined.
 */
export class PasswordStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires the cluster id whose password was stored or deleted (also from another window). */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage, private readonly prefix = PREFIX) {
    this.subscription = secrets.onDidChange((e) => {
      if (e.key.startsWith(prefix)) this.changed.fire(e.key.slice(prefix.length));
    });
  }

  async get(clusterId: string): Promise<string | undefined> {
    const value = await this.secrets.get(passwordKey(clusterId, this.prefix));
    return value ? value : undefined;
  }

  async has(clusterId: string): Promise<boolean> {
    return (await this.get(clusterId)) !== undefined;
  }

  async set(clusterId: string, password: string): Promise<void> {
    if (!password) throw new Error(vscode.l10n.t('An empty password is never stored.'));
    await this.secrets.store(passwordKey(clusterId, this.prefix), password);
  }

  async delete(clusterId: string): Promise<void> {
    await this.secrets.delete(passwordKey(clusterId, this.prefix));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
