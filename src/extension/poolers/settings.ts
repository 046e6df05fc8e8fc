/**
 * The `pgUpgradePilot.poolers` setting: the PgBouncer poolers in front of registered clusters (issue 12). Each entry
 * holds the admin console connection WITHOUT password (the password is in SecretStorage) and the pooler's
 * pgbouncer.ini. Pure (no vscode import): unit-tested.
 */
export interface PoolerDefinition {
  id: string;
  /** The cluster the pooler sits in front of (its node shows the pooler). */
  clusterId: string;
  /** Admin console: "host=… port=6432 dbname=pgbouncer user=…", never a password. */
  admin: string;
  /** pgbouncer.ini: an absolute path on this machine, or "manual:PATH" on another host. */
  config: string;
  /** Edit the configuration as this OS user (local file, when VS Code runs as root). */
  osUser?: string;
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The problem with an admin console connection string, in words, or undefined when it can be used. */
export function adminConnectionProblem(admin: string, parse: (s: string) => Record<string, string | undefined>): string | undefined {
  let p: Record<string, string | undefined>;
  try {
    p = parse(admin);
  } catch (err) {
    return (err as Error).message;
  }
  if (p.password !== undefined || /:\/\/[^/@]*:[^/@]*@/.test(admin)) return 'no password in the connection string: it is asked for and kept in the secret store';
  if (!p.host && !p.hostaddr) return 'give the pooler\'s host (host=…)';
  if ((p.dbname ?? 'pgbouncer') !== 'pgbouncer') return `the admin console is the database "pgbouncer", not "${p.dbname}"`;
  if (!p.user) return 'give the admin console user (user=…, one of the pooler\'s admin_users)';
  return undefined;
}

/** The problem with a configuration file entry ("/abs/path/pgbouncer.ini" or "manual:/abs/path"), or undefined. */
export function configPathProblem(config: string): string | undefined {
  const path = config.startsWith('manual:') ? config.slice('manual:'.length) : config;
  if (!path.startsWith('/')) return 'give the absolute path of the pooler\'s pgbouncer.ini (prefix manual: when it is on another host)';
  if (/[\0\n]/.test(path)) return 'the path holds a control character';
  return undefined;
}

/** Reads the raw setting; invalid entries are skipped with a problem line. Never throws. */
export function readPoolerEntries(raw: unknown): { poolers: PoolerDefinition[]; problems: string[] } {
  if (raw === undefined || raw === null) return { poolers: [], problems: [] };
  if (!Array.isArray(raw)) return { poolers: [], problems: ['pgUpgradePilot.poolers is not an array; ignored.'] };
  const poolers: PoolerDefinition[] = [];
  const problems: string[] = [];
  raw.forEach((e: unknown, i) => {
    const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    const str = (k: string) => (typeof o[k] === 'string' && (o[k] as string).trim() ? (o[k] as string).trim() : undefined);
    const id = str('id');
    const clusterId = str('clusterId');
    const admin = str('admin');
    const config = str('config');
    if (!id || !ID.test(id) || !clusterId || !admin || !config) {
      problems.push(`pgUpgradePilot.poolers[${i}] needs id, clusterId, admin and config; ignored.`);
      return;
    }
    if (/\bpassword\s*=/i.test(admin)) {
      problems.push(`pgUpgradePilot.poolers[${i}] holds a password in its admin connection; ignored (the password belongs in the secret store).`);
      return;
    }
    poolers.push({ id, clusterId, admin, config, ...(str('osUser') ? { osUser: str('osUser') } : {}) });
  });
  return { poolers, problems };
}

/** The routing parameters of a registered pooler, as the CLI builds them from --pgbouncer / --pgbouncer-config. */
export function poolerRoutingParams(p: PoolerDefinition, databases?: string[]): { admin: string; config: { path: string; executor: 'local' | 'manual'; osUser?: string }; databases?: string[] } {
  const manual = p.config.startsWith('manual:');
  const path = manual ? p.config.slice('manual:'.length) : p.config;
  return {
    admin: p.admin,
    config: { path, executor: manual ? 'manual' : 'local', ...(p.osUser && !manual ? { osUser: p.osUser } : {}) },
    ...(databases?.length ? { databases } : {}),
  };
}

/** "pool1:6432" from an admin connection string (keyword/value; no parser needed for a label). */
export function poolerLabel(admin: string): string {
  const host = /(?:^|\s)host=(\S+)/.exec(admin)?.[1] ?? 'localhost';
  const port = /(?:^|\s)port=(\S+)/.exec(admin)?.[1] ?? '6432';
  return `${host}:${port}`;
}
