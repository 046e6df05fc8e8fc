/**
 * Issue 11, "with a privilege removed, preflight names it and the GRANT before anything changes", on real 16 → 17
 * servers with a managed-like admin (not a superuser) and a dedicated replication user: for each privilege the plan
 * needs, it is removed, `pg-upgrade-pilot logical-upgrade --until preflight` (the CLI) refuses naming it and printing
 * the GRANT, nothing is created on either server (publication, slot, subscription, role, schema, relation); the GRANT
 * printed is then applied as printed and the preflight passes. Privileges the plan does not need (it adapts) are
 * removed too: the preflight still passes. Which is an error, a warning or an adaptation: docs/managed-postgres.md.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'pg';
import { runRunbook, type RunResult } from '../../src/core/runbook';
import { defaultLogicalUpgradeParams, logicalUpgradeRunbook } from '../../src/core/runbooks/logical';
import { adaptPlan, probeCapabilities, type CapabilityRole } from '../../src/core/runbooks/logical/capabilities';
import { clientFor } from '../helpers/lab';
import { runCli } from './cli-kit';
import { autoUi, catalogSnapshot, describeRun, startPair, stepOf, type Pair } from './logical-kit';
import { ADMIN, adminCluster, ADMIN_PW, asAdmin, createManagedAdmin } from './managed-kit';

const PORT_BASE = (Number(process.env.PGPILOT_TEST_PORT_BASE) || 23500) + 60;
const REPL_PW = `repl-${Math.random().toString(36).slice(2, 10)}`;

interface Case {
  privilege: string;
  on: 'source' | 'target';
  /** Run as the test's superuser on that server (database "app"): takes the privilege away. */
  remove: string[];
  /** Puts the baseline back after the case (the applied fix may differ, e.g. pg_read_all_data for one sequence). */
  restore: string[];
  /** null: not needed — the plan adapts and the preflight still passes. */
  refusal: { finding: string; names: RegExp; grant: RegExp } | null;
}

