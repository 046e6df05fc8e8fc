/** The rolling switchover's preflight as a pure judgement: facts from both servers in, findings out. */
import { lsnDiff } from '../../catalog/lsn';
import { formatBytes } from '../../catalog/format';
import { versionText } from '../../hosts/wait';
import type { Finding } from '../../runbook/types';
import { quoteLiteral } from '../../sql';
import { holdbackFindings } from './holdback';
import type { PrimaryFacts, StandbyFacts } from './facts';
import type { RollingSwitchoverParams } from './params';

export interface RollingPreflightFacts {
  primary: PrimaryFacts;
  standby: StandbyFacts;
  params: RollingSwitchoverParams;
  /** upgradeTo checked against the installed builds (local executor) — why it cannot be used. */
  buildError?: string;
  /** pg_rewind / pg_basebackup for the rebuild: the one found, or why none fits. */
  rebuildTool?: string;
  rebuildToolError?: string;
}

const on = (v: string | null | undefined) => !!v && !['0', 'off', ''].includes(v);

export function evaluateRollingPreflight(f: RollingPreflightFacts): Finding[] {
  const out: Finding[] = [];
  const add = (x: Finding) => out.push(x);
  const p = f.primary;
  const s = f.standby;
  const params = f.params;
  const pv = p.host.versionNum;
  const sv = s.host.versionNum;
  const pMajor = Math.floor(pv / 10000);
  const sMajor = Math.floor(sv / 10000);

  // ---- who is who ----
  if (p.host.inRecovery) add({ id: 'primary-role', severity: 'error', cluster: 'primary', message: 'The primary connection reaches a server in recovery (a standby).', fix: 'Point --primary at the current primary.' });
  if (!s.host.inRecovery) add({ id: 'standby-role', severity: 'error', cluster: 'standby', message: 'The standby connection reaches a server that is not in recovery: it is not a standby (already promoted?).', fix: 'Point --standby at the streaming standby of the primary.' });
  if (p.host.systemIdentifier !== s.host.systemIdentifier) {
    add({ id: 'same-cluster', severity: 'error', message: `The servers are different clusters (system identifiers ${p.host.systemIdentifier} and ${s.host.systemIdentifier}): the standby is not a physical copy of this primary.`, fix: 'Choose the primary and a physical standby made from it (pg_basebackup).' });
  }
  if (pMajor !== sMajor) add({ id: 'versions', severity: 'error', message: `The primary runs ${versionText(pv)}, the standby ${versionText(sv)}: a streaming pair has one major version.` });
  else add({ id: 'versions', severity: 'info', message: `Primary ${versionText(pv)}, standby ${versionText(sv)}${params.upgradeTo ? `; both end on ${params.upgradeTo}` : ''}.` });
  for (const [role, su] of [['primary', p.isSuperuser], ['standby', s.isSuperuser]] as const) {
    if (!su) add({ id: `${role}-privileges`, severity: 'error', cluster: role, message: `The ${role} connection is not a superuser: ALTER SYSTEM, terminating sessions, pg_promote(), CHECKPOINT and reading the data directory need one.`, fix: `Connect to the ${role} as a superuser (e.g. postgres).` });
  }

  // ---- replication: streaming, and nothing holding the standby back ----
  for (const x of holdbackFindings(p, s, params)) add(x);
  if (s.receiverStatus === 'streaming' && s.senderPort !== null && s.senderPort !== p.host.port) {
    add({ id: 'streaming-source', severity: 'warning', cluster: 'standby', message: `The standby streams from ${s.senderHost ?? '?'}:${s.senderPort}, while the primary listens on port ${p.host.port}: a cascade or a proxy in between?`, fix: 'Make sure the standby streams directly from this primary.' });
  } else if (s.receiverStatus === 'streaming') {
    add({ id: 'streaming', severity: 'info', cluster: 'standby', message: `The standby streams from ${s.senderHost ?? '?'}:${s.senderPort ?? '?'}.` });
  }
  if (s.replayLsn) {
    const lag = Math.max(0, lsnDiff(p.currentLsn, s.replayLsn));
    add({ id: 'replay-lag', severity: lag > params.lagThresholdBytes ? 'warning' : 'info', cluster: 'standby', message: `The standby has replayed up to ${s.replayLsn}, ${formatBytes(lag)} behind the primary (${p.currentLsn}); the switchover waits for at most ${formatBytes(params.lagThresholdBytes)}.` });
  }
  if (s.synchronousStandbyNames.trim() !== '') {
    add({ id: 'synchronous-standby', severity: 'warning', cluster: 'standby', message: `synchronous_standby_names = ${quoteLiteral(s.synchronousStandbyNames)} on the standby: once promoted, its commits wait for a synchronous standby — none until the old primary rejoins.`, fix: 'On the standby, before the switchover: ALTER SYSTEM RESET synchronous_standby_names; SELECT pg_reload_conf(); — or make the rejoined standby match it.' });
  }
  if (!s.hotStandby) add({ id: 'hot-standby', severity: 'warning', cluster: 'standby', message: 'hot_standby is off on the standby: it accepts no connections while in recovery, so the runbook cannot watch it.', fix: 'ALTER SYSTEM SET hot_standby = on on the standby and restart it.' });

  // ---- what the fence would cut ----
  if (p.frozen) add({ id: 'primary-frozen', severity: 'error', cluster: 'primary', message: 'The primary is already read-only by ALTER SYSTEM (default_transaction_read_only = on): a switchover already ran or is half-done.', fix: 'If it should take writes: ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf();' });
  if (p.longestTransactionSeconds !== null && p.longestTransactionSeconds > params.maxTransactionSeconds) {
    add({ id: 'long-transactions', severity: 'error', cluster: 'primary', message: `A transaction has been open for ${Math.round(p.longestTransactionSeconds)} s on the primary; the fence would terminate it.`, fix: `Let it finish (or end it), or raise maxTransactionSeconds (now ${params.maxTransactionSeconds}).` });
  }
  if (p.preparedTransactions > 0) {
    add({ id: 'prepared-transactions', severity: 'error', cluster: 'primary', message: `${p.preparedTransactions} prepared transaction(s) are pending on the primary; they could commit after the fence.`, fix: 'COMMIT PREPARED or ROLLBACK PREPARED them first.' });
  }

  // ---- slots and archiving ----
  for (const slot of p.slots) {
    if (slot.type === 'logical') {
      add({ id: `slot-${slot.name}`, severity: 'warning', cluster: 'primary', message: `Logical slot "${slot.name}" exists on the primary; the standby has no copy of it${pMajor >= 17 ? ' unless it is a synchronized failover slot' : ''}: its consumer cannot continue on the new primary.`, fix: 'Plan to recreate the logical replication (or use failover slots, PostgreSQL 17+).' });
    } else if (!slot.active) {
      add({ id: `slot-${slot.name}`, severity: 'warning', cluster: 'primary', message: `Physical slot "${slot.name}" is inactive and retains ${formatBytes(slot.retainedWalBytes ?? 0)} of WAL on the primary.`, fix: `Drop it if unused: SELECT pg_drop_replication_slot(${quoteLiteral(slot.name)});` });
    } else {
      add({ id: `slot-${slot.name}`, severity: 'info', cluster: 'primary', message: `Physical slot "${slot.name}" is in use (the standby's); after the switchover it stays on the old primary, unused — drop it there.` });
    }
  }
  if (p.archiver.failing) add({ id: 'archiver', severity: 'warning', cluster: 'primary', message: `WAL archiving is failing on the primary (${p.archiver.failedCount} failure(s), last ${p.archiver.lastFailedAt ?? '?'}).`, fix: 'Fix archive_command before the switchover: the timeline switch needs the archive to be whole for point-in-time recovery.' });
  if (on(p.archiveMode) && !on(s.archiveMode)) {
    add({ id: 'archive-mode', severity: 'warning', cluster: 'standby', message: `archive_mode is ${p.archiveMode} on the primary but ${s.archiveMode} on the standby: after the switchover nothing is archived.`, fix: 'Set archive_mode (and archive_command) on the standby the same way, then restart it (the standby upgrade step restarts it anyway).' });
  }
  if (s.walKeepSize !== null && Number(s.walKeepSize) === 0) {
    add({ id: 'wal-keep', severity: 'info', cluster: 'standby', message: 'wal_keep_size = 0 on the standby: once it is the primary, WAL for the rejoining old primary is kept only until the next checkpoints; rebuild it soon after the switchover.' });
  }

  // ---- the rebuild of the old primary ----
  if (params.rebuild === 'rewind') {
    if (!p.host.walLogHints && !p.host.dataChecksums) {
      add({ id: 'rewind-hints', severity: 'error', cluster: 'primary', message: 'pg_rewind needs wal_log_hints = on or data checksums on the old primary; it has neither.', fix: 'ALTER SYSTEM SET wal_log_hints = on; then restart the primary — or use rebuild "basebackup" (a full copy).' });
    }
    if (!p.host.fullPageWrites) add({ id: 'rewind-fpw', severity: 'error', cluster: 'primary', message: 'full_page_writes is off: pg_rewind needs it.', fix: 'ALTER SYSTEM SET full_page_writes = on; SELECT pg_reload_conf();' });
    if (!s.host.walLogHints && !s.host.dataChecksums) add({ id: 'rewind-hints-next', severity: 'info', cluster: 'standby', message: 'The standby has neither wal_log_hints nor data checksums: a later switchover back would need a base backup instead of pg_rewind.' });
  }
  if (f.rebuildToolError) add({ id: 'rebuild-tool', severity: 'error', cluster: 'primary', message: f.rebuildToolError, fix: 'Install the tool of this major version, or set clientToolsPath.' });
  else if (f.rebuildTool) add({ id: 'rebuild-tool', severity: 'info', cluster: 'primary', message: `The old primary is rebuilt with ${f.rebuildTool}.` });

  // ---- the minor release to install ----
  if (params.upgradeTo) {
    const m = /^(\d+)\.(\d+)$/.exec(params.upgradeTo.trim());
    const num = m ? Number(m[1]) * 10000 + Number(m[2]) : NaN;
    if (m && Number(m[1]) !== pMajor) add({ id: 'upgrade-to', severity: 'error', message: `upgradeTo ${params.upgradeTo} is another major than the pair's ${pMajor}: a rolling upgrade stays within the major version.`, fix: 'Use the logical major upgrade for a major version change.' });
    else if (num < Math.max(pv, sv)) add({ id: 'upgrade-to', severity: 'error', message: `upgradeTo ${params.upgradeTo} is older than what the pair runs (${versionText(Math.max(pv, sv))}).` });
  }
  if (f.buildError) add({ id: 'binaries', severity: 'error', message: f.buildError });
  return out;
}
