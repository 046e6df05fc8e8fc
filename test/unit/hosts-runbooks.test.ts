/** The host-step runbooks' pure parts: preflight/checklist judgements, connection strings, backup plans, CLI flags. */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { parseMinorArgs } from '../../src/cli/commands/minor-upgrade';
import { parseRollingArgs } from '../../src/cli/commands/rolling-switchover';
import type { HostFacts } from '../../src/core/hosts';
import type { Finding } from '../../src/core/runbook/types';
import { defaultMinorUpgradeParams, dumpDirName, dumpPlan, evaluateChecklist, minorUpgradeRunbook, type ChecklistFacts } from '../../src/core/runbooks/minor';
import type { ServerState } from '../../src/core/runbooks/minor/queries';
import {
  defaultRollingSwitchoverParams, evaluateRollingPreflight, groupByDir, rejoinApplicationName, rejoinConninfo, rewindSummary, rollingSwitchoverRunbook,
  ROLLING_STEP_IDS, type RollingPreflightFacts,
} from '../../src/core/runbooks/rolling';
import type { PrimaryFacts, StandbyFacts } from '../../src/core/runbooks/rolling/facts';
import type { ClientTool } from '../../src/core/tools';

const ids = (fs: Finding[], severity: Finding['severity']) => fs.filter((f) => f.severity === severity).map((f) => f.id);

function host(over: Partial<HostFacts> = {}): HostFacts {
  return {
    dataDir: '/d', binDir: '/b', port: 5432, versionNum: 150015, configFilesInDataDir: ['postgresql.auto.conf'], dataChecksums: false,
    walLogHints: true, fullPageWrites: true, inRecovery: false, systemIdentifier: '7000', timeline: 1, ...over,
  };
}

function pair(p: Partial<PrimaryFacts> = {}, s: Partial<StandbyFacts> = {}, params: Partial<Parameters<typeof defaultRollingSwitchoverParams>[0]> = {}): RollingPreflightFacts {
  return {
    primary: {
      host: host(), isSuperuser: true, standbys: [], slots: [], longestTransactionSeconds: 1, preparedTransactions: 0, archiveMode: 'off',
      archiver: { archivedCount: 0, failedCount: 0, lastFailedAt: null, failing: false }, walKeepSize: '256', frozen: false, currentLsn: '0/3000000',
      synchronousStandbyNames: '', synchronousCommit: 'on', ...p,
    },
    standby: {
      host: host({ inRecovery: true, port: 5433 }), isSuperuser: true, receiverStatus: 'streaming', senderHost: '127.0.0.1', senderPort: 5432,
      replayPaused: false, replayLsn: '0/3000000', receiveLsn: '0/3000000', synchronousStandbyNames: '', hotStandby: true, archiveMode: 'off', walKeepSize: '256',
      applyDelayMs: 0, maxStreamingDelayMs: 30_000, activeQueries: 0, ...s,
    },
    params: defaultRollingSwitchoverParams(params),
    rebuildTool: 'pg_rewind /usr/lib/postgresql/15/bin/pg_rewind',
  };
}

