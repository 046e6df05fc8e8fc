/**
 * connect() against REAL servers: multi-host with target_session_attrs, dead hosts within connect_timeout,
 * authentication failures that never leak the password, .pgpass, and SQL quoting on a real parser.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'pg';
import {
  ConnectError, connect, parseConnString, resolveConn, type ConnectOptions, type Connected, type HostEndpoint,
} from '../../src/core/conn';
import { ensureLabOsUser } from '../../src/core/lab/osUser';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../src/core/sql';
import { clientFor, startTestServers, startTestStandby, type LabServer, type TestServers } from '../helpers/lab';

const PORT_BASE = Number(process.env.PGPILOT_TEST_PORT_BASE) || 21200;
const CANARY = 'Kan4ry-pw-9f3e';
const ROLE = 'conn_probe';
const ROLE_PASSWORD = 'probe-Pw-7c1d';

let lab: TestServers;
let a: LabServer; // PG 12
let b: LabServer; // PG 18
let standby: LabServer; // streaming standby of b
let home: string; // empty home: no ~/.pgpass, no service file of this machine
let silent: Server; // accepts TCP connections and never answers
let silentPort: number;
const silentSockets = new Set<Socket>();

/** Resolve a connection string in isolation from this machine's PG* variables and files. */
async function open(conn: string, opts: ConnectOptions = {}, env: NodeJS.ProcessEnv = {}): Promise<Connected> {
  const r = await resolveConn(parseConnString(conn), env, { homedir: home, osUser: 'nobody' });
  return connect(r, opts);
}

async function connectError(conn: string, opts: ConnectOptions = {}, env: NodeJS.ProcessEnv = {}): Promise<ConnectError> {
  try {
    const c = await open(conn, opts, env);
    await c.client.end();
  } catch (e) {
    assert.ok(e instanceof ConnectError, `expected ConnectError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected connecting with ${conn} to fail`);
}

async function withClient<T>(s: LabServer, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await clientFor(s);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function setReadOnly(s: LabServer, on: boolean): Promise<void> {
  await withClient(s, async (c) => {
    await c.query(on ? 'ALTER SYSTEM SET default_transaction_read_only = on' : 'ALTER SYSTEM RESET default_transaction_read_only');
    await c.query('SELECT pg_reload_conf()');
  });
}

const hostsOf = (...servers: LabServer[]) => `host=${servers.map((s) => s.host).join(',')} port=${servers.map((s) => s.port).join(',')}`;
const superuser = (s: LabServer) => `user=${s.user} dbname=${s.database}`;
/** Each lab server has its own superuser password: answer per endpoint, as SecretStorage would. */
const labPasswords: ConnectOptions = {
  password: async (ep) => [a, b, standby].find((s) => s.port === ep.port)?.password,
};

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

before(async () => {
  lab = await startTestServers(['12', '18'], { portBase: PORT_BASE });
  [a, b] = lab.servers;
  standby = await startTestStandby(b);
  home = mkdtempSync(join(tmpdir(), 'conn-it-home-'));
  for (const s of [a, b]) {
    await withClient(s, (c) => c.query(`CREATE ROLE ${quoteIdent(ROLE)} LOGIN PASSWORD ${quoteLiteral(ROLE_PASSWORD)}`));
  }
  silent = createServer((sock) => {
    silentSockets.add(sock);
    sock.on('close', () => silentSockets.delete(sock));
  });
  await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
  silentPort = (silent.address() as { port: number }).port;
});

after(async () => {
  for (const s of silentSockets) s.destroy();
  await new Promise<void>((res) => (silent ? silent.close(() => res()) : res()));
  if (home) rmSync(home, { recursive: true, force: true });
  await lab?.stop();
});

describe('connect: multi-host with target_session_attrs (real servers)', () => {
  it('read-write skips a read-only first host and lands on the second', async () => {
    await setReadOnly(a, true);
    try {
      const { client, endpoint, attempts } = await open(`${hostsOf(a, b)} ${superuser(a)} target_session_attrs=read-write`, labPasswords);
      try {
        assert.deepEqual(endpoint, { host: b.host, port: b.port });
        assert.equal((await client.query('SHOW transaction_read_only')).rows[0].transaction_read_only, 'off');
        assert.equal(attempts.length, 2);
        assert.equal(attempts[0].kind, 'read-only');
        assert.match(attempts[0].reason!, /session is read-only/);
        assert.equal(attempts[1].ok, true);
      } finally {
        await client.end();
      }
      // read-only wants the opposite: the first host
      const ro = await open(`${hostsOf(a, b)} ${superuser(a)} target_session_attrs=read-only`, labPasswords);
      assert.equal(ro.endpoint.port, a.port);
      await ro.client.end();
    } finally {
      await setReadOnly(a, false);
    }
  });

  it('when every host is read-only, read-write fails with kind read-only and names each host', async () => {
    await setReadOnly(a, true);
    await setReadOnly(b, true);
    try {
      const e = await connectError(`${hostsOf(a, b)} ${superuser(a)} target_session_attrs=read-write`, labPasswords);
      assert.equal(e.kind, 'read-only');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${a.port}: session is read-only`));
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${b.port}: session is read-only`));
    } finally {
      await setReadOnly(a, false);
      await setReadOnly(b, false);
    }
  });

  it('primary / standby / prefer-standby pick by pg_is_in_recovery()', async () => {
    const pw = { password: async () => b.password };
    const conn = `${hostsOf(b, standby)} ${superuser(b)}`;
    const pick = async (tsa: string, c = conn) => {
      const r = await open(`${c} target_session_attrs=${tsa}`, pw);
      const inRecovery = (await r.client.query('SELECT pg_is_in_recovery() AS r')).rows[0].r as boolean;
      await r.client.end();
      return { port: r.endpoint.port, inRecovery, attempts: r.attempts };
    };
    assert.deepEqual((await pick('standby')).port, standby.port);
    assert.equal((await pick('standby')).inRecovery, true);
    assert.equal((await pick('primary', `${hostsOf(standby, b)} ${superuser(b)}`)).port, b.port);
    assert.equal((await pick('prefer-standby')).port, standby.port);
    // no standby listed: the second pass takes any server
    const only = await pick('prefer-standby', `${hostsOf(b)} ${superuser(b)}`);
    assert.equal(only.port, b.port);
    assert.deepEqual(only.attempts.map((x) => [x.wanted, x.ok]), [['standby', false], ['any', true]]);
  });
});

