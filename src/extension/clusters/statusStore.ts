import * as vscode from 'vscode';
import type { ClusterStatus } from './status';

const UNKNOWN: ClusterStatus = { state: 'unknown' };

/** Last known status per cluster id, shared by the connection manager, the explorer and the commands. */
export class ClusterStatusStore implements vscode.Disposable {
  private readonly statuses = new Map<string, ClusterStatus>();
  private readonly changed = new vscode.EventEmitter<{ clusterId: string; previous: ClusterStatus; current: ClusterStatus }>();
  readonly onDidChange = this.changed.event;

  get(clusterId: string): ClusterStatus {
    return this.statuses.get(clusterId) ?? UNKNOWN;
  }

  set(clusterId: string, current: ClusterStatus): void {
    const previous = this.get(clusterId);
    if (current.state === 'unknown') this.statuses.delete(clusterId);
    else this.statuses.set(clusterId, current);
    this.changed.fire({ clusterId, previous, current });
  }

  /** Keeps the server facts of a connected cluster and adds/replaces its overview. */
  update(clusterId: string, patch: Partial<Extract<ClusterStatus, { state: 'connected' }>>): void {
    const status = this.get(clusterId);
    if (status.state === 'connected') this.set(clusterId, { ...status, ...patch });
  }

  forget(clusterId: string): void {
    this.statuses.delete(clusterId);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