describe('rolling switchover preflight', () => {
  it('a healthy pair has no error', () => {
    assert.deepEqual(ids(evaluateRollingPreflight(pair()), 'error'), []);
  });

  it('refuses what would make the switchover unsafe', () => {
    const f = evaluateRollingPreflight(pair(
      { longestTransactionSeconds: 600, preparedTransactions: 2, frozen: true, host: host({ walLogHints: false }) },
      { receiverStatus: null, replayPaused: true, host: host({ inRecovery: true, systemIdentifier: '8000' }) },
    ));
    assert.deepEqual(new Set(ids(f, 'error')), new Set(['same-cluster', 'streaming', 'replay-paused', 'primary-frozen', 'long-transactions', 'prepared-transactions', 'rewind-hints']));
    assert.match(f.find((x) => x.id === 'rewind-hints')!.fix!, /wal_log_hints = on.*basebackup/);
  });

  it('data checksums are enough for pg_rewind; a base-backup rebuild needs neither', () => {
    assert.ok(!ids(evaluateRollingPreflight(pair({ host: host({ walLogHints: false, dataChecksums: true }) })), 'error').includes('rewind-hints'));
    assert.ok(!ids(evaluateRollingPreflight(pair({ host: host({ walLogHints: false }) }, {}, { rebuild: 'basebackup' })), 'error').includes('rewind-hints'));
  });

  it('warns about what the switchover leaves behind: logical slots, a synchronous standby setting, archiving', () => {
    const f = evaluateRollingPreflight(pair(
      { slots: [{ name: 'sub1', type: 'logical', active: true, retainedWalBytes: 0 } as PrimaryFacts['slots'][number]], archiveMode: 'on', archiver: { archivedCount: 1, failedCount: 3, lastFailedAt: 'x', failing: true } },
      { synchronousStandbyNames: 'FIRST 1 (a)' },
    ));
    assert.deepEqual(new Set(ids(f, 'warning')), new Set(['slot-sub1', 'synchronous-standby', 'archiver', 'archive-mode']));
  });

  it('refuses a delayed standby that could not replay in time, with the fix; warns when the delay fits the timeout', () => {
    const f = evaluateRollingPreflight(pair({}, { applyDelayMs: 3_600_000 }));
    assert.ok(ids(f, 'error').includes('apply-delay'));
    const x = f.find((y) => y.id === 'apply-delay')!;
    assert.match(x.message, /recovery_min_apply_delay = 3600 s/);
    assert.match(x.fix!, /ALTER SYSTEM SET recovery_min_apply_delay = 0; SELECT pg_reload_conf\(\);/);
    assert.ok(ids(evaluateRollingPreflight(pair({}, { applyDelayMs: 2000 })), 'warning').includes('apply-delay'));
  });

  it('reads what else holds the standby back: replay conflicts that wait forever, a synchronous primary without its standby', () => {
    const f = evaluateRollingPreflight(pair(
      { synchronousStandbyNames: "FIRST 1 (it's)", synchronousCommit: 'on', standbys: [] },
      { maxStreamingDelayMs: -1, activeQueries: 2 },
    ));
    assert.ok(ids(f, 'error').includes('synchronous-primary'));
    assert.match(f.find((y) => y.id === 'synchronous-primary')!.message, /'FIRST 1 \(it''s\)'/, 'the value is quoted as an SQL literal');
    assert.match(f.find((y) => y.id === 'synchronous-primary')!.fix!, /synchronous_standby_names = ''/);
    assert.ok(ids(f, 'warning').includes('standby-conflicts'));
    const ok = evaluateRollingPreflight(pair({ synchronousStandbyNames: '*', standbys: [{ kind: 'physical', syncState: 'sync' } as PrimaryFacts['standbys'][number]] }));
    assert.ok(!ids(ok, 'error').includes('synchronous-primary'));
  });

  it('checks upgradeTo against the pair', () => {
    assert.ok(ids(evaluateRollingPreflight(pair({}, {}, { upgradeTo: '16.2' })), 'error').includes('upgrade-to'));
    assert.ok(ids(evaluateRollingPreflight(pair({}, {}, { upgradeTo: '15.10' })), 'error').includes('upgrade-to'));
    assert.ok(!ids(evaluateRollingPreflight(pair({}, {}, { upgradeTo: '15.18' })), 'error').includes('upgrade-to'));
  });
});

describe('rolling switchover pieces', () => {
  it('primary_conninfo carries a passfile and an application_name, never a password; pg_rewind gets dbname=postgres', () => {
    const r = rejoinConninfo('db2', 5433, 'postgres', 'db1', '/var/lib/postgresql/.pgpass');
    assert.equal(r.primaryConninfo, 'host=db2 port=5433 user=postgres passfile=/var/lib/postgresql/.pgpass application_name=db1');
    assert.equal(r.sourceServer, 'host=db2 port=5433 dbname=postgres user=postgres passfile=/var/lib/postgresql/.pgpass');
    assert.doesNotMatch(r.primaryConninfo, /password=/);
    assert.equal(rejoinApplicationName({}, 'prod db #1'), 'prod_db__1');
    assert.equal(rejoinApplicationName({ applicationName: 'x' }, 'y'), 'x');
  });

  it('groups configuration files by directory to save and restore them in place', () => {
    assert.deepEqual([...groupByDir(['postgresql.conf', 'conf.d/a.conf', 'pg_hba.conf'])], [['', ['postgresql.conf', 'pg_hba.conf']], ['conf.d', ['conf.d/a.conf']]]);
  });

  it('reads pg_rewind\'s verdict', () => {
    assert.equal(rewindSummary('pg_rewind: connected to server\npg_rewind: servers diverged at WAL location 0/3000180 on timeline 1\npg_rewind: Done!'), 'servers diverged at WAL location 0/3000180 on timeline 1');
    assert.equal(rewindSummary('pg_rewind: no rewind required'), 'no rewind required');
    assert.equal(rewindSummary('nothing'), null);
  });

  it('validates parameters with clear errors', () => {
    assert.throws(() => defaultRollingSwitchoverParams({ rejoinConnection: 'host=a password=x' }), /must not contain a password/);
    assert.throws(() => defaultRollingSwitchoverParams({ fence: 'kill' as 'stop' }), /fence/);
    assert.throws(() => defaultRollingSwitchoverParams({ upgradeTo: '15' }), /minor version/);
    assert.throws(() => defaultRollingSwitchoverParams({ hosts: { primary: { executor: 'local' } } }), /only lab clusters/);
  });

  it('has the documented steps in order, unique, each with a plan and a rollback hint', () => {
    assert.deepEqual(rollingSwitchoverRunbook.steps.map((s) => s.id), [...ROLLING_STEP_IDS]);
    for (const rb of [rollingSwitchoverRunbook, minorUpgradeRunbook] as { steps: { id: string; rollbackHint: string; why: string }[] }[]) {
      assert.equal(new Set(rb.steps.map((s) => s.id)).size, rb.steps.length);
      for (const s of rb.steps) assert.ok(s.rollbackHint.length > 10 && s.why.length > 40, s.id);
    }
  });
});

