/** Version-aware catalog queries for PostgreSQL 12–18: one round trip each, plain JSON-safe results. */
export * from './types';
export { fetchServerOverview, listDatabases, SERVER_OVERVIEW_SQL, listDatabasesSql } from './server';
export { listPublications, listPublicationsSql } from './publications';
export { listSubscriptions, listSubscriptionsSql, type ListSubscriptionsOptions } from './subscriptions';
export { listReplicationSlots, listReplicationSlotsSql } from './slots';
export { listStandbys, listStandbysSql } from './standbys';
export { listTablesForReplication, listTablesForReplicationSql } from './tables';
export { listSequences, listSequencesSql } from './sequences';
export { listCopyProgress, listCopyProgressSql } from './copyProgress';
export { decodePublisherEndpoint, splitAuthority, unquoteKeywordValue, type PublisherEndpoint } from './conninfo';
export { lsnToBigInt, bigIntToLsn, lsnDiff, compareLsn, isLsn } from './lsn';
export { formatBytes, formatDuration } from './format';
export { catalogMajor, OLDEST_SUPPORTED_MAJOR, NEWEST_KNOWN_MAJOR } from './version';