const CASES: Case[] = [
  { privilege: 'REPLICATION (the slot)', on: 'source', remove: ['ALTER ROLE admin NOREPLICATION'], restore: ['ALTER ROLE admin REPLICATION'], refusal: { finding: 'plan-slot', names: /REPLICATION/, grant: /ALTER ROLE "admin" REPLICATION;/ } },
  { privilege: 'pg_create_subscription on the 17 target', on: 'target', remove: ['REVOKE pg_create_subscription FROM admin'], restore: ['GRANT pg_create_subscription TO admin'], refusal: { finding: 'plan-subscription', names: /subscription/, grant: /GRANT pg_create_subscription TO "admin";/ } },
  { privilege: 'pg_create_subscription on the old 16 server (the way back)', on: 'source', remove: ['REVOKE pg_create_subscription FROM admin'], restore: ['GRANT pg_create_subscription TO admin'], refusal: { finding: 'plan-reverse', names: /Reverse replication/, grant: /GRANT pg_create_subscription TO "admin";/ } },
  { privilege: 'CREATE on the target database (subscriptions)', on: 'target', remove: ['REVOKE CREATE ON DATABASE app FROM admin'], restore: ['GRANT CREATE ON DATABASE app TO admin'], refusal: { finding: 'plan-subscription', names: /subscription/, grant: /GRANT CREATE ON DATABASE "app" TO "admin";/ } },
  { privilege: 'pg_signal_backend on the source (freeze)', on: 'source', remove: ['REVOKE pg_signal_backend FROM admin'], restore: ['GRANT pg_signal_backend TO admin'], refusal: { finding: 'plan-freeze', names: /pg_signal_backend/, grant: /GRANT pg_signal_backend TO "admin";/ } },
  { privilege: 'pg_signal_backend on the target (kept read-only)', on: 'target', remove: ['REVOKE pg_signal_backend FROM admin'], restore: ['GRANT pg_signal_backend TO admin'], refusal: { finding: 'plan-freeze-target', names: /pg_signal_backend/, grant: /GRANT pg_signal_backend TO "admin";/ } },
  { privilege: 'ownership of the source database (ALTER DATABASE … SET)', on: 'source', remove: ['ALTER DATABASE app OWNER TO CURRENT_USER'], restore: ['ALTER DATABASE app OWNER TO admin'], refusal: { finding: 'plan-freeze', names: /does not own "app"/, grant: /ALTER DATABASE "app" OWNER TO "admin";/ } },
  { privilege: 'ownership of the target database (ALTER DATABASE … SET)', on: 'target', remove: ['ALTER DATABASE app OWNER TO CURRENT_USER'], restore: ['ALTER DATABASE app OWNER TO admin'], refusal: { finding: 'plan-freeze-target', names: /does not own "app"/, grant: /ALTER DATABASE "app" OWNER TO "admin";/ } },
  { privilege: 'CREATEROLE on the target (roles copied)', on: 'target', remove: ['ALTER ROLE admin NOCREATEROLE'], restore: ['ALTER ROLE admin CREATEROLE'], refusal: { finding: 'plan-roles', names: /CREATEROLE/, grant: /ALTER ROLE "admin" CREATEROLE;/ } },
  { privilege: 'ownership of a table (publication FOR TABLE)', on: 'source', remove: ['ALTER TABLE items OWNER TO app'], restore: ['ALTER TABLE items OWNER TO admin', 'REVOKE pg_read_all_data FROM admin'], refusal: { finding: 'plan-publication', names: /does not own 1: "public"\."items"/, grant: /ALTER TABLE "public"\."items" OWNER TO "admin";/ } },
  { privilege: 'SELECT on a table for the replication user', on: 'source', remove: ['REVOKE SELECT ON items FROM repl'], restore: ['GRANT SELECT ON items TO repl'], refusal: { finding: 'replication-select', names: /"repl" cannot read 1 table/, grant: /GRANT SELECT ON (TABLE )?"public"\."items" TO "repl";/ } },
  { privilege: 'SELECT on a sequence another role owns (its value is copied)', on: 'source', remove: ['REVOKE SELECT ON SEQUENCE counter FROM admin'], restore: ['REVOKE pg_read_all_data FROM admin', 'GRANT SELECT ON SEQUENCE counter TO admin'], refusal: { finding: 'plan-sequences-source', names: /cannot read 1 sequence/, grant: /GRANT pg_read_all_data TO "admin";.*GRANT SELECT ON SEQUENCE "public"\."counter" TO "admin";/ } },
  // (the table's sequence moves with it: its value unreadable too, the GRANT printed for it is undone by `restore`)
  // not needed: the plan adapts
  { privilege: 'pg_monitor on the source', on: 'source', remove: ['REVOKE pg_monitor FROM admin'], restore: ['GRANT pg_monitor TO admin'], refusal: null },
  { privilege: 'pg_read_all_data on the target', on: 'target', remove: ['REVOKE pg_read_all_data FROM admin'], restore: ['GRANT pg_read_all_data TO admin'], refusal: null },
  { privilege: 'CREATEDB on the target (the database exists)', on: 'target', remove: ['ALTER ROLE admin NOCREATEDB'], restore: ['ALTER ROLE admin CREATEDB'], refusal: null },
];

/** The statements of a fix text, as a DBA would copy them (asides in parentheses, e.g. the RDS variant, left out). */
function statementsOf(fix: string): string[] {
  return [...fix.replace(/\([^)]*\)/g, '').matchAll(/\b(?:GRANT|ALTER|REVOKE)\b[^;]*;/g)].map((m) => m[0]);
}

