import type { StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { quoteQualified } from '../../../sql';
import type { LogicalUpgradeParams, TableName } from '../params';
import { display } from '../queries';
import { messageOf, withSession } from '../session';

type Ctx = StepContext<LogicalUpgradeParams>;

async function materializedViews(ctx: Ctx): Promise<TableName[]> {
  const { rows } = await (await ctx.db('target')).query<{ s: string; n: string }>(
    `SELECT schemaname AS s, matviewname AS n FROM pg_matviews
     WHERE schemaname <> 'information_schema' AND schemaname NOT LIKE 'pg\\_%' ORDER BY 1, 2`,
  );
  return rows.map((r) => ({ schema: r.s, name: r.n }));
}

const refreshSql = (m: TableName) => `REFRESH MATERIALIZED VIEW ${quoteQualified(m.schema, m.name)}`;

export const analyzeTargetStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'analyze-target',
  title: 'Refresh materialized views and ANALYZE the new server',
  why:
    'Planner statistics are not replicated: until ANALYZE runs, the new server plans queries from defaults. Materialized views ' +
    'were created empty by the schema copy (their contents are not replicated either).',
  kind: 'sql',
  clusters: ['target'],
  risk: 'reversible',
  optional: true,
  async plan(ctx) {
    const mvs = ctx.params.refreshMaterializedViews ? await materializedViews(ctx) : [];
    const statements = [...mvs.map(refreshSql), ...(ctx.params.analyzeTarget ? ['ANALYZE'] : [])];
    return statements.length ? [{ kind: 'sql', cluster: 'target', statements }] : [];
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    let pending = p.refreshMaterializedViews ? await materializedViews(ctx) : [];
    const refreshed: string[] = [];
    const t0 = Date.now();
    await withSession(ctx, 'target', async (s) => {
      // A materialized view reading another one needs that one populated first: refresh in rounds.
      let lastError = '';
      while (pending.length) {
        const failed: TableName[] = [];
        for (const m of pending) {
          try {
            await s.query(refreshSql(m));
            refreshed.push(display(m));
          } catch (err) {
            failed.push(m);
            lastError = `${display(m)}: ${messageOf(err)}`;
          }
        }
        if (failed.length === pending.length) throw new Error(`could not refresh ${failed.length} materialized view(s); last error: ${lastError}`);
        pending = failed;
      }
      if (p.analyzeTarget) {
        ctx.ui.progress('ANALYZE');
        await s.query('ANALYZE');
      }
    });
    return {
      status: 'succeeded',
      message: `${refreshed.length} materialized view(s) refreshed${p.analyzeTarget ? ', statistics gathered' : ''}`,
      outputs: { materializedViewsRefreshed: refreshed.length, analyzed: p.analyzeTarget, durationMs: Date.now() - t0 },
    };
  },
  rollbackHint: 'Nothing to undo: statistics and materialized view contents are only recomputed.',
};
