/**
 * Schema drift on the dashboard (issue 9): the catalogs of both servers compared (src/core/runbooks/logical/drift.ts,
 * the same comparison as the gate and `schema-drift`), each difference with the DDL to run on the target. Catalog reads
 * are not free: a check runs on demand, when the apply worker stops, and otherwise at most every DRIFT_INTERVAL_MS —
 * never on every poll.
 */
import type { Queryable } from '../db';
import { compareSchemas } from '../runbooks/logical/drift';
import { defaultLogicalUpgradeParams } from '../runbooks/logical/params';
import { inspectReplicatedSet } from '../runbooks/logical/replicated-set';
import { WRITABLE_SESSION_FIX } from '../runbooks/logical/fixes';
import { scrubText } from '../runbook/redact';
import type { SubscriptionView } from './types';

export const DRIFT_INTERVAL_MS = 60_000;
/** The soonest a comparison repeats because the apply stopped (again). */
const STOPPED_RECHECK_MS = 10_000;

export interface DriftItemView {
  kind: string;
  object: string;
  message: string;
  /** Statements to run on the target (identifiers quoted); empty when the fix is a decision. */
  ddl: string[];
  breaksReplication: boolean;
}

/**
 * none: both catalogs agree; differs: differences the replication survives; breaks: differences that stop the apply
 * once a change reaches them; apply-stopped: the apply worker is not running (or fails) and the drift explains it —
 * "apply stopped by DDL".
 */
export type DriftStatus = 'none' | 'differs' | 'breaks' | 'apply-stopped';

export interface DriftView {
  checkedAt: string;
  tookMs: number;
  status: DriftStatus;
  items: DriftItemView[];
  /** Every statement in order, ready to paste in a session on the target (starting with the writable-session SET). */
  script: string;
  /** The comparison could not run (a server unreachable, permissions): its message. */
  error?: string;
}

/** The apply is not making progress: no worker, or errors counted (15+). */
export function applyStopped(sub: SubscriptionView | undefined, errorsBefore?: number | null): boolean {
  if (!sub || !sub.enabled) return false;
  if (!sub.workerRunning) return true;
  return sub.applyErrorCount !== null && errorsBefore !== undefined && errorsBefore !== null && sub.applyErrorCount > errorsBefore;
}

/** Pure: the drift's status given the watched subscription's state. */
export function driftStatus(items: DriftItemView[], stopped: boolean): DriftStatus {
  if (!items.length) return 'none';
  const breaking = items.some((i) => i.breaksReplication);
  if (breaking && stopped) return 'apply-stopped';
  return breaking ? 'breaks' : 'differs';
}

/** The DDL of `items` as one script for the target. */
export function driftScript(items: DriftItemView[]): string {
  const ddl = items.flatMap((i) => i.ddl);
  return ddl.length ? [WRITABLE_SESSION_FIX, ...ddl].join('\n') : '';
}

/**
 * Compares now. `runParams`: a run's parameters (its replicated set is the scope: the gate's tables); without them,
 * every table of the source.
 */
export async function checkDrift(source: Queryable, target: Queryable, opts: { runParams?: Record<string, unknown>; stopped: boolean; now?: () => number }): Promise<DriftView> {
  const now = opts.now ?? Date.now;
  const t0 = now();
  try {
    let tables: Array<{ schema: string; name: string }> | undefined;
    if (opts.runParams && typeof opts.runParams.subscription === 'string') {
      tables = (await inspectReplicatedSet(source, target, defaultLogicalUpgradeParams(opts.runParams), false)).tables;
    }
    const drift = await compareSchemas(source, target, tables);
    const items = drift.items.map((i) => ({ kind: i.kind, object: i.object, message: i.message, ddl: i.ddl, breaksReplication: i.breaksReplication }));
    return { checkedAt: new Date(now()).toISOString(), tookMs: now() - t0, status: driftStatus(items, opts.stopped), items, script: driftScript(items) };
  } catch (err) {
    return { checkedAt: new Date(now()).toISOString(), tookMs: now() - t0, status: 'none', items: [], script: '', error: scrubText(err instanceof Error ? err.message : String(err)) };
  }
}

/** When the next check is due: never checked, asked for, the apply just stopped, or the interval passed. */
export class DriftSchedule {
  private lastAt: number | undefined;
  private wasStopped = false;
  private asked = false;
  private lastErrors: number | null = null;
  private stopped = false;
  private stopSeenAt: number | undefined;

  constructor(private readonly intervalMs = DRIFT_INTERVAL_MS, private readonly now: () => number = Date.now) {}

  /** On demand (the dashboard's button): the next tick checks. */
  ask(): void {
    this.asked = true;
  }

  /**
   * One poll's view of the watched subscription: true while its apply is stopped (no worker, or apply errors counted
   * since the previous poll — a failing worker restarts every few seconds).
   */
  observe(sub: SubscriptionView | undefined): boolean {
    this.stopped = applyStopped(sub, this.lastErrors);
    this.lastErrors = sub?.applyErrorCount ?? null;
    return this.stopped;
  }

  /** Whether a comparison is due now, given the last observe(). */
  due(stopped = this.stopped): boolean {
    // a failing worker restarts every few seconds: "just stopped" counts again only after a quiet spell
    const justStopped = stopped && !this.wasStopped && (this.stopSeenAt === undefined || this.now() - this.stopSeenAt >= STOPPED_RECHECK_MS);
    if (justStopped) this.stopSeenAt = this.now();
    this.wasStopped = stopped;
    return this.asked || justStopped || this.lastAt === undefined || this.now() - this.lastAt >= this.intervalMs;
  }

  checked(): void {
    this.lastAt = this.now();
    this.asked = false;
  }
}
