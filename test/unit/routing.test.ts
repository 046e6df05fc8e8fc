/** Client routing's pure parts: pgbouncer.ini editing (comments and order kept), CLI options, params validation. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientRoutingFromOptions, parseCommandLine, parseHookOption } from '../../src/core/routing/cli-options';
import { databaseEntries, findDatabaseEntry, parseEntryValue, redactEntryLine, repointDatabase } from '../../src/core/routing/pgbouncer-ini';
import { consoleDbName } from '../../src/core/routing/pgbouncer-admin';
import { sameServer } from '../../src/core/routing/servers';
import { validateClientRouting } from '../../src/core/routing/validate';
import { discardConfigAction, installConfigAction, prepareConfigActions } from '../../src/core/routing/pgbouncer-config';

const INI = [
  ';; production pooler',
  '[databases]',
  '# the shop',
  'shop = host=10.0.0.5 port=5432 dbname=shop',
  "reports = host=10.0.0.5 port=5432 dbname=shop application_name='monthly reports'",
  '; other = host=10.0.0.9',
  'other = host=10.0.0.9 port=5433',
  '',
  '[pgbouncer]',
  'listen_port = 6432',
  'shop = not a database entry',
  '',
].join('\n');

describe('pgbouncer.ini', () => {
  test('finds the [databases] entries only, in order, skipping comments', () => {
    assert.deepEqual(databaseEntries(INI).map((e) => e.name), ['shop', 'reports', 'other']);
    assert.equal(findDatabaseEntry(INI, 'reports')?.pairs.find((p) => p.key === 'application_name')?.value, 'monthly reports');
  });

  test('repointing changes exactly one line and keeps its other keys in order', () => {
    const r = repointDatabase(INI, 'reports', { host: '10.0.0.6', port: 5433 });
    const before = INI.split('\n');
    const after = r.text.split('\n');
    assert.equal(after.length, before.length);
    const changed = after.map((l, i) => (l === before[i] ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(changed, [4]);
    assert.equal(after[4], "reports = host=10.0.0.6 port=5433 dbname=shop application_name='monthly reports'");
  });

  test('adds host/port when the entry has none; CRLF files stay CRLF', () => {
    const crlf = '[databases]\r\nshop = dbname=shop\r\n';
    const r = repointDatabase(crlf, 'shop', { host: 'db2', port: 6000 });
    assert.equal(r.text, '[databases]\r\nshop = dbname=shop host=db2 port=6000\r\n');
  });

  test('a missing entry is a clear error; a password never shows', () => {
    assert.throws(() => repointDatabase(INI, 'nope', { host: 'x', port: 1 }), /no \[databases\] entry "nope"/);
    const r = repointDatabase("[databases]\nshop = host=a port=1 user=app password='s3 cret'\n", 'shop', { host: 'b', port: 2 });
    assert.doesNotMatch(r.before + r.after, /s3 cret/);
    assert.match(r.after, /password=\*\*\*\*\*\*\*\*/);
    assert.equal(redactEntryLine('x = password=abc host=h'), 'x = password=******** host=h');
  });

  test('quoted values round-trip', () => {
    assert.deepEqual(parseEntryValue("a=1 b='it''s' c=''"), [{ key: 'a', value: '1' }, { key: 'b', value: "it's" }, { key: 'c', value: '' }]);
    assert.throws(() => parseEntryValue("a='open"), /unterminated/);
  });
});

