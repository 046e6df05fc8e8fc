/** The lag chart's memory: a fixed-size ring of samples, trimmed to a time window (default 10 minutes). */
import type { LagSample } from './types';

export const LAG_WINDOW_MS = 10 * 60_000;

export class LagHistory {
  private readonly ring: (LagSample | undefined)[];
  private head = 0; // next write position
  private count = 0;

  /** capacity: enough for the window at the fastest poll interval (600 at 1 Hz; 100 ms polling needs 6,000). */
  constructor(readonly windowMs = LAG_WINDOW_MS, capacity = 6_000) {
    if (!(capacity > 0)) throw new Error('LagHistory capacity must be positive');
    this.ring = new Array<LagSample | undefined>(capacity);
  }

  push(sample: LagSample): void {
    this.ring[this.head] = sample;
    this.head = (this.head + 1) % this.ring.length;
    this.count = Math.min(this.count + 1, this.ring.length);
  }

  /** Samples within the window before the newest one, oldest first. */
  samples(): LagSample[] {
    const out: LagSample[] = [];
    const start = (this.head - this.count + this.ring.length) % this.ring.length;
    for (let i = 0; i < this.count; i++) out.push(this.ring[(start + i) % this.ring.length]!);
    const newest = out[out.length - 1];
    if (!newest) return out;
    const from = newest.t - this.windowMs;
    let first = 0;
    while (first < out.length && out[first].t < from) first++;
    return first ? out.slice(first) : out;
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
