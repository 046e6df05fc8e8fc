/**
 * What the host-step runbook commands (rolling-switchover, minor-upgrade) share: the host executor flags (manual by
 * default; local for lab clusters, with paths from flags or from the lab's state file) and the key figures shown
 * under the step table. Flags, clusters and the run itself: src/cli/args.ts, connections.ts, runs.ts.
 */
import { parseConnString, resolveConn } from '../../core/conn';
import { labLogFile } from '../../core/hosts/spec';
import type { HostSpec, HostSpecs } from '../../core/hosts/types';
import { readLabState } from '../../core/lab/lab';
import { readServerFile } from '../../core/lab/server';
import type { RunResult } from '../../core/runbook';
import type { ClusterRole } from '../../core/runbook/types';
import { messageOf, oneOf, UsageError } from '../args';

/** Per-role host flags (--data-dir …) as given; merged into a HostSpec by hostSpecFor. */
export interface HostFlags {
  executor?: 'manual' | 'local';
  dataDir?: string;
  binDir?: string;
  osUser?: string;
  systemdUnit?: string;
}

/** Reads one host flag into `h` when `flag` (without the role prefix) is one; returns false otherwise. */
export function readHostFlag(flag: string, value: () => string, h: HostFlags): boolean {
  switch (flag) {
    case '--executor': h.executor = oneOf(flag, value(), ['manual', 'local'] as const); return true;
    case '--data-dir': h.dataDir = value(); return true;
    case '--bin-dir': h.binDir = value(); return true;
    case '--os-user': h.osUser = value(); return true;
    case '--systemd-unit': h.systemdUnit = value(); return true;
    default: return false;
  }
}

export const HOST_FLAGS_HELP = `Host steps (stop/start, binaries, pg_rewind …) are run by an executor per server:
  manual (default)            Each host step shows the exact commands (argument arrays, no shell); run them on
                              the server's host (ssh, a terminal), then confirm; the step checks the result
                              over SQL (version, recovery state, streaming). Paths are read over SQL
                              (data_directory, pg_config) unless given.
  local                       Runs them here, for lab clusters on this machine (as the lab's OS user when root).`;

/** The flags for every server: --executor and --lab-dir. */
export interface HostPlan {
  executor?: 'manual' | 'local';
  labDir?: string;
}

/** Reads --executor or --lab-dir into `p`; false when `flag` is neither. */
export function readHostPlanFlag(flag: string, value: () => string, p: HostPlan): boolean {
  switch (flag) {
    case '--executor': p.executor = oneOf(flag, value(), ['manual', 'local'] as const); return true;
    case '--lab-dir': p.labDir = value(); return true;
    default: return false;
  }
}

/**
 * Each role's HostSpec from the flags — or, resuming a run (`journaled`: its hosts) with no host flag given now,
 * the run's own.
 */
export async function hostSpecsFor(journaled: HostSpecs | undefined, plan: HostPlan, roles: Partial<Record<ClusterRole, { connection: string; flags: HostFlags }>>): Promise<HostSpecs> {
  const entries = Object.entries(roles) as [ClusterRole, { connection: string; flags: HostFlags }][];
  const given = plan.executor !== undefined || plan.labDir !== undefined || entries.some(([, r]) => Object.keys(r.flags).length > 0);
  if (!given && journaled) return journaled;
  const specs: HostSpecs = {};
  for (const [role, r] of entries) specs[role] = await hostSpecFor(role, r.connection, r.flags, plan.executor, plan.labDir);
  return specs;
}

/** The role's HostSpec from its flags, the global --executor, and (local) the lab state file matched by port. */
async function hostSpecFor(role: ClusterRole, connection: string, flags: HostFlags, globalExecutor: 'manual' | 'local' | undefined, labDir: string | undefined): Promise<HostSpec> {
  const executor = flags.executor ?? globalExecutor ?? (labDir ? 'local' : 'manual');
  const spec: HostSpec = { executor };
  if (labDir) {
    const r = await resolveConn(parseConnString(connection));
    const port = r.endpoints[0]?.port;
    let state;
    try {
      state = await readLabState(labDir);
    } catch (err) {
      throw new UsageError(`--lab-dir ${labDir}: ${messageOf(err)}`);
    }
    const listed = state.servers.find((s) => s.port === port);
    if (!listed) throw new UsageError(`--lab-dir ${labDir}: no lab server listens on port ${port} (the ${role}'s port); lab ports: ${state.servers.map((s) => s.port).join(', ') || 'none'}`);
    // the server's own file is kept current by host steps (binaries after a minor upgrade); lab.json may be older
    const s = (listed.baseDir ? await readServerFile(listed.baseDir) : undefined) ?? listed;
    Object.assign(spec, { dataDir: s.dataDir, binDir: s.binDir, osUser: s.osUser, version: s.version, logFile: s.logFile ?? labLogFile(s.dataDir) });
  }
  for (const k of ['dataDir', 'binDir', 'osUser', 'systemdUnit'] as const) if (flags[k] !== undefined) spec[k] = flags[k];
  return spec;
}

/** Key figures worth a line of their own under the step list. */
const HEADLINES: [string, string, string][] = [
  ['switchover', 'writeUnavailableMs', 'write-unavailable window (server side)'],
  ['upgrade-server', 'downtimeMs', 'downtime'],
  ['backup', 'backupPath', 'backup'],
  ['record', 'backupPath', 'backup'],
];

/** The lines under the step table: the key figures of the steps that ran. */
export function hostRunNotes(r: RunResult): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const [id, key, label] of HEADLINES) {
    const v = r.steps.find((s) => s.id === id)?.outputs?.[key];
    if (v === undefined || v === null || seen.has(label)) continue;
    seen.add(label);
    lines.push(`${label}: ${typeof v === 'number' ? `${v} ms` : String(v)}`);
  }
  const probe = r.steps.find((s) => s.id === 'switchover')?.outputs?.probe as Record<string, unknown> | undefined;
  if (probe) lines.push(`probe: ${String(probe.writeUnavailableMs)} ms without writes as a client saw it, ${String(probe.lostCommits)} acknowledged commit(s) lost`);
  return lines;
}
