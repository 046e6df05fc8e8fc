import type { Finding, StepContext, StepDefinition, StepOutcome } from '../../../runbook/types';
import { COMPARE_SESSION_SETTINGS, compareTables, mismatchFinding, type TableComparison, type TableToCompare } from '../compare';
import { slotNameOf, type LogicalUpgradeParams } from '../params';
import { slotLag, tableKey } from '../queries';
import { describeProblems, inspectReplicatedSet } from '../replicated-set';
import { sleep } from '../session';
import { compareLsn } from '../../../catalog';

const VERIFY_TABLES_IN_JOURNAL = 500;

type Ctx = StepContext<LogicalUpgradeParams>;

const RETRIES = 2;
const CATCH_UP_MS = 30_000;

/**
 * The replicated set re-derived now (leaf tables in scope on the source, partitions included even when they are
 * published via their root), with the checksum decision; throws when a table is not replicated and ready (it could
 * not be compared meaningfully).
 */
export async function tablesToCompare(ctx: Ctx): Promise<{ tables: TableToCompare[]; digest: string }> {
  const state = await inspectReplicatedSet(await ctx.db('source'), await ctx.db('target'), ctx.params);
  if (state.problems.length) throw new Error(describeProblems(state.problems, ctx.params));
  return {
    digest: state.digest,
    tables: state.tables.map((t) => ({ schema: t.schema, name: t.name, checksum: (t.sizeBytes ?? Infinity) <= ctx.params.checksumMaxBytes })),
  };
}

/** Wait until the subscriber has confirmed the source's current position (bounded); false if it did not. */
async function catchUp(ctx: Ctx): Promise<boolean> {
  const src = await ctx.db('source');
  const target = (await slotLag(src, slotNameOf(ctx.params))).currentLsn;
  const deadline = Date.now() + CATCH_UP_MS;
  while (Date.now() < deadline && !ctx.signal.aborted) {
    const l = await slotLag(src, slotNameOf(ctx.params));
    if (l.confirmedFlushLsn && compareLsn(l.confirmedFlushLsn, target) >= 0) return true;
    await sleep(50, ctx.signal);
  }
  return false;
}

async function modifications(ctx: Ctx): Promise<Map<string, number>> {
  const { rows } = await (await ctx.db('source')).query<{ s: string; t: string; n: number }>(
    'SELECT schemaname AS s, relname AS t, (n_tup_ins + n_tup_upd + n_tup_del)::float8 AS n FROM pg_stat_user_tables',
  );
  return new Map(rows.map((r) => [tableKey({ schema: r.s, name: r.t }), Number(r.n)]));
}

export const verifyDataStep: StepDefinition<LogicalUpgradeParams> = {
  id: 'verify-data',
  title: 'Compare the data on both servers',
  why:
    'Trust, but verify: exact row counts per table on both sides, and a checksum of every row for tables up to the size ' +
    'limit. On a source that keeps taking writes, tables being written can differ by the changes in flight; the switchover ' +
    'can compare again while both servers are frozen, which is the strict check.',
  kind: 'check',
  clusters: ['source', 'target'],
  risk: 'read-only',
  async plan() {
    return [
      { kind: 'wait', cluster: 'source', description: 'until the subscriber has confirmed the source\'s current WAL position' },
      { kind: 'sql', cluster: 'source', statements: ['-- per replicated table: SELECT count(*), sum of 64-bit md5 row hashes FROM ONLY <table> (counts only above checksumMaxBytes)'] },
      { kind: 'sql', cluster: 'target', statements: ['-- the same queries on the target'] },
    ];
  },
  async execute(ctx): Promise<StepOutcome> {
    const { tables, digest } = await tablesToCompare(ctx);
    const before = await modifications(ctx);
    const src = await ctx.connect('source');
    const tgt = await ctx.connect('target');
    try {
      for (const s of COMPARE_SESSION_SETTINGS) {
        await src.query(s);
        await tgt.query(s);
      }
      let pending = tables;
      let results: TableComparison[] = [];
      const final = new Map<string, TableComparison>();
      const comparedAt = new Map<string, string>();
      for (let attempt = 0; attempt <= RETRIES && pending.length; attempt++) {
        if (!(await catchUp(ctx))) ctx.ui.log('warn', 'the subscriber did not catch up within 30 s; comparing anyway');
        results = await compareTables(src, tgt, pending, (i) => ctx.ui.progress(`comparing ${i + 1}/${pending.length}`, (i + 1) / pending.length));
        const at = new Date().toISOString();
        for (const r of results) {
          final.set(tableKey(r), r);
          comparedAt.set(tableKey(r), at);
        }
        pending = pending.filter((t) => !final.get(tableKey(t))!.equal);
        if (pending.length && attempt < RETRIES) await sleep(1000, ctx.signal);
      }
      const after = await modifications(ctx);
      const findings: Finding[] = [];
      for (const t of pending) {
        const c = final.get(tableKey(t))!;
        const changed = (before.get(tableKey(t)) ?? 0) !== (after.get(tableKey(t)) ?? 0);
        findings.push(changed
          ? mismatchFinding(c, 'warning', ' (the table was being written meanwhile; the in-window check of the switchover is exact)')
          : mismatchFinding(c, 'error', ' (no writes to it were seen meanwhile: the copies really differ)'));
      }
      const all = [...final.values()];
      const method = new Map(tables.map((t) => [tableKey(t), t.checksum ? 'count+checksum' : 'count'] as const));
      const outputs = {
        /** The set compared (replicated-set digest): the switchover's gate refuses when the live set differs. */
        setDigest: digest,
        tablesInScope: tables.length,
        tablesCompared: all.length,
        comparedAt: new Date().toISOString(),
        tablesChecksummed: tables.filter((t) => t.checksum).length,
        rowsSource: all.reduce((a, c) => a + Number(c.sourceRows), 0),
        rowsTarget: all.reduce((a, c) => a + Number(c.targetRows), 0),
        mismatches: pending.length,
        /** Per table for the record (differences first), capped so the journal line stays small. */
        tables: [...all].sort((a, b) => Number(a.equal) - Number(b.equal)).slice(0, VERIFY_TABLES_IN_JOURNAL).map((c) => ({
          schema: c.schema, name: c.name, sourceRows: Number(c.sourceRows), targetRows: Number(c.targetRows),
          sourceHash: c.sourceHash ?? undefined, targetHash: c.targetHash ?? undefined, equal: c.equal,
          method: method.get(tableKey(c)), comparedAt: comparedAt.get(tableKey(c)),
        })),
      };
      const errors = findings.filter((f) => f.severity === 'error');
      if (errors.length) return { status: 'failed', message: `${errors.length} table(s) differ`, findings, outputs };
      return { status: 'succeeded', message: pending.length ? `${all.length} table(s) compared; ${pending.length} still moving` : `${all.length} table(s) identical`, findings, outputs };
    } finally {
      await src.end().catch(() => undefined);
      await tgt.end().catch(() => undefined);
    }
  },
  rollbackHint: 'Nothing to roll back: the comparison only reads.',
};
