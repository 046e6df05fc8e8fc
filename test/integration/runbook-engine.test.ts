/**
 * The runbook engine on REAL PostgreSQL servers (lab builds 12 and 18): a runbook of real SQL steps is killed
 * (SIGKILL) inside a long step and resumes at the right step with isDone() noticing the work already committed;
 * a second run on the same source is refused while the first holds it; a dry run changes nothing.
 *
 * The killed run executes in a child process: this same file, started with PGUP_ENGINE_CHILD set.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import { runRunbook } from '../../src/core/runbook/engine';
import { journalPath, readJournal } from '../../src/core/runbook/journal';
import { RUN_LOCK_KEYS } from '../../src/core/runbook/lock';
import type { ConfirmRequest, RunbookDefinition, RunCluster, RunnerUi, StepContext, StepDefinition } from '../../src/core/runbook/types';

const CHILD_ENV = 'PGUP_ENGINE_CHILD';

interface Params { table: string }

/** Real SQL steps; `calls` records what executed in this process. */
function engineTestRunbook(calls: string[]): RunbookDefinition<Params> {
  const q = async (ctx: StepContext<Params>, sql: string) => (await ctx.db('source')).query(sql);
  const marker = async (ctx: StepContext<Params>, name: string) =>
    (await (await ctx.db('source')).query<{ n: number }>(`SELECT count(*)::int AS n FROM "engine_test"."markers" WHERE name = $1`, [name])).rows[0].n > 0;
  const step = (s: Omit<StepDefinition<Params>, 'why' | 'rollbackHint' | 'kind' | 'clusters'>): StepDefinition<Params> => ({
    why: 'engine test', rollbackHint: 'DROP SCHEMA "engine_test" CASCADE', kind: 'sql', clusters: ['source'], ...s,
  });
  return {
    id: 'engine-test', title: 'Engine test', roles: ['source'],
    steps: [
      step({
        id: 'check', title: 'Check the server', risk: 'read-only',
        plan: async () => [{ kind: 'sql', cluster: 'source', statements: ['SELECT current_setting(\'server_version_num\')'] }],
        execute: async (ctx) => {
          calls.push('execute:check');
          const r = await (await ctx.db('source')).query<{ app: string }>('SELECT application_name AS app FROM pg_stat_activity WHERE pid = pg_backend_pid()');
          return { status: 'succeeded', outputs: { applicationName: r.rows[0].app } };
        },
      }),
      step({
        id: 'create', title: 'Create the tables', risk: 'reversible',
        plan: async (ctx) => [{ kind: 'sql', cluster: 'source', statements: ['CREATE SCHEMA "engine_test"', `CREATE TABLE "engine_test"."${ctx.params.table}" (id int PRIMARY KEY)`, 'CREATE TABLE "engine_test"."markers" (name text PRIMARY KEY)'] }],
        isDone: async (ctx) => (await (await ctx.db('source')).query<{ ok: boolean }>(`SELECT to_regclass('"engine_test"."markers"') IS NOT NULL AS ok`)).rows[0].ok,
        execute: async (ctx) => {
          calls.push('execute:create');
          await q(ctx, 'CREATE SCHEMA "engine_test"');
          await q(ctx, `CREATE TABLE "engine_test"."${ctx.params.table}" (id int PRIMARY KEY)`);
          await q(ctx, 'CREATE TABLE "engine_test"."markers" (name text PRIMARY KEY)');
          return { status: 'succeeded' };
        },
      }),
      step({
        id: 'load', title: 'Load rows, then wait a long time', risk: 'reversible',
        plan: async (ctx) => [
          { kind: 'sql', cluster: 'source', statements: [`INSERT INTO "engine_test"."${ctx.params.table}" SELECT g FROM generate_series(1, 100) g`, 'INSERT INTO "engine_test"."markers" VALUES (\'loaded\')'] },
          { kind: 'wait', cluster: 'source', description: 'up to 120 s' },
        ],
        isDone: (ctx) => marker(ctx, 'loaded'),
        execute: async (ctx) => {
          calls.push('execute:load');
          const db = await ctx.connect('source');
          try {
            await db.query('BEGIN');
            await db.query(`INSERT INTO "engine_test"."${ctx.params.table}" SELECT g FROM generate_series(1, 100) g`);
            await db.query('INSERT INTO "engine_test"."markers" VALUES (\'loaded\')');
            await db.query('COMMIT');
            ctx.ui.log('info', 'loaded; waiting');
            for (let i = 0; i < 600 && !ctx.signal.aborted; i++) await db.query('SELECT pg_sleep(0.2)');
          } finally {
            await db.end();
          }
          return ctx.signal.aborted ? { status: 'aborted', message: 'stopped waiting' } : { status: 'succeeded' };
        },
      }),
      step({
        id: 'finish', title: 'Mark finished', risk: 'reversible',
        plan: async () => [{ kind: 'sql', cluster: 'source', statements: ['INSERT INTO "engine_test"."markers" VALUES (\'finished\')'] }],
        isDone: (ctx) => marker(ctx, 'finished'),
        execute: async (ctx) => {
          calls.push('execute:finish');
          await q(ctx, 'INSERT INTO "engine_test"."markers" VALUES (\'finished\')');
          const pw = await ctx.password('source');
          // a careless step: the engine must scrub these before they reach the journal
          return { status: 'succeeded', message: `connected with ${pw}`, outputs: { conninfo: `${ctx.connection('source')} password=${pw}`, echo: pw } };
        },
      }),
    ],
  };
}

