/** What the minor-upgrade steps share: the server's host, the checklist's facts, the target release. */
import type { HostTarget } from '../../hosts/commands';
import { hostTarget } from '../../hosts/context';
import type { HostFacts } from '../../hosts/facts';
import { parseMinorVersion } from '../../hosts/wait';
import type { StepContext } from '../../runbook/types';
import type { MinorUpgradeParams } from './params';

export type Ctx = StepContext<MinorUpgradeParams>;

export const STEP = {
  checklist: 'checklist',
  backup: 'backup',
  readOnly: 'read-only',
  drain: 'drain',
  upgrade: 'upgrade-server',
  extensions: 'update-extensions',
  postChecks: 'post-checks',
  reopen: 'reopen-writes',
  record: 'record',
} as const;

/** The checklist's outputs that later steps rely on (also when the run is resumed in another process). */
export interface ChecklistOutputs {
  versionBefore: string;
  versionBeforeNum: number;
  toVersion: string;
  databases: string[];
  databaseSizeBytes: number;
  host?: Pick<HostFacts, 'dataDir' | 'binDir' | 'port'>;
}

export function checklistOf(ctx: Ctx): ChecklistOutputs | undefined {
  return ctx.outputsOf(STEP.checklist) as ChecklistOutputs | undefined;
}

export function target(ctx: Ctx): { major: number; minor: number; num: number } {
  return parseMinorVersion(ctx.params.toVersion);
}

/** The server's host: spec, else the checklist's facts, else asked over SQL now. */
export function serverHost(ctx: Ctx): Promise<HostTarget> {
  const h = checklistOf(ctx)?.host;
  return hostTarget(ctx, 'server', h && h.binDir ? { dataDir: h.dataDir, binDir: h.binDir } : undefined);
}

/** Databases the runbook works on: the parameter, else what the checklist found, else the current one. */
export async function databasesOf(ctx: Ctx): Promise<string[]> {
  if (ctx.params.databases?.length) return ctx.params.databases;
  const known = checklistOf(ctx)?.databases;
  if (known?.length) return known;
  const r = await (await ctx.db('server')).query<{ d: string }>(
    "SELECT datname AS d FROM pg_database WHERE datallowconn AND NOT datistemplate AND has_database_privilege(oid, 'CONNECT') ORDER BY datname",
  );
  return r.rows.map((x) => x.d);
}

export function round(ms: number): number {
  return Math.round(ms);
}
