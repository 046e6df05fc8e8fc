import { quoteIdent } from '../../../sql';
import type { StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import type { LogicalUpgradeParams } from '../params';
import { findPublication } from '../queries';
import { sourceReplicatedTables } from '../replicated-set';
import { ownedByRun } from '../rules';
import { loadScope, type ResolvedScope } from '../scope';
import { majorOf, versionOf, withSession } from '../session';
import {
  alterPublicationSql, commentOnSql, createPublicationSql, dropPublicationSql, ownerComment, publicationViaRootSql, type PublicationScope,
} from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

async function scopeOf(ctx: Ctx): Promise<ResolvedScope> {
  return (await loadScope(await ctx.db('source'), await versionOf(ctx, 'source'), ctx.params)).scope;
}

/** Partitioned tables are published via their root where the publisher allows it (13+; every target is newer). */
async function viaRoot(ctx: Ctx): Promise<boolean> {
  return (await majorOf(ctx, 'source')) >= 13;
}

async function publishesViaRoot(ctx: Ctx): Promise<boolean> {
  if (!(await viaRoot(ctx))) return false;
  const r = await (await ctx.db('source')).query<{ v: boolean }>('SELECT pubviaroot AS v FROM pg_publication WHERE pubname = $1', [ctx.params.publication]);
  return r.rows[0]?.v === true;
}

/** Leaf tables in scope that the publication does not send (directly or through a published ancestor). */
async function unpublished(ctx: Ctx): Promise<string[]> {
  const tables = await sourceReplicatedTables(await ctx.db('source'), ctx.params, false);
  return tables.filter((t) => !t.publishedAs).map((t) => `${t.schema}.${t.name}`);
}

/** Ours, publishing every table in scope, in the wanted mode (FOR ALL TABLES or not, via the root where possible). */
async function matches(ctx: Ctx): Promise<string | null> {
  const pub = await findPublication(await ctx.db('source'), ctx.params.publication);
  if (!pub) return 'the publication is not there';
  const scope = await scopeOf(ctx);
  if ((scope.publication.kind === 'all') !== pub.allTables) return 'the publication is not in the wanted FOR ALL TABLES mode';
  if ((await viaRoot(ctx)) && !(await publishesViaRoot(ctx))) return 'the publication does not publish partitions via their root';
  const missing = await unpublished(ctx);
  return missing.length ? `the publication does not cover ${missing.length} table(s) in scope (${missing.slice(0, 5).join(', ')})` : null;
}

async function statements(ctx: Ctx): Promise<string[]> {
  const p = ctx.params;
  const scope = await scopeOf(ctx);
  const existing = await findPublication(await ctx.db('source'), p.publication);
  const comment = commentOnSql('PUBLICATION', p.publication, ownerComment(ctx.runId));
  const opts = { viaRoot: await viaRoot(ctx) };
  if (!existing) return [createPublicationSql(p.publication, scope.publication, opts), comment];
  if (!ownedByRun(existing.comment, ctx.runId)) {
    throw new Error(`a publication named ${quoteIdent(p.publication)} already exists on the source and was not created by this run; drop it or choose another name (nothing was changed)`);
  }
  // ours, with another table list (parameters changed between attempts)
  const pubScope: PublicationScope = scope.publication;
  if (pubScope.kind === 'all' || existing.allTables) return [dropPublicationSql(p.publication), createPublicationSql(p.publication, pubScope, opts), comment];
  return [alterPublicationSql(p.publication, pubScope), ...(opts.viaRoot ? [publicationViaRootSql(p.publication, true)] : [])];
}

export const createPublicationStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'create-publication',
  title: 'Create the publication on the source',
  why:
    'The publication names what the source sends: FOR ALL TABLES (or the chosen schemas/tables). From now on the source ' +
    'decodes changes of these tables for the subscriber; UPDATE/DELETE need the replica identity the preflight checked.',
  kind: 'sql',
  clusters: ['source'],
  risk: 'reversible',
  async plan(ctx) {
    return [{ kind: 'sql', cluster: 'source', statements: ['BEGIN', ...(await statements(ctx)), 'COMMIT'] }];
  },
  async isDone(ctx) {
    const pub = await findPublication(await ctx.db('source'), ctx.params.publication);
    if (!pub || !ownedByRun(pub.comment, ctx.runId)) return false;
    return (await matches(ctx)) === null;
  },
  async execute(ctx): Promise<StepOutcome> {
    const stmts = await statements(ctx);
    await withSession(ctx, 'source', async (s) => {
      await s.query('BEGIN');
      try {
        for (const st of stmts) await s.query(st);
        await s.query('COMMIT');
      } catch (err) {
        await s.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    const pub = await findPublication(await ctx.db('source'), ctx.params.publication);
    return {
      status: 'succeeded',
      message: `publication ${quoteIdent(ctx.params.publication)} publishes ${pub?.allTables ? 'all tables' : `${pub?.tables.length ?? 0} table(s)`}`,
      outputs: { publication: ctx.params.publication, allTables: pub?.allTables ?? false, tables: pub?.tables.length ?? 0, viaPartitionRoot: await publishesViaRoot(ctx) },
    };
  },
  async verify(ctx) {
    const problem = await matches(ctx);
    return problem ? { ok: false, message: problem } : { ok: true };
  },
  rollbackHint: 'DROP PUBLICATION on the source (the cleanup step does it).',
};
