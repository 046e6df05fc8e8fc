/** What the rolling-switchover steps share: step ids, the preflight's facts, hosts, the rejoin connection. */
import { dirname, join } from 'node:path';
import { formatConnString, parseConnString, resolveConn } from '../../conn';
import type { HostTarget } from '../../hosts/commands';
import { hostSpecOf, hostTarget } from '../../hosts/context';
import type { HostFacts } from '../../hosts/facts';
import type { ClusterRole, StepContext } from '../../runbook/types';
import type { RollingSwitchoverParams } from './params';

export type Ctx = StepContext<RollingSwitchoverParams>;

export const STEP = {
  preflight: 'preflight',
  upgradeStandby: 'upgrade-standby',
  prepareRejoin: 'prepare-rejoin',
  checkpoint: 'checkpoint-primary',
  switchover: 'switchover',
  moveClients: 'move-clients',
  rebuild: 'rebuild-old-primary',
  verify: 'verify-replication',
} as const;

export type PairFacts = Pick<HostFacts, 'dataDir' | 'binDir' | 'port' | 'versionNum' | 'configFilesInDataDir'>;

export interface PreflightOutputs {
  hosts: { primary: PairFacts; standby: PairFacts };
  major: number;
  primaryVersion: string;
  standbyVersion: string;
}

export function preflightOf(ctx: Ctx): PreflightOutputs | undefined {
  return ctx.outputsOf(STEP.preflight) as PreflightOutputs | undefined;
}

/** The role's host: spec paths, else the preflight's facts (read while the server was up), else asked now. */
export function pairHost(ctx: Ctx, role: 'primary' | 'standby'): Promise<HostTarget> {
  const f = preflightOf(ctx)?.hosts[role];
  return hostTarget(ctx, role, f && f.binDir ? { dataDir: f.dataDir, binDir: f.binDir } : undefined);
}

/** The server's major version (preflight, else the engine's session). */
export function majorOf(ctx: Ctx, role: ClusterRole = 'primary'): number {
  const m = preflightOf(ctx)?.major ?? ctx.cluster(role).version?.major;
  if (!m) throw new Error(`the ${role}'s version is not known yet (run the preflight)`);
  return m;
}

/** application_name of the rejoined old primary, as the new primary will list it. Pure. */
export function rejoinApplicationName(p: Pick<RollingSwitchoverParams, 'applicationName'>, primaryName: string): string {
  if (p.applicationName) return p.applicationName;
  const safe = primaryName.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 63);
  return safe || 'pgpilot_rejoined';
}

export interface RejoinConninfo {
  /** For the old primary's postgresql.auto.conf (primary_conninfo): no password, no dbname. */
  primaryConninfo: string;
  /** For pg_rewind --source-server / pg_basebackup -d: the same server, dbname=postgres. */
  sourceServer: string;
  host: string;
  port: number;
  user: string;
  passfile?: string;
}

/** Pure: the connection strings from resolved parts. */
export function rejoinConninfo(host: string, port: number, user: string, applicationName: string, passfile?: string): RejoinConninfo {
  const base = { host, port: String(port), user, ...(passfile ? { passfile } : {}) };
  return {
    primaryConninfo: formatConnString({ ...base, application_name: applicationName }),
    sourceServer: formatConnString({ ...base, dbname: 'postgres' }),
    host, port, user, passfile,
  };
}

/** The password file the old primary's host uses: the parameter, else (local executor) "pgpass" beside its data directory. */
export function rejoinPassfileOf(ctx: Ctx, oldPrimary: HostTarget): string | undefined {
  if (ctx.params.rejoinPassfile) return ctx.params.rejoinPassfile;
  return hostSpecOf(ctx, 'primary').executor === 'local' ? join(dirname(oldPrimary.dataDir), 'pgpass') : undefined;
}

/** How the old primary will reach the new one (the standby): rejoinConnection, else our connection to the standby. */
export async function rejoinFor(ctx: Ctx, oldPrimary: HostTarget): Promise<RejoinConninfo> {
  const given = parseConnString(ctx.params.rejoinConnection ?? ctx.connection('standby'));
  delete given.password;
  delete given.passfile;
  const r = await resolveConn(given);
  const ep = r.endpoints[0];
  if (!ep) throw new Error('the standby connection names no host');
  if (r.endpoints.length > 1) throw new Error('the rejoin connection must name one server (the standby): set rejoinConnection');
  return rejoinConninfo(ep.host, ep.port, r.user, rejoinApplicationName(ctx.params, ctx.cluster('primary').name), rejoinPassfileOf(ctx, oldPrimary));
}