describe('connect: unreachable hosts', () => {
  it('a refused first host is skipped at once', async () => {
    const dead = await freePort();
    const t0 = Date.now();
    const { client, endpoint, attempts } = await open(`host=127.0.0.1,${b.host} port=${dead},${b.port} ${superuser(b)}`, { password: async () => b.password });
    await client.end();
    assert.equal(endpoint.port, b.port);
    assert.equal(attempts[0].kind, 'unreachable');
    assert.match(attempts[0].reason!, /ECONNREFUSED/);
    assert.ok(Date.now() - t0 < 3000);
  });

  it('a silent first host is given up after connect_timeout and the next one is used', async () => {
    const t0 = Date.now();
    const { client, endpoint, attempts } = await open(
      `host=127.0.0.1,${b.host} port=${silentPort},${b.port} ${superuser(b)} connect_timeout=2 sslmode=disable`, { password: async () => b.password });
    const elapsed = Date.now() - t0;
    await client.end();
    assert.equal(endpoint.port, b.port);
    assert.equal(attempts[0].kind, 'timeout');
    assert.match(attempts[0].reason!, /connect_timeout \(2 s\)/);
    assert.ok(elapsed >= 1900 && elapsed < 5000, `took ${elapsed} ms`);
  });

  it('every host down: kind unreachable/timeout with one line per host', async () => {
    const dead = await freePort();
    const e = await connectError(`host=127.0.0.1,127.0.0.1 port=${dead},${silentPort} user=x dbname=y connect_timeout=2 sslmode=disable`);
    assert.equal(e.kind, 'timeout');
    assert.deepEqual(e.attempts.map((x) => x.kind), ['unreachable', 'timeout']);
    assert.match(e.message, /could not connect to any of 2 hosts:\n {2}- 127\.0\.0\.1:\d+: .*ECONNREFUSED.*\n {2}- 127\.0\.0\.1:\d+: no answer within connect_timeout/);
  });

  it('an AbortSignal stops a pending attempt', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    await assert.rejects(open(`host=127.0.0.1 port=${silentPort} user=x dbname=y connect_timeout=30 sslmode=disable`, { signal: ac.signal }), { name: 'AbortError' });
    assert.ok(Date.now() - t0 < 2000);
  });
});

