/** The preflight's judgement: facts from both servers in, findings (severity + actionable fix) out. Pure. */
import { formatBytes } from '../../catalog';
import { parseConnString } from '../../conn';
import type { Finding } from '../../runbook/types';
import type { SourceFacts, TargetFacts } from './facts';
import { slotNameOf, type LogicalUpgradeParams } from './params';
import type { PublicationState } from './queries';
import { display, tableKey } from './queries';
import { dropPublicationFix, dropSlotFix, dropSubscriptionFix, grantReplicationFix, replicaIdentityFullFix } from './fixes';
import { quoteIdent, quoteLiteral } from '../../sql';

export interface RuleContext {
  runId: string;
  subscriberConnection: string;
}

const MIN_SOURCE_MAJOR = 12;
const LIST_MAX = 10;

function list(items: string[]): string {
  return items.length <= LIST_MAX ? items.join(', ') : `${items.slice(0, LIST_MAX).join(', ')} and ${items.length - LIST_MAX} more`;
}

/** Objects carry the run id in their comment: is this one ours, from this very run? */
export function ownedByRun(comment: string | null | undefined, runId: string): boolean {
  return typeof comment === 'string' && comment.endsWith(`run ${runId}`);
}

function otherRun(comment: string | null | undefined): string | null {
  const m = /pg-upgrade-pilot logical upgrade, run (\S+)$/.exec(comment ?? '');
  return m ? m[1] : null;
}

function existing(kind: string, name: string, where: string, comment: string | null, runId: string, drop: string): Finding | null {
  if (ownedByRun(comment, runId)) {
    return { id: `${kind}-exists`, severity: 'info', cluster: where === 'source' ? 'source' : 'target', message: `${kind} ${quoteIdent(name)} was created by this run; it is reused.` };
  }
  const prior = otherRun(comment);
  return {
    id: `${kind}-exists`,
    severity: 'error',
    cluster: where === 'source' ? 'source' : 'target',
    message: `A ${kind} named ${quoteIdent(name)} already exists on the ${where}${prior ? ` (created by pg-upgrade-pilot run ${prior})` : ''}; nothing has been changed.`,
    fix: prior
      ? `Resume run ${prior} instead of starting a new one, or remove it (${drop}), or choose another name in the parameters.`
      : `Choose another name in the parameters, or remove it if it is a leftover: ${drop}`,
  };
}

