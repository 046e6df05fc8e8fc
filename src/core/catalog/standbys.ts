import type { Queryable, ServerVersion } from '../db';
import { CURRENT_WAL_POSITION, intervalSeconds, isoTimestamp, nonNegative } from './sqlparts';
import type { StandbyInfo } from './types';
import { num, reqNum, str, type Row } from './values';
import { catalogMajor } from './version';

/**
 * One row per WAL sender (pg_stat_replication): physical standbys and base backups ('physical') and the
 * walsenders of logical subscriptions ('logical', connected to a database). The view is the same in 12–18.
 */
export function listStandbysSql(v: ServerVersion): string {
  catalogMajor(v);
  return `WITH pos AS (SELECT ${CURRENT_WAL_POSITION} AS lsn)
SELECT r.pid, CASE WHEN a.datname IS NULL THEN 'physical' ELSE 'logical' END AS kind,
  r.usename AS user_name, r.application_name, host(r.client_addr) AS client_addr, r.client_port,
  ${isoTimestamp('r.backend_start')} AS backend_start, r.state,
  r.sent_lsn::text AS sent_lsn, r.write_lsn::text AS write_lsn,
  r.flush_lsn::text AS flush_lsn, r.replay_lsn::text AS replay_lsn,
  ${intervalSeconds('r.write_lag')} AS write_lag, ${intervalSeconds('r.flush_lag')} AS flush_lag,
  ${intervalSeconds('r.replay_lag')} AS replay_lag,
  r.sync_priority, r.sync_state, ${isoTimestamp('r.reply_time')} AS reply_time,
  ${nonNegative('pos.lsn - r.replay_lsn')} AS replay_lag_bytes
FROM pg_stat_replication r
CROSS JOIN pos
LEFT JOIN pg_stat_activity a ON a.pid = r.pid
ORDER BY r.application_name, r.pid`;
}

export async function listStandbys(q: Queryable, v: ServerVersion): Promise<StandbyInfo[]> {
  const { rows } = await q.query<Row>(listStandbysSql(v));
  return rows.map((r) => ({
    pid: reqNum(r.pid, 'pid'),
    kind: r.kind === 'logical' ? 'logical' : 'physical',
    userName: str(r.user_name),
    applicationName: str(r.application_name) ?? '',
    clientAddr: str(r.client_addr),
    clientPort: num(r.client_port),
    backendStart: str(r.backend_start),
    state: str(r.state),
    sentLsn: str(r.sent_lsn),
    writeLsn: str(r.write_lsn),
    flushLsn: str(r.flush_lsn),
    replayLsn: str(r.replay_lsn),
    writeLagSeconds: num(r.write_lag),
    flushLagSeconds: num(r.flush_lag),
    replayLagSeconds: num(r.replay_lag),
    syncPriority: num(r.sync_priority),
    syncState: str(r.sync_state),
    replyTime: str(r.reply_time),
    replayLagBytes: num(r.replay_lag_bytes),
  }));
}
