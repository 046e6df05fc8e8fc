/** From one tick's per-cluster results to the DashboardSnapshot the dashboard shows. Pure (time comes in). */
import type { ReplicationSlotInfo, StandbyInfo, SubscriptionInfo, TableStateCounts } from '../catalog/types';
import { lagUnderThreshold, noLongTransactions, sequencesKnown, slotsSafe, standbysStreaming, tablesReady, type ReadinessThresholds } from './readiness';
import { compareTableRows, tableKey } from './tableDelta';
import type { PrimaryTick, SequenceName, SourceTick, TargetTick, TickHeader } from './tick';
import type {
  ClusterView, DashboardSnapshot, MonitorRole, SequencesView, SlotView, StandbyView, SubscriptionView, TableSyncRow, TablesView,
} from './types';
import { walRisk } from './walRisk';

/** One cluster's outcome this tick: figures, or why there are none. */
export interface ClusterResult<T> {
  name: string;
  role: MonitorRole;
  tick?: T;
  error?: string;
  queryMs?: number;
}

export interface SnapshotContext {
  now: number;
  tookMs: number;
  thresholds: ReadinessThresholds;
  /** Show only this subscription (a run's); default: every subscription of the target database. */
  subscription?: string;
  since: SinceTracker;
}

/** Remembers since when each table has been seen not ready (first sighting), forgetting tables that got ready. */
export class SinceTracker {
  private seen = new Map<string, number>();

  observe(keys: string[], now: number): (key: string) => number {
    const next = new Map<string, number>();
    for (const k of keys) next.set(k, this.seen.get(k) ?? now);
    this.seen = next;
    return (k) => next.get(k) ?? now;
  }
}

const SAMPLE = 20;

export function clusterView<T extends { header: TickHeader }>(r: ClusterResult<T>): ClusterView {
  const h = r.tick?.header;
  const major = h ? Math.floor(h.versionNum / 10000) : null;
  return {
    role: r.role,
    name: r.name,
    version: h ? h.serverVersion : null,
    major,
    serverRole: h ? (h.inRecovery ? 'standby' : 'primary') : null,
    walLevel: h?.walLevel ?? null,
    walLsn: h?.walLsn ?? null,
    ...(r.error ? { error: r.error } : {}),
    ...(r.queryMs !== undefined ? { queryMs: Math.round(r.queryMs * 10) / 10 } : {}),
  };
}

export function slotView(s: ReplicationSlotInfo, maxKeep: number | null): SlotView {
  return {
    name: s.name,
    type: s.type,
    active: s.active,
    retainedWalBytes: s.retainedWalBytes,
    walStatus: s.walStatus,
    safeWalSizeBytes: s.safeWalSizeBytes,
    maxSlotWalKeepSizeBytes: maxKeep,
    risk: walRisk(s, maxKeep),
  };
}

export function standbyView(s: StandbyInfo): StandbyView {
  return {
    name: s.applicationName,
    kind: s.kind,
    clientAddr: s.clientAddr,
    state: s.state,
    syncState: s.syncState,
    writeLagSeconds: s.writeLagSeconds,
    flushLagSeconds: s.flushLagSeconds,
    replayLagSeconds: s.replayLagSeconds,
    replayLagBytes: s.replayLagBytes,
  };
}

function subscriptionView(sub: SubscriptionInfo, source: SourceTick | undefined): SubscriptionView {
  const slot = source?.slots.find((s) => s.name === sub.slotName);
  const sender = source?.senders.find((s) => s.kind === 'logical' && s.applicationName === sub.name);
  const lagBytes = slot ? slot.lagBytes : null;
  // replay_lag goes NULL once an idle subscriber has caught up: no bytes behind means no time behind.
  const lagSeconds = sender?.replayLagSeconds ?? (lagBytes === 0 ? 0 : sub.lagSeconds);
  const publisher = sub.conninfoHost ? `${sub.conninfoHost}${sub.conninfoPort ? `:${sub.conninfoPort}` : ''}` : null;
  return {
    name: sub.name,
    enabled: sub.enabled,
    workerRunning: sub.workerPid !== null,
    publications: sub.publications,
    slotName: sub.slotName,
    publisher,
    tableCount: sub.tableCount,
    states: { ...sub.tableStates },
    syncWorkers: sub.syncWorkers,
    lagBytes,
    lagSeconds,
    applyErrorCount: sub.applyErrorCount,
    syncErrorCount: sub.syncErrorCount,
    conflictCount: sub.conflictCount,
    receivedLsn: sub.receivedLsn,
  };
}

