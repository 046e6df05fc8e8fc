import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { hostSpecOf, hostTarget } from '../../../hosts/context';
import { readHostFacts, type HostFacts } from '../../../hosts/facts';
import { upgradedBinDir } from '../../../hosts/binaries';
import { messageOf } from '../../../hosts/wait';
import type { Finding, StepDefinition, StepOutcome } from '../../../runbook/types';
import { chooseBackupTools, defaultDumpBackupDir, findDumpDirs, verifyDumpDir } from '../backup';
import { STEP, target, type Ctx } from '../context';
import { forEachDatabase } from '../databases';
import type { MinorUpgradeParams } from '../params';
import { EXTENSIONS_SQL, outdated, readExtensions, readServerState, type ExtensionState } from '../queries';
import { evaluateChecklist, type ChecklistFacts } from '../rules';

/** Free bytes on the file system holding `path` (or its nearest existing parent); null when unknown. */
export async function freeBytesAt(path: string): Promise<number | null> {
  let p = path;
  for (;;) {
    try {
      const st = await fs.statfs(p);
      return Number(st.bavail) * Number(st.bsize);
    } catch {
      const up = dirname(p);
      if (up === p) return null;
      p = up;
    }
  }
}

async function backupFacts(ctx: Ctx, major: number): Promise<ChecklistFacts['backup']> {
  const p = ctx.params;
  const b: ChecklistFacts['backup'] = { method: p.backup };
  if (p.backup === 'pg_dump') {
    try {
      const t = await chooseBackupTools(major, p.clientToolsPath);
      b.tool = `pg_dump ${t.pgDump.version.text} (${t.pgDump.path})`;
    } catch (err) {
      b.toolError = messageOf(err);
    }
  } else if (p.backup === 'none' && p.backupPath) {
    const found = await findDumpDirs(p.backupPath);
    if (!found.length) {
      b.existing = { path: p.backupPath, error: 'no pg_dump directory archive (toc.dat) or manifest.json there' };
    } else {
      try {
        const t = await chooseBackupTools(major, p.clientToolsPath);
        let entries = 0;
        for (const d of found) entries += await verifyDumpDir({ path: t.pgRestore.path, args: ['--list', d.dir] }, ctx.signal);
        b.existing = { path: p.backupPath, entries };
      } catch (err) {
        b.existing = { path: p.backupPath, error: messageOf(err) };
      }
    }
  }
  return b;
}

async function freeDisk(ctx: Ctx, host: HostFacts | undefined): Promise<{ bytes: number | null; path?: string }> {
  const p = ctx.params;
  if (p.backup === 'pg_dump') {
    const path = p.backupPath ?? defaultDumpBackupDir(ctx.runId);
    return { bytes: await freeBytesAt(path), path };
  }
  if (p.backup === 'cold-copy' && hostSpecOf(ctx, 'server').executor === 'local' && host) {
    const path = p.backupPath ?? dirname(host.dataDir);
    return { bytes: await freeBytesAt(path), path };
  }
  return { bytes: null };
}

export const checklistStep: StepDefinition<MinorUpgradeParams> = {
  id: STEP.checklist,
  title: 'Checklist: version, extensions, size, disk, backup',
  why:
    'A minor upgrade replaces only the binaries: same data directory, same catalog. What can still go wrong is known in ' +
    'advance — the wrong release, an extension whose files the new binaries lack, no room for the backup, no usable ' +
    'backup tool, a transaction the restart would roll back. The checklist reads all of it before anything changes.',
  kind: 'check',
  clusters: ['server'],
  risk: 'read-only',
  async plan() {
    return [
      { kind: 'sql', cluster: 'server', statements: ['-- read-only: version, databases and sizes, sessions, prepared transactions, archiver, data directory', EXTENSIONS_SQL + '  -- in every database'] },
      { kind: 'wait', cluster: 'server', description: 'find the backup tools (pg_dump ≥ the server\'s major, pg_restore) and the free disk space where the backup goes' },
    ];
  },
  async execute(ctx): Promise<StepOutcome> {
    const p = ctx.params;
    const db = await ctx.db('server');
    const state = await readServerState(db);
    const major = Math.floor(state.versionNum / 10000);
    const findings: Finding[] = [];
    let host: HostFacts | undefined;
    try {
      host = await readHostFacts(db);
    } catch (err) {
      findings.push({ id: 'host-facts', severity: 'error', cluster: 'server', message: messageOf(err), fix: 'Connect as a superuser.' });
    }
    const names = p.databases?.length ? p.databases : state.databases.map((d) => d.name);
    const extensions: ExtensionState[] = [];
    try {
      for (const list of await forEachDatabase(ctx, 'server', names, (name, q) => readExtensions(q, name))) extensions.push(...list);
    } catch (err) {
      findings.push({ id: 'extensions', severity: 'warning', cluster: 'server', message: `Could not read the extensions of every database: ${messageOf(err)}`, fix: 'Give the upgrade user CONNECT on every database, or list the databases to work on.' });
    }
    let buildError: string | undefined;
    const spec = hostSpecOf(ctx, 'server');
    if (spec.executor === 'local') {
      try {
        upgradedBinDir(await hostTarget(ctx, 'server'), major, p.toVersion);
      } catch (err) {
        buildError = messageOf(err);
      }
    }
    const disk = await freeDisk(ctx, host);
    findings.push(...evaluateChecklist({
      state, target: target(ctx), extensions, executor: spec.executor, buildError,
      backup: await backupFacts(ctx, major), freeBytes: disk.bytes, freePath: disk.path,
    }));
    const errors = findings.filter((f) => f.severity === 'error');
    const warnings = findings.filter((f) => f.severity === 'warning');
    const outputs = {
      versionBefore: `${major}.${state.versionNum % 10000}`,
      versionBeforeNum: state.versionNum,
      serverVersion: state.serverVersion,
      toVersion: p.toVersion,
      executor: spec.executor,
      databases: names,
      databaseSizeBytes: state.totalSizeBytes,
      outdatedExtensions: extensions.filter(outdated).map((e) => `${e.database}.${e.name} ${e.installed} → ${e.available}`),
      extensions: extensions.length,
      freeDiskBytes: disk.bytes,
      backupMethod: p.backup,
      clientSessions: state.clientSessions,
      inRecovery: state.inRecovery,
      host: host ? { dataDir: host.dataDir, binDir: spec.executor === 'local' ? host.binDir ?? spec.binDir : spec.binDir ?? host.binDir, port: host.port } : undefined,
      errors: errors.length,
      warnings: warnings.length,
    };
    if (errors.length) {
      return { status: 'failed', outputs, findings, message: `${errors.length} problem(s) must be fixed first (nothing was changed): ${errors.map((e) => e.message).join(' | ')}` };
    }
    return { status: 'succeeded', outputs, findings, message: `ready for ${outputs.versionBefore} → ${p.toVersion}: ${warnings.length} warning(s)` };
  },
  rollbackHint: 'Nothing to roll back: the checklist only reads.',
};
