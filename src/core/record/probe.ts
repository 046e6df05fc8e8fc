/**
 * The workload probe's result as the upgrade record reads it, and the journal convention that carries it:
 *
 *   { type: 'snapshot', ts, role: 'target', data: { kind: 'probe', probe: ProbeRecord } }
 *
 * written by whoever ran the probe (CLI --probe, the demo) after verifying its commits on the new server
 * (role = where the commits were verified). The record uses the LAST such event, unless opts.probe is given.
 * Only figures: never the commits themselves, never a connection string.
 */
import type { CommitVerification, ProbeReport } from '../probe';
import type { JournalEvent } from '../runbook/types';

export interface ProbeRecord {
  intervalMs?: number;
  startedAt?: string;
  stoppedAt?: string;
  attempts?: number;
  acked: number;
  failedAttempts?: number;
  gaps: number;
  maxGapMs: number;
  /** The gap in which writes moved to the new server: the measured write-unavailable window. */
  switchoverGapMs?: number;
  /** Acknowledged commits missing on the new server (undefined: not verified). */
  lostCommits?: number;
  duplicates?: number;
  perHost?: Record<string, number>;
  commitLatencyMs?: { p50?: number; p99?: number; max?: number };
}

export const PROBE_SNAPSHOT_KIND = 'probe';

type SnapshotEvent = Extract<JournalEvent, { type: 'snapshot' }>;

/** A ProbeRecord from the probe's report and (when done) the verification against the new server. */
export function probeRecordOf(report: ProbeReport, verification?: CommitVerification): ProbeRecord {
  return {
    intervalMs: report.intervalMs,
    startedAt: report.startedAt,
    stoppedAt: report.stoppedAt,
    attempts: report.attempts,
    acked: report.acked,
    failedAttempts: report.failedAttempts,
    gaps: report.gaps.length,
    maxGapMs: report.maxGapMs,
    switchoverGapMs: report.switchoverGap?.durationMs,
    lostCommits: verification?.lostCommits,
    duplicates: verification?.duplicates,
    perHost: { ...report.perHost },
    commitLatencyMs: { ...report.commitLatencyMs },
  };
}

/** The journal event that carries a probe result (append it with the engine's journal functions). */
export function probeSnapshotEvent(probe: ProbeRecord, ts = new Date().toISOString()): SnapshotEvent {
  return { type: 'snapshot', ts, role: 'target', data: { kind: PROBE_SNAPSHOT_KIND, probe: { ...probe } } };
}

function isProbeRecord(v: unknown): v is ProbeRecord {
  const o = v as ProbeRecord;
  return typeof o === 'object' && o !== null && typeof o.acked === 'number' && typeof o.maxGapMs === 'number' && typeof o.gaps === 'number';
}

/** The last probe result journaled in `events`, if any. */
export function probeFromJournal(events: JournalEvent[]): ProbeRecord | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.type === 'snapshot' && e.data?.kind === PROBE_SNAPSHOT_KIND && isProbeRecord(e.data.probe)) return e.data.probe;
  }
  return undefined;
}
