/**
 * The Upgrade Dashboard / Replication webview (browser side). Talks to its host only through the typed protocol in
 * src/core/protocol/dashboard.ts; holds no secret and polls nothing itself (the host polls and pauses while the
 * panel is hidden). Persists only its target (ids) and filters with setState, so the panel serializer restores it.
 */
import { formatBytes, formatDuration } from '../../src/core/catalog/format';
import { TableSet, type TablesDelta } from '../../src/core/monitor/tableDelta';
import type { DashboardSnapshot } from '../../src/core/monitor/types';
import {
  isHostMessage, type DashboardState, type DashboardTarget, type HostMessage, type InitMessage, type RunView, type WebviewMessage,
} from '../../src/core/protocol/dashboard';
import { LagChart } from './chart';
import { h, setText, toggle } from './dom';
import { DriftSection } from './drift';
import './elements';
import { L } from './i18n';
import { RunPanel } from './run';
import {
  ClustersView, FiguresView, longTransactionRows, poolerRows, ReadinessView, SimpleTable, slotRows, standbyRows, subscriptionRows,
} from './sections';
import { STATE_LABEL, TableList } from './tableList';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: DashboardState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface Stats {
  updates: number;
  lastMs: number;
  maxMs: number;
}

function section(heading: string, ...content: HTMLElement[]): HTMLElement {
  return h('vscode-collapsible', { heading, open: true, class: 'section' }, h('div', { class: 'section-body' }, ...content));
}

class Dashboard {
  private target: DashboardTarget | undefined;
  private filter = '';
  private stateFilter: DashboardState['stateFilter'] = '';
  private readonly stats: Stats = { updates: 0, lastMs: 0, maxMs: 0 };

  private readonly title = h('h1', {}, L('Upgrade Dashboard'));
  private readonly status = h('span', { class: 'status-line', role: 'status' });
  private readonly spinner = h('vscode-progress-ring', { class: 'busy', 'aria-label': 'polling' });
  private readonly pauseButton = h('vscode-button', { secondary: true, class: 'pause', title: 'Pause or resume the dashboard\'s polling of the servers (the run itself is not affected)' }, L('Pause updates'));
  private readonly refreshButton = h('vscode-button', { secondary: true, class: 'refresh' }, L('Refresh'));
  private readonly notice = h('div', { class: 'notice', role: 'alert' });
  private readonly run: RunPanel;
  private readonly runSection: HTMLElement;
  private readonly clusters = new ClustersView();
  private readonly readiness = new ReadinessView();
  private readonly lagFigures = new FiguresView([['bytes', 'Lag'], ['seconds', 'Behind by'], ['threshold', 'Threshold'], ['samples', 'Samples (10 min)']]);
  private readonly chart = new LagChart();
  private readonly counts = h('div', { class: 'state-counts' });
  private readonly progress = h('vscode-progress-bar', { class: 'ready-progress', 'aria-label': 'tables ready' }) as HTMLElement & { value?: number; max: number };
  private readonly tableList = new TableList();
  private readonly tableSet = new TableSet();
  private readonly filterCount = h('span', { class: 'filter-count' });
  private readonly omitted = h('div', { class: 'muted omitted' });
  private readonly tablesSection: HTMLElement;
  private readonly subs = new SimpleTable(['Subscription', 'Worker', 'Publisher', 'Ready', 'Sync workers', 'Lag', 'Behind by', 'Apply errors', 'Sync errors'], undefined, 'No subscription on the target yet.');
  private readonly subsSection: HTMLElement;
  private readonly slots = new SimpleTable(['Slot', 'Type', 'Active', 'WAL retained', 'wal_status', 'Safe WAL size', 'max_slot_wal_keep_size', 'Risk'],
    ['20%', '8%', '7%', '11%', '10%', '11%', '13%', '20%'], 'No replication slot.');
  private readonly standbys = new SimpleTable(['Name', 'Kind', 'Client', 'State', 'Sync', 'Write lag', 'Flush lag', 'Replay lag', 'Replay lag (bytes)'], undefined, 'No WAL sender connected.');
  private readonly longTx = new SimpleTable(['PID', 'User', 'Application', 'State', 'Open for'], undefined, 'No long transaction.');
  private readonly longTxSection: HTMLElement;
  private readonly poolers = new SimpleTable(['Pooler', 'Database', 'Points at', 'Pool mode', 'State', 'Clients', 'Waiting', 'Longest wait'], undefined, 'No pooler.');
  private readonly poolersSection: HTMLElement;
  private readonly readinessSection: HTMLElement;
  private readonly drift: DriftSection;
  private readonly driftSection: HTMLElement;
  /** After the switchover the readiness to switch over means nothing: the panel watches the reverse path instead. */
  private switchedOver = false;
  private readonly countBadges = new Map<string, HTMLElement>();
  private polling = true;

