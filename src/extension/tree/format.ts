/**
 * Texts of the Cluster Explorer's rows: descriptions and Markdown tooltips. Pure (no vscode import): unit-tested in
 * test/unit/extension-tree-format.test.ts. User-facing words go through the `t` passed in (vscode.l10n.t).
 */
import { formatBytes, formatDuration } from '../../core/catalog/format';
import type { DatabaseInfo, PublicationInfo, ReplicationSlotInfo, StandbyInfo, SubscriptionInfo } from '../../core/catalog/types';
import type { ClusterDefinition } from '../../core/clusters';
import { errorKindLabel, type ClusterStatus } from '../clusters/status';
import type { Translate } from '../translate';
import type { CategoryKind } from './nodes';

const SEP = ' · ';

/** Escapes text for a MarkdownString (names come from servers and users); `$` too, so `$(icon)` stays text. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]#!|<>~$]/g, (c) => `\\${c}`);
}

/** Inline code that survives any backticks inside. */
export function mdCode(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.includes('`') ? ` ${text} ` : text}${fence}`;
}

/** "16.4 · primary", "15.18 · standby · authentication failed", plus group (when not shown as a parent) and production. */
export function clusterDescription(cluster: ClusterDefinition, status: ClusterStatus, t: Translate, opts: { showGroup?: boolean } = {}): string {
  const parts: string[] = [];
  if (status.state === 'connected') {
    parts.push(status.version.text);
    if (status.overview) parts.push(status.overview.role === 'standby' ? t('standby') : t('primary'));
    if (status.overview?.defaultReadOnly && status.overview.role !== 'standby') parts.push(t('read-only'));
  } else if (status.state === 'error') {
    parts.push(errorKindLabel(status.kind, t));
  }
  if (opts.showGroup && cluster.group) parts.push(cluster.group);
  if (cluster.production) parts.push(t('production'));
  return parts.join(SEP);
}

/** Host list of a parsed connection: "db1:5432, db2:5433" (the caller parses; the string holds no password). */
export function endpointsSummary(hosts: string | undefined, ports: string | undefined): string {
  const hostList = (hosts ?? '').split(',').map((h) => h.trim());
  const portList = (ports ?? '').split(',').map((p) => p.trim());
  if (hostList.length === 1 && hostList[0] === '') return portList[0] ? `local socket:${portList[0]}` : 'local socket';
  return hostList
    .map((h, i) => {
      const port = portList.length === 1 ? portList[0] : portList[i];
      return port ? `${h || 'local socket'}:${port}` : h || 'local socket';
    })
    .join(', ');
}

export interface ConnectionFacts {
  /** "db1:5432, db2:5433" */
  endpoints?: string;
  database?: string;
  user?: string;
  targetSessionAttrs?: string;
  sslmode?: string;
  /** The stored connection string (passwordless) when it could not be parsed. */
  raw?: string;
  /** Whether a password is in SecretStorage. */
  hasStoredPassword?: boolean;
}

/** The Markdown tooltip of a cluster node. */
export function clusterTooltip(cluster: ClusterDefinition, status: ClusterStatus, facts: ConnectionFacts, t: Translate): string {
  const lines: string[] = [];
  const badges = [cluster.production ? `$(shield) ${t('production')}` : undefined, cluster.group ? `$(folder) ${escapeMarkdown(cluster.group)}` : undefined, cluster.lab ? `$(beaker) ${t('lab')}` : undefined].filter(Boolean);
  lines.push(`**${escapeMarkdown(cluster.name)}**${badges.length ? ` ${SEP} ${badges.join(SEP)}` : ''}`, '');

  if (status.state === 'error') {
    lines.push(`$(error) **${escapeMarkdown(errorKindLabel(status.kind, t))}**`, '', escapeMarkdown(status.message), '');
    const failed = (status.attempts ?? []).filter((a) => !a.ok);
    if (failed.length > 1) {
      // The message already says it for one host; for several, one line per host and its reason.
      for (const a of failed) lines.push(`- ${mdCode(`${a.endpoint.host}:${a.endpoint.port}`)}: ${escapeMarkdown(a.reason ?? a.kind ?? '')}`);
      lines.push('');
    }
  }

  const rows: Array<[string, string]> = [];
  if (facts.endpoints) rows.push([t('Hosts'), mdCode(facts.endpoints)]);
  if (facts.database) rows.push([t('Database'), mdCode(facts.database)]);
  if (facts.user) rows.push([t('User'), mdCode(facts.user)]);
  if (facts.targetSessionAttrs) rows.push(['target_session_attrs', mdCode(facts.targetSessionAttrs)]);
  if (facts.sslmode) rows.push(['sslmode', mdCode(facts.sslmode)]);
  if (facts.raw) rows.push([t('Connection'), mdCode(facts.raw)]);
  if (facts.hasStoredPassword !== undefined) rows.push([t('Password'), facts.hasStoredPassword ? t('in secret storage') : t('not stored (~/.pgpass or prompt)')]);

  if (status.state === 'connected') {
    const o = status.overview;
    if (status.endpoint) rows.push([t('Connected to'), mdCode(status.endpoint)]);
    rows.push([t('Version'), escapeMarkdown(o?.serverVersion ?? status.version.text)]);
    if (o) {
      rows.push([t('Role'), o.role === 'standby' ? t('standby (in recovery)') : t('primary')]);
      rows.push(['wal_level', mdCode(o.walLevel)]);
      rows.push(['max_replication_slots', String(o.maxReplicationSlots)]);
      rows.push(['max_wal_senders', String(o.maxWalSenders)]);
      rows.push([t('Uptime'), formatDuration(o.uptimeSeconds)]);
      rows.push([t('Size'), formatBytes(o.totalDatabaseSizeBytes)]);
      rows.push([t('Session'), `${mdCode(o.currentUser)}${o.isSuperuser ? ` (${t('superuser')})` : ''} @ ${mdCode(o.currentDatabase)}`]);
    }
  }
  if (rows.length) lines.push(...markdownTable(rows), '');

  if (status.state !== 'unknown') lines.push(`_${t('Checked at {0}', new Date(status.checkedAt).toLocaleTimeString())}_`);
  else lines.push(`_${t('Not connected yet: expand the node to connect.')}_`);
  return lines.join('\n').trim();
}

function markdownTable(rows: Array<[string, string]>): string[] {
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`)];
}

