import * as vscode from 'vscode';

const PREFIX = 'pgUpgradePilot.password.';

/** SecretStorage key of a cluster's password. */
export function passwordKey(clusterId: string): string {
  return PREFIX + clusterId;
}

/**
 * Cluster passwords, kept only in VS Code's SecretStorage (never in settings, logs or state).
 * An empty string is never stored nor returned: "no password" is undefined.
 */
export class PasswordStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires the cluster id whose password was stored or deleted (also from another window). */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange((e) => {
      if (e.key.startsWith(PREFIX)) this.changed.fire(e.key.slice(PREFIX.length));
    });
  }

  async get(clusterId: string): Promise<string | undefined> {
    const value = await this.secrets.get(passwordKey(clusterId));
    return value ? value : undefined;
  }

  async has(clusterId: string): Promise<boolean> {
    return (await this.get(clusterId)) !== undefined;
  }

  async set(clusterId: string, password: string): Promise<void> {
    if (!password) throw new Error(vscode.l10n.t('An empty password is never stored.'));
    await this.secrets.store(passwordKey(clusterId), password);
  }

  async delete(clusterId: string): Promise<void> {
    await this.secrets.delete(passwordKey(clusterId));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
