/**
 * The logical major-upgrade runbook (source → target, PostgreSQL 12–18): preflight, roles and schema, publication and
 * subscription, initial sync, verification, the guarded switchover, reverse replication, ANALYZE, cleanup.
 */
import type { RunbookDefinition } from '../../runbook/types';
import type { LogicalUpgradeParams } from './params';
import { analyzeTargetStep } from './steps/analyze';
import { cleanupStep } from './steps/cleanup';
import { copyRolesStep } from './steps/copy-roles';
import { copySchemaStep } from './steps/copy-schema';
import { preflightStep } from './steps/preflight';
import { createPublicationStep } from './steps/publication';
import { reverseReplicationStep } from './steps/reverse';
import { createSubscriptionStep } from './steps/subscription';
import { switchoverStep } from './steps/switchover';
import { verifyDataStep } from './steps/verify-data';
import { waitSyncStep } from './steps/wait-sync';
import { explainMissingTargetDatabase } from './missing-database';
import { removeSubscriptionPasswords, restoreSubscriptionPasswords } from './subscription-secrets';
import { forEachDatabase, isClusterScope } from './cluster';
import { perDatabase } from './per-database';

export { defaultLogicalUpgradeParams, validateLogicalUpgradeParams, LOGICAL_UPGRADE_DEFAULTS, slotNameOf } from './params';
export type { LogicalUpgradeParams, TableName } from './params';
export { databaseNamedBy, databaseScopedNames } from './database-names';
export { resolveDatabases, DatabaseListError } from './cluster';
export { evaluatePreflight } from './rules';
export { guardedSwitchover, checkGate, GateError } from './switchover';

export const LOGICAL_UPGRADE_RUNBOOK_ID = 'logical-major-upgrade';

/** Step ids in order; the switchover's outputs carry writeUnavailableMs, drainMs, freezeStartedAt, targetOpenedAt … */
export const LOGICAL_STEP_IDS = [
  'preflight', 'copy-roles', 'copy-schema', 'create-publication', 'create-subscription', 'wait-initial-sync',
  'verify-data', 'switchover', 'reverse-replication', 'analyze-target', 'cleanup',
] as const;

export const logicalUpgradeRunbook: RunbookDefinition<LogicalUpgradeParams> = {
  id: LOGICAL_UPGRADE_RUNBOOK_ID,
  title: 'Major upgrade by logical replication',
  roles: ['source', 'target'],
  explainConnectError: explainMissingTargetDatabase,
  // Roles are global (once); every other step runs once per database of the run (cluster scope, issue 10); the
  // switchover loops over the databases inside its ONE window.
  steps: [
    perDatabase(preflightStep),
    copyRolesStep,
    perDatabase(copySchemaStep),
    perDatabase(createPublicationStep),
    perDatabase(createSubscriptionStep),
    perDatabase(waitSyncStep),
    perDatabase(verifyDataStep),
    switchoverStep,
    perDatabase(reverseReplicationStep),
    perDatabase(analyzeTargetStep),
    perDatabase(cleanupStep),
  ],
  // no password stays in pg_subscription once a run ends, whatever the ending (subscription-secrets.ts), in any database
  atRunStart: async (ctx) => (isClusterScope(ctx.params) ? (await forEachDatabase(ctx, (u) => restoreSubscriptionPasswords(u.ctx))).flatMap((x) => x.value) : restoreSubscriptionPasswords(ctx)),
  atRunEnd: async (ctx, status) => (isClusterScope(ctx.params) ? (await forEachDatabase(ctx, (u) => removeSubscriptionPasswords(u.ctx, status))).flatMap((x) => x.value) : removeSubscriptionPasswords(ctx, status)),
};