export function categoryLabel(category: CategoryKind, t: Translate): string {
  switch (category) {
    case 'databases': return t('Databases');
    case 'publications': return t('Publications');
    case 'subscriptions': return t('Subscriptions');
    case 'slots': return t('Replication Slots');
    case 'standbys': return t('Standbys');
  }
}

/** Text of the row shown when a category has no objects. */
export function emptyCategoryText(category: CategoryKind, database: string, t: Translate): string {
  switch (category) {
    case 'databases': return t('No databases visible to this user');
    case 'publications': return t('No publications in database {0}', database);
    case 'subscriptions': return t('No subscriptions in database {0}', database);
    case 'slots': return t('No replication slots');
    case 'standbys': return t('No standbys or WAL senders connected');
  }
}

export function databaseDescription(d: DatabaseInfo, t: Translate): string {
  const parts = [d.sizeBytes === null ? t('no CONNECT privilege') : formatBytes(d.sizeBytes)];
  if (d.isTemplate) parts.push(t('template'));
  if (!d.allowConnections) parts.push(t('connections not allowed'));
  if (d.readOnly) parts.push(t('read-only'));
  return parts.join(SEP);
}

export function databaseTooltip(d: DatabaseInfo, t: Translate): string {
  return [
    `**${escapeMarkdown(d.name)}**`, '',
    ...markdownTable([
      [t('Size'), d.sizeBytes === null ? t('no CONNECT privilege') : formatBytes(d.sizeBytes)],
      [t('Owner'), mdCode(d.owner)],
      [t('Encoding'), d.encoding],
      [t('Template'), d.isTemplate ? t('yes') : t('no')],
      [t('Connections allowed'), d.allowConnections ? t('yes') : t('no')],
    ]),
  ].join('\n');
}

function publishedOperations(p: PublicationInfo): string[] {
  return (['insert', 'update', 'delete', 'truncate'] as const).filter((op) => p[op]);
}

export function publicationDescription(p: PublicationInfo, t: Translate): string {
  const parts = [p.allTables ? t('all tables ({0})', p.tableCount) : p.tableCount === 1 ? t('1 table') : t('{0} tables', p.tableCount)];
  const ops = publishedOperations(p);
  if (ops.length < 4) parts.push(ops.length ? ops.join(', ') : t('no operations'));
  return parts.join(SEP);
}

