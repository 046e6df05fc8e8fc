/**
 * The host commands, as pure functions returning argument arrays: what a plan shows is exactly what a local
 * executor runs and what the operator of a manual host copies. Never a shell string, never a password.
 */
import { join } from 'node:path';
import type { ClusterRole } from '../runbook/types';
import type { ExecutorKind, HostAction } from './types';

/** A host with everything the commands need resolved (paths from the spec or read over SQL). */
export interface HostTarget {
  role: ClusterRole;
  executor: ExecutorKind;
  dataDir: string;
  /** Binaries in use now. */
  binDir: string;
  osUser?: string;
  logFile?: string;
  systemdUnit?: string;
  /** Local executor only: this process runs as root, so commands switch to osUser with runuser. */
  root?: boolean;
}

export const MANUAL_OS_USER = 'postgres';

/** argv run as the data directory's owner: runuser (local, as root), sudo (manual), or as is. */
export function asOsUser(h: HostTarget, argv: string[]): string[] {
  if (h.executor === 'local') {
    return h.root && h.osUser && h.osUser !== 'root' ? ['runuser', '-u', h.osUser, '--', ...argv] : argv;
  }
  const user = h.osUser ?? MANUAL_OS_USER;
  return ['sudo', '-u', user, '--', ...argv];
}

function action(h: HostTarget, argv: string[], env?: Record<string, string>): HostAction {
  return env ? { kind: 'host', cluster: h.role, argv, env } : { kind: 'host', cluster: h.role, argv };
}

export function pgCtlPath(binDir: string): string {
  return join(binDir, 'pg_ctl');
}

/** Stop the server (fast: open transactions roll back, clients are disconnected, a clean shutdown checkpoint). */
export function stopServerCommand(h: HostTarget, mode: 'smart' | 'fast' | 'immediate' = 'fast', timeoutSeconds = 120): HostAction {
  if (h.systemdUnit) return action(h, ['sudo', 'systemctl', 'stop', h.systemdUnit]);
  return action(h, asOsUser(h, [pgCtlPath(h.binDir), '-D', h.dataDir, '-m', mode, '-w', '-t', String(timeoutSeconds), 'stop']));
}

/** Start the server with the binaries of `binDir` (a newer minor release: the in-place minor upgrade). */
export function startServerCommand(h: HostTarget, binDir: string = h.binDir, timeoutSeconds = 120): HostAction {
  if (h.systemdUnit) return action(h, ['sudo', 'systemctl', 'start', h.systemdUnit]);
  const log = h.logFile ? ['-l', h.logFile] : [];
  return action(h, asOsUser(h, [pgCtlPath(binDir), '-D', h.dataDir, ...log, '-w', '-t', String(timeoutSeconds), 'start']));
}

export function mkdirCommand(h: HostTarget, dir: string): HostAction {
  return action(h, asOsUser(h, ['mkdir', '-p', '--', dir]));
}

/** Copy files keeping mode and times into a directory. */
export function copyFilesCommand(h: HostTarget, files: string[], intoDir: string): HostAction {
  if (!files.length) throw new Error('copyFilesCommand: no file to copy');
  return action(h, asOsUser(h, ['cp', '-p', '--', ...files, intoDir]));
}

/** Copy a directory tree (archive mode: owners, modes, links kept) to a path that must not exist yet. */
export function copyTreeCommand(h: HostTarget, from: string, to: string): HostAction {
  return action(h, asOsUser(h, ['cp', '-a', '--', from, to]));
}

/** Rename a directory (to keep it aside, never delete it). */
export function moveCommand(h: HostTarget, from: string, to: string): HostAction {
  return action(h, asOsUser(h, ['mv', '-T', '--', from, to]));
}

export function touchCommand(h: HostTarget, file: string): HostAction {
  return action(h, asOsUser(h, ['touch', '--', file]));
}

/**
 * A file only its owner can read (a password file), in two commands: create it empty with mode 0600, then fill it
 * from standard input (the executor feeds the secret line; it never appears in an argument).
 */
export function privateFileCommands(h: HostTarget, path: string): [HostAction, HostAction] {
  return [
    action(h, asOsUser(h, ['install', '-m', '600', '/dev/null', path])),
    action(h, asOsUser(h, ['dd', `of=${path}`, 'status=none'])),
  ];
}

/**
 * pg_rewind the (cleanly stopped) old primary onto the new primary's timeline. The connection string carries no
 * password: it comes from a password file (passfile= or the OS user's ~/.pgpass).
 */
export function rewindCommand(h: HostTarget, pgRewind: string, sourceServer: string): HostAction {
  return action(h, asOsUser(h, [pgRewind, `--target-pgdata=${h.dataDir}`, `--source-server=${sourceServer}`, '--progress']));
}

/** A fresh copy of the new primary into the (empty, absent) data directory. */
export function basebackupCommand(h: HostTarget, pgBasebackup: string, conninfo: string): HostAction {
  return action(h, asOsUser(h, [pgBasebackup, '-D', h.dataDir, '-d', conninfo, '-c', 'fast', '-X', 'stream', '--no-password']));
}

/** A package upgrade is distribution-specific: on a manual host it is an instruction, not a command we guess. */
export function packageUpgradeInstruction(role: ClusterRole, major: number, toVersion?: string): { kind: 'manual'; cluster: ClusterRole; instructions: string } {
  return {
    kind: 'manual', cluster: role,
    instructions:
      `install the PostgreSQL ${toVersion ?? `${major}.x`} server binaries while the server is stopped, e.g. ` +
      `"apt-get install --only-upgrade postgresql-${major} postgresql-client-${major}" (Debian/Ubuntu) or ` +
      `"dnf upgrade postgresql${major}-server" (RHEL); check with "postgres --version"`,
  };
}
