/**
 * The dashboard's schema-drift section, host side (issue 9): when to compare (src/core/monitor/drift.ts decides),
 * the comparison over the panel's pair, and copying the DDL for the target to the clipboard.
 */
import * as vscode from 'vscode';
import type { DashboardSnapshot, MonitorPair } from '../../core/monitor';
import { checkDrift, driftScript, DriftSchedule, type DriftView } from '../../core/monitor/drift';
import type { HostMessage } from '../../core/protocol/dashboard';

export class PanelDrift {
  private readonly schedule = new DriftSchedule();
  private view: DriftView | undefined;

  constructor(private readonly post: (m: HostMessage) => void) {}

  get current(): DriftView | undefined {
    return this.view;
  }

  /** The webview's "Check now": the next tick compares. */
  ask(): void {
    this.schedule.ask();
  }

  /**
   * After a poll of a logical pair: compares when due. `runParams`: the run's parameters while the run replicates
   * forward (its replicated set is the scope); undefined for an explorer pair or the reverse path.
   */
  async afterPoll(pair: MonitorPair, snapshot: DashboardSnapshot, subscription: string | undefined, runParams: Record<string, unknown> | undefined): Promise<void> {
    if (!('source' in pair)) return;
    const sub = snapshot.subscriptions.find((s) => s.name === subscription) ?? (subscription ? undefined : snapshot.subscriptions[0]);
    const stopped = this.schedule.observe(sub);
    if (!this.schedule.due(stopped)) return;
    this.schedule.checked();
    const connect = async (c: typeof pair.source) => ('connect' in c ? (await c.connect()).client : c.client);
    const [source, target] = await Promise.all([connect(pair.source), connect(pair.target)]);
    this.view = await checkDrift(source, target, { runParams, stopped });
    this.post({ type: 'drift', drift: this.view });
  }

  /** Copies one difference's DDL (or the whole script) for the target. */
  async copy(index: number | undefined): Promise<string | undefined> {
    const v = this.view;
    if (!v) return undefined;
    const item = index === undefined ? undefined : v.items[index];
    if (index !== undefined && !item) return undefined;
    const text = item ? driftScript([item]) : v.script;
    if (!text) return undefined;
    await vscode.env.clipboard.writeText(text);
    return text;
  }
}
