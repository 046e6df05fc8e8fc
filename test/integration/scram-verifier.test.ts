/**
 * A role's password set through a locally computed SCRAM-SHA-256 verifier (src/core/scram.ts, used by the lab's
 * PgBouncer role): a real server accepts the password at login, and neither the statement nor the server log holds
 * the cleartext (log_statement = all).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import { scramSha256Verifier } from '../../src/core/scram';
import { quoteLiteral } from '../../src/core/sql';
import { clientFor, startTestServers, type LabServer } from '../helpers/lab';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE ?? 22700) + 290;
const PASSWORD = `Verifier-${Date.now().toString(36)}-canary`;
let lab: Awaited<ReturnType<typeof startTestServers>>;
let pg: LabServer;

before(async () => {
  lab = await startTestServers(['16'], { portBase: PORT_BASE });
  pg = lab.servers[0];
});
after(async () => { await lab?.stop(); });

test('the server accepts the password whose verifier it was given, and never sees the cleartext', async () => {
  const admin = await clientFor(pg);
  try {
    await admin.query("ALTER SYSTEM SET log_statement = 'all'");
    await admin.query('SELECT pg_reload_conf()');
    const sql = `CREATE ROLE verifier_user LOGIN PASSWORD ${quoteLiteral(scramSha256Verifier(PASSWORD))}`;
    assert.ok(!sql.includes(PASSWORD));
    await admin.query(sql);
    const stored = (await admin.query<{ p: string }>("SELECT rolpassword AS p FROM pg_authid WHERE rolname = 'verifier_user'")).rows[0].p;
    assert.match(stored, /^SCRAM-SHA-256\$4096:/);
  } finally {
    await admin.end();
  }
  const login = (password: string) => {
    const c = new Client({ host: pg.host, port: pg.port, user: 'verifier_user', password, database: 'postgres' });
    return c.connect().then(async () => { const r = await c.query<{ u: string }>('SELECT current_user AS u'); await c.end(); return r.rows[0].u; });
  };
  assert.equal(await login(PASSWORD), 'verifier_user');
  await assert.rejects(login(`${PASSWORD}-wrong`), /password authentication failed/);
  assert.ok(pg.logFile, 'the lab server has a log file');
  assert.ok(!readFileSync(pg.logFile, 'utf8').includes(PASSWORD), 'the server log never holds the cleartext');
});
