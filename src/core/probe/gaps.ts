/**
 * Write-unavailability gaps, as a client sees them. A gap opens at the first failed write attempt and closes at
 * the next acknowledged commit. Its measured span runs from the last acknowledged commit before the failure (an
 * upper bound, precise to one probe interval) to that next acknowledged commit. Pure bookkeeping, no I/O.
 */
export interface Gap {
  /** Epoch ms of the last acknowledged commit before the failure (the first failed attempt when there was none). */
  startMs: number;
  /** Epoch ms of the next acknowledged commit (the probe's stop when the gap never closed). */
  endMs: number;
  durationMs: number;
  /** When the first attempt failed. */
  firstErrorMs: number;
  /** The error that opened the gap (SQLSTATE / connect-failure kind and message). */
  error: string;
  /** Distinct error texts seen during the gap, in order (capped). */
  errorKinds: string[];
  /** Failed attempts (writes and connects) inside the gap. */
  failedAttempts: number;
  /** host:port of the last commit before and the first commit after. */
  fromHost?: string;
  toHost?: string;
  /** False when writes had not come back when the probe stopped. */
  resolved: boolean;
}

const MAX_ERROR_KINDS = 8;

interface OpenGap {
  startMs: number;
  firstErrorMs: number;
  error: string;
  errorKinds: string[];
  failedAttempts: number;
  fromHost?: string;
}

export class GapTracker {
  readonly gaps: Gap[] = [];
  private lastAck?: { at: number; host: string };
  private open?: OpenGap;

  /** An acknowledged commit; returns the gap it closes, if any. */
  ack(at: number, host: string): Gap | undefined {
    const open = this.open;
    this.open = undefined;
    this.lastAck = { at, host };
    if (!open) return undefined;
    const gap: Gap = { ...open, endMs: at, durationMs: at - open.startMs, toHost: host, resolved: true };
    this.gaps.push(gap);
    return gap;
  }

  /** A failed attempt; returns true when it opened a new gap. */
  fail(at: number, error: string): boolean {
    if (this.open) {
      this.open.failedAttempts++;
      if (!this.open.errorKinds.includes(error) && this.open.errorKinds.length < MAX_ERROR_KINDS) this.open.errorKinds.push(error);
      return false;
    }
    this.open = {
      startMs: this.lastAck?.at ?? at,
      firstErrorMs: at,
      error,
      errorKinds: [error],
      failedAttempts: 1,
      fromHost: this.lastAck?.host,
    };
    return true;
  }

  /** The gap in progress, if writes are failing right now. */
  get current(): Readonly<OpenGap> | undefined {
    return this.open;
  }

  /** Close the books at stop time: a gap still open is recorded as unresolved. */
  finish(at: number): Gap | undefined {
    const open = this.open;
    this.open = undefined;
    if (!open) return undefined;
    const gap: Gap = { ...open, endMs: at, durationMs: at - open.startMs, resolved: false };
    this.gaps.push(gap);
    return gap;
  }
}

/** The gap during which writes moved from one server to another (the longest such); else the longest gap. */
export function switchoverGap(gaps: Gap[]): Gap | undefined {
  const moved = gaps.filter((g) => g.resolved && g.fromHost !== undefined && g.toHost !== undefined && g.fromHost !== g.toHost);
  const pool = moved.length ? moved : gaps;
  return pool.reduce<Gap | undefined>((best, g) => (!best || g.durationMs > best.durationMs ? g : best), undefined);
}

/**
 * The longest stretch without any acknowledged commit in a merged, time-ordered list of acks from many clients,
 * and the hosts on either side. With many concurrent writers this is the window in which nobody could write.
 */
export function longestSilence(acks: { at: number; host: string }[]): { startMs: number; endMs: number; durationMs: number; fromHost: string; toHost: string } | undefined {
  let best: { startMs: number; endMs: number; durationMs: number; fromHost: string; toHost: string } | undefined;
  for (let i = 1; i < acks.length; i++) {
    const d = acks[i].at - acks[i - 1].at;
    if (!best || d > best.durationMs) {
      best = { startMs: acks[i - 1].at, endMs: acks[i].at, durationMs: d, fromHost: acks[i - 1].host, toHost: acks[i].host };
    }
  }
  return best;
}

export interface HostSwitch {
  /** Last commit acknowledged by the old host. */
  startMs: number;
  /** First commit acknowledged by the new host. */
  endMs: number;
  /** endMs − startMs, or 0 when the hosts overlapped. */
  durationMs: number;
  fromHost: string;
  toHost: string;
  /** True when the old host still acknowledged commits after the new one had started to: both were writable. */
  overlapped: boolean;
}

/** The move from the first host to another in a time-ordered ack list: last ack on the old host → first on the new. */
export function hostSwitch(acks: { at: number; host: string }[]): HostSwitch | undefined {
  if (!acks.length) return undefined;
  const fromHost = acks[0].host;
  const firstNew = acks.find((a) => a.host !== fromHost);
  if (!firstNew) return undefined;
  let lastOld = acks[0];
  for (const a of acks) if (a.host === fromHost) lastOld = a;
  const overlapped = lastOld.at > firstNew.at;
  return { startMs: lastOld.at, endMs: firstNew.at, durationMs: overlapped ? 0 : firstNew.at - lastOld.at, fromHost, toHost: firstNew.host, overlapped };
}
