/**
 * One dashboard panel (a run's "Upgrade Dashboard" or a pair's "Replication"): the webview, its typed messages, and
 * the polling loop that lives HERE in the extension host — one monitor tick at a time, every
 * `pgUpgradePilot.dashboard.pollIntervalMs`, paused while the panel is hidden or paused by the user. The webview is
 * rebuilt when shown again (no retainContextWhenHidden): it says "ready" and gets the whole state back in "init".
 */
import * as vscode from 'vscode';
import type { DashboardSnapshot, ReplicationMonitor, TableSyncRow } from '../../core/monitor';
import { watchesReversePath } from '../../core/monitor/phase';
import { diffTables } from '../../core/monitor/tableDelta';
import {
  DASHBOARD_VIEW_TYPE, parseWebviewMessage, PROTOCOL_VERSION, type DashboardTarget, type HostMessage, type RunView, type WebviewMessage,
} from '../../core/protocol/dashboard';
import { errorMessage, type Logger } from '../log';
import type { ExtensionServices } from '../services';
import { PanelDrift } from './drift';
import { dashboardHtml, newNonce } from './html';
import { pairOf, pairOfRun, type PairPlan } from './pair';
import { journalDirOf, RunReader, runView, type LoadedRun } from './runs';

export interface PanelDeps {
  services: ExtensionServices;
  log: Logger;
  /** The questions runs wait on in this window (the runbook feature's PendingQuestions). */
  pending?: { get(runId: string): { title: string } | undefined; onDidChange: vscode.Event<void> };
}

export const MIN_POLL_MS = 250;

export function pollIntervalMs(): number {
  const v = vscode.workspace.getConfiguration('pgUpgradePilot.dashboard').get<number>('pollIntervalMs', 1000);
  return Math.min(60_000, Math.max(MIN_POLL_MS, Number.isFinite(v) ? v : 1000));
}

export function targetKey(t: DashboardTarget): string {
  return t.kind === 'run' ? `run:${t.runId}` : t.kind === 'logical' ? `logical:${t.sourceId}:${t.targetId}:${t.subscription ?? ''}` : `streaming:${t.primaryId}:${t.standbyId ?? ''}`;
}

export class DashboardPanel implements vscode.Disposable {
  static readonly open = new Map<string, DashboardPanel>();

