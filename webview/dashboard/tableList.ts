/**
 * The non-ready tables of a subscription, virtualised: however many rows the host sends (up to 10,000), only the
 * rows in view exist in the DOM (a fixed pool re-used on scroll). Filter by name and by state on the client.
 */
import { formatBytes, formatDuration } from '../../src/core/catalog/format';
import type { TableSyncRow } from '../../src/core/monitor/types';
import { h, setText } from './dom';
import { L } from './i18n';

export const ROW_HEIGHT = 24;
const VIEW_ROWS = 14;
const OVERSCAN = 4;

export const STATE_LABEL: Record<string, string> = { i: 'initialize', d: 'data copy', f: 'finished copy', s: 'synchronized', r: 'ready' };

interface PoolRow {
  el: HTMLElement;
  state: HTMLElement;
  name: HTMLElement;
  sub: HTMLElement;
  bytes: HTMLElement;
  waiting: HTMLElement;
}

export class TableList {
  readonly el: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly pool: PoolRow[] = [];
  private rows: TableSyncRow[] = [];
  private shown: TableSyncRow[] = [];
  private filter = '';
  private state = '';
  private now = Date.now();

  constructor() {
    this.spacer = h('div', { class: 'vlist-spacer' });
    this.viewport = h('div', { class: 'vlist', role: 'grid', 'aria-label': 'Tables not ready', tabindex: 0 }, this.spacer);
    this.viewport.style.height = `${ROW_HEIGHT * VIEW_ROWS}px`;
    this.empty = h('div', { class: 'vlist-empty' });
    const head = h('div', { class: 'vlist-row vlist-head', role: 'row' },
      h('span', { role: 'columnheader' }, L('State')), h('span', { role: 'columnheader' }, L('Table')), h('span', { role: 'columnheader' }, L('Subscription')),
      h('span', { role: 'columnheader', class: 'num' }, L('Copied')), h('span', { role: 'columnheader', class: 'num' }, L('Waiting')));
    this.el = h('div', { class: 'table-list' }, head, this.viewport, this.empty);
    this.viewport.addEventListener('scroll', () => this.paint(), { passive: true });
  }

  /** New rows from a snapshot (already ordered by the host: copying first, then longest waiting). */
  setRows(rows: TableSyncRow[], now: number): void {
    this.rows = rows;
    this.now = now;
    this.apply();
  }

  setFilter(text: string, state: string): void {
    this.filter = text.trim().toLowerCase();
    this.state = state;
    this.apply();
  }

  /** Rows passing the filter (for the count next to the filter). */
  get visibleCount(): number {
    return this.shown.length;
  }

  private apply(): void {
    const f = this.filter;
    const st = this.state;
    this.shown = !f && !st ? this.rows : this.rows.filter((r) => (!st || r.state === st) && (!f || `${r.schema}.${r.name}`.toLowerCase().includes(f)));
    this.spacer.style.height = `${this.shown.length * ROW_HEIGHT}px`;
    setText(this.empty, this.shown.length ? '' : this.rows.length ? 'No table matches the filter.' : 'Every table is ready.');
    this.paint();
  }

  /** Places the pooled rows over the visible slice. */
  private paint(): void {
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const count = Math.min(this.shown.length - first, VIEW_ROWS + OVERSCAN * 2);
    while (this.pool.length < count) this.pool.push(this.makeRow());
    for (let i = 0; i < this.pool.length; i++) {
      const p = this.pool[i];
      const row = i < count ? this.shown[first + i] : undefined;
      if (!row) {
        if (p.el.style.display !== 'none') p.el.style.display = 'none';
        continue;
      }
      p.el.style.display = '';
      p.el.style.transform = `translateY(${(first + i) * ROW_HEIGHT}px)`;
      p.el.dataset.state = row.state;
      setText(p.state, L(STATE_LABEL[row.state] ?? row.state));
      setText(p.name, `${row.schema}.${row.name}`);
      setText(p.sub, row.subscription);
      setText(p.bytes, row.bytesCopied === null ? '' : formatBytes(row.bytesCopied));
      setText(p.waiting, formatDuration(Math.max(0, (this.now - row.since) / 1000)));
    }
  }

  private makeRow(): PoolRow {
    const cells = [h('span', { class: 'state', role: 'gridcell' }), h('span', { class: 'name', role: 'gridcell' }), h('span', { role: 'gridcell' }),
      h('span', { class: 'num', role: 'gridcell' }), h('span', { class: 'num', role: 'gridcell' })];
    const el = h('div', { class: 'vlist-row', role: 'row' }, ...cells);
    el.style.height = `${ROW_HEIGHT}px`;
    this.viewport.append(el);
    return { el, state: cells[0], name: cells[1], sub: cells[2], bytes: cells[3], waiting: cells[4] };
  }
}