function state(over: Partial<ServerState> = {}): ServerState {
  return {
    versionNum: 160012, serverVersion: '16.12', inRecovery: false, isSuperuser: true, databases: [{ name: 'app', sizeBytes: 1e9 }], totalSizeBytes: 1e9,
    clientSessions: 3, activeSessions: 1, longestTransactionSeconds: 2, preparedTransactions: 0, dataChecksums: true, archiveMode: 'off',
    archiveFailing: false, currentDatabase: 'app', ...over,
  };
}

function checklist(over: Partial<ChecklistFacts> = {}): ChecklistFacts {
  return {
    state: state(), target: { major: 16, minor: 14, num: 160014 }, extensions: [], executor: 'local',
    backup: { method: 'cold-copy' }, freeBytes: 10e9, freePath: '/d', ...over,
  };
}

describe('minor upgrade checklist', () => {
  it('passes a sound upgrade', () => {
    assert.deepEqual(ids(evaluateChecklist(checklist()), 'error'), []);
  });

  it('refuses another major, a downgrade, a missing build, no superuser, no room for the backup', () => {
    assert.ok(ids(evaluateChecklist(checklist({ target: { major: 17, minor: 2, num: 170002 } })), 'error').includes('version'));
    assert.ok(ids(evaluateChecklist(checklist({ target: { major: 16, minor: 10, num: 160010 } })), 'error').includes('version'));
    assert.ok(ids(evaluateChecklist(checklist({ buildError: 'PostgreSQL 16.14 is not installed' })), 'error').includes('binaries'));
    assert.ok(ids(evaluateChecklist(checklist({ state: state({ isSuperuser: false }) })), 'error').includes('privileges'));
    assert.ok(ids(evaluateChecklist(checklist({ freeBytes: 5e8 })), 'error').includes('free-disk'));
    assert.ok(ids(evaluateChecklist(checklist({ freeBytes: 1.5e9 })), 'warning').includes('free-disk'));
  });

  it('a pg_dump backup needs a pg_dump of the server\'s major or newer', () => {
    const f = evaluateChecklist(checklist({ backup: { method: 'pg_dump', toolError: 'pg_dump 16 or newer is needed for a 16 source; found 15' } }));
    assert.ok(ids(f, 'error').includes('backup-tool'));
    assert.match(f.find((x) => x.id === 'backup-tool')!.fix!, /postgresql-client-16.*cold-copy/);
  });

  it('names the extensions to update and warns when no backup is taken', () => {
    const f = evaluateChecklist(checklist({
      backup: { method: 'none' },
      extensions: [{ database: 'app', name: 'hstore', installed: '1.4', available: '1.8' }, { database: 'app', name: 'gone', installed: '1.0', available: null }],
    }));
    assert.ok(ids(f, 'info').includes('extension-app-hstore'));
    assert.deepEqual(ids(f, 'warning').sort(), ['backup-none', 'extension-app-gone']);
  });
});

