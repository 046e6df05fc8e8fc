/**
 * Host steps: commands on a database server's machine, as argument arrays, run by the cluster's executor —
 * manual (the operator runs them and confirms; SQL checks the outcome) or local (lab clusters, run here).
 */
export * from './types';
export { hostSpecFromCluster, hostsFromClusters, validateHostSpec, validateHostSpecs, labLogFile } from './spec';
export {
  asOsUser, stopServerCommand, startServerCommand, mkdirCommand, copyFilesCommand, copyTreeCommand, moveCommand, touchCommand,
  privateFileCommands, rewindCommand, basebackupCommand, packageUpgradeInstruction, pgCtlPath, MANUAL_OS_USER, type HostTarget,
} from './commands';
export { LocalExecutor, runArgv, describeAction, scrubSecrets } from './local';
export { ManualExecutor, MANUAL_HOST_TITLE_PREFIX } from './manual';
export { readHostFacts, insideDir, HOST_FACTS_SQL, type HostFacts } from './facts';
export { executorFor, hostSpecOf, hostTarget, runHostBatch, isRootProcess, type HostParams } from './context';
export { waitForServer, versionNumOf, parseMinorVersion, versionText, sleep, messageOf, type WaitOptions } from './wait';
export { upgradedBinDir, selectSameMajor, hostToolPath } from './binaries';
export { recordLabServer } from './labRecord';
export { restartWithBinaries, restartActions, RestartError, type RestartOptions, type RestartResult } from './restart';