function tablesView(subs: SubscriptionView[], target: TargetTick | undefined, ctx: SnapshotContext): TablesView {
  const counts: TableStateCounts = { i: 0, d: 0, f: 0, s: 0, r: 0 };
  for (const s of subs) for (const k of Object.keys(counts) as (keyof TableStateCounts)[]) counts[k] += s.states[k];
  const total = subs.reduce((a, s) => a + s.tableCount, 0);
  const names = new Set(subs.map((s) => s.name));
  const rows = (target?.tables ?? []).filter((t) => names.has(t.subscription));
  const sinceOf = ctx.since.observe(rows.map(tableKey), ctx.now);
  const listed: TableSyncRow[] = rows.map((t) => ({ ...t, since: sinceOf(tableKey(t)) }));
  listed.sort(compareTableRows);
  return { counts, total, listed, omitted: Math.max(0, total - counts.r - listed.length) };
}

function sequencesView(source: SequenceName[], target: SequenceName[]): SequencesView {
  const onTarget = new Set(target.map((s) => `${s.schema}.${s.name}`));
  const unreadable = source.filter((s) => !s.readable).map((s) => `${s.schema}.${s.name}`);
  const missing = source.map((s) => `${s.schema}.${s.name}`).filter((k) => !onTarget.has(k));
  return {
    count: source.length,
    unreadable: unreadable.slice(0, SAMPLE),
    unreadableCount: unreadable.length,
    missingOnTarget: missing.slice(0, SAMPLE),
    missingCount: missing.length,
  };
}

function maxOf(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.max(...known) : null;
}

export function logicalSnapshot(source: ClusterResult<SourceTick>, target: ClusterResult<TargetTick>, ctx: SnapshotContext): DashboardSnapshot {
  const src = source.tick;
  const tgt = target.tick;
  const subs = (tgt?.subscriptions ?? [])
    .filter((s) => ctx.subscription === undefined || s.name === ctx.subscription)
    .map((s) => subscriptionView(s, src));
  const tables = tablesView(subs, tgt, ctx);
  const maxKeep = src?.header.maxSlotWalKeepSizeBytes ?? null;
  const slots = (src?.slots ?? []).map((s) => slotView(s, maxKeep));
  const lagBytes = src ? maxOf(subs.map((s) => s.lagBytes)) : null;
  const lagSeconds = maxOf(subs.map((s) => s.lagSeconds));
  const sequences = src && tgt ? sequencesView(src.sequences, tgt.sequences) : null;
  const readiness = [
    tablesReady(subs, tables, tgt !== undefined),
    lagUnderThreshold(lagBytes, lagSeconds, ctx.thresholds, src !== undefined && subs.length > 0),
    noLongTransactions(src?.longTransactions ?? [], ctx.thresholds, src !== undefined),
    sequencesKnown(sequences),
    slotsSafe(slots, src !== undefined),
  ];
  return {
    kind: 'logical',
    at: new Date(ctx.now).toISOString(),
    tookMs: Math.round(ctx.tookMs * 10) / 10,
    clusters: [clusterView(source), clusterView(target)],
    subscriptions: subs,
    tables,
    slots,
    standbys: (src?.senders ?? []).map(standbyView),
    longTransactions: src?.longTransactions ?? [],
    sequences,
    readiness,
    ready: readiness.every((r) => r.ok === true),
    lag: { t: ctx.now, bytes: lagBytes, seconds: lagSeconds },
    lagThresholdBytes: ctx.thresholds.lagThresholdBytes,
  };
}

export function streamingSnapshot(primary: ClusterResult<PrimaryTick>, standby: ClusterResult<{ header: TickHeader }> | undefined, ctx: SnapshotContext): DashboardSnapshot {
  const p = primary.tick;
  const maxKeep = p?.header.maxSlotWalKeepSizeBytes ?? null;
  const slots = (p?.slots ?? []).map((s) => slotView(s, maxKeep));
  const standbys = (p?.senders ?? []).map(standbyView);
  const physical = standbys.filter((s) => s.kind === 'physical');
  const lagBytes = p ? maxOf(physical.map((s) => s.replayLagBytes)) : null;
  const lagSeconds = p ? maxOf(physical.map((s) => s.replayLagSeconds ?? (s.replayLagBytes === 0 ? 0 : null))) : null;
  const readiness = [
    standbysStreaming(standbys, p !== undefined),
    lagUnderThreshold(lagBytes, lagSeconds, ctx.thresholds, p !== undefined && physical.length > 0),
    slotsSafe(slots, p !== undefined),
  ];
  return {
    kind: 'streaming',
    at: new Date(ctx.now).toISOString(),
    tookMs: Math.round(ctx.tookMs * 10) / 10,
    clusters: standby ? [clusterView(primary), clusterView(standby)] : [clusterView(primary)],
    subscriptions: [],
    tables: { counts: { i: 0, d: 0, f: 0, s: 0, r: 0 }, total: 0, listed: [], omitted: 0 },
    slots,
    standbys,
    longTransactions: [],
    sequences: null,
    readiness,
    ready: readiness.every((r) => r.ok === true),
    lag: { t: ctx.now, bytes: lagBytes, seconds: lagSeconds },
    lagThresholdBytes: ctx.thresholds.lagThresholdBytes,
  };
}
