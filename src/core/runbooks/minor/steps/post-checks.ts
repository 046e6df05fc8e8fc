import { performance } from 'node:perf_hooks';
import type { Queryable } from '../../../db';
import { messageOf, versionNumOf, versionText } from '../../../hosts/wait';
import type { Finding, StepDefinition, StepOutcome } from '../../../runbook/types';
import { WRITABLE_SESSION } from '../../logical/statements';
import { databasesOf, STEP, target } from '../context';
import { connectDatabase, forEachDatabase } from '../databases';
import type { MinorUpgradeParams } from '../params';

/** Valid, ready btree indexes of permanent relations, smallest first (a bounded check covers the most). */
export const BTREE_INDEXES_SQL = `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = c.relam
WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready AND c.relpersistence = 'p'
ORDER BY pg_relation_size(c.oid), c.oid LIMIT $1`;

export const TEST_QUERY_SQL = 'SELECT count(*)::int AS relations, current_database() AS db, now() AS at FROM pg_class';

interface AmcheckResult {
  status: 'ok' | 'corrupt' | 'unavailable';
  checked: number;
  corrupt: string[];
  note?: string;
}

/** bt_index_check on up to `max` indexes, inside a transaction that is rolled back (amcheck is created only for it). */
async function amcheck(q: Queryable, max: number, inRecovery: boolean): Promise<AmcheckResult> {
  const have = (await q.query<{ installed: boolean; available: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck') AS installed, EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck') AS available",
  )).rows[0];
  if (!have.installed && (!have.available || inRecovery)) {
    return { status: 'unavailable', checked: 0, corrupt: [], note: have.available ? 'amcheck is not installed and a standby cannot create it' : 'the amcheck extension is not available on this server' };
  }
  await q.query(WRITABLE_SESSION);
  await q.query('BEGIN');
  try {
    if (!have.installed) await q.query('CREATE EXTENSION amcheck');
    const idx = (await q.query<{ oid: string; schema: string; name: string }>(BTREE_INDEXES_SQL, [max])).rows;
    const corrupt: string[] = [];
    for (const i of idx) {
      await q.query('SAVEPOINT one_index');
      try {
        await q.query('SELECT bt_index_check($1::oid)', [i.oid]);
        await q.query('RELEASE SAVEPOINT one_index');
      } catch (err) {
        await q.query('ROLLBACK TO SAVEPOINT one_index');
        corrupt.push(`${i.schema}.${i.name}: ${messageOf(err)}`);
      }
    }
    return { status: corrupt.length ? 'corrupt' : 'ok', checked: idx.length, corrupt };
  } finally {
    await q.query('ROLLBACK').catch(() => undefined);
  }
}

export const postChecksStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.postChecks,
  title: 'Post-checks: version, a test query in every database, amcheck',
  why:
    'After the restart the server must answer in every database, on the new release, and its indexes must be sound: ' +
    'amcheck\'s bt_index_check reads btree indexes and reports structural corruption (a bug fixed by a minor release can ' +
    'call for a REINDEX — read the release notes). amcheck is created only inside a rolled-back transaction if it is absent.',
  kind: 'check',
  clusters: ['server'],
  risk: 'read-only',
  async plan(ctx) {
    return [{
      kind: 'sql', cluster: 'server',
      statements: [
        "SELECT current_setting('server_version_num')", `${TEST_QUERY_SQL}  -- in every database`,
        'BEGIN', 'CREATE EXTENSION amcheck  -- only if absent', `SELECT bt_index_check(oid) … -- up to ${ctx.params.amcheckMaxIndexes} btree index(es), smallest first`, 'ROLLBACK',
      ],
    }];
  },
  async execute(ctx): Promise<StepOutcome> {
    const t0 = performance.now();
    const db = await ctx.db('server');
    const v = await versionNumOf(db);
    const inRecovery = (await db.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r === true;
    const findings: Finding[] = [];
    const dbs = await databasesOf(ctx);
    const tested = await forEachDatabase(ctx, 'server', dbs, async (name, q) => {
      const r = (await q.query<{ relations: number }>(TEST_QUERY_SQL)).rows[0];
      return { database: name, relations: Number(r.relations) };
    });
    let check: AmcheckResult = { status: 'unavailable', checked: 0, corrupt: [], note: 'amcheckMaxIndexes is 0' };
    if (ctx.params.amcheckMaxIndexes > 0) {
      const s = await connectDatabase(ctx, 'server', (await db.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d);
      try {
        check = await amcheck(s, ctx.params.amcheckMaxIndexes, inRecovery);
      } finally {
        await s.end();
      }
    }
    if (check.status === 'unavailable') findings.push({ id: 'amcheck', severity: 'info', cluster: 'server', message: `amcheck was not run: ${check.note}.` });
    for (const c of check.corrupt) findings.push({ id: 'amcheck-corruption', severity: 'error', cluster: 'server', message: `bt_index_check failed: ${c}`, fix: 'REINDEX the index (REINDEX INDEX CONCURRENTLY …), and read the release notes of the new minor release.' });
    const outputs = {
      versionAfter: versionText(v), databasesChecked: tested.length, amcheck: check.status, indexesChecked: check.checked, corruptIndexes: check.corrupt,
      checksMs: Math.round(performance.now() - t0),
    };
    if (v !== target(ctx).num) return { status: 'failed', outputs, findings, message: `the server reports ${versionText(v)}, not ${ctx.params.toVersion}` };
    if (check.corrupt.length) return { status: 'failed', outputs, findings, message: `${check.corrupt.length} index(es) failed bt_index_check` };
    return { status: 'succeeded', outputs, findings, message: `${tested.length} database(s) answer on ${versionText(v)}; amcheck: ${check.status}${check.checked ? ` (${check.checked} index(es))` : ''}` };
  },
  rollbackHint: 'Nothing to roll back: the checks only read (amcheck, if created, was rolled back).',
};