export function publicationTooltip(p: PublicationInfo, database: string, t: Translate): string {
  const rows: Array<[string, string]> = [
    [t('Database'), mdCode(database)],
    [t('Owner'), mdCode(p.owner)],
    [t('Tables'), p.allTables ? t('all tables ({0})', p.tableCount) : String(p.tableCount)],
    [t('Operations'), publishedOperations(p).join(', ') || t('none')],
  ];
  if (p.viaRoot !== null) rows.push(['publish_via_partition_root', p.viaRoot ? t('yes') : t('no')]);
  return [`**${escapeMarkdown(p.name)}**`, '', ...markdownTable(rows)].join('\n');
}

/** "i/d/f/s/r 0/1/0/0/12": pg_subscription_rel states, the letters a DBA knows. */
export function tableStatesSummary(s: SubscriptionInfo['tableStates']): string {
  return `i/d/f/s/r ${s.i}/${s.d}/${s.f}/${s.s}/${s.r}`;
}

export function subscriptionDescription(s: SubscriptionInfo, t: Translate): string {
  const parts = [s.enabled ? t('enabled') : t('disabled'), tableStatesSummary(s.tableStates)];
  if (s.enabled && s.workerPid === null) parts.push(t('no apply worker'));
  if (s.lagSeconds !== null) parts.push(t('lag {0}', formatDuration(s.lagSeconds)));
  const errors = (s.applyErrorCount ?? 0) + (s.syncErrorCount ?? 0);
  if (errors > 0) parts.push(t('{0} errors', errors));
  return parts.join(SEP);
}

/** Whether a subscription needs attention: disabled, no worker, errors, or tables not ready. */
export function subscriptionHealth(s: SubscriptionInfo): 'ok' | 'syncing' | 'warning' {
  if (!s.enabled || s.workerPid === null || (s.applyErrorCount ?? 0) + (s.syncErrorCount ?? 0) > 0) return 'warning';
  const st = s.tableStates;
  return st.i + st.d + st.f + st.s > 0 ? 'syncing' : 'ok';
}

export function subscriptionTooltip(s: SubscriptionInfo, database: string, t: Translate): string {
  const st = s.tableStates;
  const rows: Array<[string, string]> = [
    [t('Database'), mdCode(database)],
    [t('State'), s.enabled ? t('enabled') : t('disabled')],
    [t('Publications'), s.publications.map(mdCode).join(', ') || '–'],
    [t('Slot'), s.slotName ? mdCode(s.slotName) : 'NONE'],
  ];
  if (s.conninfoHost) rows.push([t('Publisher'), mdCode(`${s.conninfoHost}${s.conninfoPort ? `:${s.conninfoPort}` : ''}`)]);
  rows.push(
    [t('Tables'), String(s.tableCount)],
    [t('i (initialize)'), String(st.i)],
    [t('d (data copy)'), String(st.d)],
    [t('f (copy finished)'), String(st.f)],
    [t('s (synchronized)'), String(st.s)],
    [t('r (ready)'), String(st.r)],
    [t('Apply worker'), s.workerPid === null ? t('not running') : `pid ${s.workerPid}`],
    [t('Sync workers'), String(s.syncWorkers)],
  );
  if (s.lagSeconds !== null) rows.push([t('Lag (last message)'), formatDuration(s.lagSeconds)]);
  if (s.receivedLsn) rows.push([t('Received LSN'), mdCode(s.receivedLsn)]);
  if (s.latestEndLsn) rows.push([t('Latest end LSN'), mdCode(s.latestEndLsn)]);
  if (s.applyErrorCount !== null) rows.push([t('Apply errors'), String(s.applyErrorCount)]);
  if (s.syncErrorCount !== null) rows.push([t('Sync errors'), String(s.syncErrorCount)]);
  if (s.conflictCount !== null) rows.push([t('Conflicts'), String(s.conflictCount)]);
  if (s.streaming !== null) rows.push(['streaming', s.streaming]);
  if (s.disableOnError !== null) rows.push(['disable_on_error', s.disableOnError ? t('yes') : t('no')]);
  return [`**${escapeMarkdown(s.name)}**`, '', ...markdownTable(rows)].join('\n');
}

export function slotDescription(s: ReplicationSlotInfo, t: Translate): string {
  const parts: string[] = [s.type === 'logical' ? t('logical') : t('physical')];
  parts.push(s.active ? t('active') : t('inactive'));
  if (s.retainedWalBytes !== null) parts.push(t('{0} retained', formatBytes(s.retainedWalBytes)));
  if (s.walStatus) parts.push(s.walStatus);
  if (s.invalidationReason) parts.push(t('invalidated: {0}', s.invalidationReason));
  else if (s.conflicting) parts.push(t('conflicting'));
  return parts.join(SEP);
}

