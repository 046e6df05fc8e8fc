/**
 * The in-place minor-upgrade runbook (role "server", PostgreSQL 12–18): checklist, backup (pg_dump directory format
 * or a cold copy), optional read-only mode, drain, stop / new binaries / start on the same data directory (host
 * steps: manual or local executor), extension updates, post-checks (amcheck), reopen, and the record with the
 * rollback procedure.
 */
import type { RunbookDefinition } from '../../runbook/types';
import type { MinorUpgradeParams } from './params';
import { backupStep } from './steps/backup';
import { checklistStep } from './steps/checklist';
import { drainStep } from './steps/drain';
import { postChecksStep } from './steps/post-checks';
import { readOnlyStep, reopenWritesStep } from './steps/read-only';
import { recordStep } from './steps/record';
import { updateExtensionsStep } from './steps/update-extensions';
import { upgradeServerStep } from './steps/upgrade-server';

export { defaultMinorUpgradeParams, validateMinorUpgradeParams, MINOR_UPGRADE_DEFAULTS } from './params';
export type { MinorUpgradeParams, BackupMethod } from './params';
export { evaluateChecklist, type ChecklistFacts } from './rules';
export { chooseBackupTools, dumpDirName, dumpPlan, defaultDumpBackupDir } from './backup';
export { rollbackProcedure } from './steps/record';

export const MINOR_UPGRADE_RUNBOOK_ID = 'minor-upgrade';

/**
 * Step ids in order. Outputs worth knowing: checklist {versionBefore, toVersion, databaseSizeBytes, outdatedExtensions,
 * freeDiskBytes, host}; backup {backupPath, backupVerified, databases[{name, dir, tocEntries, bytes}]}; drain {activeAtStart,
 * terminated}; upgrade-server {versionBefore, versionAfter, downtimeMs, stopMs, startMs, oldBinDir, newBinDir, coldCopy};
 * update-extensions {updated}; post-checks {amcheck, indexesChecked}; record {versionBefore, versionAfter, downtimeMs,
 * backupKind, backupPath, backupVerified, rollback[]}.
 */
export const MINOR_STEP_IDS = [
  'checklist', 'backup', 'read-only', 'drain', 'upgrade-server', 'update-extensions', 'post-checks', 'reopen-writes', 'record',
] as const;

export const minorUpgradeRunbook: RunbookDefinition<MinorUpgradeParams> = {
  id: MINOR_UPGRADE_RUNBOOK_ID,
  title: 'In-place minor upgrade',
  roles: ['server'],
  steps: [
    checklistStep,
    backupStep,
    readOnlyStep,
    drainStep,
    upgradeServerStep,
    updateExtensionsStep,
    postChecksStep,
    reopenWritesStep,
    recordStep,
  ],
};
