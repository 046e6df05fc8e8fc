import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConnStringError, loadService, parseServiceFile } from '../../../src/core/conn';

const dir = mkdtempSync(join(tmpdir(), 'pgservice-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseServiceFile', () => {
  const text = [
    '# comment',
    '[other]',
    'host=wrong',
    '',
    '  [prod]  ',
    'host=db1,db2',
    '   port=5432,5433',
    'options=-c statement_timeout=5s',
    'host=ignored-second',
    '# trailing comment',
    '[prod-old]',
    'host=wrong-too',
  ].join('\n');

  it('reads the [name] section only; first occurrence of a key wins; whitespace around lines is ignored', () => {
    assert.deepEqual(parseServiceFile(text, 'prod', 'f'), { host: 'db1,db2', port: '5432,5433', options: '-c statement_timeout=5s' });
    assert.deepEqual(parseServiceFile(text, 'prod-old', 'f'), { host: 'wrong-too' });
    assert.equal(parseServiceFile(text, 'missing', 'f'), undefined);
  });

  it('errors name the file and line, never a value', () => {
    assert.throws(() => parseServiceFile('[s]\nhost=a\npassword\n', 's', '/x/svc.conf'), /syntax error in service file "\/x\/svc.conf", line 3/);
    assert.throws(() => parseServiceFile('[s]\nhots=a\n', 's', 'f'), /unknown keyword "hots".*did you mean "host"/);
    assert.throws(() => parseServiceFile('[s]\nhost = a\n', 's', 'f'), /no spaces are allowed around "="/);
    assert.throws(() => parseServiceFile('[s]\nservice=t\n', 's', 'f'), /nested service/);
    assert.throws(() => parseServiceFile('[s]\npasswrd=hunter2\n', 's', 'f'), (e: Error) => !e.message.includes('hunter2'));
  });
});

describe('loadService', () => {
  const home = join(dir, 'home');
  const sys = join(dir, 'sysconf');
  mkdirSync(home);
  mkdirSync(sys);
  writeFileSync(join(home, '.pg_service.conf'), '[both]\nhost=from-user\n[user-only]\nhost=u\n');
  writeFileSync(join(sys, 'pg_service.conf'), '[both]\nhost=from-sys\nport=6000\n[sys-only]\nhost=s\n');
  const custom = join(dir, 'custom.conf');
  writeFileSync(custom, '[both]\nhost=from-custom\n');

  it('the user file wins; the system file (PGSYSCONFDIR) is consulted only when the user file lacks the service', async () => {
    const env = { PGSYSCONFDIR: sys };
    assert.deepEqual(await loadService('both', { env, homedir: home }), { params: { host: 'from-user' }, file: join(home, '.pg_service.conf') });
    assert.deepEqual((await loadService('sys-only', { env, homedir: home })).params, { host: 's' });
  });

  it('PGSERVICEFILE replaces ~/.pg_service.conf', async () => {
    assert.deepEqual((await loadService('both', { env: { PGSERVICEFILE: custom, PGSYSCONFDIR: sys }, homedir: home })).params, { host: 'from-custom' });
    await assert.rejects(loadService('x', { env: { PGSERVICEFILE: join(dir, 'missing.conf') }, homedir: home }), /service file .*missing.conf" cannot be read: ENOENT/);
  });

  it('an unknown service is a clear error saying where we looked', async () => {
    await assert.rejects(loadService('nope', { env: { PGSYSCONFDIR: sys }, homedir: home }), (e: Error) => {
      assert.ok(e instanceof ConnStringError);
      assert.match(e.message, /definition of service "nope" not found \(looked in ".*\.pg_service\.conf" and ".*sysconf\/pg_service\.conf"\)/);
      return true;
    });
  });
});
