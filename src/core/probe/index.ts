/**
 * Workload probe and load for switchovers: a heartbeat writer that measures the write-unavailable window as a
 * client sees it, TPC-B-like concurrent writers, pgbench data, and the proof that no acknowledged commit was lost.
 */
export { startProbe, type Probe, type ProbeOptions } from './heartbeat';
export type { AckedCommit, ProbeEvent, ProbeReport, ProbeSnapshot } from './types';
export { startWriters, checkBalances, pgbenchScale, tpcbTransaction } from './tpcb';
export type { Writers, WritersOptions, WritersReport, WritersSnapshot, WritersWindow, WritersVerification, BalanceCheck } from './tpcb';
export { ensureProbeTable, probeTableDdl, probeTableExists, DEFAULT_PROBE_TABLE } from './table';
export { compareCommits, verifyProbeCommits, type CommitVerification } from './verify';
export { GapTracker, hostSwitch, longestSilence, switchoverGap, type Gap, type HostSwitch } from './gaps';
export { initPgbenchData, pgbenchInitPlan, pgbenchSchemaStatements } from './pgbenchData';
export { multiHostConnection, pgbenchTerminalCommand, type PgbenchCommandOptions } from './pgbenchCommand';
export { multiHostConnector, type ProbePassword } from './connector';
export type { Connector, Connected, WriteConnection } from './loop';
export { percentile } from './timing';
