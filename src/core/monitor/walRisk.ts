/** How close a replication slot is to losing the WAL its consumer still needs. Pure. */
import type { WalRisk } from './types';

export interface SlotWalFigures {
  walStatus: string | null;
  retainedWalBytes: number | null;
  safeWalSizeBytes: number | null;
}

/** Share of max_slot_wal_keep_size in use from which a slot is shown as a warning / critical. */
export const WAL_RISK_WARNING = 0.5;
export const WAL_RISK_CRITICAL = 0.8;

/**
 * - lost: the server already removed WAL the slot needed (wal_status lost): the subscriber/standby must be rebuilt.
 * - critical: wal_status unreserved (next checkpoint may remove it), or ≥ 80 % of max_slot_wal_keep_size used.
 * - warning: ≥ 50 % used.
 * - unbounded: max_slot_wal_keep_size = -1 (or before 13): nothing invalidates the slot, the WAL grows until the
 *   disk is full — watch the retained size.
 * - ok otherwise.
 */
export function walRisk(slot: SlotWalFigures, maxSlotWalKeepSizeBytes: number | null): WalRisk {
  if (slot.walStatus === 'lost') return 'lost';
  if (slot.walStatus === 'unreserved') return 'critical';
  if (maxSlotWalKeepSizeBytes === null || maxSlotWalKeepSizeBytes < 0) return 'unbounded';
  const retained = slot.retainedWalBytes ?? 0;
  const budget = slot.safeWalSizeBytes !== null ? retained + Math.max(0, slot.safeWalSizeBytes) : maxSlotWalKeepSizeBytes;
  if (budget <= 0) return retained > 0 ? 'critical' : 'ok';
  const used = retained / budget;
  if (used >= WAL_RISK_CRITICAL) return 'critical';
  if (used >= WAL_RISK_WARNING) return 'warning';
  return 'ok';
}
