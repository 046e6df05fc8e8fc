/**
 * Issue 13 item 7 against a REAL server (PG 16, scram-sha-256): an authentication failure names where the wrong
 * password came from — the connection string, PGPASSWORD, the password file, VS Code SecretStorage, a provider serving
 * PGPASSWORD (the CLI) — and never carries the password itself.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectError, connect, parseConnString, resolveConn, type ConnectOptions, type ResolvedConn } from '../../src/core/conn';
import { quoteIdent, quoteLiteral } from '../../src/core/sql';
import { clientFor, startTestServers, type LabServer, type TestServers } from '../helpers/lab';

const ROLE = 'msg_probe';
const RIGHT = 'Right-pw-4e2a';
const WRONG = 'Wr0ng-Canary-77b1';

let lab: TestServers;
let server: LabServer;
let home: string;

before(async () => {
  lab = await startTestServers(['16'], { portBase: Number(process.env.PGPILOT_TEST_PORT_BASE) || 25000 });
  server = lab.servers[0];
  const c = await clientFor(server);
  try {
    await c.query(`CREATE ROLE ${quoteIdent(ROLE)} LOGIN PASSWORD ${quoteLiteral(RIGHT)}`);
  } finally {
    await c.end();
  }
  home = mkdtempSync(join(tmpdir(), 'pgpilot-msg-home-'));
});

after(async () => {
  await lab?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const base = (): string => `host=127.0.0.1 port=${server.port} dbname=postgres user=${ROLE} connect_timeout=10`;

async function failure(r: ResolvedConn, opts: ConnectOptions = {}): Promise<ConnectError> {
  try {
    const { client } = await connect(r, opts);
    await client.end();
  } catch (e) {
    assert.ok(e instanceof ConnectError, String(e));
    assert.ok(!`${e.message}${JSON.stringify(e)}`.includes(WRONG) && !e.message.includes('Canary'), e.message);
    return e;
  }
  assert.fail('expected an authentication failure');
}

const resolve = (conn: string, env: NodeJS.ProcessEnv = {}) => resolveConn(parseConnString(conn), env, { homedir: home, osUser: 'nobody' });

describe('authentication failures name the password source (real server)', () => {
  it('the connection string', async () => {
    const e = await failure(await resolve(`${base()} password=${WRONG}`));
    assert.equal(e.kind, 'auth-failed');
    assert.match(e.message, /password authentication failed.*\(password from the connection string\)/);
  });

  it('PGPASSWORD', async () => {
    const e = await failure(await resolve(base(), { PGPASSWORD: WRONG }));
    assert.match(e.message, /\(password from environment variable PGPASSWORD\)/);
  });

  it('the password file', async () => {
    const passfile = join(home, 'pgpass');
    writeFileSync(passfile, `127.0.0.1:${server.port}:postgres:${ROLE}:${WRONG}\r\r\n`, { mode: 0o600 });
    const e = await failure(await resolve(`${base()} passfile=${passfile}`));
    assert.match(e.message, new RegExp(`\\(password from password file "${passfile}"\\)`));
  });

  it('VS Code SecretStorage (the extension marks the stored password)', async () => {
    const r = await resolve(base());
    Object.assign(r, { password: WRONG, passwordSource: 'VS Code SecretStorage' });
    const e = await failure(r);
    assert.match(e.message, /\(password from VS Code SecretStorage\)/);
  });

  it('a provider serving PGPASSWORD (the CLI) is named PGPASSWORD, not "the connection parameters"', async () => {
    const saved = process.env.PGPASSWORD;
    process.env.PGPASSWORD = WRONG;
    try {
      const e = await failure(await resolve(base()), { password: async () => WRONG });
      assert.match(e.message, /\(password from environment variable PGPASSWORD\)/);
    } finally {
      if (saved === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = saved;
    }
  });

  it('the right password from PGPASSWORD connects', async () => {
    const { client } = await connect(await resolve(base(), { PGPASSWORD: RIGHT }));
    assert.equal((await client.query<{ u: string }>('SELECT current_user AS u')).rows[0].u, ROLE);
    await client.end();
  });
});
