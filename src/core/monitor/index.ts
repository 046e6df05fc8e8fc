/** Replication monitor for the dashboard: one statement per cluster per tick, a DashboardSnapshot out. */
export * from './types';
export { pollPair, ReplicationMonitor, DEFAULT_THRESHOLDS, type MonitorPair, type MonitoredCluster, type MonitorOptions } from './monitor';
export { LagHistory, LAG_WINDOW_MS } from './history';
export { walRisk, WAL_RISK_WARNING, WAL_RISK_CRITICAL } from './walRisk';
export type { ReadinessThresholds } from './readiness';
export { sourceTickSql, targetTickSql, primaryTickSql, standbyTickSql } from './sql';
export { diffTables, TableSet, tableKey, compareTableRows, type TablesDelta } from './tableDelta';
export { poolerDatabases, type PoolerDatabaseState, type PoolerView, type MonitoredPooler } from './poolers';
