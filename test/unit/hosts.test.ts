/** Host steps: argv builders, specs, version parsing, tool choice, and the two executors (local runs real processes). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asOsUser, copyFilesCommand, HostCommandError, hostSpecFromCluster, insideDir, LocalExecutor, ManualExecutor, MANUAL_HOST_TITLE_PREFIX,
  parseMinorVersion, privateFileCommands, rewindCommand, runArgv, selectSameMajor, startServerCommand, stopServerCommand, validateHostSpec,
  versionText, type HostBatch, type HostRunContext, type HostTarget,
} from '../../src/core/hosts';
import type { ClientTool } from '../../src/core/tools';
import type { ConfirmRequest, RunnerUi } from '../../src/core/runbook/types';

const local: HostTarget = { role: 'server', executor: 'local', dataDir: '/srv/pg/data', binDir: '/opt/pg16.12/bin', osUser: 'pgpilot', logFile: '/srv/pg/server.log', root: true };
const manual: HostTarget = { role: 'primary', executor: 'manual', dataDir: '/var/lib/postgresql/15/main', binDir: '/usr/lib/postgresql/15/bin' };

describe('host commands (argv, never a shell string)', () => {
  it('runs as the lab OS user with runuser when root, as is otherwise; sudo -u postgres on a manual host', () => {
    assert.deepEqual(asOsUser(local, ['pg_ctl', 'status']), ['runuser', '-u', 'pgpilot', '--', 'pg_ctl', 'status']);
    assert.deepEqual(asOsUser({ ...local, root: false }, ['pg_ctl']), ['pg_ctl']);
    assert.deepEqual(asOsUser({ ...local, osUser: 'root' }, ['pg_ctl']), ['pg_ctl']);
    assert.deepEqual(asOsUser(manual, ['pg_ctl']), ['sudo', '-u', 'postgres', '--', 'pg_ctl']);
    assert.deepEqual(asOsUser({ ...manual, osUser: 'pg' }, ['x']), ['sudo', '-u', 'pg', '--', 'x']);
  });

  it('stops fast and starts with the new binaries on the same data directory, logging with -l', () => {
    assert.deepEqual(stopServerCommand(local).argv, ['runuser', '-u', 'pgpilot', '--', '/opt/pg16.12/bin/pg_ctl', '-D', '/srv/pg/data', '-m', 'fast', '-w', '-t', '120', 'stop']);
    assert.deepEqual(startServerCommand(local, '/opt/pg16.14/bin').argv,
      ['runuser', '-u', 'pgpilot', '--', '/opt/pg16.14/bin/pg_ctl', '-D', '/srv/pg/data', '-l', '/srv/pg/server.log', '-w', '-t', '120', 'start']);
    assert.equal(startServerCommand(manual).argv.includes('-l'), false, 'no log file known: no -l');
  });

  it('uses systemctl for a systemd-managed manual host', () => {
    const h = { ...manual, systemdUnit: 'postgresql@15-main' };
    assert.deepEqual(stopServerCommand(h).argv, ['sudo', 'systemctl', 'stop', 'postgresql@15-main']);
    assert.deepEqual(startServerCommand(h).argv, ['sudo', 'systemctl', 'start', 'postgresql@15-main']);
  });

  it('keeps the password out of arguments: a 0600 file filled from standard input; pg_rewind names a passfile', () => {
    const [create, fill] = privateFileCommands(local, '/srv/pg/pgpass');
    assert.deepEqual(create.argv.slice(4), ['install', '-m', '600', '/dev/null', '/srv/pg/pgpass']);
    assert.deepEqual(fill.argv.slice(4), ['dd', 'of=/srv/pg/pgpass', 'status=none']);
    const rw = rewindCommand(manual, '/usr/lib/postgresql/15/bin/pg_rewind', 'host=db2 port=5432 user=postgres dbname=postgres passfile=/p');
    assert.deepEqual(rw.argv.slice(4), ['/usr/lib/postgresql/15/bin/pg_rewind', '--target-pgdata=/var/lib/postgresql/15/main', '--source-server=host=db2 port=5432 user=postgres dbname=postgres passfile=/p', '--progress']);
    assert.equal(rw.env, undefined);
  });

  it('refuses an empty copy', () => {
    assert.throws(() => copyFilesCommand(local, [], '/x'), /no file/);
  });
});

describe('host specs', () => {
  it('a lab cluster gives the local executor its paths and the lab log file; others default to manual', () => {
    assert.deepEqual(hostSpecFromCluster({ executor: 'local', lab: { dataDir: '/l/pg16/data', binDir: '/b', osUser: 'pgpilot', version: '16.12' } }),
      { executor: 'local', dataDir: '/l/pg16/data', binDir: '/b', osUser: 'pgpilot', version: '16.12', logFile: '/l/pg16/server.log' });
    assert.deepEqual(hostSpecFromCluster({}), { executor: 'manual' });
  });

  it('rejects what cannot work, with the reason', () => {
    assert.throws(() => validateHostSpec('server', { executor: 'local' }), /only lab clusters/);
    assert.throws(() => validateHostSpec('server', { executor: 'manual', dataDir: 'relative/dir' }), /absolute path/);
    assert.throws(() => validateHostSpec('server', { executor: 'manual', osUser: 'a b' }), /not a valid user/);
    assert.throws(() => validateHostSpec('server', { executor: 'manual', systemdUnit: 'x;rm' }), /not a valid unit/);
    assert.throws(() => validateHostSpec('server', { executor: 'ssh' as 'manual' }), /"manual" or "local"/);
    assert.equal(validateHostSpec('server', { executor: 'local', dataDir: '/d/data', binDir: '/b' }).logFile, '/d/server.log');
  });
});

describe('versions, paths, tools', () => {
  it('parses minor versions', () => {
    assert.deepEqual(parseMinorVersion('16.14'), { major: 16, minor: 14, num: 160014 });
    assert.deepEqual(parseMinorVersion(' v15.8 '), { major: 15, minor: 8, num: 150008 });
    assert.throws(() => parseMinorVersion('16'), /minor version/);
    assert.throws(() => parseMinorVersion('9.6'), /too old/);
    assert.equal(versionText(150018), '15.18');
  });

  it('tells files inside the data directory from those outside', () => {
    assert.equal(insideDir('/d/data', '/d/data/postgresql.conf'), 'postgresql.conf');
    assert.equal(insideDir('/d/data', '/d/data/conf.d/a.conf'), 'conf.d/a.conf');
    assert.equal(insideDir('/d/data', '/etc/postgresql/15/main/pg_hba.conf'), null);
    assert.equal(insideDir('/d/data', '/d/data2/x'), null);
  });

  it('pg_rewind / pg_basebackup must be of the server\'s own major', () => {
    const t = (major: number, path: string): ClientTool => ({ name: 'pg_rewind', path, version: { major, minor: 1, text: `${major}.1` }, source: 'well-known' });
    assert.equal(selectSameMajor([t(16, '/a'), t(15, '/b')], 'pg_rewind', 15).path, '/b');
    assert.throws(() => selectSameMajor([t(16, '/a')], 'pg_rewind', 15), /pg_rewind 15 is needed.*found 16\.1 at \/a/);
  });
});

function ui(answer: boolean, seen: ConfirmRequest[]): RunnerUi {
  return { async confirm(req) { seen.push(req); return { confirmed: answer, by: 'op' }; }, progress() {}, log() {} };
}
const ctxOf = (u: RunnerUi): HostRunContext => ({ ui: u, signal: new AbortController().signal, cluster: { role: 'server', name: 'db1', hosts: 'db1:5432', production: false }, secrets: ['s3cret'] });
const batch = (actions: string[][], extra: Partial<HostBatch> = {}): HostBatch => ({
  runId: 'r1', stepId: 'upgrade-server', title: 'stop the server', role: 'server', why: 'test', risk: 'disruptive',
  actions: actions.map((argv) => ({ kind: 'host', cluster: 'server', argv })), ...extra,
});

describe('the local executor (real processes)', () => {
  it('runs each command with its argv, feeds standard input, returns the outputs', async () => {
    const r = await new LocalExecutor().run(batch([['printf', '%s|', 'a b', '$HOME;x']]), ctxOf(ui(true, [])));
    assert.equal(r[0].stdout, 'a b|$HOME;x|', 'no shell: no splitting, no expansion');
    const piped = await new LocalExecutor().run(batch([['cat']], { inputs: { 0: 'line\n' } }), ctxOf(ui(true, [])));
    assert.equal(piped[0].stdout, 'line\n');
  });

  it('stops at the first failure with the command and its stderr, secrets blanked', async () => {
    await assert.rejects(
      new LocalExecutor().run(batch([['sh', '-c', 'echo "bad s3cret" >&2; exit 3'], ['touch', '/tmp/never-run-by-hosts-test']]), ctxOf(ui(true, []))),
      (err: unknown) => {
        assert.ok(err instanceof HostCommandError);
        assert.equal(err.exitCode, 3);
        assert.match(err.message, /exit 3\): bad \*\*\*\*\*\*\*\*/);
        assert.equal(err.results.length, 1, 'the second command did not run');
        return true;
      },
    );
  });

  it('kills a command that outlives its timeout', async () => {
    const r = await runArgv(['sleep', '5'], { timeoutMs: 200 });
    assert.equal(r.exitCode, 124);
    assert.match(r.stderr, /timed out/);
  });

  it('removes the caller\'s PG* environment', async () => {
    process.env.PGPORT = '1';
    try {
      const r = await runArgv(['sh', '-c', 'echo "${PGPORT:-unset}"']);
      assert.equal(r.stdout.trim(), 'unset');
    } finally {
      delete process.env.PGPORT;
    }
  });
});

