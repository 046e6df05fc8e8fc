/**
 * pgbench's schema and data, generated inside the server with generate_series: the same tables, row counts,
 * fill factors and primary keys as `pgbench -i -s SCALE -I dtGvp` (server-side generation), so the demo and the
 * benchmark need no client tools. Balances start at 0 and history is empty (the TPC-B sums stay equal).
 */
import type { Queryable } from '../db';

export interface PgbenchInitStep {
  id: 'drop' | 'tables' | 'data' | 'vacuum' | 'keys';
  what: string;
  statements: string[];
}

export function pgbenchInitPlan(scale: number): PgbenchInitStep[] {
  if (!Number.isInteger(scale) || scale < 1 || scale > 10_000) throw new Error(`pgbench scale must be an integer from 1 to 10000, not ${scale}`);
  return [
    {
      id: 'drop',
      what: 'drop old pgbench tables',
      statements: ['DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers'],
    },
    {
      id: 'tables',
      what: 'create tables',
      statements: [
        'CREATE TABLE pgbench_history (tid integer, bid integer, aid integer, delta integer, mtime timestamp, filler char(22))',
        'CREATE TABLE pgbench_tellers (tid integer NOT NULL, bid integer, tbalance integer, filler char(84)) WITH (fillfactor = 100)',
        'CREATE TABLE pgbench_accounts (aid integer NOT NULL, bid integer, abalance integer, filler char(84)) WITH (fillfactor = 100)',
        'CREATE TABLE pgbench_branches (bid integer NOT NULL, bbalance integer, filler char(88)) WITH (fillfactor = 100)',
      ],
    },
    {
      id: 'data',
      what: `generate data (scale ${scale}: ${(scale * 100_000).toLocaleString('en-US')} accounts)`,
      statements: [
        `INSERT INTO pgbench_branches (bid, bbalance) SELECT bid, 0 FROM generate_series(1, ${scale}) AS bid`,
        `INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT tid, (tid - 1) / 10 + 1, 0 FROM generate_series(1, ${scale * 10}) AS tid`,
        `INSERT INTO pgbench_accounts (aid, bid, abalance, filler) SELECT aid, (aid - 1) / 100000 + 1, 0, '' FROM generate_series(1, ${scale * 100_000}) AS aid`,
      ],
    },
    {
      id: 'vacuum',
      what: 'vacuum analyze',
      statements: ['VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_accounts, pgbench_history'],
    },
    {
      id: 'keys',
      what: 'primary keys',
      statements: [
        'ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid)',
        'ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid)',
        'ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid)',
        // pgbench_history has no key: published as is, any UPDATE/DELETE on it would fail, so the logical upgrade's
        // preflight refuses it; FULL makes it publishable (pgbench itself only inserts into it)
        'ALTER TABLE pgbench_history REPLICA IDENTITY FULL',
      ],
    },
  ];
}

/** Initialise pgbench data in the connected database (drops existing pgbench tables). */
export async function initPgbenchData(db: Queryable, scale: number, onStep?: (what: string) => void): Promise<void> {
  for (const step of pgbenchInitPlan(scale)) {
    onStep?.(step.what);
    for (const sql of step.statements) await db.query(sql);
  }
}

/** Only the empty pgbench tables with their primary keys (a target's schema when no pg_dump can copy it). */
export function pgbenchSchemaStatements(): string[] {
  return pgbenchInitPlan(1).filter((s) => s.id === 'tables' || s.id === 'keys').flatMap((s) => s.statements);
}