  /** Reveals the panel of `target`, creating it when needed. */
  static show(deps: PanelDeps, target: DashboardTarget): DashboardPanel {
    const existing = DashboardPanel.open.get(targetKey(target));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'PG Upgrade', vscode.ViewColumn.Active, DashboardPanel.options(deps));
    return new DashboardPanel(deps, panel, target);
  }

  static options(deps: PanelDeps): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const root = deps.services.context.extensionUri;
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')],
    };
  }

  private readonly disposables: vscode.Disposable[] = [];
  private monitor: ReplicationMonitor | undefined;
  private plan: PairPlan | string | undefined;
  private readonly reader: RunReader | undefined;
  private lastSnapshot: DashboardSnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private userPaused = false;
  private busy = false;
  /** Watching the reverse path (after the switchover). */
  private reversed = false;
  private disposed = false;
  private title = 'PG Upgrade';
  /** The table rows the webview holds (what the next delta is computed against); undefined = send them all. */
  private sentRows: Map<string, TableSyncRow> | undefined;
  /** Schema drift of a logical pair (issue 9): compared on demand, when the apply stops, at a bounded interval. */
  private readonly drift = new PanelDrift((m) => this.post(m));
  /** The run's parameters while it replicates forward (the drift's scope). */
  private runParams: Record<string, unknown> | undefined;

  constructor(private readonly deps: PanelDeps, readonly panel: vscode.WebviewPanel, readonly target: DashboardTarget) {
    DashboardPanel.open.set(targetKey(target), this);
    if (target.kind === 'run') this.reader = new RunReader(journalDirOf(deps.services.context), target.runId);
    else this.setPlan(pairOf(deps.services, target));
    panel.webview.options = DashboardPanel.options(deps);
    this.title = this.pairTitle();
    panel.title = this.title;
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidChangeViewState(() => this.visibilityChanged()),
      ...(deps.pending ? [deps.pending.onDidChange(() => void this.pushRun().catch(() => undefined))] : []),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgUpgradePilot.dashboard.pollIntervalMs')) this.schedule(0);
      }),
    );
    this.schedule(0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    DashboardPanel.open.delete(targetKey(this.target));
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  /** True while the loop may poll: panel visible and not paused by the user. */
  get polling(): boolean {
    return !this.disposed && this.panel.visible && !this.userPaused;
  }

  /** The last snapshot (tests and the record export). */
  get snapshot(): DashboardSnapshot | undefined {
    return this.lastSnapshot;
  }

  /** Polls once now (waits for a tick in progress first). */
  async refresh(): Promise<void> {
    await this.ticking;
    await this.tick(false);
  }

  private html(): string {
    const webview = this.panel.webview;
    const root = this.deps.services.context.extensionUri;
    return dashboardHtml({
      cspSource: webview.cspSource,
      nonce: newNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'dist', 'webview', 'dashboard.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'media', 'dashboard.css')).toString(),
      title: this.title,
      lang: vscode.env.language,
    });
  }

  private pairTitle(): string {
    const reg = this.deps.services.clusters;
    const name = (id?: string) => (id ? reg.get(id)?.name ?? id : '');
    switch (this.target.kind) {
      case 'run': return vscode.l10n.t('Upgrade Dashboard: run {0}', this.target.runId);
      case 'logical': return vscode.l10n.t('Replication: {0} → {1}', name(this.target.sourceId), name(this.target.targetId));
      case 'streaming': return this.target.standbyId
        ? vscode.l10n.t('Replication: {0} → {1}', name(this.target.primaryId), name(this.target.standbyId))
        : vscode.l10n.t('Replication: {0}', name(this.target.primaryId));
    }
  }

  private setPlan(plan: PairPlan | string): void {
    this.plan = plan;
    this.monitor = undefined;
  }

  private async ensureMonitor(): Promise<ReplicationMonitor | undefined> {
    if (typeof this.plan !== 'object') return undefined;
    if (!this.monitor) {
      const { ReplicationMonitor } = await import('../../core/monitor');
      this.monitor = new ReplicationMonitor({ subscription: this.plan.subscription, lagThresholdBytes: this.plan.lagThresholdBytes });
    }
    return this.monitor;
  }

  private post(m: HostMessage): void {
    if (this.disposed) return;
    void this.panel.webview.postMessage(m).then((delivered) => {
      if (!delivered && (m.type === 'snapshot' || m.type === 'init')) this.sentRows = undefined; // resend all next time
    });
  }

  /** Only the table rows that changed since the last message travel (10,000 tables stay cheap to update). */
  private postSnapshot(s: DashboardSnapshot): void {
    const { delta, rows } = diffTables(this.sentRows, s.tables.listed);
    this.sentRows = rows;
    this.post({ type: 'snapshot', snapshot: { ...s, tables: { ...s.tables, listed: [] } }, tables: delta });
  }

  private visibilityChanged(): void {
    if (this.panel.visible) this.schedule(0); // the rebuilt webview asks for everything with "ready"
    else {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.polling) return;
    this.timer = setTimeout(() => void this.tick(true), delayMs);
  }

  /** One tick: the run's journal (if it changed) and one monitor poll; then the next tick is scheduled. */
  private tick(loop: boolean): Promise<void> {
    if (this.ticking) return this.ticking;
    const started = Date.now();
    this.ticking = (async () => {
      try {
        await this.readRun();
        const monitor = await this.ensureMonitor();
        if (monitor && typeof this.plan === 'object') {
          this.lastSnapshot = await monitor.poll(this.plan.pair);
          this.postSnapshot(this.lastSnapshot);
          await this.drift.afterPoll(this.plan.pair, this.lastSnapshot, this.plan.subscription, this.reversed ? undefined : this.runParams);
        }
      } catch (err) {
        this.deps.log.warn(`dashboard ${targetKey(this.target)}: ${errorMessage(err)}`);
        this.post({ type: 'notice', level: 'error', message: errorMessage(err) });
      } finally {
        this.ticking = undefined;
        if (loop || this.polling) this.schedule(Math.max(0, pollIntervalMs() - (Date.now() - started)));
      }
    })();
    return this.ticking;
  }

  private async readRun(): Promise<boolean> {
    if (!this.reader) return false;
    const { run, changed } = await this.reader.read();
    if (!changed) return false;
    // after the switchover the forward subscription is disabled on purpose: watch the reverse path / the new primary
    const view = this.viewOf(run);
    this.runParams = run.summary.params;
    const reversed = watchesReversePath(view.phase ?? 'preparing');
    if (this.plan === undefined || reversed !== this.reversed) {
      this.reversed = reversed;
      this.setPlan(pairOfRun(this.deps.services, run.summary.clusters, run.summary.params, { reversed }));
      if (typeof this.plan === 'string') this.post({ type: 'notice', level: 'info', message: this.plan });
    }
    const names = run.summary.clusters.map((c) => c.name).join(' → ');
    this.title = vscode.l10n.t('Upgrade Dashboard: {0} ({1})', run.title, names);
    this.panel.title = this.title;
    this.post({ type: 'run', run: view });
    return true;
  }

  private async init(): Promise<void> {
    let run;
    try {
      if (this.reader) {
        await this.readRun();
        run = this.viewOf((await this.reader.read()).run);
      }
    } catch (err) {
      this.post({ type: 'notice', level: 'error', message: errorMessage(err) });
    }
    // A new webview (first open, shown again, window reload): everything again, the table rows in full.
    const snapshot = this.lastSnapshot;
    const tables = snapshot ? diffTables(undefined, snapshot.tables.listed) : undefined;
    this.sentRows = tables?.rows;
    this.post({
      type: 'init', protocol: PROTOCOL_VERSION, target: this.target, title: this.title, pollIntervalMs: pollIntervalMs(),
      polling: this.polling, history: this.monitor?.lagHistory() ?? [], run, drift: this.drift.current,
      ...(snapshot && tables ? { snapshot: { ...snapshot, tables: { ...snapshot.tables, listed: [] } }, tables: tables.delta } : {}),
    });
    if (typeof this.plan === 'string') this.post({ type: 'notice', level: 'info', message: this.plan });
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.deps.log.warn(`dashboard: refused a webview message: ${parsed.error}`);
      return;
    }
    void this.handle(parsed.value).catch((err) => {
      this.deps.log.error(`dashboard: ${parsed.value.type} failed: ${errorMessage(err)}`);
      this.post({ type: 'notice', level: 'error', message: errorMessage(err) });
    });
  }

  /** A run action is accepted only for this panel's own run. */
  private ownRun(runId: string): boolean {
    const ok = this.target.kind === 'run' && this.target.runId === runId;
    if (!ok) this.deps.log.warn(`dashboard: refused an action on run ${runId} from the panel of ${targetKey(this.target)}`);
    return ok;
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.init();
        this.schedule(0);
        return;
      case 'refresh':
        await this.refresh();
        return;
      case 'checkDrift':
        this.drift.ask();
        await this.refresh();
        return;
      case 'copyDrift':
        if (await this.drift.copy(m.index)) this.post({ type: 'notice', level: 'info', message: vscode.l10n.t('DDL for the target copied to the clipboard.') });
        return;
      case 'setPolling':
        this.userPaused = !m.polling;
        this.post({ type: 'polling', polling: this.polling, reason: this.userPaused ? vscode.l10n.t('paused by you') : undefined });
        this.schedule(0);
        return;
      case 'runNextStep':
        if (!this.ownRun(m.runId)) return;
        await this.runNextStep(m.runId);
        return;
      case 'showQuestion':
        if (!this.ownRun(m.runId)) return;
        await vscode.commands.executeCommand('pgUpgradePilot.showPendingQuestion', { runId: m.runId });
        return;
      case 'exportRecord': {
        if (!this.ownRun(m.runId)) return;
        const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('pgUpgradePilot.exportRecord', { runId: m.runId });
        if (uri) this.post({ type: 'notice', level: 'info', message: vscode.l10n.t('Upgrade record saved: {0}', vscode.workspace.asRelativePath(uri)) });
        return;
      }
      case 'addNote':
        if (!this.ownRun(m.runId)) return;
        await vscode.commands.executeCommand('pgUpgradePilot.addNote', { runId: m.runId, text: m.text });
        await this.readRun();
        return;
    }
  }

  /** The runbook feature's command confirms in the extension host (dialogs), runs the step, journals it. */
  private async runNextStep(runId: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    await this.pushRun();
    try {
      await vscode.commands.executeCommand('pgUpgradePilot.runNextStep', { runId });
    } finally {
      this.busy = false;
      await this.pushRun();
      await this.refresh();
    }
  }

  private async pushRun(): Promise<void> {
    if (!this.reader) return;
    const { run } = await this.reader.read();
    this.post({ type: 'run', run: this.viewOf(run) });
  }

  /** The run as the webview shows it: with the open question and the monitor's table states (for the phase). */
  private viewOf(run: LoadedRun): RunView {
    const waitingFor = this.target.kind === 'run' ? this.deps.pending?.get(this.target.runId)?.title : undefined;
    return runView(run, this.busy && !waitingFor, { waitingFor, tables: this.lastSnapshot?.tables });
  }
}