/** 'ok', 'warning' (inactive, or WAL beyond max_wal_size: extended/unreserved) or 'error' (lost/invalidated). */
export function slotHealth(s: ReplicationSlotInfo): 'ok' | 'warning' | 'error' {
  if (s.walStatus === 'lost' || s.invalidationReason || s.conflicting) return 'error';
  if (!s.active || s.walStatus === 'unreserved' || s.walStatus === 'extended') return 'warning';
  return 'ok';
}

export function slotTooltip(s: ReplicationSlotInfo, t: Translate): string {
  const rows: Array<[string, string]> = [
    [t('Type'), s.type + (s.plugin ? ` (${mdCode(s.plugin)})` : '')],
    [t('Active'), s.active ? (s.activePid !== null ? t('yes, pid {0}', s.activePid) : t('yes')) : t('no')],
  ];
  if (s.database) rows.push([t('Database'), mdCode(s.database)]);
  if (s.temporary) rows.push([t('Temporary'), t('yes')]);
  if (s.retainedWalBytes !== null) rows.push([t('Retained WAL'), formatBytes(s.retainedWalBytes)]);
  if (s.lagBytes !== null) rows.push([t('Behind (confirmed_flush_lsn)'), formatBytes(s.lagBytes)]);
  if (s.walStatus) rows.push(['wal_status', s.walStatus]);
  if (s.safeWalSizeBytes !== null) rows.push(['safe_wal_size', formatBytes(s.safeWalSizeBytes)]);
  if (s.restartLsn) rows.push(['restart_lsn', mdCode(s.restartLsn)]);
  if (s.confirmedFlushLsn) rows.push(['confirmed_flush_lsn', mdCode(s.confirmedFlushLsn)]);
  if (s.twoPhase !== null) rows.push(['two_phase', s.twoPhase ? t('yes') : t('no')]);
  if (s.failover !== null) rows.push(['failover', s.failover ? t('yes') : t('no')]);
  if (s.inactiveSince) rows.push(['inactive_since', s.inactiveSince]);
  if (s.invalidationReason) rows.push(['invalidation_reason', s.invalidationReason]);
  return [`**${escapeMarkdown(s.name)}**`, '', ...markdownTable(rows)].join('\n');
}

function lagText(seconds: number | null): string {
  return seconds === null ? '–' : formatDuration(seconds);
}

export function standbyDescription(s: StandbyInfo, t: Translate): string {
  const parts: string[] = [];
  if (s.kind === 'logical') parts.push(t('logical'));
  parts.push(s.clientAddr ?? t('local socket'));
  if (s.state) parts.push(s.state);
  if (s.syncState && s.syncState !== 'async') parts.push(s.syncState);
  parts.push(t('lag {0}', `${lagText(s.writeLagSeconds)}/${lagText(s.flushLagSeconds)}/${lagText(s.replayLagSeconds)}`));
  return parts.join(SEP);
}

export function standbyTooltip(s: StandbyInfo, t: Translate): string {
  const rows: Array<[string, string]> = [
    [t('Kind'), s.kind === 'logical' ? t('logical (subscription WAL sender)') : t('physical (streaming standby)')],
    [t('Client'), mdCode(s.clientAddr ? `${s.clientAddr}${s.clientPort !== null ? `:${s.clientPort}` : ''}` : t('local socket'))],
    [t('User'), s.userName ? mdCode(s.userName) : '–'],
    [t('State'), s.state ?? '–'],
    [t('Sync state'), s.syncState ?? '–'],
    [t('Write lag'), lagText(s.writeLagSeconds)],
    [t('Flush lag'), lagText(s.flushLagSeconds)],
    [t('Replay lag'), lagText(s.replayLagSeconds)],
  ];
  if (s.replayLagBytes !== null) rows.push([t('Replay behind'), formatBytes(s.replayLagBytes)]);
  if (s.sentLsn) rows.push(['sent_lsn', mdCode(s.sentLsn)]);
  if (s.replayLsn) rows.push(['replay_lsn', mdCode(s.replayLsn)]);
  rows.push(['pid', String(s.pid)]);
  return [`**${escapeMarkdown(s.applicationName || t('(no application_name)'))}**`, '', ...markdownTable(rows)].join('\n');
}
