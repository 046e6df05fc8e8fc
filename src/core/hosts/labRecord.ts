/**
 * Lab bookkeeping after a local host step: the lab's server.json beside the data directory says which binaries and
 * role a lab server has (lab status, the extension's lab import, test clean-up read it). Not a lab server: no-op.
 */
import { dirname } from 'node:path';
import { listInstalledBuilds } from '../lab/binaries';
import { readServerFile, writeServerFile } from '../lab/server';

export async function recordLabServer(dataDir: string, change: { binDir?: string; role?: 'primary' | 'standby'; primaryPort?: number }): Promise<boolean> {
  const server = await readServerFile(dirname(dataDir));
  if (!server || server.dataDir !== dataDir) return false;
  const next = { ...server };
  if (change.binDir && change.binDir !== server.binDir) {
    const build = listInstalledBuilds().find((b) => b.binDir === change.binDir);
    next.binDir = change.binDir;
    if (build) Object.assign(next, { version: build.version, alias: build.alias });
  }
  if (change.role) {
    next.role = change.role;
    if (change.role === 'primary') {
      delete next.primaryPort;
      delete next.slotName;
    } else if (change.primaryPort !== undefined) {
      next.primaryPort = change.primaryPort;
    }
  }
  await writeServerFile(next);
  return true;
}
