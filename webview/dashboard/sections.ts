/** Dashboard sections built from a DashboardSnapshot: clusters, readiness, subscriptions, slots, standbys, long transactions. */
import { formatBytes, formatDuration } from '../../src/core/catalog/format';
import type { ClusterView, DashboardSnapshot, ReadinessItem } from '../../src/core/monitor/types';
import { h, replaceChildren, setText } from './dom';
import { L } from './i18n';

const n = (v: number) => v.toLocaleString('en-US');
const bytes = (v: number | null) => (v === null ? '—' : formatBytes(v));
const secs = (v: number | null) => (v === null ? '—' : formatDuration(v));

/**
 * A vscode-table whose rows are pooled: row and cell elements are created once and re-used (texts updated in
 * place, surplus rows hidden). vscode-table sizes its columns from the cells of the first row it ever saw, so that
 * row must stay the same element.
 */
export class SimpleTable {
  readonly el: HTMLElement;
  private readonly table: HTMLElement & { columns: string[] };
  private readonly body: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly pool: { row: HTMLElement; cells: HTMLElement[] }[] = [];
  private key: string | undefined;
  private widthsApplied = false;

  /** widths: initial column sizes ("30%", "auto" …), applied once the first row exists. */
  constructor(private readonly columns: string[], private readonly widths?: string[], emptyText = 'None.') {
    this.table = h('vscode-table', { 'bordered-rows': true, zebra: true, resizable: true }) as HTMLElement & { columns: string[] };
    this.table.append(h('vscode-table-header', { slot: 'header' }, ...columns.map((c) => h('vscode-table-header-cell', {}, L(c)))));
    this.body = h('vscode-table-body', { slot: 'body' });
    this.table.append(this.body);
    this.empty = h('div', { class: 'muted table-empty' }, L(emptyText));
    this.el = h('div', { class: 'simple-table' }, this.table, this.empty);
    // The table turns percentages into widths against its own width, which is 0 while a section is hidden.
    if (widths) new ResizeObserver(() => this.applyWidths()).observe(this.table);
  }

  private applyWidths(): void {
    if (this.widthsApplied || !this.widths || !this.pool.length || this.table.getBoundingClientRect().width === 0) return;
    this.widthsApplied = true;
    // Two frames: the table measures itself in its ResizeObserver, which runs after this frame's rAF callbacks.
    requestAnimationFrame(() => requestAnimationFrame(() => { this.table.columns = [...this.widths!]; }));
  }

  /** rows: cell texts; classes: optional per-row CSS class (e.g. a risk level). */
  setRows(rows: string[][], classes: (string | undefined)[] = []): void {
    const key = JSON.stringify([rows, classes]);
    if (key === this.key) return;
    this.key = key;
    while (this.pool.length < rows.length) {
      const cells = this.columns.map(() => h('vscode-table-cell', {}));
      const row = h('vscode-table-row', {}, ...cells);
      this.body.append(row);
      this.pool.push({ row, cells });
    }
    this.pool.forEach((p, i) => {
      const r = rows[i];
      p.row.hidden = !r;
      if (!r) return;
      p.row.className = classes[i] ?? '';
      p.cells.forEach((c, j) => setText(c, r[j] ?? ''));
    });
    this.table.hidden = rows.length === 0;
    this.empty.hidden = rows.length > 0;
    this.applyWidths();
  }
}

const ROLE_TITLE: Record<string, string> = { source: 'Source', target: 'Target', primary: 'Primary', standby: 'Standby' };

export class ClustersView {
  readonly el = h('div', { class: 'clusters' });
  private key = '';

  update(clusters: ClusterView[]): void {
    const key = JSON.stringify(clusters.map((c) => [c.role, c.name, c.version, c.serverRole, c.error, c.walLsn]));
    if (key === this.key) return;
    this.key = key;
    replaceChildren(this.el, clusters.map((c) => h('div', { class: `cluster-card${c.error ? ' error' : ''}`, 'data-role': c.role },
      h('div', { class: 'card-role' }, ROLE_TITLE[c.role] ?? c.role),
      h('div', { class: 'card-name' }, c.name),
      h('div', { class: 'card-detail' }, c.error ? `unreachable: ${c.error}`
        : `PostgreSQL ${c.version ?? '?'} · ${c.serverRole ?? '?'} · wal_level ${c.walLevel ?? '?'}${c.walLsn ? ` · WAL ${c.walLsn}` : ''}`))));
  }
}

const READINESS_TITLE: Record<string, string> = {
  'tables-ready': 'All tables ready',
  lag: 'Lag under the threshold',
  'long-transactions': 'No long transaction on the source',
  sequences: 'Sequences known',
  'slot-wal': 'Slots safe from WAL removal',
  'standbys-streaming': 'Standbys streaming',
};

