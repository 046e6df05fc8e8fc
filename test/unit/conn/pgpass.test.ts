import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lookupPgpass, pgpassFileStatus, pgpassHostName } from '../../../src/core/conn';

const dir = mkdtempSync(join(tmpdir(), 'pgpass-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function passfile(text: string, mode = 0o600): string {
  const file = join(dir, `pgpass-${n++}`);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

describe('lookupPgpass', () => {
  const file = passfile([
    '# host:port:database:username:password',
    'db1.example.com:5432:app:alice:alice-app',
    'db1.example.com:5432:*:alice:alice-any-db',
    'db1.example.com:*:*:bob:bob\\:with\\\\escapes:ignored-after-colon',
    String.raw`weird\:host:5432:*:*:colon-host`,
    'localhost:5433:*:carol:carol-local',
    '/srv/sockets:5433:*:carol:carol-socket',
    String.raw`db2:5432:*:\*:literal-star-user`,
    'db3:5432:*:*:',
    '*:*:*:dave:dave-anywhere',
    'short:line',
  ].join('\r\n') + '\n');

  const ep = (host: string, port = 5432) => ({ host, port });

  it('takes the first matching line, most specific first', async () => {
    assert.equal(await lookupPgpass(ep('db1.example.com'), 'app', 'alice', { passfile: file }), 'alice-app');
    assert.equal(await lookupPgpass(ep('db1.example.com'), 'other', 'alice', { passfile: file }), 'alice-any-db');
  });

  it('handles * wildcards and \\: \\\\ escapes; the password ends at an unescaped colon', async () => {
    assert.equal(await lookupPgpass(ep('db1.example.com', 6000), 'x', 'bob', { passfile: file }), 'bob:with\\escapes');
    assert.equal(await lookupPgpass(ep('weird:host'), 'x', 'anyone', { passfile: file }), 'colon-host');
    assert.equal(await lookupPgpass(ep('db2'), 'x', '*', { passfile: file }), 'literal-star-user');
    assert.equal(await lookupPgpass(ep('db2'), 'x', 'zed', { passfile: file }), undefined, 'an escaped * is no wildcard');
    assert.equal(await lookupPgpass(ep('anything', 1), 'x', 'dave', { passfile: file }), 'dave-anywhere');
  });

  it('an empty password in the file counts as none', async () => {
    assert.equal(await lookupPgpass(ep('db3'), 'x', 'y', { passfile: file }), undefined);
  });

  it('sockets: the default socket directory matches "localhost", another directory only itself', async () => {
    assert.equal(pgpassHostName(ep('/var/run/postgresql')), 'localhost');
    // libpq compares with its compiled-in DEFAULT_PGSOCKET_DIR as a string: other spellings are not "localhost"
    assert.equal(pgpassHostName(ep('/run/postgresql/')), '/run/postgresql/');
    assert.equal(pgpassHostName(ep('/run/postgresql')), '/run/postgresql');
    assert.equal(pgpassHostName(ep('/var/run/postgresql/')), '/var/run/postgresql/');
    assert.equal(await lookupPgpass(ep('/var/run/postgresql', 5433), 'x', 'carol', { passfile: file }), 'carol-local');
    assert.equal(await lookupPgpass(ep('localhost', 5433), 'x', 'carol', { passfile: file }), 'carol-local');
    assert.equal(await lookupPgpass(ep('/srv/sockets', 5433), 'x', 'carol', { passfile: file }), 'carol-socket');
  });

  it('matches the host name, not hostaddr, when both are given', async () => {
    assert.equal(await lookupPgpass({ host: 'db1.example.com', hostaddr: '10.0.0.1', port: 5432 }, 'app', 'alice', { passfile: file }), 'alice-app');
    assert.equal(pgpassHostName({ host: '', hostaddr: '10.0.0.1', port: 5432 }), '10.0.0.1');
  });

  it('finds ~/.pgpass through homedir when no passfile is given', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    writeFileSync(join(home, '.pgpass'), 'h:5432:*:u:from-home\n', { mode: 0o600 });
    assert.equal(await lookupPgpass(ep('h'), 'd', 'u', { homedir: home }), 'from-home');
  });

  it('ignores a file group or others can access, with the reason, as libpq does', async () => {
    for (const mode of [0o640, 0o604, 0o660, 0o700 | 0o010]) {
      const loose = passfile('h:5432:*:u:should-not-be-used\n', mode);
      const reasons: string[] = [];
      assert.equal(await lookupPgpass(ep('h'), 'd', 'u', { passfile: loose, onIgnored: (r) => reasons.push(r) }), undefined);
      assert.match(reasons[0], /has group or world access .*0600/);
      const st = await pgpassFileStatus(loose);
      assert.equal(st.usable, false);
    }
    assert.deepEqual(await pgpassFileStatus(passfile('x', 0o400)), { usable: true, file: join(dir, `pgpass-${n - 1}`) });
  });

  it('a missing file or a directory is skipped with a reason', async () => {
    const reasons: string[] = [];
    assert.equal(await lookupPgpass(ep('h'), 'd', 'u', { passfile: join(dir, 'nope'), onIgnored: (r) => reasons.push(r) }), undefined);
    assert.equal(await lookupPgpass(ep('h'), 'd', 'u', { passfile: dir, onIgnored: (r) => reasons.push(r) }), undefined);
    assert.match(reasons[0], /does not exist/);
    assert.match(reasons[1], /not a plain file/);
  });
});