describe('connect: authentication', () => {
  const roleConn = (s: LabServer) => `host=${s.host} port=${s.port} user=${ROLE} dbname=postgres`;

  it('wrong password: auth-failed, and the password appears nowhere', async () => {
    for (const opts of [{ conn: `password=${CANARY}` }, { provider: CANARY }]) {
      const e = await connectError(`${roleConn(a)} ${opts.conn ?? ''}`, opts.provider ? { password: async () => opts.provider } : {});
      assert.equal(e.kind, 'auth-failed');
      assert.match(e.message, /password authentication failed for user "conn_probe"/);
      for (const text of [e.message, String(e.stack), JSON.stringify(e), JSON.stringify(e.attempts)]) {
        assert.ok(!text.includes(CANARY), `password leaked: ${text}`);
      }
    }
  });

  it('no password anywhere: password-required, and no (empty) password was sent', async () => {
    const asked: HostEndpoint[] = [];
    const logBefore = readFileSync(b.logFile!, 'utf8').length;
    const e = await connectError(`${roleConn(b)} sslmode=disable`, { password: async (ep) => { asked.push(ep); return undefined; } });
    assert.equal(e.kind, 'password-required');
    assert.match(e.message, /the server asked for a password for user "conn_probe" and none is available/);
    assert.match(e.message, /no matching line in ".*\.pgpass"|\.pgpass" does not exist/);
    assert.deepEqual(asked, [{ host: b.host, port: b.port }], 'the provider was asked once, for this endpoint');
    await new Promise((res) => setTimeout(res, 300)); // let the server write its log
    const log = readFileSync(b.logFile!, 'utf8').slice(logBefore);
    assert.doesNotMatch(log, /password authentication failed for user "conn_probe"/, 'no password was tried');
    assert.doesNotMatch(log, /empty password/);
    // control: a password that IS sent and wrong does show up in this log
    await connectError(`${roleConn(b)} sslmode=disable password=${CANARY}`);
    await new Promise((res) => setTimeout(res, 300));
    assert.match(readFileSync(b.logFile!, 'utf8').slice(logBefore), /password authentication failed for user "conn_probe"/);
  });

  it('the password provider is asked only when the server wants a password, and its password works', async () => {
    let calls = 0;
    const c = await open(roleConn(a), { password: async () => { calls++; return ROLE_PASSWORD; } });
    assert.equal((await c.client.query('SELECT current_user AS u')).rows[0].u, ROLE);
    await c.client.end();
    assert.equal(calls, 1);
  });

  it('.pgpass (mode 0600) is honoured, over TCP and over the Unix socket', async () => {
    const passfile = join(home, 'pgpass-ok');
    writeFileSync(passfile, [
      `127.0.0.1:${a.port}:postgres:${ROLE}:wrong-line-is-not-reached-${CANARY}`.replace('postgres', 'otherdb'),
      `127.0.0.1:${a.port}:*:${ROLE}:${ROLE_PASSWORD}`,
      `${b.socketDir!.replace(/:/g, '\\:')}:${b.port}:*:${ROLE}:${ROLE_PASSWORD}`,
    ].join('\n') + '\n');
    chmodSync(passfile, 0o600);
    const tcp = await open(`${roleConn(a)} passfile=${passfile}`);
    assert.equal((await tcp.client.query('SELECT current_user AS u')).rows[0].u, ROLE);
    await tcp.client.end();
    const sock = await open(`host=${b.socketDir} port=${b.port} user=${ROLE} dbname=postgres`, {}, { PGPASSFILE: passfile });
    assert.equal((await sock.client.query("SELECT coalesce(inet_client_addr()::text, 'socket') AS a")).rows[0].a, 'socket');
    await sock.client.end();
  });

  it('a group/world-readable .pgpass is ignored, and the error says why', async () => {
    const passfile = join(home, 'pgpass-loose');
    writeFileSync(passfile, `*:*:*:${ROLE}:${ROLE_PASSWORD}\n`);
    chmodSync(passfile, 0o644);
    const e = await connectError(`${roleConn(a)} passfile=${passfile}`);
    assert.equal(e.kind, 'password-required');
    assert.match(e.message, /has group or world access \(mode 0644\)/);
  });
});

describe('connect: other outcomes', () => {
  it('a missing database is database-missing', async () => {
    const e = await connectError(`host=${a.host} port=${a.port} user=${a.user} dbname=no_such_db`, { password: async () => a.password });
    assert.equal(e.kind, 'database-missing');
    assert.match(e.message, /database "no_such_db" does not exist/);
  });

  it('sslmode=prefer falls back to plain on a server without TLS; require fails with kind ssl', async () => {
    const c = await open(`host=${a.host} port=${a.port} ${superuser(a)} sslmode=prefer`, { password: async () => a.password });
    assert.equal(c.attempts[0].ssl, false);
    await c.client.end();
    const e = await connectError(`host=${a.host} port=${a.port} ${superuser(a)} sslmode=require`, { password: async () => a.password });
    assert.equal(e.kind, 'ssl');
    assert.match(e.message, /does not support SSL/);
  });

  it('uses only the resolved settings, not this process\'s PG* variables; application_name is set', async () => {
    const saved = { PGOPTIONS: process.env.PGOPTIONS, PGAPPNAME: process.env.PGAPPNAME };
    process.env.PGOPTIONS = '-c work_mem=77MB';
    process.env.PGAPPNAME = 'from-process-env';
    try {
      const c = await open(`host=${a.host} port=${a.port} ${superuser(a)}`, { password: async () => a.password });
      const row = (await c.client.query("SELECT current_setting('work_mem') AS w, current_setting('application_name') AS n")).rows[0];
      await c.client.end();
      assert.notEqual(row.w, '77MB');
      assert.equal(row.n, 'pg-upgrade-pilot');
      const d = await open(`host=${a.host} port=${a.port} ${superuser(a)} options='-c work_mem=5MB'`, { password: async () => a.password, applicationName: 'pilot-test' });
      const row2 = (await d.client.query("SELECT current_setting('work_mem') AS w, current_setting('application_name') AS n")).rows[0];
      await d.client.end();
      assert.deepEqual(row2, { w: '5MB', n: 'pilot-test' });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });
});

describe('sql quoting on a real server', () => {
  const hostile = ['select', 'Mixed Case', 'a"b', 'x"; DROP TABLE t; --', "o'brien\\", 'Ünïcødé 表 🐘', 'a'.repeat(63), 'é'.repeat(31) + 'a'];

  it('quoteIdent names round-trip through CREATE TABLE and the catalog, for PG 12 and 18', async () => {
    for (const s of [a, b]) {
      await withClient(s, async (c) => {
        await c.query(`CREATE SCHEMA ${quoteIdent('Sch "ema"')}`);
        for (const name of hostile) {
          await c.query(`CREATE TABLE ${quoteQualified('Sch "ema"', name)} (${quoteIdent(name)} int)`);
        }
        const rows = (await c.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'Sch \"ema\"'")).rows;
        assert.deepEqual(rows.map((r) => r.relname).sort(), [...hostile].sort());
        await c.query(`DROP SCHEMA ${quoteIdent('Sch "ema"')} CASCADE`);
      });
    }
  });

  it('quoteLiteral values come back unchanged, whatever standard_conforming_strings is', async () => {
    const values = ['', "it's", "'; DROP TABLE t; --", 'C:\\data\\new', "\\'", 'Ünïcødé 🐘\n\t', '$$ $a$'];
    for (const s of [a, b]) {
      await withClient(s, async (c) => {
        for (const scs of ['on', 'off']) {
          await c.query(`SET standard_conforming_strings = ${scs}`);
          for (const v of values) {
            const got = (await c.query(`SELECT ${quoteLiteral(v)}::text AS v`)).rows[0].v;
            assert.equal(got, v, `standard_conforming_strings=${scs}`);
          }
        }
      });
    }
  });
});

describe('connect: sslmode on a real TLS server', () => {
  let tlsLab: TestServers | undefined;
  let s: LabServer;
  let certDir: string;
  const file = (name: string) => join(certDir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certDir, stdio: 'pipe' });
  const base = (extra: string) => `host=pg.test hostaddr=127.0.0.1 port=${s.port} ${superuser(s)} ${extra}`;
  const pw = () => ({ password: async () => s.password });

  before(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'conn-it-tls-'));
    chmodSync(certDir, 0o755);
    for (const ca of ['ca', 'other-ca']) {
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=pilot test ${ca}`);
    }
    writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:pg.test,IP:127.0.0.1\n');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=pg.test');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
    const osUser = await ensureLabOsUser();
    chmodSync(file('server.key'), 0o600);
    if (osUser.switchUser) chownSync(file('server.key'), osUser.uid, osUser.gid);
    chmodSync(file('server.crt'), 0o644);
    tlsLab = await startTestServers(['16'], {
      portBase: PORT_BASE, settings: { ssl: 'on', ssl_cert_file: file('server.crt'), ssl_key_file: file('server.key') },
    });
    [s] = tlsLab.servers;
  });

  after(async () => {
    await tlsLab?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  async function encrypted(conn: string): Promise<boolean> {
    const c = await open(conn, pw());
    try {
      const row = (await c.client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0];
      assert.equal(c.attempts.at(-1)!.ssl, row.ssl);
      return row.ssl as boolean;
    } finally {
      await c.client.end();
    }
  }

  it('prefer and require encrypt; disable does not', async () => {
    assert.equal(await encrypted(base('')), true, 'prefer is the default');
    assert.equal(await encrypted(base('sslmode=require')), true);
    assert.equal(await encrypted(base('sslmode=disable')), false);
    assert.equal(await encrypted(base('sslmode=allow')), false, 'allow tries plain first');
  });

  it('verify-full checks the chain and the host name (host, not hostaddr)', async () => {
    assert.equal(await encrypted(base(`sslmode=verify-full sslrootcert=${file('ca.crt')}`)), true);
    assert.equal(await encrypted(`host=127.0.0.1 port=${s.port} ${superuser(s)} sslmode=verify-full sslrootcert=${file('ca.crt')}`), true);
    const e = await connectError(`host=wrong.test hostaddr=127.0.0.1 port=${s.port} ${superuser(s)} sslmode=verify-full sslrootcert=${file('ca.crt')}`, pw());
    assert.equal(e.kind, 'ssl');
    assert.match(e.message, /wrong\.test/);
  });

  it('verify-ca checks the chain only; require with a root certificate behaves as verify-ca', async () => {
    const wrongName = `host=wrong.test hostaddr=127.0.0.1 port=${s.port} ${superuser(s)}`;
    assert.equal(await encrypted(`${wrongName} sslmode=verify-ca sslrootcert=${file('ca.crt')}`), true);
    assert.equal(await encrypted(`${wrongName} sslmode=require sslrootcert=${file('ca.crt')}`), true);
    for (const mode of ['verify-ca', 'require']) {
      const e = await connectError(base(`sslmode=${mode} sslrootcert=${file('other-ca.crt')}`), pw());
      assert.equal(e.kind, 'ssl', mode);
    }
  });

  it('verify-* without a root certificate file is an ssl error that says what to do', async () => {
    const e = await connectError(base('sslmode=verify-full'), pw());
    assert.equal(e.kind, 'ssl');
    assert.match(e.message, /root certificate file ".*\.postgresql\/root\.crt" does not exist; provide the file, use the system's trusted roots with sslrootcert=system/);
  });
});