describe('managed admin, 16 → 17: a privilege removed is named with its GRANT before anything changes', { concurrency: 1 }, () => {
  let pair: Pair;
  const app: Partial<Record<'source' | 'target', Client>> = {};
  const dir = mkdtempSync(join(tmpdir(), 'pgpilot-managed-privileges-'));
  const passFile = join(dir, 'repl.pgpass');
  const su = (on: 'source' | 'target') => app[on]!;
  const conn = (on: 'source' | 'target') => `host=127.0.0.1 port=${(on === 'source' ? pair.source : pair.target).port} user=admin dbname=app`;
  const subscriber = () => `host=127.0.0.1 port=${pair.source.port} dbname=app user=repl`;
  /** Publications, subscriptions, slots, roles, relations, schemas of database "app" on both servers. */
  const snapshot = async () => {
    const out: string[] = [];
    for (const on of ['source', 'target'] as const) {
      out.push(await catalogSnapshot(su(on)), JSON.stringify((await su(on).query("SELECT json_agg(nspname ORDER BY nspname) AS n FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'")).rows[0].n));
    }
    return out;
  };
  const cli = () => runCli(
    ['logical-upgrade', '--source', conn('source'), '--target', conn('target'), '--subscriber-source', subscriber(), '--subscriber-password-file', passFile,
      '--yes', '--json', '--journal', join(dir, 'journal')], // a refused preflight ends the run: nothing after it runs
    [{ ...pair.source, user: ADMIN, password: ADMIN_PW }, { ...pair.target, user: ADMIN, password: ADMIN_PW }],
  );
  /** The preflight in process (the same runbook the CLI runs): the quick way to see it pass again. */
  const preflight = () => runRunbook({
    runbook: logicalUpgradeRunbook, clusters: { source: adminCluster(pair, 'source'), target: adminCluster(pair, 'target') },
    params: defaultLogicalUpgradeParams({ subscriberConnection: subscriber(), subscriberPasswordFile: passFile }),
    ui: autoUi().ui, journalDir: join(dir, 'journal'), operator: 'test', until: 'preflight',
  });
  const applied: string[] = [];
  const sql = async (on: 'source' | 'target', statements: string[]) => {
    for (const st of statements) {
      applied.push(`${on}: ${st}`);
      await su(on).query(st);
    }
  };

  before(async () => {
    pair = await startPair('16', '17', PORT_BASE);
    await createManagedAdmin(pair.src, 16, false);
    await createManagedAdmin(pair.tgt, 17, true);
    await pair.src.query(`CREATE ROLE repl LOGIN REPLICATION PASSWORD '${REPL_PW}'`);
    await pair.src.query("CREATE ROLE app LOGIN PASSWORD 'app-pw'");
    writeFileSync(passFile, `127.0.0.1:${pair.source.port}:*:repl:${REPL_PW}\n`, { mode: 0o600 });
    const a = await asAdmin(pair, 'source');
    try {
      await a.query('CREATE TABLE items (id bigserial PRIMARY KEY, v text)');
      await a.query("INSERT INTO items (v) SELECT 'item ' || g FROM generate_series(1, 50) g");
      await a.query('GRANT SELECT ON items TO repl');
    } finally {
      await a.end();
    }
    app.source = await clientFor(pair.source, 'app'); // the test's superuser sessions, in database "app"
    app.target = await clientFor(pair.target, 'app');
    // a sequence of another role (no table: the publication is not concerned), its value copied at the switchover
    await app.source.query('CREATE SEQUENCE counter');
    await app.source.query('ALTER SEQUENCE counter OWNER TO app');
    await app.source.query('GRANT SELECT ON SEQUENCE counter TO admin');
  });
  after(async () => {
    for (const c of Object.values(app)) await c?.end().catch(() => undefined);
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the baseline passes: a managed admin with what the plan needs', async () => {
    const r = await preflight();
    assert.equal(stepOf(r, 'preflight').status, 'succeeded', describeRun(r));
  });

  test('provider-like admins (emulated: plain roles built like each provider\'s): what the probe reports and the plan', async () => {
    const profiles = [
      // RDS: master user NOREPLICATION, in rds_superuser (which holds pg_signal_backend …); replication by rds_replication
      { user: 'rds_like', setup: ['CREATE ROLE rds_superuser NOLOGIN CREATEROLE CREATEDB', 'GRANT pg_signal_backend, pg_monitor TO rds_superuser', 'CREATE ROLE rds_replication NOLOGIN', 'CREATE ROLE rds_like LOGIN CREATEROLE CREATEDB PASSWORD \'p\'', 'GRANT rds_superuser, rds_replication TO rds_like'], member: ['rds_superuser', 'rds_replication', 'pg_signal_backend'], replication: true },
      // Cloud SQL: postgres in cloudsqlsuperuser (CREATEROLE CREATEDB), no REPLICATION attribute by default
      { user: 'cloudsql_like', setup: ['CREATE ROLE cloudsqlsuperuser NOLOGIN CREATEROLE CREATEDB', 'CREATE ROLE cloudsql_like LOGIN CREATEROLE CREATEDB PASSWORD \'p\'', 'GRANT cloudsqlsuperuser TO cloudsql_like'], member: ['cloudsqlsuperuser'], replication: false },
      // Azure Flexible Server: admin CREATEDB CREATEROLE REPLICATION, in azure_pg_admin
      { user: 'azure_like', setup: ['CREATE ROLE azure_pg_admin NOLOGIN', 'GRANT pg_signal_backend, pg_monitor TO azure_pg_admin', 'CREATE ROLE azure_like LOGIN CREATEROLE CREATEDB REPLICATION PASSWORD \'p\'', 'GRANT azure_pg_admin TO azure_like'], member: ['azure_pg_admin', 'pg_signal_backend'], replication: true },
    ];
    for (const prof of profiles) {
      await sql('source', prof.setup);
      const c = await clientFor({ ...pair.source, user: prof.user, password: 'p', database: 'app' });
      try {
        const caps = await probeCapabilities(c);
        assert.equal(caps.superuser, false, prof.user);
        for (const m of prof.member) assert.ok(caps.memberOf.includes(m as CapabilityRole), `${prof.user}: member of ${m} (${caps.memberOf.join(', ')})`);
        assert.equal(caps.replication, prof.replication, `${prof.user}: replication`);
        assert.equal(caps.ownsDatabase, false, 'not the owner of "app"');
        const plan = adaptPlan(caps, caps, { copyRoles: true, copyRolePasswords: true, reverseReplication: false, tablesNotOwned: [], sequencesUnreadable: [], subscriberWithPassword: true });
        const item = (id: string) => plan.items.find((i) => i.id === id)!;
        assert.equal(item('plan-slot').possible, prof.replication, `${prof.user}: ${item('plan-slot').how}`);
        if (!prof.replication) assert.match(item('plan-slot').fix ?? '', new RegExp(`ALTER ROLE "${prof.user}" REPLICATION;`));
        assert.match(item('plan-freeze').fix ?? '', new RegExp(`ALTER DATABASE "app" OWNER TO "${prof.user}";`), `${prof.user}: the freeze needs the database`);
        assert.equal(plan.publication, 'table-list');
      } finally {
        await c.end();
      }
    }
  });

  for (const c of CASES) {
    test(`${c.privilege}: ${c.refusal ? `refused (${c.refusal.finding}), its GRANT makes the preflight pass` : 'not needed, the preflight passes'}`, { timeout: 120_000 }, async () => {
      await sql(c.on, c.remove);
      try {
        if (!c.refusal) {
          const r = await preflight();
          assert.equal(stepOf(r, 'preflight').status, 'succeeded', describeRun(r));
          return;
        }
        const before = await snapshot();
        const r = await cli();
        const shown = r.stderr; // what the operator reads in the terminal
        assert.notEqual(r.code, 0, shown);
        assert.match(shown, /nothing was changed/, shown);
        assert.match(shown, c.refusal.names, `the refusal names the privilege\n${shown}\nstatements run so far: ${applied.join(' | ')}`);
        assert.match(shown, c.refusal.grant, `and prints its GRANT\n${shown}`);
        assert.deepEqual(await snapshot(), before, 'nothing created on either server');
        // the fix as printed, applied by the DBA (a superuser) where the finding says: the preflight passes
        const result = JSON.parse(r.stdout) as RunResult;
        assert.equal(result.steps.find((x) => x.id === 'copy-roles')?.status, 'pending', 'the run stopped at the preflight');
        const findings = result.steps.find((x) => x.id === 'preflight')?.findings ?? [];
        const finding = findings.find((f) => f.id === c.refusal!.finding && f.severity === 'error');
        assert.match(finding?.fix ?? '', c.refusal.grant, JSON.stringify(findings));
        const errors = findings.filter((f) => f.severity === 'error');
        for (const e of errors) await sql(e.cluster === 'target' || e.cluster === 'source' ? e.cluster : c.on, statementsOf(e.fix ?? ''));
        const fixed = await preflight();
        assert.equal(stepOf(fixed, 'preflight').status, 'succeeded', `${describeRun(fixed)}\nafter applying: ${errors.map((e) => e.fix).join(' | ')}`);
      } finally {
        await sql(c.on, c.restore);
      }
    });
  }
});