  constructor(private readonly vscode: VsCodeApi) {
    const saved = vscode.getState() as Partial<DashboardState> | undefined;
    this.filter = typeof saved?.filter === 'string' ? saved.filter : '';
    this.stateFilter = saved?.stateFilter ?? '';
    this.run = new RunPanel((m) => this.post(m));
    this.pauseButton.addEventListener('click', () => this.post({ type: 'setPolling', polling: !this.polling }));
    this.refreshButton.addEventListener('click', () => this.post({ type: 'refresh' }));

    for (const st of ['i', 'd', 'f', 's', 'r']) {
      const badge = h('vscode-badge', { variant: 'counter' }, '0');
      this.countBadges.set(st, badge);
      this.counts.append(h('span', { class: `state-count state-${st}`, 'data-state': st }, `${L(STATE_LABEL[st])} `, badge));
    }
    const filterField = h('vscode-textfield', { placeholder: L('Filter tables by name'), class: 'table-filter', value: this.filter }) as HTMLElement & { value: string };
    filterField.addEventListener('input', () => this.setFilter(filterField.value, this.stateFilter ?? ''));
    const stateSelect = h('vscode-single-select', { class: 'state-filter', 'aria-label': 'State' },
      ...[['', 'every state'], ['i', 'initialize'], ['d', 'data copy'], ['f', 'finished copy'], ['s', 'synchronized']]
        .map(([v, label]) => h('vscode-option', { value: v, selected: v === this.stateFilter }, L(label)))) as HTMLElement & { value: string };
    stateSelect.addEventListener('change', () => this.setFilter(this.filter, stateSelect.value));
    this.tableList.setFilter(this.filter, this.stateFilter ?? '');

    this.runSection = section(L('Runbook'), this.run.el);
    this.tablesSection = section(L('Tables'), this.counts, this.progress,
      h('div', { class: 'filter-bar' }, filterField, stateSelect, this.filterCount), this.tableList.el, this.omitted);
    this.subsSection = section(L('Subscriptions'), this.subs.el);
    this.longTxSection = section(L('Long transactions on the source'), this.longTx.el);
    this.poolersSection = section(L('PgBouncer poolers (client routing)'), this.poolers.el);
    this.poolersSection.classList.add('poolers');
    this.drift = new DriftSection((m) => this.post(m));
    this.driftSection = section(L('Schema drift'), this.drift.el);
    this.driftSection.classList.add('drift-section');
    this.driftSection.hidden = true;
    this.readinessSection = section(L('Switchover readiness'), h('div', { class: 'verdict-line' }, this.readiness.verdict), this.readiness.el);
    const app = h('main', { class: 'dashboard' },
      h('header', { class: 'top' }, this.title, h('div', { class: 'top-actions' }, this.spinner, this.status, this.refreshButton, this.pauseButton)),
      this.notice,
      this.runSection,
      this.clusters.el,
      this.poolersSection,
      this.readinessSection,
      this.driftSection,
      section(L('Replication lag (last 10 minutes)'), this.lagFigures.el, this.chart.canvas),
      this.tablesSection,
      this.subsSection,
      section(L('Replication slots'), this.slots.el),
      section(L('WAL senders and standbys'), this.standbys.el),
      this.longTxSection);
    document.body.append(app);
    this.runSection.hidden = true;
    this.poolersSection.hidden = true;
  }

  post(m: WebviewMessage): void {
    this.vscode.postMessage(m);
  }

  receive(raw: unknown): void {
    if (!isHostMessage(raw)) return;
    const t0 = performance.now();
    this.handle(raw);
    const ms = performance.now() - t0;
    this.stats.updates++;
    this.stats.lastMs = ms;
    this.stats.maxMs = Math.max(this.stats.maxMs, ms);
    document.body.dataset.renderMs = ms.toFixed(1);
  }

  get statistics(): Stats {
    return { ...this.stats };
  }

  private handle(m: HostMessage): void {
    switch (m.type) {
      case 'init':
        this.init(m);
        break;
      case 'snapshot':
        this.snapshot(m.snapshot, m.tables, true);
        break;
      case 'run':
        this.runSection.hidden = false;
        this.showRun(m.run);
        break;
      case 'polling':
        this.setPolling(m.polling, m.reason);
        break;
      case 'drift':
        this.driftSection.hidden = false;
        this.drift.update(m.drift);
        break;
      case 'notice':
        setText(this.notice, m.message);
        this.notice.dataset.level = m.level;
        break;
    }
  }

  private init(m: InitMessage): void {
    this.target = m.target;
    setText(this.title, m.title);
    document.title = m.title;
    this.chart.setHistory(m.history);
    this.setPolling(m.polling);
    this.saveState();
    document.body.dataset.kind = m.target.kind;
    if (m.run) {
      this.runSection.hidden = false;
      this.showRun(m.run);
    } else this.runSection.hidden = true;
    if (m.drift) {
      this.driftSection.hidden = false;
      this.drift.update(m.drift);
    }
    if (m.snapshot) this.snapshot(m.snapshot, m.tables ?? { reset: true, upsert: m.snapshot.tables.listed, remove: [] }, false);
  }

