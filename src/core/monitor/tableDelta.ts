/**
 * The non-ready table list travels to the webview as a delta: the whole list once (reset), then per tick only the
 * rows that changed (a state, the bytes copied) and the keys of rows that left (got ready). With 10,000 tables a tick
 * then carries a few rows instead of 10,000, so an update stays cheap to deserialize. One ordering, shared by the
 * host and the webview: copying tables first (most bytes first), then longest waiting, then state and name.
 * Pure; no node or DOM API.
 */
import type { TableSyncRow } from './types';

export interface TablesDelta {
  /** Drop everything held before applying `upsert`. */
  reset: boolean;
  upsert: TableSyncRow[];
  /** Keys (tableKey) of rows that are gone. */
  remove: string[];
}

export function tableKey(t: { subscription: string; schema: string; name: string }): string {
  return `${t.subscription}\u0000${t.schema}\u0000${t.name}`;
}

const STATE_ORDER: Record<string, number> = { d: 0, f: 1, s: 2, i: 3 };

export function compareTableRows(a: TableSyncRow, b: TableSyncRow): number {
  return (b.bytesCopied ?? -1) - (a.bytesCopied ?? -1)
    || a.since - b.since
    || (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9)
    || (a.subscription < b.subscription ? -1 : a.subscription > b.subscription ? 1 : 0)
    || (a.schema < b.schema ? -1 : a.schema > b.schema ? 1 : 0)
    || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function sameRow(a: TableSyncRow, b: TableSyncRow): boolean {
  return a.state === b.state && a.bytesCopied === b.bytesCopied && a.since === b.since;
}

/** What changed from `prev` (the rows the webview holds; undefined = nothing yet) to `next`. */
export function diffTables(prev: ReadonlyMap<string, TableSyncRow> | undefined, next: TableSyncRow[]): { delta: TablesDelta; rows: Map<string, TableSyncRow> } {
  const rows = new Map<string, TableSyncRow>();
  for (const r of next) rows.set(tableKey(r), r);
  if (!prev) return { delta: { reset: true, upsert: next, remove: [] }, rows };
  const upsert: TableSyncRow[] = [];
  for (const [k, r] of rows) {
    const old = prev.get(k);
    if (!old || !sameRow(old, r)) upsert.push(r);
  }
  const remove: string[] = [];
  for (const k of prev.keys()) if (!rows.has(k)) remove.push(k);
  return { delta: { reset: false, upsert, remove }, rows };
}

/**
 * The receiving side: holds the rows, applies deltas, and hands out the ordered list. The waiting (not copying)
 * rows keep a sorted array that a delta edits in place (rows leaving are filtered out, a few new ones are inserted
 * by binary search); only a large change sorts everything again. The few copying rows are sorted every time.
 */
export class TableSet {
  private readonly copying = new Map<string, TableSyncRow>();
  private readonly waiting = new Map<string, TableSyncRow>();
  private waitingSorted: TableSyncRow[] = [];
  private cached: TableSyncRow[] | undefined;

  apply(d: TablesDelta): void {
    if (d.reset) {
      this.copying.clear();
      this.waiting.clear();
      this.waitingSorted = [];
    }
    const leaving = new Set<TableSyncRow>();
    const arriving: TableSyncRow[] = [];
    const drop = (k: string) => {
      if (this.copying.delete(k)) return;
      const old = this.waiting.get(k);
      if (old) {
        this.waiting.delete(k);
        leaving.add(old);
      }
    };
    for (const k of d.remove) drop(k);
    for (const r of d.upsert) {
      const k = tableKey(r);
      drop(k);
      if (r.bytesCopied !== null) this.copying.set(k, r);
      else {
        this.waiting.set(k, r);
        arriving.push(r);
      }
    }
    if (leaving.size) this.waitingSorted = this.waitingSorted.filter((r) => !leaving.has(r));
    if (arriving.length > 256) this.waitingSorted = [...this.waiting.values()].sort(compareTableRows);
    else for (const r of arriving) this.waitingSorted.splice(insertionPoint(this.waitingSorted, r), 0, r);
    if (d.reset || d.remove.length || d.upsert.length) this.cached = undefined;
  }

  get size(): number {
    return this.copying.size + this.waiting.size;
  }

  rows(): TableSyncRow[] {
    if (this.cached) return this.cached;
    const copying = [...this.copying.values()].sort(compareTableRows);
    this.cached = copying.length ? copying.concat(this.waitingSorted) : this.waitingSorted;
    return this.cached;
  }
}

function insertionPoint(sorted: TableSyncRow[], r: TableSyncRow): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTableRows(sorted[mid], r) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
