import type { Gap } from './gaps';

/** One commit the server acknowledged to the probe. */
export interface AckedCommit {
  id: string; // bigint as text
  /** host:port the commit landed on. */
  host: string;
  /** Epoch ms when the acknowledgement arrived. */
  at: number;
  latencyMs: number;
}

export type ProbeEvent =
  | { type: 'connected'; host: string; at: number }
  | { type: 'commit'; commit: AckedCommit }
  | { type: 'gap-started'; at: number; error: string; fromHost?: string }
  | { type: 'gap-ended'; gap: Gap };

/** Live figures for a dashboard. */
export interface ProbeSnapshot {
  run: string;
  acked: number;
  failedAttempts: number;
  host?: string;
  /** Epoch ms of the last acknowledged commit. */
  lastAckAt?: number;
  /** Set while writes are failing: since when (the last ack before the failure). */
  gapSince?: number;
  lastError?: string;
  gaps: number;
  maxGapMs: number;
  perHost: Record<string, number>;
}

export interface ProbeReport {
  run: string;
  table: string;
  intervalMs: number;
  startedAt: string;
  stoppedAt: string;
  durationMs: number;
  /** Writes attempted. */
  attempts: number;
  acked: number;
  /** Failed connects and writes. */
  failedAttempts: number;
  /** Acknowledged commits by host:port, in order of first use. */
  perHost: Record<string, number>;
  gaps: Gap[];
  maxGapMs: number;
  /** The gap in which writes moved to another server (else the longest gap). */
  switchoverGap?: Gap;
  commitLatencyMs: { p50?: number; p99?: number; max?: number };
  commits: AckedCommit[];
}
