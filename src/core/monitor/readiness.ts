/** The switchover readiness checklist, from one tick's figures. Pure; details are plain English with figures. */
import { formatBytes, formatDuration } from '../catalog/format';
import type { LongTransaction, ReadinessItem, SequencesView, SlotView, StandbyView, SubscriptionView, TablesView } from './types';

export interface ReadinessThresholds {
  /** Lag at or under which the pair may switch over (the runbook's lagThresholdBytes). */
  lagThresholdBytes: number;
  /** A transaction open longer than this on the source blocks the switchover. */
  longTransactionSeconds: number;
}

const n = (x: number) => x.toLocaleString('en-US');
const tables = (x: number) => `${n(x)} table${x === 1 ? '' : 's'}`;

export function tablesReady(subs: SubscriptionView[], t: TablesView, reachable: boolean): ReadinessItem {
  if (!reachable) return { id: 'tables-ready', ok: null, detail: 'target not reachable' };
  if (subs.length === 0) return { id: 'tables-ready', ok: false, detail: 'no subscription on the target yet' };
  if (t.total === 0) return { id: 'tables-ready', ok: false, detail: 'the subscription has no table yet' };
  const notReady = t.total - t.counts.r;
  if (notReady > 0) return { id: 'tables-ready', ok: false, detail: `${n(notReady)} of ${tables(t.total)} not ready` };
  const disabled = subs.filter((s) => !s.enabled || !s.workerRunning).map((s) => s.name);
  const all = t.total === 1 ? 'the only table ready' : `all ${tables(t.total)} ready`;
  if (disabled.length) return { id: 'tables-ready', ok: false, detail: `${all}, but no apply worker runs for ${disabled.join(', ')}` };
  return { id: 'tables-ready', ok: true, detail: all };
}

export function lagUnderThreshold(lagBytes: number | null, lagSeconds: number | null, t: ReadinessThresholds, known: boolean): ReadinessItem {
  if (!known || lagBytes === null) return { id: 'lag', ok: null, detail: 'lag not known yet' };
  const secs = lagSeconds === null ? '' : `, ${formatDuration(lagSeconds)}`;
  const ok = lagBytes <= t.lagThresholdBytes;
  return { id: 'lag', ok, detail: `lag ${formatBytes(lagBytes)}${secs} (threshold ${formatBytes(t.lagThresholdBytes)})` };
}

export function noLongTransactions(list: LongTransaction[], t: ReadinessThresholds, reachable: boolean): ReadinessItem {
  if (!reachable) return { id: 'long-transactions', ok: null, detail: 'source not reachable' };
  if (list.length === 0) return { id: 'long-transactions', ok: true, detail: `no transaction open longer than ${formatDuration(t.longTransactionSeconds)}` };
  const worst = list.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  return {
    id: 'long-transactions', ok: false,
    detail: `${list.length} transaction(s) open longer than ${formatDuration(t.longTransactionSeconds)}; longest ${formatDuration(worst.seconds)} (pid ${worst.pid}${worst.user ? `, ${worst.user}` : ''})`,
  };
}

export function sequencesKnown(seq: SequencesView | null): ReadinessItem {
  if (!seq) return { id: 'sequences', ok: null, detail: 'sequences not known yet' };
  const problems: string[] = [];
  if (seq.unreadableCount) problems.push(`${n(seq.unreadableCount)} not readable on the source (${seq.unreadable.slice(0, 3).join(', ')}${seq.unreadableCount > 3 ? ', …' : ''})`);
  if (seq.missingCount) problems.push(`${n(seq.missingCount)} missing on the target (${seq.missingOnTarget.slice(0, 3).join(', ')}${seq.missingCount > 3 ? ', …' : ''})`);
  if (problems.length) return { id: 'sequences', ok: false, detail: `of ${n(seq.count)} sequences: ${problems.join('; ')}` };
  return { id: 'sequences', ok: true, detail: `${n(seq.count)} sequence(s), all readable on the source and present on the target` };
}

export function slotsSafe(slots: SlotView[], reachable: boolean): ReadinessItem {
  if (!reachable) return { id: 'slot-wal', ok: null, detail: 'not reachable' };
  const bad = slots.filter((s) => s.risk === 'critical' || s.risk === 'lost');
  if (bad.length) return { id: 'slot-wal', ok: false, detail: bad.map((s) => `${s.name}: ${s.risk}, ${formatBytes(s.retainedWalBytes ?? 0)} retained`).join('; ') };
  const total = slots.reduce((a, s) => a + (s.retainedWalBytes ?? 0), 0);
  return { id: 'slot-wal', ok: true, detail: slots.length ? `${formatBytes(total)} of WAL retained by ${slots.length} slot(s)` : 'no replication slot' };
}

export function standbysStreaming(standbys: StandbyView[], reachable: boolean): ReadinessItem {
  if (!reachable) return { id: 'standbys-streaming', ok: null, detail: 'primary not reachable' };
  const physical = standbys.filter((s) => s.kind === 'physical');
  if (physical.length === 0) return { id: 'standbys-streaming', ok: false, detail: 'no standby connected' };
  const notStreaming = physical.filter((s) => s.state !== 'streaming');
  if (notStreaming.length) return { id: 'standbys-streaming', ok: false, detail: notStreaming.map((s) => `${s.name}: ${s.state ?? 'unknown'}`).join('; ') };
  return { id: 'standbys-streaming', ok: true, detail: `${physical.length} standby(s) streaming` };
}