export function evaluatePreflight(src: SourceFacts, tgt: TargetFacts, p: LogicalUpgradeParams, rc: RuleContext): Finding[] {
  const f: Finding[] = [];
  const add = (x: Finding | null) => x && f.push(x);
  const sv = src.overview.version;
  const tv = tgt.overview.version;

  // ---- versions and roles of the servers ----
  if (sv.major < MIN_SOURCE_MAJOR) {
    add({ id: 'source-version', severity: 'error', cluster: 'source', message: `The source runs PostgreSQL ${sv.text}; this runbook supports sources from ${MIN_SOURCE_MAJOR}.`, fix: `Upgrade the source to ${MIN_SOURCE_MAJOR} or newer first (minor upgrades are in place), or use pg_upgrade.` });
  }
  if (tv.major <= sv.major) {
    add({ id: 'version-order', severity: 'error', message: `The target runs PostgreSQL ${tv.text}, not a newer major than the source (${sv.text}).`, fix: 'Pick a target cluster of a newer major version.' });
  } else {
    add({ id: 'versions', severity: 'info', message: `Major upgrade ${sv.text} → ${tv.text}.` });
  }
  for (const [role, o] of [['source', src.overview], ['target', tgt.overview]] as const) {
    if (o.inRecovery) add({ id: `${role}-standby`, severity: 'error', cluster: role, message: `The ${role} connection reaches a standby (in recovery).`, fix: `Point the ${role} connection at the primary (target_session_attrs=read-write).` });
    // privileges: the capability probe and the adapted plan (capabilities.ts, rules-privileges.ts)
  }
  if (src.frozen) {
    add({ id: 'source-frozen', severity: 'error', cluster: 'source', message: 'The source is read-only by ALTER SYSTEM (default_transaction_read_only = on): a switchover already happened, or it is frozen on purpose.', fix: 'If it should take writes: ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf();' });
  }
  if (tgt.frozen) add({ id: 'target-frozen', severity: 'info', cluster: 'target', message: 'The target is read-only (frozen) until the switchover opens it, as intended.' });

  // ---- source settings ----
  if (src.overview.walLevel !== 'logical') {
    add({ id: 'wal_level', severity: 'error', cluster: 'source', message: `wal_level is "${src.overview.walLevel}" on the source; logical replication needs "logical".`, fix: 'ALTER SYSTEM SET wal_level = logical; then restart the source (a restart, not a reload).' });
  }
  const syncWorkers = tgt.overview.maxSyncWorkersPerSubscription;
  const freeSlots = src.overview.maxReplicationSlots - src.slotsInUse;
  const needSlots = src.slot ? 0 : 1;
  if (freeSlots < needSlots) {
    add({ id: 'replication-slots', severity: 'error', cluster: 'source', message: `No free replication slot on the source (max_replication_slots = ${src.overview.maxReplicationSlots}, ${src.slotsInUse} in use).`, fix: `ALTER SYSTEM SET max_replication_slots = ${src.slotsInUse + 1 + syncWorkers}; then restart the source.` });
  } else if (freeSlots < needSlots + syncWorkers) {
    add({ id: 'replication-slots', severity: 'warning', cluster: 'source', message: `Only ${freeSlots} free replication slot(s) on the source: the initial copy uses one per table being synchronized (up to ${syncWorkers}) besides the subscription's, so fewer tables copy at once.`, fix: `ALTER SYSTEM SET max_replication_slots = ${src.slotsInUse + 1 + syncWorkers}; then restart the source.` });
  }
  const freeSenders = src.overview.maxWalSenders - src.walSendersInUse;
  if (freeSenders < 1) {
    add({ id: 'wal-senders', severity: 'error', cluster: 'source', message: `No free WAL sender on the source (max_wal_senders = ${src.overview.maxWalSenders}, ${src.walSendersInUse} in use).`, fix: `ALTER SYSTEM SET max_wal_senders = ${src.walSendersInUse + 1 + syncWorkers}; then restart the source.` });
  } else if (freeSenders < 1 + syncWorkers) {
    add({ id: 'wal-senders', severity: 'warning', cluster: 'source', message: `Only ${freeSenders} free WAL sender(s) on the source; the initial copy uses up to ${1 + syncWorkers}.`, fix: `ALTER SYSTEM SET max_wal_senders = ${src.walSendersInUse + 1 + syncWorkers}; then restart the source.` });
  }
  if (src.overview.version.major >= 13) {
    const keep = src.maxSlotWalKeepSize;
    if (keep === '-1' || keep === null) {
      add({ id: 'wal-retention', severity: 'info', cluster: 'source', message: `max_slot_wal_keep_size = -1: the slot keeps WAL on the source for as long as the target is behind (the whole initial copy of ${formatBytes(src.databaseSizeBytes)}, and any outage of the target). Watch the source's disk space.`, fix: 'Optionally bound it (ALTER SYSTEM SET max_slot_wal_keep_size = …; reload): the slot is then lost, and the copy must restart, if the target falls further behind.' });
    } else {
      const mb = Number(keep) * 1024 * 1024;
      add({ id: 'wal-retention', severity: mb < src.databaseSizeBytes ? 'warning' : 'info', cluster: 'source', message: `max_slot_wal_keep_size = ${formatBytes(mb)}: if the target falls further behind (a slow initial copy of ${formatBytes(src.databaseSizeBytes)}, an outage), the slot is invalidated and the replication must start over.`, fix: 'Raise it for the upgrade (ALTER SYSTEM SET max_slot_wal_keep_size = …; SELECT pg_reload_conf()) if disk space allows.' });
    }
  } else {
    add({ id: 'wal-retention', severity: 'info', cluster: 'source', message: `PostgreSQL ${sv.major} keeps WAL for the slot without limit while the target is behind; watch the source's disk space during the initial copy.` });
  }

  // ---- target settings ----
  const workers = tgt.overview.maxLogicalReplicationWorkers;
  if (workers < 1) {
    add({ id: 'target-workers', severity: 'error', cluster: 'target', message: 'max_logical_replication_workers = 0 on the target: no subscription can run.', fix: `ALTER SYSTEM SET max_logical_replication_workers = ${2 + syncWorkers}; then restart the target.` });
  } else if (workers < 1 + Math.min(syncWorkers, 2)) {
    add({ id: 'target-workers', severity: 'warning', cluster: 'target', message: `max_logical_replication_workers = ${workers} on the target: the apply worker plus table-copy workers (max_sync_workers_per_subscription = ${syncWorkers}) will not all fit; the initial copy is slower.`, fix: `ALTER SYSTEM SET max_logical_replication_workers = ${1 + syncWorkers + 1}; then restart the target.` });
  }
  if (tgt.overview.maxWorkerProcesses < workers + 1) {
    add({ id: 'target-worker-processes', severity: 'warning', cluster: 'target', message: `max_worker_processes = ${tgt.overview.maxWorkerProcesses} on the target is below max_logical_replication_workers + 1 (${workers + 1}); replication workers compete with other background workers.`, fix: `ALTER SYSTEM SET max_worker_processes = ${workers + 4}; then restart the target.` });
  }
  add({ id: 'sync-workers', severity: 'info', cluster: 'target', message: `max_sync_workers_per_subscription = ${syncWorkers}: up to ${syncWorkers} table(s) are copied at once.` });
  const maxOrigins = tgt.overview.maxActiveReplicationOrigins ?? tgt.overview.maxReplicationSlots;
  if (!tgt.subscription && maxOrigins - tgt.originsInUse < 1) {
    add({ id: 'target-origins', severity: 'error', cluster: 'target', message: `No free replication origin on the target (${tv.major >= 18 ? 'max_active_replication_origins' : 'max_replication_slots'} = ${maxOrigins}, ${tgt.originsInUse} in use); a subscription needs one.`, fix: `ALTER SYSTEM SET ${tv.major >= 18 ? 'max_active_replication_origins' : 'max_replication_slots'} = ${tgt.originsInUse + 2 + syncWorkers}; then restart the target.` });
  }
  if (p.reverseReplication && tgt.overview.walLevel !== 'logical') {
    add({ id: 'reverse-wal_level', severity: 'error', cluster: 'target', message: `Reverse replication is requested but wal_level is "${tgt.overview.walLevel}" on the target.`, fix: 'ALTER SYSTEM SET wal_level = logical on the target and restart it (before the switchover), or turn reverseReplication off.' });
  }

  // ---- what is replicated ----
  if (src.scopeError) add({ id: 'scope', severity: 'error', cluster: 'source', message: src.scopeError, fix: 'Correct the schemas/tables parameters.' });
  const scope = src.scope;
  if (scope) {
    if (scope.tables.length === 0) add({ id: 'no-tables', severity: 'warning', cluster: 'source', message: 'No table to replicate in the chosen scope.' });
    const noIdentity = scope.tables.filter((t) => t.replicaIdentity === 'n' || (t.replicaIdentity === 'd' && !t.hasPrimaryKey));
    const fixFor = (ts: typeof noIdentity) =>
      `Add a primary key, or a unique index with ALTER TABLE … REPLICA IDENTITY USING INDEX …, or ${ts.slice(0, 3).map(replicaIdentityFullFix).join(' ')}${ts.length > 3 ? ' …' : ''} (FULL makes updates on the target slower).`;
    // Tables that were ever updated or deleted from would break the application at once; insert-only ones would not.
    const written = noIdentity.filter((t) => (src.updatesAndDeletes.get(tableKey(t)) ?? 0) > 0);
    const insertOnly = noIdentity.filter((t) => (src.updatesAndDeletes.get(tableKey(t)) ?? 0) === 0);
    if (written.length) {
      add({
        id: 'replica-identity', severity: 'error', cluster: 'source',
        message: `${written.length} table(s) without primary key or replica identity receive UPDATEs or DELETEs: once published, every UPDATE and DELETE on them fails on the source ("cannot update table … because it does not have a replica identity and publishes updates"): ${list(written.map(display))}.`,
        fix: fixFor(written),
      });
    }
    if (insertOnly.length) {
      add({
        id: 'replica-identity-insert-only', severity: 'error', cluster: 'source',
        message: `${insertOnly.length} table(s) have no primary key and no replica identity; they look insert-only (no UPDATE/DELETE in the statistics so far), but the first UPDATE or DELETE on them would fail on the source once published, breaking the application: ${list(insertOnly.map(display))}.`,
        fix: fixFor(insertOnly),
      });
    }
    const full = scope.tables.filter((t) => t.replicaIdentity === 'f');
    if (full.length) add({ id: 'replica-identity-full', severity: 'info', cluster: 'source', message: `${full.length} table(s) use REPLICA IDENTITY FULL (each UPDATE/DELETE is found by a scan or a usable index on the target): ${list(full.map(display))}.` });
    if (scope.unlogged.length) {
      add({ id: 'unlogged-tables', severity: 'warning', cluster: 'source', message: `${scope.unlogged.length} unlogged table(s) are NOT replicated; they arrive empty on the target: ${list(scope.unlogged.map(display))}.`, fix: 'If their contents matter, ALTER TABLE … SET LOGGED before the upgrade, or copy them by hand after the switchover.' });
    }
    const present = scope.tables.filter((t) => tgt.existingTables.has(tableKey(t)));
    if (present.length === scope.tables.length && present.length > 0) {
      add({ id: 'schema-present', severity: 'info', cluster: 'target', message: `All ${present.length} replicated table(s) already exist on the target; the schema copy is skipped.` });
    } else if (present.length > 0) {
      add({ id: 'schema-partial', severity: 'warning', cluster: 'target', message: `${present.length} of ${scope.tables.length} replicated table(s) already exist on the target (${list(present.map(display))}); the schema copy will stop rather than fail half-way.`, fix: 'Drop those tables on the target, or create all the remaining ones yourself (then the schema step only checks).' });
    }
  }
  if (src.largeObjectCount > 0) {
    add({ id: 'large-objects', severity: 'warning', cluster: 'source', message: `${src.largeObjectCount} large object(s) (pg_largeobject) are NOT replicated by logical replication.`, fix: 'Copy them after the switchover (e.g. pg_dump --large-objects-only / lo_export + lo_import), or move them into bytea columns.' });
  }
  if (src.materializedViews.length) {
    add({ id: 'materialized-views', severity: p.refreshMaterializedViews ? 'info' : 'warning', cluster: 'target', message: `${src.materializedViews.length} materialized view(s) are not replicated; the schema copy creates them empty: ${list(src.materializedViews.map(display))}.`, fix: p.refreshMaterializedViews ? 'They are refreshed on the target after the switchover (analyze step).' : 'REFRESH MATERIALIZED VIEW each on the target after the switchover (or turn refreshMaterializedViews on).' });
  }
  if (src.generatedColumns.length && sv.major < 18) {
    add({ id: 'generated-columns', severity: 'info', cluster: 'target', message: `${src.generatedColumns.length} stored generated column(s) are not sent by a PostgreSQL ${sv.major} publisher; the target computes them itself, so they must be generated columns there too (a schema copy makes them so): ${list(src.generatedColumns.map((c) => `${display({ schema: c.schema, name: c.table })}.${c.column}`))}.` });
  }
  if (src.sequenceCount) add({ id: 'sequences', severity: 'info', cluster: 'source', message: `${src.sequenceCount} sequence(s) are not replicated; the switchover copies their values (setval) while both servers are frozen.` });

  const missingExt = src.extensions.filter((e) => !tgt.availableExtensions.has(e.name));
  if (missingExt.length) {
    add({ id: 'extensions', severity: 'error', cluster: 'target', message: `Extension(s) installed on the source are not available on the target: ${list(missingExt.map((e) => `${e.name} ${e.version}`))}.`, fix: `Install their packages for PostgreSQL ${tv.major} on the target host (e.g. postgresql-${tv.major}-<extension>), then re-run the preflight.` });
  } else if (src.extensions.length) {
    add({ id: 'extensions', severity: 'info', message: `All ${src.extensions.length} extension(s) of the source are available on the target.` });
  }
  const missingRoles = src.roles.filter((r) => !tgt.roles.has(r));
  if (missingRoles.length) {
    add(p.copyRoles
      ? { id: 'roles', severity: 'info', cluster: 'target', message: `${missingRoles.length} role(s) of the source will be created on the target: ${list(missingRoles)}.` }
      : { id: 'roles', severity: 'warning', cluster: 'target', message: `${missingRoles.length} role(s) of the source do not exist on the target (${list(missingRoles)}); objects they own cannot be restored and their applications cannot log in after the switchover.`, fix: 'Turn copyRoles on, or create them on the target (pg_dumpall --roles-only).' });
  }
  add({ id: 'database-size', severity: 'info', cluster: 'source', message: `The database is ${formatBytes(src.databaseSizeBytes)} on the source (the initial copy moves all of it; the target needs at least as much space).` });
  if (src.encoding !== tgt.encoding) {
    add({ id: 'encoding', severity: 'warning', message: `The databases' encodings differ (source ${src.encoding}, target ${tgt.encoding}); characters the target cannot represent stop the replication.`, fix: `Create the target database with ENCODING ${quoteLiteral(src.encoding)} (TEMPLATE template0).` });
  }
  if (src.tablespaces.length) {
    add({ id: 'tablespaces', severity: 'warning', cluster: 'target', message: `The source uses tablespace(s) ${list(src.tablespaces)}; the schema copy creates objects in them, so they must exist on the target.`, fix: 'CREATE TABLESPACE … on the target first (or let the restore fail clearly; nothing is created half-way).' });
  }
  if (src.preparedXacts > 0) {
    add({ id: 'prepared-transactions', severity: 'warning', cluster: 'source', message: `${src.preparedXacts} prepared transaction(s) are pending on the source; the switchover refuses to start while any exist (they could commit after the freeze).`, fix: 'COMMIT PREPARED or ROLLBACK PREPARED them (SELECT * FROM pg_prepared_xacts).' });
  }
  if (src.subscriptionCount > 0) {
    add({ id: 'source-subscriptions', severity: 'warning', cluster: 'source', message: `The source database itself has ${src.subscriptionCount} subscription(s); their apply workers keep writing while the source is frozen and are not carried over.`, fix: 'Re-create those subscriptions on the target after the switchover (and disable them on the source).' });
  }

  // ---- the subscriber's connection ----
  let subParams: ReturnType<typeof parseConnString> | undefined;
  try {
    subParams = parseConnString(rc.subscriberConnection);
  } catch (err) {
    add({ id: 'subscriber-connection', severity: 'error', message: `The subscriber connection string is not valid: ${(err as Error).message}`, fix: 'Correct subscriberConnection.' });
  }
  if (subParams && /,/.test(subParams.host ?? '')) {
    add({ id: 'subscriber-multihost', severity: 'warning', message: `The subscriber connection lists several hosts (${subParams.host}); after the switchover the subscription could follow it to the wrong server.`, fix: 'Set subscriberConnection to the source server alone (one host).' });
  }
  if (src.subscriberUser === null) {
    add({ id: 'subscriber-user', severity: 'error', cluster: 'source', message: `The subscriber connection's user "${subParams?.user}" does not exist on the source.`, fix: 'Create it with REPLICATION (and SELECT on the replicated tables), or correct subscriberConnection.' });
  } else if (src.subscriberUser && !src.subscriberUser.superuser && !src.subscriberUser.replication) {
    add({ id: 'subscriber-user', severity: 'error', cluster: 'source', message: `The subscriber connection's user ${quoteIdent(src.subscriberUser.name)} has neither SUPERUSER nor REPLICATION on the source.`, fix: `${grantReplicationFix(src.subscriberUser.name)} and GRANT SELECT on the replicated tables to it.` });
  }

  // ---- names already taken ----
  const slot = slotNameOf(p);
  if (src.publication) add(existing('publication', p.publication, 'source', src.publication.comment, rc.runId, dropPublicationFix(p.publication)));
  if (tgt.subscription) add(existing('subscription', p.subscription, 'target', tgt.subscription.comment, rc.runId, dropSubscriptionFix(p.subscription)));
  if (src.slot && !(tgt.subscription && ownedByRun(tgt.subscription.comment, rc.runId) && tgt.subscription.slotName === slot)) {
    add({ id: 'slot-exists', severity: 'error', cluster: 'source', message: `A replication slot named ${quoteIdent(slot)} already exists on the source (${src.slot.type}${src.slot.active ? ', active' : ', inactive'}); nothing has been changed.`, fix: `Choose another slotName, or drop the leftover: ${dropSlotFix(slot)}` });
  }
  if (p.reverseReplication && tgt.reversePublication) {
    add(existing('publication', p.reversePublication, 'target', tgt.reversePublication.comment, rc.runId, dropPublicationFix(p.reversePublication)));
  }
  return f;
}

export function hasErrors(findings: Finding[]): boolean {
  return findings.some((x) => x.severity === 'error');
}

/** Is this publication exactly ours and does it cover the wanted scope? (used by isDone) */
export function publicationMatches(pub: PublicationState, wantAll: boolean, wantTables: { schema: string; name: string }[]): boolean {
  if (wantAll) return pub.allTables;
  if (pub.allTables) return false;
  const have = new Set(pub.tables.map(tableKey));
  return wantTables.every((t) => have.has(tableKey(t)));
}
