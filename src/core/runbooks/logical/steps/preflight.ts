import { randomBytes } from 'node:crypto';
import { checkClientRouting } from '../../../routing';
import type { Finding, StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { peerConninfo } from '../conninfo';
import { evaluateDatabaseScope, gatherDatabaseScopeFacts } from '../databases';
import { gatherSourceFacts, gatherTargetFacts, type SourceFacts, type TargetFacts } from '../facts';
import { evaluateSafety, replicationPrivileges, targetTablesWithRows } from '../preflight-safety';
import type { LogicalUpgradeParams } from '../params';
import { evaluatePreflight, hasErrors } from '../rules';
import { messageOf, withSession } from '../session';
import { probeSubscriptionSql } from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

function probeName(): string {
  return `pgpilot_probe_${randomBytes(4).toString('hex')}`;
}

/**
 * Can the TARGET reach the source with the subscriber conninfo? CREATE SUBSCRIPTION with connect = true and
 * create_slot = false inside BEGIN … ROLLBACK: the target opens a replication connection exactly as the real
 * subscription will (network, pg_hba, password, REPLICATION), and nothing is left anywhere.
 */
export async function probeSubscriberConnection(ctx: Ctx, conninfo: string, shown: string): Promise<Finding> {
  return withSession(ctx, 'target', async (s) => {
    await s.query('BEGIN');
    try {
      await s.query("SET LOCAL statement_timeout = '30s'");
      await s.query(probeSubscriptionSql(probeName(), conninfo, ctx.params.publication));
      return { id: 'subscriber-reachable', severity: 'info', message: `The target reached the source with the subscriber connection (${shown}).` } satisfies Finding;
    } catch (err) {
      return {
        id: 'subscriber-reachable', severity: 'error', cluster: 'target',
        message: `The target cannot reach the source with the subscriber connection (${shown}): ${messageOf(err).split(conninfo).join(shown)}`,
        fix: 'Make the source reachable from the target host (network, listen_addresses, a pg_hba.conf line for the target\'s address, the REPLICATION attribute), or set subscriberConnection to an address the target can use.',
      } satisfies Finding;
    } finally {
      await s.query('ROLLBACK').catch(() => undefined);
    }
  });
}

/** Target rows, the replication role's privileges, unparsable names (issue 9): read-only, before anything is created. */
async function safetyFindings(ctx: Ctx, src: SourceFacts, tgt: TargetFacts, replicationUser: string): Promise<Finding[]> {
  const tables = src.scope?.tables ?? [];
  const viaRoot = src.overview.version.major >= 13;
  const privileges = src.subscriberUser === null
    ? { replicationRole: null, noSelect: [], noUsage: [] } // no such role: the subscriber-user rule says so
    : await replicationPrivileges(await ctx.db('source'), replicationUser, tables, viaRoot);
  return evaluateSafety({ targetTablesWithRows: await targetTablesWithRows(await ctx.db('target'), tables, tgt.existingTables), ...privileges }, ctx.params);
}

export const preflightStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'preflight',
  title: 'Preflight checks on both servers',
  why:
    'Logical replication carries rows, not the whole cluster: wal_level must be logical, tables need a primary key or replica ' +
    'identity, and sequences, large objects, unlogged tables and DDL are not replicated. Finding this out before anything changes ' +
    'is what makes the rest safe; the target must also be able to reach the source by itself, with its own connection string.',
  kind: 'check',
  clusters: ['source', 'target'],
  risk: 'read-only',
  async plan(ctx) {
    const peer = await peerConninfo(ctx, 'source', ctx.params.subscriberConnection);
    return [
      { kind: 'sql', cluster: 'source', statements: ['-- read-only catalog queries: version, settings, tables, sequences, extensions, roles, slots, publications'] },
      { kind: 'sql', cluster: 'target', statements: ['-- read-only catalog queries: version, settings, available extensions, roles, subscriptions'] },
      {
        kind: 'sql', cluster: 'target',
        statements: ['BEGIN', "SET LOCAL statement_timeout = '30s'", probeSubscriptionSql('pgpilot_probe_…', peer.shown, ctx.params.publication), 'ROLLBACK'],
      },
    ];
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    const peer = await peerConninfo(ctx, 'source', p.subscriberConnection);
    const src = await gatherSourceFacts(await ctx.db('source'), p, peer.conninfo);
    const tgt = await gatherTargetFacts(await ctx.db('target'), p);
    const findings = evaluatePreflight(src, tgt, p, { runId: ctx.runId, subscriberConnection: peer.shown });
    findings.push(...(await safetyFindings(ctx, src, tgt, peer.user)));
    findings.push(...evaluateDatabaseScope(await gatherDatabaseScopeFacts(await ctx.db('source'), await ctx.db('target'), p), p));
    if (!findings.some((f) => f.id === 'subscriber-connection')) findings.push(await probeSubscriberConnection(ctx, peer.conninfo, peer.shown));
    findings.push(...(await checkClientRouting(ctx)));
    const errors = findings.filter((f) => f.severity === 'error');
    const warnings = findings.filter((f) => f.severity === 'warning');
    const outputs = {
      sourceVersion: src.overview.version.text,
      targetVersion: tgt.overview.version.text,
      tables: src.scope?.tables.length ?? 0,
      unloggedTables: src.scope?.unlogged.length ?? 0,
      sequences: src.sequenceCount,
      largeObjects: src.largeObjectCount,
      databaseSizeBytes: src.databaseSizeBytes,
      errors: errors.length,
      warnings: warnings.length,
    };
    if (hasErrors(findings)) {
      return {
        status: 'failed', outputs, findings,
        message: `${errors.length} problem(s) must be fixed before the upgrade (nothing was changed): ${errors.map((e) => e.message).join(' | ')}`,
      };
    }
    return { status: 'succeeded', outputs, findings, message: `ready: ${warnings.length} warning(s)` };
  },
  rollbackHint: 'Nothing to roll back: the preflight only reads (its reachability test is rolled back).',
};
