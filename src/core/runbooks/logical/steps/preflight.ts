import { randomBytes } from 'node:crypto';
import { checkClientRouting } from '../../../routing';
import type { Finding, PlannedAction, StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { CONNINFO_PLACEHOLDER, passwordRouteFindings, peerConninfo, runWithPeerConninfo, type PeerConninfo } from '../conninfo';
import { adaptPlan, capabilitiesSql, privilegeGaps, probeCapabilities, type AdaptedPlan } from '../capabilities';
import { evaluateDatabaseScope, gatherDatabaseScopeFacts } from '../databases';
import { gatherSourceFacts, gatherTargetFacts, type SourceFacts, type TargetFacts } from '../facts';
import { evaluateSafety, replicationPrivileges, targetTablesWithRows } from '../preflight-safety';
import { tableKey } from '../queries';
import { privilegeFindings } from '../rules-privileges';
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
/**
 * A publication of the source the probe can name: a missing one makes CREATE SUBSCRIPTION (15+) raise a WARNING
 * that logs the statement — with the password — on the target (unlogged-secret.ts). Ours if it exists, else any.
 */
async function probePublication(ctx: Ctx): Promise<string | null> {
  const r = await (await ctx.db('source')).query<{ p: string }>(
    'SELECT pubname AS p FROM pg_publication ORDER BY pubname = $1 DESC, pubname LIMIT 1', [ctx.params.publication]);
  return r.rows[0]?.p ?? null;
}

export async function probeSubscriberConnection(ctx: Ctx, peer: PeerConninfo): Promise<Finding> {
  const shown = peer.shown;
  const publication = await probePublication(ctx);
  const targetSuper = (await (await ctx.db('target')).query<{ s: boolean }>("SELECT current_setting('is_superuser') = 'on' AS s")).rows[0].s;
  if (!publication && peer.withPassword && !targetSuper) {
    return {
      id: 'subscriber-reachable', severity: 'info', cluster: 'target',
      message: `Whether the target can reach the source (${shown}) is checked when the subscription is created: a probe now would have to name a publication the source does not have yet, and PostgreSQL would log its statement, password included.`,
    };
  }
  return withSession(ctx, 'target', async (s) => {
    await s.query('BEGIN');
    try {
      await s.query("SET LOCAL statement_timeout = '30s'");
      await runWithPeerConninfo(s, probeSubscriptionSql(probeName(), CONNINFO_PLACEHOLDER, publication ?? ctx.params.publication), peer);
      return { id: 'subscriber-reachable', severity: 'info', message: `The target reached the source with the subscriber connection (${shown}).` } satisfies Finding;
    } catch (err) {
      const msg = messageOf(err);
      return {
        id: 'subscriber-reachable', severity: 'error', cluster: 'target',
        message: `The target cannot reach the source with the subscriber connection (${shown}): ${msg}`,
        fix: /password|authentication/i.test(msg) && !peer.withPassword
          ? `No password was found for the subscriber's user "${peer.user}": put it in a password file on this machine (subscriberPasswordFile / --subscriber-password-file, or ~/.pgpass), or name a password file on the target's host with passfile= in the subscriber connection (superuser target only), or allow the target's address in the source's pg_hba.conf without a password.`
          : 'Make the source reachable from the target host (network, listen_addresses, a pg_hba.conf line for the target\'s address, the REPLICATION attribute), or set subscriberConnection to an address the target can use.',
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

/** The plan adapted to both users' capabilities; `scopeTables` null: every table of the source (the dry run). */
async function adaptedPlanOf(
  ctx: Ctx, caps: { source: Awaited<ReturnType<typeof probeCapabilities>>; target: Awaited<ReturnType<typeof probeCapabilities>> },
  scopeTables: { schema: string; name: string }[] | null, peer: PeerConninfo,
): Promise<AdaptedPlan> {
  const p = ctx.params;
  const gaps = caps.source.superuser ? { notOwned: new Map<string, string>(), unreadableSequences: [] } : await privilegeGaps(await ctx.db('source'));
  const tablesNotOwned = scopeTables ? scopeTables.map((t) => gaps.notOwned.get(tableKey(t))).filter((x): x is string => !!x) : [...gaps.notOwned.values()];
  return adaptPlan(caps.source, caps.target, {
    copyRoles: p.copyRoles, copyRolePasswords: p.copyRolePasswords, reverseReplication: p.reverseReplication,
    tablesNotOwned, sequencesUnreadable: gaps.unreadableSequences, subscriberWithPassword: peer.withPassword, freezeMethod: p.freezeMethod,
  });
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
    const caps = { source: await probeCapabilities(await ctx.db('source')), target: await probeCapabilities(await ctx.db('target')) };
    const plan = await adaptedPlanOf(ctx, caps, null, peer);
    return [
      ...(['source', 'target'] as const).map((cluster): PlannedAction => ({ kind: 'sql', cluster, statements: [`-- capability probe first: ${capabilitiesSql(caps[cluster].major).split('\n')[0]} …`] })),
      ...plan.items.map((i): PlannedAction => (i.possible
        ? { kind: 'wait', cluster: i.cluster, description: `plan: ${i.how}` }
        : { kind: 'manual', cluster: i.cluster, instructions: `NOT POSSIBLE as is: ${i.how}${i.fix ? ` To allow it: ${i.fix}` : ''}` })),
      { kind: 'sql', cluster: 'source', statements: ['-- read-only catalog queries: version, settings, tables, sequences, extensions, roles, slots, publications'] },
      { kind: 'sql', cluster: 'target', statements: ['-- read-only catalog queries: version, settings, available extensions, roles, subscriptions'] },
      {
        kind: 'sql', cluster: 'target',
        statements: [
          'BEGIN', "SET LOCAL statement_timeout = '30s'",
          ...(peer.withPassword ? ['-- sent as a DO block reading the connection string from a COPY: no server log can hold the password'] : []),
          probeSubscriptionSql('pgpilot_probe_…', peer.shown, ctx.params.publication), 'ROLLBACK',
        ],
      },
    ];
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    const peer = await peerConninfo(ctx, 'source', p.subscriberConnection);
    // the capability probe comes first: every later read is one our user may run, or is reported as unchecked
    const caps = { source: await probeCapabilities(await ctx.db('source')), target: await probeCapabilities(await ctx.db('target')) };
    const src = await gatherSourceFacts(await ctx.db('source'), p, peer.plain);
    const tgt = await gatherTargetFacts(await ctx.db('target'), p);
    const plan = await adaptedPlanOf(ctx, caps, src.scope?.tables ?? [], peer);
    const findings = [
      ...privilegeFindings(plan, caps, { source: src.unreadable ?? [], target: tgt.unreadable ?? [] }),
      ...evaluatePreflight(src, tgt, p, { runId: ctx.runId, subscriberConnection: peer.shown }),
    ];
    findings.push(...(await safetyFindings(ctx, src, tgt, peer.user)));
    findings.push(...evaluateDatabaseScope(await gatherDatabaseScopeFacts(await ctx.db('source'), await ctx.db('target'), p), p));
    if (!findings.some((f) => f.id === 'subscriber-connection')) findings.push(await probeSubscriberConnection(ctx, peer));
    findings.push(...(await passwordRouteFindings(ctx)));
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
      // read by later steps (publication FOR TABLE list, roles without hashes, pg_dump --no-owner, the freeze)
      adaptedPlan: { publication: plan.publication, rolePasswords: plan.rolePasswords, schemaNoOwner: plan.schemaNoOwner, freeze: plan.freeze },
      sourceUser: { name: caps.source.user, superuser: caps.source.superuser },
      targetUser: { name: caps.target.user, superuser: caps.target.superuser },
      errors: errors.length,
      warnings: warnings.length,
    };
    if (hasErrors(findings)) {
      return {
        status: 'failed', outputs, findings,
        // each with its fix (the GRANT): the CLI and every non-interactive caller show only this message
        message: `${errors.length} problem(s) must be fixed before the upgrade (nothing was changed): ${errors.map((e) => `${e.message}${e.fix ? ` — Fix: ${e.fix}` : ''}`).join(' | ')}`,
      };
    }
    return { status: 'succeeded', outputs, findings, message: `ready: ${warnings.length} warning(s)` };
  },
  rollbackHint: 'Nothing to roll back: the preflight only reads (its reachability test is rolled back).',
};
