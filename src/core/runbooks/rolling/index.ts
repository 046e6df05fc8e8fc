/**
 * The rolling switchover of a streaming pair (roles "primary" and "standby"), optionally a rolling minor upgrade:
 * preflight, upgrade the standby, prepare the primary's way back, CHECKPOINT, the guarded switchover (fence, drain to a
 * frozen position, promote, CHECKPOINT — or abort and hand the primary back), move the clients, rebuild the old primary
 * as a standby (pg_rewind or pg_basebackup, on the new release), verify replication in the new direction.
 */
import type { RunbookDefinition } from '../../runbook/types';
import type { RollingSwitchoverParams } from './params';
import { checkpointStep } from './steps/checkpoint';
import { moveClientsStep } from './steps/move-clients';
import { preflightStep } from './steps/preflight';
import { prepareRejoinStep } from './steps/prepare-rejoin';
import { rebuildStep } from './steps/rebuild';
import { switchoverStep } from './steps/switchover';
import { upgradeStandbyStep } from './steps/upgrade-standby';
import { verifyReplicationStep } from './steps/verify';

export { defaultRollingSwitchoverParams, validateRollingSwitchoverParams, ROLLING_DEFAULTS } from './params';
export type { RollingSwitchoverParams, FenceMode, RebuildMethod } from './params';
export { evaluateRollingPreflight, type RollingPreflightFacts } from './rules';
export { guardedPhysicalSwitchover } from './switchover';
export { rejoinConninfo, rejoinApplicationName } from './context';
export { rewindSummary, groupByDir } from './steps/rebuild';

export const ROLLING_SWITCHOVER_RUNBOOK_ID = 'rolling-switchover';

/**
 * Step ids in order. Outputs worth knowing: preflight {primaryVersion, standbyVersion, hosts, walLogHints, slots};
 * upgrade-standby {versionBefore, versionAfter, standbyDownMs}; switchover {writeUnavailableMs, fenceMs, drainMs,
 * promoteMs, checkpointMs, frozenLsn, standbyReplayLsn, sentLsn, terminatedBackends, newTimeline, freezeStartedAt,
 * newPrimaryOpenedAt, probe {writeUnavailableMs, lostCommits, acked, fromHost, toHost}; on abort: aborted,
 * primaryReopenedAt, writeUnavailableMs}; move-clients {landedOn}; rebuild-old-primary {method, rewind, rebuildMs,
 * versionAfter, streamingAfterMs, savedConfig}; verify-replication {state, syncState, replayLagBytes, newPrimaryVersion,
 * newStandbyVersion, timeline}.
 */
export const ROLLING_STEP_IDS = [
  'preflight', 'upgrade-standby', 'prepare-rejoin', 'checkpoint-primary', 'switchover', 'move-clients', 'rebuild-old-primary', 'verify-replication',
] as const;

export const rollingSwitchoverRunbook: RunbookDefinition<RollingSwitchoverParams> = {
  id: ROLLING_SWITCHOVER_RUNBOOK_ID,
  title: 'Rolling switchover of a streaming pair',
  roles: ['primary', 'standby'],
  steps: [
    preflightStep,
    upgradeStandbyStep,
    prepareRejoinStep,
    checkpointStep,
    switchoverStep,
    moveClientsStep,
    rebuildStep,
    verifyReplicationStep,
  ],
};