describe('minor upgrade backup plan', () => {
  const tool = (name: ClientTool['name'], path: string): ClientTool => ({ name, path, version: { major: 15, minor: 18, text: '15.18' }, source: 'well-known' });
  const tools = { pgDump: tool('pg_dump', '/b/pg_dump'), pgDumpall: tool('pg_dumpall', '/b/pg_dumpall'), pgRestore: tool('pg_restore', '/b/pg_restore') };

  it('dumps each database in directory format with -j and the password only in the environment', () => {
    const p = dumpPlan(tools, '/bk', ['app', 'we/ird db'], 4, (db) => `host=h dbname='${db}'`, 's3cret');
    assert.deepEqual(p.databases[0].dump.args, ['--format=directory', '--jobs=4', '--no-password', '--file=/bk/01-app.dir', "--dbname=host=h dbname='app'"]);
    assert.equal(p.databases[1].dir, '/bk/02-we_ird_db.dir');
    assert.deepEqual(p.databases[0].verify.args, ['--list', '/bk/01-app.dir']);
    assert.equal(p.globals.args[0], '--globals-only');
    assert.ok(!JSON.stringify([p.globals.args, p.databases.map((d) => d.dump.args)]).includes('s3cret'));
    assert.equal(p.databases[0].dump.env?.PGPASSWORD, 's3cret');
    assert.equal(dumpDirName(0, '..'), '01-_.dir');
  });

  it('validates parameters', () => {
    assert.throws(() => defaultMinorUpgradeParams({}), /toVersion is required/);
    assert.throws(() => defaultMinorUpgradeParams({ toVersion: '16.14', backup: 'tape' as 'none' }), /backup must be/);
    assert.throws(() => defaultMinorUpgradeParams({ toVersion: '16.14', backupPath: 'rel' }), /absolute/);
    assert.equal(defaultMinorUpgradeParams({ toVersion: '16.14' }).backup, 'pg_dump');
  });
});

describe('CLI flags', () => {
  it('rolling-switchover: connections, host flags per role, runbook parameters', () => {
    const f = parseRollingArgs([
      '--primary', 'host=a', '--standby=host=b', '--primary-systemd-unit', 'postgresql@15-main', '--standby-executor', 'local', '--standby-data-dir', '/d',
      '--upgrade-to', '15.18', '--fence', 'stop', '--switchover-timeout', '2.5', '--probe', '--yes', '--until', 'switchover',
    ]);
    assert.equal(f.primary, 'host=a');
    assert.equal(f.standby, 'host=b');
    assert.deepEqual(f.hosts, { primary: { systemdUnit: 'postgresql@15-main' }, standby: { executor: 'local', dataDir: '/d' } });
    assert.deepEqual(f.params, { upgradeTo: '15.18', fence: 'stop', switchoverTimeoutMs: 2500, probe: true });
    assert.equal(f.run.yes, true);
    assert.equal(f.run.until, 'switchover');
    assert.throws(() => parseRollingArgs(['--primary', 'a']), /--standby is required/);
    assert.throws(() => parseRollingArgs(['--primary', 'a', '--standby', 'b', '--fence', 'kill']), /"read-only" or "stop"/);
    assert.throws(() => parseRollingArgs(['--primary', 'a', '--standby', 'b', '--until', 'nope']), /step id/);
  });

  it('minor-upgrade: version, backup, window options', () => {
    const f = parseMinorArgs(['--server', 'host=a', '--to-version', '16.14', '--backup', 'cold-copy', '--database', 'a', '--database', 'b', '--read-only', '--no-terminate', '--data-dir', '/d']);
    assert.deepEqual(f.params, { toVersion: '16.14', backup: 'cold-copy', readOnly: true, terminateAfterDrain: false, databases: ['a', 'b'] });
    assert.deepEqual(f.host, { dataDir: '/d' });
    assert.throws(() => parseMinorArgs(['--server', 'host=a']), /--to-version is required/);
    assert.doesNotThrow(() => parseMinorArgs(['--server', 'host=a', '--resume', 'r1']));
    assert.throws(() => parseMinorArgs(['--server', 'host=a', '--to-version', '16.14', '--jobs', 'x']), /number/);
  });

  it('--record FILE and --record-lang for rolling-switchover and minor-upgrade; bad values refused before anything runs', () => {
    const r = parseRollingArgs(['--primary', 'a', '--standby', 'b', '--record', '/tmp/x/rec.md', '--record-lang', 'es']);
    assert.deepEqual(r.record, { file: '/tmp/x/rec.md', lang: 'es' });
    const m = parseMinorArgs(['--server', 'host=a', '--to-version', '16.14', '--record', 'out.md']);
    assert.deepEqual(m.record, { file: 'out.md', lang: 'en' });
    assert.throws(() => parseMinorArgs(['--server', 'host=a', '--to-version', '16.14', '--record-lang', 'fr']), /en.*es/);
    assert.throws(() => parseRollingArgs(['--primary', 'a', '--standby', 'b', '--record', tmpdir()]), /is a directory/);
  });
});
