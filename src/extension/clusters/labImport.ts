/**
 * Reading the lab's state file (`<workspace>/.lab/lab.json` = `{ servers: LabServer[] }`) and planning the import:
 * which servers become new clusters and which update clusters imported before. Pure (no vscode import).
 */
import type { ClusterDefinition } from '../../core/clusters';
import type { LabServer } from '../../core/lab/types';
import type { Translate } from '../translate';
import { uniqueClusterName } from './settings';

export const LAB_STATE_RELATIVE_PATH = '.lab/lab.json';
export const LAB_GROUP = 'lab';

const REQUIRED_STRINGS = ['name', 'version', 'host', 'user', 'password', 'database', 'dataDir', 'binDir', 'osUser', 'connection'] as const;

/** Parses and checks the state file's text; throws an Error saying what is wrong (never quoting a password). */
export function parseLabState(text: string, source: string, t: Translate): LabServer[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(t('{0} is not valid JSON: {1}', source, err instanceof Error ? err.message : String(err)));
  }
  const servers = (data as { servers?: unknown } | null)?.servers;
  if (!Array.isArray(servers)) throw new Error(t('{0} is not a lab state file: it has no "servers" list.', source));
  return servers.map((s: unknown, i) => {
    const o = s as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null) throw new Error(t('{0}: servers[{1}] is not an object.', source, i));
    for (const key of REQUIRED_STRINGS) {
      if (typeof o[key] !== 'string' || (key !== 'password' && o[key] === '')) throw new Error(t('{0}: servers[{1}] has no "{2}".', source, i, key));
    }
    if (typeof o.port !== 'number' || !Number.isInteger(o.port)) throw new Error(t('{0}: servers[{1}] has no "{2}".', source, i, 'port'));
    return o as unknown as LabServer;
  });
}

/** The definition of a lab server (connection string without password; lab metadata; local executor). */
export function labClusterFields(server: LabServer): Omit<ClusterDefinition, 'id' | 'name'> {
  return {
    connection: server.connection,
    group: LAB_GROUP,
    executor: 'local',
    lab: { dataDir: server.dataDir, binDir: server.binDir, osUser: server.osUser, version: server.version },
  };
}

export interface LabImportStep {
  server: LabServer;
  /** Set when a cluster imported before (same data directory, else same name and lab metadata) is updated. */
  existingId?: string;
  /** The name for a new cluster (unique among registered clusters and the other new ones). */
  name: string;
}

export function planLabImport(servers: readonly LabServer[], existing: readonly ClusterDefinition[]): LabImportStep[] {
  const taken: ClusterDefinition[] = [...existing];
  return servers.map((server) => {
    const match =
      existing.find((c) => c.lab?.dataDir === server.dataDir) ??
      existing.find((c) => c.lab !== undefined && c.name === server.name);
    if (match) return { server, existingId: match.id, name: match.name };
    const name = uniqueClusterName(server.name, taken);
    taken.push({ id: `new:${name}`, name, connection: '' });
    return { server, name };
  });
}
