/**
 * Everything that can hold the standby back from replaying the frozen position in time (issue 16): a replay delay,
 * paused replay, a WAL receiver that is not streaming, replay conflicts that wait forever, and synchronous
 * replication that makes the primary's commits (the drain marker included) wait. Pure: facts in, findings out;
 * every fix is the SQL to run, on which server.
 */
import { quoteLiteral } from '../../sql';
import type { Finding } from '../../runbook/types';
import type { PrimaryFacts, StandbyFacts } from './facts';
import type { RollingSwitchoverParams } from './params';

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
const on = (v: string) => !['off', 'local'].includes(v);

export type HoldbackPrimary = Pick<PrimaryFacts, 'synchronousStandbyNames' | 'synchronousCommit' | 'standbys'>;
export type HoldbackStandby = Pick<StandbyFacts, 'receiverStatus' | 'replayPaused' | 'applyDelayMs' | 'maxStreamingDelayMs' | 'activeQueries'>;

export function holdbackFindings(p: HoldbackPrimary, s: HoldbackStandby, params: Pick<RollingSwitchoverParams, 'switchoverTimeoutMs'>): Finding[] {
  const out: Finding[] = [];
  const timeout = params.switchoverTimeoutMs;
  if (s.applyDelayMs > 0) {
    out.push({
      id: 'apply-delay', severity: s.applyDelayMs >= timeout ? 'error' : 'warning', cluster: 'standby',
      message: `recovery_min_apply_delay = ${seconds(s.applyDelayMs)} on the standby: it replays every commit that long after it happened, so ` +
        (s.applyDelayMs >= timeout
          ? `it cannot replay the frozen position within the switchover timeout (${seconds(timeout)}): the primary would stay fenced for the whole timeout, then the switchover would abort.`
          : `the write-unavailable window grows by up to ${seconds(s.applyDelayMs)}.`) + ' A delayed standby is usually kept on purpose (protection against mistakes); promote one only if that is intended.',
      fix: 'On the standby: ALTER SYSTEM SET recovery_min_apply_delay = 0; SELECT pg_reload_conf(); (it then replays what it held back; wait until the lag is small), or switch over to a standby without delay.',
    });
  }
  if (s.replayPaused) {
    out.push({ id: 'replay-paused', severity: 'error', cluster: 'standby', message: 'WAL replay is paused on the standby: it cannot catch up, the switchover would time out.', fix: 'On the standby: SELECT pg_wal_replay_resume();' });
  }
  if (s.receiverStatus !== 'streaming') {
    out.push({
      id: 'streaming', severity: 'error', cluster: 'standby',
      message: `The standby is not streaming (WAL receiver: ${s.receiverStatus ?? 'not running'}): it would not receive the primary's last WAL.`,
      fix: 'Fix replication first (primary_conninfo, pg_hba.conf, the primary\'s max_wal_senders); see the standby\'s log.',
    });
  }
  if (s.maxStreamingDelayMs < 0 || s.maxStreamingDelayMs > timeout) {
    out.push({
      id: 'standby-conflicts', severity: s.activeQueries > 0 ? 'warning' : 'info', cluster: 'standby',
      message: `max_standby_streaming_delay = ${s.maxStreamingDelayMs < 0 ? '-1 (forever)' : seconds(s.maxStreamingDelayMs)} on the standby: replay waits that long for a conflicting query there` +
        (s.activeQueries > 0 ? ` (${s.activeQueries} quer${s.activeQueries === 1 ? 'y runs' : 'ies run'} now)` : '') + `, longer than the switchover timeout (${seconds(timeout)}).`,
      fix: `On the standby, before the switchover: ALTER SYSTEM SET max_standby_streaming_delay = ${quoteLiteral(`${Math.max(1, Math.floor(timeout / 2000))}s`)}; SELECT pg_reload_conf(); — or end long queries there.`,
    });
  }
  const names = p.synchronousStandbyNames.trim();
  if (names !== '' && on(p.synchronousCommit)) {
    const sync = p.standbys.filter((x) => x.kind === 'physical' && (x.syncState === 'sync' || x.syncState === 'quorum'));
    if (!sync.length) {
      out.push({
        id: 'synchronous-primary', severity: 'error', cluster: 'primary',
        message: `synchronous_standby_names = ${quoteLiteral(names)} on the primary, but no synchronous standby is connected: every commit waits, the fence's drain marker included; the switchover would time out.`,
        fix: `On the primary: ALTER SYSTEM SET synchronous_standby_names = ${quoteLiteral('')}; SELECT pg_reload_conf(); — or connect the standby it names.`,
      });
    } else {
      const delayed = p.synchronousCommit === 'remote_apply' && s.applyDelayMs > 0;
      out.push({
        id: 'synchronous-primary', severity: delayed ? 'warning' : 'info', cluster: 'primary',
        message: `The primary commits synchronously (synchronous_standby_names = ${quoteLiteral(names)}, synchronous_commit = ${p.synchronousCommit})` +
          (delayed ? '; with remote_apply and the standby\'s apply delay every commit already waits for the delay.' : ': acknowledged commits are on the synchronous standby before the fence.'),
      });
    }
  }
  return out;
}
