import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConnStringError, parseConnString, resolveConn, type ConnParams } from '../../../src/core/conn';

const dir = mkdtempSync(join(tmpdir(), 'resolve-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const home = join(dir, 'home');
const socketDir = join(dir, 'sockets');
mkdirSync(home);
mkdirSync(socketDir);
writeFileSync(join(home, '.pg_service.conf'), [
  '[prod]', 'host=svc-host', 'port=6000', 'dbname=svc-db', 'user=svc-user', 'application_name=svc-app',
  '[bad]', 'port=sixty',
].join('\n'));

/** Isolated from this machine: no real env, home, OS user or socket directory. */
const opts = { homedir: home, osUser: 'osuser', socketDir: join(dir, 'no-such-dir') };
const resolve = (p: ConnParams | string, env: NodeJS.ProcessEnv = {}, o = opts) =>
  resolveConn(typeof p === 'string' ? parseConnString(p) : p, env, o);

describe('resolveConn: defaults', () => {
  it('nothing given: localhost:5432 (no socket dir), OS user, dbname = user, 10 s, prefer, any', async () => {
    const r = await resolve({});
    assert.deepEqual(r.endpoints, [{ host: 'localhost', port: 5432 }]);
    assert.equal(r.user, 'osuser');
    assert.equal(r.dbname, 'osuser');
    assert.equal(r.connectTimeoutSeconds, 10);
    assert.equal(r.sslmode, 'prefer');
    assert.equal(r.targetSessionAttrs, 'any');
    assert.equal(r.passfile, join(home, '.pgpass'));
    assert.equal(r.password, undefined);
  });

  it('uses the Unix socket directory when it exists', async () => {
    const r = await resolve({}, {}, { ...opts, socketDir });
    assert.deepEqual(r.endpoints, [{ host: socketDir, port: 5432 }]);
  });

  it('dbname defaults to the resolved user, wherever the user came from', async () => {
    assert.equal((await resolve({}, { PGUSER: 'envuser' })).dbname, 'envuser');
    assert.equal((await resolve('user=bob')).dbname, 'bob');
  });

  it('connect_timeout: 0 or negative means none, 1 becomes libpq\'s minimum 2', async () => {
    assert.equal((await resolve('connect_timeout=0')).connectTimeoutSeconds, 0);
    assert.equal((await resolve('connect_timeout=-5')).connectTimeoutSeconds, 0);
    assert.equal((await resolve('connect_timeout=1')).connectTimeoutSeconds, 2);
    assert.equal((await resolve('connect_timeout=20')).connectTimeoutSeconds, 20);
  });
});

describe('resolveConn: precedence explicit > service > environment > defaults', () => {
  const env = {
    PGHOST: 'env-host', PGPORT: '7000', PGDATABASE: 'env-db', PGUSER: 'env-user', PGPASSWORD: 'env-pw',
    PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '30', PGTARGETSESSIONATTRS: 'read-write', PGAPPNAME: 'env-app',
    PGOPTIONS: '-c work_mem=64MB', PGPASSFILE: '/env/pgpass', PGSSLROOTCERT: '/env/root.crt',
  };

  it('environment variables fill what is not given', async () => {
    const r = await resolve({}, env);
    assert.deepEqual(r.endpoints, [{ host: 'env-host', port: 7000 }]);
    assert.equal(r.dbname, 'env-db');
    assert.equal(r.user, 'env-user');
    assert.equal(r.password, 'env-pw');
    assert.equal(r.sslmode, 'require');
    assert.equal(r.sslrootcert, '/env/root.crt');
    assert.equal(r.connectTimeoutSeconds, 30);
    assert.equal(r.targetSessionAttrs, 'read-write');
    assert.equal(r.applicationName, 'env-app');
    assert.equal(r.options, '-c work_mem=64MB');
    assert.equal(r.passfile, '/env/pgpass');
  });

  it('a service beats the environment; explicit settings beat the service', async () => {
    const r = await resolve('service=prod dbname=explicit-db', env);
    assert.deepEqual(r.endpoints, [{ host: 'svc-host', port: 6000 }]);
    assert.equal(r.dbname, 'explicit-db');
    assert.equal(r.user, 'svc-user');
    assert.equal(r.applicationName, 'svc-app');
    assert.equal(r.password, 'env-pw', 'not in the service: from the environment');
  });

  it('PGSERVICE selects the service when none is given', async () => {
    const r = await resolve({}, { PGSERVICE: 'prod' });
    assert.equal(r.user, 'svc-user');
  });

  it('PGREQUIRESSL=1 means sslmode=require unless PGSSLMODE says otherwise', async () => {
    assert.equal((await resolve({}, { PGREQUIRESSL: '1' })).sslmode, 'require');
    assert.equal((await resolve({}, { PGREQUIRESSL: '1', PGSSLMODE: 'disable' })).sslmode, 'disable');
  });

  it('a bad value says where it came from', async () => {
    await assert.rejects(resolve({}, { PGPORT: 'abc' }), /invalid port "abc".*\(from environment variable PGPORT\)/);
    await assert.rejects(resolve({}, { PGSSLMODE: 'on' }), /invalid sslmode value "on".*PGSSLMODE/);
    await assert.rejects(resolve('service=bad'), /invalid port "sixty".*service "bad" in .*\.pg_service\.conf/);
    await assert.rejects(resolve('service=absent'), (e: Error) => e instanceof ConnStringError && /service "absent" not found/.test(e.message));
  });
});

describe('resolveConn: host and port lists', () => {
  it('one port serves every host', async () => {
    assert.deepEqual((await resolve('host=a,b,c port=6432')).endpoints, [
      { host: 'a', port: 6432 }, { host: 'b', port: 6432 }, { host: 'c', port: 6432 },
    ]);
  });

  it('equal counts pair up; an empty entry is the default', async () => {
    assert.deepEqual((await resolve('host=a,,c port=1,2,')).endpoints, [
      { host: 'a', port: 1 }, { host: 'localhost', port: 2 }, { host: 'c', port: 5432 },
    ]);
    assert.deepEqual((await resolve('postgresql://[::1]:5433,h2/db')).endpoints, [{ host: '::1', port: 5433 }, { host: 'h2', port: 5432 }]);
  });

  it('other counts are a clear error', async () => {
    await assert.rejects(resolve('host=a,b,c port=1,2'), /could not match 2 port numbers to 3 hosts: give one port for all hosts or one per host/);
    await assert.rejects(resolve('host=a,b', { PGPORT: '1,2,3' }), /could not match 3 port numbers to 2 hosts.*PGPORT/);
  });

  it('hostaddr: dialled address per host, host kept as the name; counts must match', async () => {
    assert.deepEqual((await resolve('host=db1,db2 hostaddr=10.0.0.1,10.0.0.2')).endpoints, [
      { host: 'db1', port: 5432, hostaddr: '10.0.0.1' }, { host: 'db2', port: 5432, hostaddr: '10.0.0.2' },
    ]);
    assert.deepEqual((await resolve('hostaddr=127.0.0.1')).endpoints, [{ host: '127.0.0.1', port: 5432 }]);
    await assert.rejects(resolve('host=a,b hostaddr=10.0.0.1'), /could not match 2 host names to 1 hostaddr values/);
    await assert.rejects(resolve('hostaddr=db.example.com'), /invalid hostaddr "db.example.com": expected a numeric IP address/);
  });

  it('an empty PGHOST is the default host', async () => {
    assert.deepEqual((await resolve({}, { PGHOST: '' })).endpoints, [{ host: 'localhost', port: 5432 }]);
  });
});

describe('resolveConn: TLS and unsupported settings', () => {
  it('sslrootcert=system implies verify-full and refuses weaker modes', async () => {
    assert.equal((await resolve('sslrootcert=system')).sslmode, 'verify-full');
    await assert.rejects(resolve('sslrootcert=system sslmode=require'), /weak sslmode "require" may not be used with sslrootcert=system/);
  });

  it('verify-* without sslrootcert points at ~/.postgresql/root.crt (connect reports it missing)', async () => {
    assert.equal((await resolve('sslmode=verify-ca')).sslrootcert, join(home, '.postgresql', 'root.crt'));
    assert.equal((await resolve('sslmode=require')).sslrootcert, undefined);
  });

  it('refuses settings node-postgres cannot honour rather than ignoring them', async () => {
    await assert.rejects(resolve('channel_binding=require'), /channel_binding=require is not supported here/);
    await assert.rejects(resolve('host=a', { PGREQUIREAUTH: 'scram-sha-256' }), /require_auth=scram-sha-256 is not supported.*PGREQUIREAUTH/);
  });

  it('an empty password is no password', async () => {
    assert.equal((await resolve("password=''")).password, undefined);
  });
});
