import type { Queryable, ServerVersion } from '../db';
import { conninfoPartsSql, decodePublisherEndpoint } from './conninfo';
import { intervalSeconds, isoTimestamp, nonNegative } from './sqlparts';
import type { SubscriptionInfo, SubscriptionStreaming } from './types';
import { bool, num, reqBool, reqNum, reqStr, str, strArray, type Row } from './values';
import { catalogMajor } from './version';

export interface ListSubscriptionsOptions {
  /**
   * Read the publisher's host/port out of subconninfo (default true). That column is readable only by
   * superusers (and roles granted it): pass `overview.isSuperuser`, or the query fails with "permission
   * denied" for other users. With false, 12/13 (where pg_subscription.oid is not readable by everyone either)
   * find each subscription's oid through pg_stat_subscription by name; should another database hold a
   * subscription of the same name, its table and worker figures stay empty rather than being mixed up.
   */
  conninfo?: boolean;
}

const STATES = ['i', 'd', 'f', 's', 'r'] as const;

/** Subscriptions of the connected database only (pg_subscription is shared across databases). */
export function listSubscriptionsSql(v: ServerVersion, opts: ListSubscriptionsOptions = {}): string {
  const major = catalogMajor(v);
  const streaming =
    major >= 16
      ? `CASE s.substream WHEN 'f' THEN 'off' WHEN 't' THEN 'on' WHEN 'p' THEN 'parallel' END`
      : major >= 14
        ? `CASE WHEN s.substream THEN 'on' ELSE 'off' END`
        : 'NULL::text';
  const conflicts =
    major >= 18
      ? `(ss.confl_insert_exists + ss.confl_update_origin_differs + ss.confl_update_exists + ss.confl_update_missing
          + ss.confl_delete_origin_differs + ss.confl_delete_missing + ss.confl_multiple_unique_conflicts)::float8`
      : 'NULL::float8';
  // pg_subscription.oid is not granted to PUBLIC before 14; pg_stat_subscription (a view) exposes it as subid.
  const oid =
    opts.conninfo === false && major < 14
      ? `(SELECT CASE WHEN count(DISTINCT x.subid) = 1 THEN min(x.subid) END FROM pg_stat_subscription x WHERE x.subname = s.subname)`
      : 's.oid';
  const stateCounts = STATES.map((st) => `count(*) FILTER (WHERE sr.srsubstate::text = '${st}')::int AS state_${st}`).join(', ');
  return `SELECT s.subname AS name, pg_get_userbyid(s.subowner) AS owner, s.subenabled AS enabled,
  to_json(s.subpublications) AS publications, s.subslotname AS slot_name,
  ${opts.conninfo === false ? 'NULL::json' : conninfoPartsSql('s.subconninfo')} AS conninfo_parts,
  rel.table_count, ${STATES.map((st) => `rel.state_${st}`).join(', ')},
  w.pid AS worker_pid, COALESCE(sw.n, 0) AS sync_workers,
  w.received_lsn::text AS received_lsn, w.latest_end_lsn::text AS latest_end_lsn,
  ${isoTimestamp('w.latest_end_time')} AS latest_end_time,
  ${isoTimestamp('w.last_msg_send_time')} AS last_msg_send_time,
  ${isoTimestamp('w.last_msg_receipt_time')} AS last_msg_receipt_time,
  ${nonNegative(intervalSeconds('w.last_msg_receipt_time - w.last_msg_send_time'))} AS lag_seconds,
  ${major >= 15 ? 'ss.apply_error_count::float8' : 'NULL::float8'} AS apply_error_count,
  ${major >= 15 ? 'ss.sync_error_count::float8' : 'NULL::float8'} AS sync_error_count,
  ${conflicts} AS conflict_count,
  ${streaming} AS streaming,
  ${major >= 15 ? 's.subdisableonerr' : 'NULL::boolean'} AS disable_on_error
FROM pg_subscription s
CROSS JOIN LATERAL (SELECT ${oid} AS oid) sid
CROSS JOIN LATERAL (
  SELECT count(*)::int AS table_count, ${stateCounts}
  FROM pg_subscription_rel sr WHERE sr.srsubid = sid.oid
) rel
LEFT JOIN LATERAL (
  SELECT st.pid, st.received_lsn, st.latest_end_lsn, st.latest_end_time, st.last_msg_send_time, st.last_msg_receipt_time
  FROM pg_stat_subscription st
  WHERE st.subid = sid.oid AND st.relid IS NULL${major >= 16 ? ' AND st.leader_pid IS NULL' : ''}
  ORDER BY st.pid NULLS LAST LIMIT 1
) w ON true
LEFT JOIN LATERAL (
  SELECT count(*)::int AS n FROM pg_stat_subscription st WHERE st.subid = sid.oid AND st.relid IS NOT NULL
) sw ON true
${major >= 15 ? 'LEFT JOIN pg_stat_subscription_stats ss ON ss.subid = sid.oid' : ''}
WHERE s.subdbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
ORDER BY s.subname`;
}

export async function listSubscriptions(
  q: Queryable,
  v: ServerVersion,
  opts: ListSubscriptionsOptions = {},
): Promise<SubscriptionInfo[]> {
  const { rows } = await q.query<Row>(listSubscriptionsSql(v, opts));
  return rows.map((r) => {
    const endpoint = decodePublisherEndpoint(r.conninfo_parts);
    return {
      name: reqStr(r.name, 'subname'),
      owner: reqStr(r.owner, 'subowner'),
      enabled: reqBool(r.enabled, 'subenabled'),
      publications: strArray(r.publications),
      slotName: str(r.slot_name),
      conninfoHost: endpoint.host,
      conninfoPort: endpoint.port,
      tableCount: reqNum(r.table_count, 'table count'),
      tableStates: {
        i: reqNum(r.state_i, 'state i'),
        d: reqNum(r.state_d, 'state d'),
        f: reqNum(r.state_f, 'state f'),
        s: reqNum(r.state_s, 'state s'),
        r: reqNum(r.state_r, 'state r'),
      },
      workerPid: num(r.worker_pid),
      syncWorkers: reqNum(r.sync_workers, 'sync workers'),
      receivedLsn: str(r.received_lsn),
      latestEndLsn: str(r.latest_end_lsn),
      latestEndTime: str(r.latest_end_time),
      lastMsgSendTime: str(r.last_msg_send_time),
      lastMsgReceiptTime: str(r.last_msg_receipt_time),
      lagSeconds: num(r.lag_seconds),
      applyErrorCount: num(r.apply_error_count),
      syncErrorCount: num(r.sync_error_count),
      conflictCount: num(r.conflict_count),
      streaming: streamingMode(str(r.streaming)),
      disableOnError: bool(r.disable_on_error),
    };
  });
}

function streamingMode(s: string | null): SubscriptionStreaming | null {
  return s === 'off' || s === 'on' || s === 'parallel' ? s : null;
}