export class ReadinessView {
  readonly el = h('ul', { class: 'readiness', 'aria-label': 'Switchover readiness' });
  readonly verdict = h('vscode-badge', { class: 'verdict' });
  private key = '';

  update(items: ReadinessItem[], ready: boolean): void {
    setText(this.verdict, ready ? 'ready to switch over' : 'not ready');
    this.verdict.classList.toggle('ok', ready);
    this.verdict.classList.toggle('bad', !ready);
    const key = JSON.stringify(items);
    if (key === this.key) return;
    this.key = key;
    replaceChildren(this.el, items.map((r) => {
      const state = r.ok === true ? 'ok' : r.ok === false ? 'bad' : 'unknown';
      return h('li', { class: `check ${state}`, 'data-id': r.id },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, r.ok === true ? '✓' : r.ok === false ? '✗' : '?'),
        h('span', { class: 'check-title' }, READINESS_TITLE[r.id] ?? r.id),
        h('span', { class: 'check-detail' }, r.detail));
    }));
  }
}

export class FiguresView {
  readonly el = h('div', { class: 'figures' });
  private readonly cells = new Map<string, HTMLElement>();

  constructor(labels: [string, string][]) {
    for (const [id, label] of labels) {
      const value = h('span', { class: 'figure-value', 'data-figure': id }, '—');
      this.cells.set(id, value);
      this.el.append(h('div', { class: 'figure' }, h('span', { class: 'figure-label' }, L(label)), value));
    }
  }

  set(id: string, text: string): void {
    const c = this.cells.get(id);
    if (c) setText(c, text);
  }
}

export function subscriptionRows(s: DashboardSnapshot): string[][] {
  return s.subscriptions.map((x) => [
    x.name, x.enabled ? (x.workerRunning ? 'running' : 'enabled, no worker') : 'disabled', x.publisher ?? '—',
    `${n(x.states.r)} / ${n(x.tableCount)}`, String(x.syncWorkers), bytes(x.lagBytes), secs(x.lagSeconds),
    x.applyErrorCount === null ? 'n/a (< 15)' : n(x.applyErrorCount), x.syncErrorCount === null ? 'n/a (< 15)' : n(x.syncErrorCount),
  ]);
}

const RISK_LABEL: Record<string, string> = {
  ok: 'ok', unbounded: 'no limit (grows until the disk is full)', warning: 'warning', critical: 'critical', lost: 'LOST',
};

export function slotRows(s: DashboardSnapshot): { rows: string[][]; classes: string[] } {
  return {
    rows: s.slots.map((x) => [
      x.name, x.type, x.active ? 'yes' : 'no', bytes(x.retainedWalBytes), x.walStatus ?? 'n/a (< 13)',
      x.safeWalSizeBytes === null ? '—' : formatBytes(x.safeWalSizeBytes),
      x.maxSlotWalKeepSizeBytes === null ? 'n/a (< 13)' : x.maxSlotWalKeepSizeBytes < 0 ? 'unlimited (-1)' : formatBytes(x.maxSlotWalKeepSizeBytes),
      RISK_LABEL[x.risk] ?? x.risk,
    ]),
    classes: s.slots.map((x) => `risk-${x.risk}`),
  };
}

export function standbyRows(s: DashboardSnapshot): string[][] {
  return s.standbys.map((x) => [
    x.name || '—', x.kind, x.clientAddr ?? 'local', x.state ?? '—', x.syncState ?? '—',
    secs(x.writeLagSeconds), secs(x.flushLagSeconds), secs(x.replayLagSeconds), bytes(x.replayLagBytes),
  ]);
}

export function longTransactionRows(s: DashboardSnapshot): string[][] {
  return s.longTransactions.map((x) => [String(x.pid), x.user ?? '—', x.application ?? '—', x.state ?? '—', formatDuration(x.seconds)]);
}

/** The run's PgBouncer poolers during the window: paused databases, clients waiting, the longest wait (issue 12). */
export function poolerRows(s: DashboardSnapshot): { rows: string[][]; classes: string[] } {
  const rows: string[][] = [];
  const classes: string[] = [];
  for (const p of s.poolers ?? []) {
    if (p.error) {
      rows.push([p.name, '—', '—', '—', '—', '—', '—', p.error]);
      classes.push('pooler-error');
      continue;
    }
    for (const d of p.databases) {
      rows.push([p.name, d.name, d.server, d.poolMode, d.paused ? 'PAUSED' : d.disabled ? 'disabled' : 'running', n(d.clientsActive), n(d.clientsWaiting), d.clientsWaiting ? `${n(d.maxWaitMs)} ms` : '—']);
      classes.push(d.paused ? 'pooler-paused' : '');
    }
  }
  return { rows, classes };
}
