/** Host specs: from a registered cluster (ClusterDefinition) to the JSON-safe description a run journals. */
import { dirname, isAbsolute, join } from 'node:path';
import type { ClusterDefinition } from '../clusters';
import type { ClusterRole } from '../runbook/types';
import type { HostSpec, HostSpecs } from './types';

const OS_USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const UNIT = /^[A-Za-z0-9@:._-]{1,200}$/;

/** The host spec of a registered cluster: its executor (default manual) and, for lab clusters, the lab's paths. */
export function hostSpecFromCluster(def: Pick<ClusterDefinition, 'executor' | 'lab'>): HostSpec {
  const spec: HostSpec = { executor: def.executor ?? 'manual' };
  if (def.lab) {
    spec.dataDir = def.lab.dataDir;
    spec.binDir = def.lab.binDir;
    spec.osUser = def.lab.osUser;
    spec.version = def.lab.version;
    spec.logFile = labLogFile(def.lab.dataDir);
  }
  return spec;
}

/** Host specs for every role of a run, from the clusters picked for it. */
export function hostsFromClusters(clusters: Partial<Record<ClusterRole, Pick<ClusterDefinition, 'executor' | 'lab'>>>): HostSpecs {
  const out: HostSpecs = {};
  for (const [role, def] of Object.entries(clusters) as [ClusterRole, ClusterDefinition][]) if (def) out[role] = hostSpecFromCluster(def);
  return out;
}

/** The lab keeps pg_ctl's log beside the data directory (src/core/lab layout). */
export function labLogFile(dataDir: string): string {
  return join(dirname(dataDir), 'server.log');
}

function checkPath(what: string, p: string | undefined): void {
  if (p === undefined) return;
  if (typeof p !== 'string' || !isAbsolute(p)) throw new Error(`${what} must be an absolute path, got ${JSON.stringify(p)}`);
  if (/[\0\r\n]/.test(p)) throw new Error(`${what} must not contain a NUL or a line break`);
}

/** Throws a clear error for a spec that cannot work; returns it (defaults filled in) otherwise. */
export function validateHostSpec(role: ClusterRole, spec: HostSpec | undefined): HostSpec {
  const s: HostSpec = { ...(spec ?? { executor: 'manual' }) };
  if (s.executor !== 'manual' && s.executor !== 'local') {
    throw new Error(`the ${role} host's executor must be "manual" or "local", not ${JSON.stringify(s.executor)}`);
  }
  checkPath(`the ${role} host's data directory`, s.dataDir);
  checkPath(`the ${role} host's binary directory`, s.binDir);
  checkPath(`the ${role} host's log file`, s.logFile);
  if (s.osUser !== undefined && !OS_USER.test(s.osUser)) throw new Error(`the ${role} host's OS user "${s.osUser}" is not a valid user name`);
  if (s.systemdUnit !== undefined && !UNIT.test(s.systemdUnit)) throw new Error(`the ${role} host's systemd unit "${s.systemdUnit}" is not a valid unit name`);
  if (s.executor === 'local') {
    if (!s.dataDir || !s.binDir) {
      throw new Error(`the ${role} cluster uses the local executor but its data and binary directories are unknown: only lab clusters (ClusterDefinition.lab) can use it; use the manual executor for other clusters`);
    }
    if (s.systemdUnit) throw new Error(`the ${role} cluster uses the local executor, which runs pg_ctl itself: remove its systemd unit`);
    s.logFile ??= labLogFile(s.dataDir);
  }
  return s;
}

/** Every role's spec validated (missing roles default to manual). */
export function validateHostSpecs(roles: ClusterRole[], specs: HostSpecs | undefined): HostSpecs {
  const out: HostSpecs = {};
  for (const role of roles) out[role] = validateHostSpec(role, specs?.[role]);
  return out;
}
