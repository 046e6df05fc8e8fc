import type { StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import type { LogicalUpgradeParams } from '../params';
import { findPublication } from '../queries';
import { ownedByRun, publicationMatches } from '../rules';
import { loadScope, type ResolvedScope } from '../scope';
import { versionOf, withSession } from '../session';
import { alterPublicationSql, commentOnSql, createPublicationSql, dropPublicationSql, ownerComment, type PublicationScope } from '../statements';

type Ctx = StepContext<LogicalUpgradeParams>;

async function scopeOf(ctx: Ctx): Promise<ResolvedScope> {
  return (await loadScope(await ctx.db('source'), await versionOf(ctx, 'source'), ctx.params)).scope;
}

function wantedTables(scope: ResolvedScope) {
  return scope.tables.map((t) => ({ schema: t.schema, name: t.name }));
}

async function statements(ctx: Ctx): Promise<string[]> {
  const p = ctx.params;
  const scope = await scopeOf(ctx);
  const existing = await findPublication(await ctx.db('source'), p.publication);
  const comment = commentOnSql('PUBLICATION', p.publication, ownerComment(ctx.runId));
  if (!existing) return [createPublicationSql(p.publication, scope.publication), comment];
  if (!ownedByRun(existing.comment, ctx.runId)) {
    throw new Error(`a publication named "${p.publication}" already exists on the source and was not created by this run; drop it or choose another name (nothing was changed)`);
  }
  // ours, with another table list (parameters changed between attempts)
  const pubScope: PublicationScope = scope.publication;
  if (pubScope.kind === 'all' || existing.allTables) return [dropPublicationSql(p.publication), createPublicationSql(p.publication, pubScope), comment];
  return [alterPublicationSql(p.publication, pubScope)];
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
    const scope = await scopeOf(ctx);
    return publicationMatches(pub, scope.publication.kind === 'all', wantedTables(scope));
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
      message: `publication "${ctx.params.publication}" publishes ${pub?.allTables ? 'all tables' : `${pub?.tables.length ?? 0} table(s)`}`,
      outputs: { publication: ctx.params.publication, allTables: pub?.allTables ?? false, tables: pub?.tables.length ?? 0 },
    };
  },
  async verify(ctx) {
    const pub = await findPublication(await ctx.db('source'), ctx.params.publication);
    if (!pub) return { ok: false, message: 'the publication is not there' };
    const scope = await scopeOf(ctx);
    return publicationMatches(pub, scope.publication.kind === 'all', wantedTables(scope))
      ? { ok: true }
      : { ok: false, message: 'the publication does not cover every table in scope' };
  },
  rollbackHint: 'DROP PUBLICATION on the source (the cleanup step does it).',
};