class AutoUi implements RunnerUi {
  requests: ConfirmRequest[] = [];
  logs: string[] = [];
  async confirm(req: ConfirmRequest) {
    this.requests.push(req);
    return { confirmed: true, by: 'test' };
  }
  progress(): void {}
  log(_l: string, m: string): void {
    this.logs.push(m);
    if (process.env[CHILD_ENV]) process.stdout.write(`${m}\n`);
  }
}

if (process.env[CHILD_ENV]) {
  // ---- child: run the runbook until the parent kills it ----
  const cfg = JSON.parse(process.env[CHILD_ENV]!) as { cluster: RunCluster & { pw: string }; journalDir: string };
  const cluster: RunCluster = { ...cfg.cluster, password: async () => cfg.cluster.pw };
  void runRunbook({ runbook: engineTestRunbook([]), clusters: { source: cluster }, params: { table: 'items' }, ui: new AutoUi(), journalDir: cfg.journalDir })
    .then((r) => { process.stdout.write(`child finished: ${r.status} ${r.message}\n`); });
} else {
  // the lab helper is loaded only by the test process (the child needs no servers of its own)
  type Lab = Awaited<ReturnType<typeof import('../helpers/lab')['startTestServers']>>;
  type Server = Lab['servers'][number];
  let lab: Lab;
  let pg12: Server;
  let pg18: Server;
  let clientFor: (s: Server, db?: string) => Promise<Client>;
  const journalDir = mkdtempSync(join(tmpdir(), 'runbook-engine-it-'));

  const cluster = (s: Server, dbname: string, over: Partial<RunCluster> = {}): RunCluster => ({
    name: `${s.name}-${dbname}`, connection: `${s.connection} dbname=${dbname}`, password: async () => s.password, ...over,
  });
  async function createDb(s: Server, name: string): Promise<void> {
    const c = await clientFor(s);
    try { await c.query(`CREATE DATABASE "${name}"`); } finally { await c.end(); }
  }
  async function sql<R>(s: Server, db: string, text: string): Promise<R[]> {
    const c = await clientFor(s, db);
    try { return (await c.query(text)).rows as R[]; } finally { await c.end(); }
  }
  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  describe('runbook engine on real servers', () => {
    before(async () => {
      const helpers = await import('../helpers/lab');
      clientFor = helpers.clientFor;
      lab = await helpers.startTestServers(['12', '18'], { portBase: 21800 });
      [pg12, pg18] = lab.servers;
    });
    after(async () => {
      await lab?.stop();
      rmSync(journalDir, { recursive: true, force: true });
    });

    it('killed inside a long step (SIGKILL), the run resumes at that step; isDone() sees the committed work', async () => {
      await createDb(pg12, 'engine_kill');
      const src = cluster(pg12, 'engine_kill', { production: true, name: 'orders-prod' });
      const childCfg = { cluster: { name: src.name, connection: src.connection, production: true, pw: pg12.password }, journalDir };
      const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
        env: { ...process.env, [CHILD_ENV]: JSON.stringify(childCfg) }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));

      await until(`the child to load and wait (output so far: ${out})`, async () => /loaded; waiting/.test(out));
      const runId = /run (\S+) started/.exec(out)?.[1];
      assert.ok(runId, out);
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');

      const before = await readJournal(journalPath(journalDir, runId));
      assert.deepEqual(before.filter((e) => e.type === 'step-finished').map((e) => e.type === 'step-finished' && e.stepId), ['check', 'create']);
      const last = before.filter((e) => e.type === 'step-started').at(-1);
      assert.equal(last?.type === 'step-started' && last.stepId, 'load', 'the kill came inside the load step');
      assert.notEqual(before.at(-1)?.type, 'step-finished');

      // the dead child's sessions go away when the server notices the closed sockets
      await until('the killed run to release the source', async () =>
        (await sql<{ n: number }>(pg12, 'postgres', `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = ${RUN_LOCK_KEYS[0]} AND objid = ${RUN_LOCK_KEYS[1]}`))[0].n === 0);

      const calls: string[] = [];
      const ui = new AutoUi();
      const r = await runRunbook({ runbook: engineTestRunbook(calls), clusters: { source: src }, params: { table: 'items' }, ui, journalDir, runId });
      assert.equal(r.status, 'succeeded', r.message);
      assert.deepEqual(calls, ['execute:finish'], 'check and create are not run again; load is re-checked by isDone() and skipped');
      assert.deepEqual(r.steps.map((s) => [s.id, s.status]), [['check', 'succeeded'], ['create', 'succeeded'], ['load', 'skipped'], ['finish', 'succeeded']]);
      assert.equal(r.steps[0].outputs?.applicationName, 'pg-upgrade-pilot');
      assert.equal((await sql<{ n: number }>(pg12, 'engine_kill', 'SELECT count(*)::int AS n FROM "engine_test"."items"'))[0].n, 100);

      // production cluster, reversible step: one click with the effects listed (typed names are for disruptive/destructive)
      assert.deepEqual(ui.requests.map((q) => [q.stepId, q.level, q.typedConfirmation]), [['finish', 'confirm', undefined]]);

      const events = await readJournal(r.journalFile);
      assert.equal(events.filter((e) => e.type === 'step-started' && e.stepId === 'load').length, 2);
      const start = events[0];
      assert.ok(start.type === 'run-started' && start.clusters[0].version?.major === 12 && start.clusters[0].production && start.clusters[0].hosts === `127.0.0.1:${pg12.port}`);
      const text = readFileSync(r.journalFile, 'utf8');
      assert.ok(!text.includes(pg12.password), 'the journal holds no password');
      assert.match(text, /password=\*{8}/);
    });

    it('a second run on the same source is refused while the first holds it, naming the holder', async () => {
      await createDb(pg18, 'engine_lock');
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      let entered!: () => void;
      let heldBy = '';
      const inside = new Promise<void>((r) => { entered = r; });
      const holding: RunbookDefinition = {
        id: 'hold', title: 'Hold', roles: ['source'],
        steps: [{
          id: 'hold', title: 'Hold the source', why: 'test', kind: 'wait', clusters: ['source'], risk: 'read-only', rollbackHint: 'none',
          plan: async () => [{ kind: 'wait', cluster: 'source', description: 'until released' }],
          execute: async (ctx) => { heldBy = ctx.runId; entered(); await gate; return { status: 'succeeded' }; },
        }],
      };
      const first = runRunbook({ runbook: holding, clusters: { source: cluster(pg18, 'engine_lock') }, params: {}, ui: new AutoUi(), journalDir });
      await inside;

      // another database of the same server is the same source
      const second = await runRunbook({ runbook: holding, clusters: { source: cluster(pg18, 'postgres') }, params: {}, ui: new AutoUi(), journalDir });
      assert.equal(second.status, 'failed');
      assert.match(second.message ?? '', /^another Upgrade Pilot run holds the source \(pid \d+, since \d{4}-\d\d-\d\dT[\d:]+Z; run (\S+),/);
      assert.equal(/; run ([^,]+),/.exec(second.message ?? '')?.[1], heldBy);
      assert.equal(existsSync(second.journalFile), false, 'a refused run writes no journal');

      release();
      assert.equal((await first).status, 'succeeded');
      // the lock is free again (the gate stays open for this one)
      const third = await runRunbook({ runbook: holding, clusters: { source: cluster(pg18, 'postgres') }, params: {}, ui: new AutoUi(), journalDir });
      assert.equal(third.status, 'succeeded', third.message);
    });

    it('a dry run renders the plans, changes nothing, and its sessions are read-only', async () => {
      await createDb(pg18, 'engine_dry');
      const calls: string[] = [];
      const rb = engineTestRunbook(calls);
      rb.steps.push({
        id: 'sneaky', title: 'A plan that tries to write', why: 'test', kind: 'sql', clusters: ['source'], risk: 'reversible', rollbackHint: 'none',
        plan: async (ctx) => {
          await (await ctx.db('source')).query('CREATE TABLE "sneaky" (id int)');
          return [];
        },
        execute: async () => ({ status: 'succeeded' }),
      });
      const ui = new AutoUi();
      const r = await runRunbook({ runbook: rb, clusters: { source: cluster(pg18, 'engine_dry') }, params: { table: 'items' }, ui, journalDir, dryRun: true });
      assert.equal(r.status, 'succeeded');
      assert.deepEqual(calls, []);
      assert.equal(ui.requests.length, 0);
      assert.match(ui.logs.join('\n'), /CREATE TABLE "engine_test"\."items" \(id int PRIMARY KEY\);/);
      assert.match(r.steps[4].message ?? '', /read-only transaction/);
      const tables = await sql<{ n: number }>(pg18, 'engine_dry', `SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('items', 'markers', 'sneaky')`);
      assert.equal(tables[0].n, 0);
      const events = await readJournal(r.journalFile);
      assert.ok(events[0].type === 'run-started' && events[0].dryRun);
      assert.ok(!events.some((e) => e.type === 'decision'));
    });
  });
}
