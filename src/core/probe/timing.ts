/** Clock and pacing helpers shared by the probe and the TPC-B writers. */

/** Milliseconds since the epoch on a monotonic clock (performance.now anchored at timeOrigin). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Exponential backoff with jitter: minMs, 2·minMs, … capped at maxMs; reset() after a success. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly minMs = 10, private readonly maxMs = 100) {}
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(base / 2 + Math.random() * (base / 2));
  }
  reset(): void {
    this.attempt = 0;
  }
}

/** Nearest-rank percentile (p in 0..100) of a list of numbers; undefined for an empty list. */
export function percentile(values: number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Largest value (undefined for an empty list); safe for long lists, unlike Math.max(...values). */
export function maxOf(values: number[]): number | undefined {
  let m: number | undefined;
  for (const v of values) if (m === undefined || v > m) m = v;
  return m;
}