  private showRun(run: RunView): void {
    this.run.update(run);
    this.switchedOver = run.phase === 'switched-over' || run.phase === 'finished';
    this.readinessSection.hidden = this.switchedOver;
    this.subsSection.dataset.reverse = String(this.switchedOver);
  }

  private setPolling(polling: boolean, reason?: string): void {
    this.polling = polling;
    setText(this.pauseButton, polling ? L('Pause updates') : L('Resume updates'));
    this.spinner.hidden = !polling;
    document.body.dataset.polling = String(polling);
    if (!polling && reason) setText(this.status, `paused: ${reason}`);
  }

  private snapshot(s: DashboardSnapshot, tables: TablesDelta, live: boolean): void {
    const logical = s.kind === 'logical';
    document.body.dataset.kind = s.kind;
    document.body.dataset.ready = String(s.ready);
    setText(this.status, `updated ${new Date(s.at).toLocaleTimeString()} · ${s.tookMs} ms${this.polling ? '' : ' · paused'}`);
    if (live) setText(this.notice, '');
    this.clusters.update(s.clusters);
    if (this.switchedOver) {
      // watching the reverse path: the "source" is the new primary, the "target" the old server
      for (const card of this.clusters.el.querySelectorAll<HTMLElement>('.cluster-card')) {
        const role = card.querySelector('.card-role');
        if (role) setText(role, card.dataset.role === 'source' ? L('new primary (publishes back)') : L('old server (reverse subscriber)'));
      }
    }
    this.readiness.update(s.readiness, s.ready);
    this.chart.push(s.lag, s.lagThresholdBytes); // a sample the init history already holds is ignored
    this.lagFigures.set('bytes', s.lag.bytes === null ? '—' : formatBytes(s.lag.bytes));
    this.lagFigures.set('seconds', s.lag.seconds === null ? '—' : formatDuration(s.lag.seconds));
    this.lagFigures.set('threshold', formatBytes(s.lagThresholdBytes));
    this.lagFigures.set('samples', String(this.chart.length));

    this.tablesSection.hidden = !logical;
    this.subsSection.hidden = !logical;
    this.longTxSection.hidden = !logical;
    if (logical) {
      const c = s.tables.counts;
      for (const [st, badge] of this.countBadges) setText(badge, (c[st as keyof typeof c] ?? 0).toLocaleString('en-US'));
      this.progress.max = Math.max(1, s.tables.total);
      this.progress.value = c.r;
      this.progress.setAttribute('aria-valuetext', `${c.r} of ${s.tables.total} tables ready`);
      this.tableSet.apply(tables);
      this.tableList.setRows(this.tableSet.rows(), Date.parse(s.at));
      this.updateFilterCount(this.tableSet.size);
      setText(this.omitted, s.tables.omitted ? `${s.tables.omitted.toLocaleString('en-US')} more non-ready tables are not listed.` : '');
      this.subs.setRows(subscriptionRows(s));
      this.longTx.setRows(longTransactionRows(s));
    }
    const slots = slotRows(s);
    this.slots.setRows(slots.rows, slots.classes);
    this.standbys.setRows(standbyRows(s));
    const poolers = poolerRows(s);
    this.poolersSection.hidden = !s.poolers?.length;
    this.poolers.setRows(poolers.rows, poolers.classes);
  }

  private listed = 0;

  private updateFilterCount(listed: number): void {
    this.listed = listed;
    const shown = this.tableList.visibleCount;
    setText(this.filterCount, shown === listed ? `${listed.toLocaleString('en-US')} not ready` : `${shown.toLocaleString('en-US')} of ${listed.toLocaleString('en-US')} not ready`);
    toggle(this.filterCount, 'filtered', shown !== listed);
  }

  private setFilter(text: string, state: string): void {
    this.filter = text;
    this.stateFilter = (['', 'i', 'd', 'f', 's'].includes(state) ? state : '') as DashboardState['stateFilter'];
    this.tableList.setFilter(text, this.stateFilter ?? '');
    this.updateFilterCount(this.listed);
    this.saveState();
  }

  private saveState(): void {
    if (!this.target) return;
    this.vscode.setState({ v: 1, target: this.target, filter: this.filter, stateFilter: this.stateFilter });
  }
}

const vscodeApi = acquireVsCodeApi();
const dashboard = new Dashboard(vscodeApi);
window.addEventListener('message', (e: MessageEvent) => dashboard.receive(e.data));
(window as unknown as { pgupDashboard: { stats: () => Stats } }).pgupDashboard = { stats: () => dashboard.statistics };
vscodeApi.postMessage({ type: 'ready' });