describe('the manual executor', () => {
  it('shows the commands and notes to the operator and reports them done once confirmed', async () => {
    const seen: ConfirmRequest[] = [];
    const notes = [{ kind: 'manual' as const, cluster: 'server' as const, instructions: 'install 16.14' }];
    const r = await new ManualExecutor().run(batch([['pg_ctl', 'stop'], ['pg_ctl', 'start']], { notes }), ctxOf(ui(true, seen)));
    assert.equal(seen.length, 1);
    assert.ok(seen[0].title.startsWith(MANUAL_HOST_TITLE_PREFIX));
    assert.equal(seen[0].actions.length, 3);
    assert.equal(seen[0].level, 'confirm');
    assert.deepEqual(r.map((x) => [x.exitCode, x.manual]), [[0, true], [0, true]]);
  });

  it('fails the batch when the operator declines; a production cluster needs its name typed', async () => {
    const seen: ConfirmRequest[] = [];
    await assert.rejects(new ManualExecutor().run(batch([['pg_ctl', 'stop']]), ctxOf(ui(false, seen))), /did not confirm/);
    const prod = { ...ctxOf(ui(true, seen)), cluster: { role: 'server' as const, name: 'prod-db', hosts: 'p:5432', production: true } };
    await new ManualExecutor().run(batch([['pg_ctl', 'stop']]), prod);
    assert.equal(seen[1].typedConfirmation, 'prod-db');
  });
});