describe('routing options', () => {
  test('commands split without a shell', () => {
    assert.deepEqual(parseCommandLine('/usr/local/bin/move-vip --to 10.0.0.2 "eth0 main"'), ['/usr/local/bin/move-vip', '--to', '10.0.0.2', 'eth0 main']);
    assert.deepEqual(parseCommandLine('["/bin/echo","a b"]'), ['/bin/echo', 'a b']);
    assert.deepEqual(parseCommandLine("/bin/echo 'a|b' a\\ b"), ['/bin/echo', 'a|b', 'a b']);
    assert.throws(() => parseCommandLine('/bin/echo a | tee x'), /needs a shell/);
    assert.throws(() => parseCommandLine('/bin/echo $HOME'), /needs a shell/);
    assert.throws(() => parseCommandLine('/bin/echo "a'), /unbalanced/);
  });

  test('--hook POINT[:manual]=COMMAND', () => {
    assert.deepEqual(parseHookOption('after-open=/usr/bin/true x', 5000), { at: 'after-open', argv: ['/usr/bin/true', 'x'], timeoutMs: 5000 });
    assert.equal(parseHookOption('before-freeze:manual=/x').executor, 'manual');
    assert.throws(() => parseHookOption('during=/x'), /not a hook point/);
    assert.throws(() => parseHookOption('/x'), /POINT=COMMAND/);
  });

  test('--pgbouncer pairs with --pgbouncer-config in order', () => {
    const r = clientRoutingFromOptions({ pgbouncer: ['host=a port=6432 dbname=pgbouncer user=admin'], pgbouncerConfig: ['/etc/pgbouncer/pgbouncer.ini'], hook: ['after-open=/bin/true'] });
    assert.equal(r?.kind, 'pgbouncer');
    assert.throws(() => clientRoutingFromOptions({ pgbouncer: ['host=a dbname=pgbouncer'] }), /one --pgbouncer-config per --pgbouncer/);
    assert.throws(() => clientRoutingFromOptions({ pgbouncerConfig: ['/x'] }), /needs --pgbouncer/);
    assert.throws(() => clientRoutingFromOptions({ pgbouncer: ['host=a'], pgbouncerConfig: ['pgbouncer.ini'] }), /absolute path/);
    assert.equal(clientRoutingFromOptions({}), undefined);
  });

  test('params: a password in the admin string is refused before anything runs', () => {
    assert.throws(() => validateClientRouting({ kind: 'pgbouncer', poolers: [{ admin: 'host=a password=x dbname=pgbouncer', config: { path: '/x', executor: 'local' } }] }), /must not hold a password/);
    assert.throws(() => validateClientRouting({ kind: 'pgbouncer', poolers: [] }), /at least one pooler/);
    assert.throws(() => validateClientRouting({ kind: 'hooks', hooks: [{ at: 'after-open', argv: [] }] }), /non-empty list/);
    assert.deepEqual(validateClientRouting(undefined), { kind: 'none' });
  });

  test('console names are validated and quoted; loopback hosts are the same server', () => {
    assert.equal(consoleDbName('shop'), '"shop"');
    assert.throws(() => consoleDbName('a"; SHUTDOWN'), /not a database name/);
    assert.ok(sameServer({ host: 'localhost', port: 5432 }, { host: '127.0.0.1', port: 5432 }));
    assert.ok(!sameServer({ host: '10.0.0.1', port: 5432 }, { host: '10.0.0.1', port: 5433 }));
  });

  test('the config rewrite: before the PAUSE backup once + copy keeping mode + text through stdin; in the window one atomic rename; on abort the copy goes', () => {
    const cfg = { path: '/etc/pgbouncer/pgbouncer.ini', executor: 'manual' as const, osUser: 'postgres' };
    const a = [...prepareConfigActions(cfg, 'run-1'), installConfigAction(cfg), discardConfigAction(cfg)];
    assert.ok(a.every((x) => x.argv.slice(0, 4).join(' ') === 'sudo -u postgres --'));
    assert.deepEqual(a.map((x) => x.argv.slice(4)), [
      ['cp', '-p', '-n', '--', '/etc/pgbouncer/pgbouncer.ini', '/etc/pgbouncer/pgbouncer.ini.pgpilot-run-1'],
      ['cp', '-p', '--', '/etc/pgbouncer/pgbouncer.ini', '/etc/pgbouncer/pgbouncer.ini.pgpilot-new'],
      ['dd', 'of=/etc/pgbouncer/pgbouncer.ini.pgpilot-new', 'status=none'],
      ['mv', '-f', '-T', '--', '/etc/pgbouncer/pgbouncer.ini.pgpilot-new', '/etc/pgbouncer/pgbouncer.ini'],
      ['rm', '-f', '--', '/etc/pgbouncer/pgbouncer.ini.pgpilot-new'],
    ]);
  });
});
