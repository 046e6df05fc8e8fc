/** postgresql.conf / pg_hba.conf / conninfo text for lab servers. Pure functions. */

/** The include file the lab rewrites on every start; postgresql.conf gets one include line for it. */
export const LAB_CONF_FILE = 'pgpilot-lab.conf';
export const LAB_INCLUDE_LINE = `include_if_exists = '${LAB_CONF_FILE}'`;

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Quote a value for postgresql.conf: always single-quoted, quotes doubled, no newlines. */
export function confValue(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`setting value ${JSON.stringify(value)} contains a line break`);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function validateSettings(settings: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(settings)) {
    if (!SETTING_NAME.test(name)) throw new Error(`"${name}" is not a valid PostgreSQL setting name`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new Error(`setting ${name} must be a string`);
    }
    confValue(String(value));
  }
}

/** Lab defaults for a major version; the caller's settings override them. */
export function labSettings(major: number, port: number, socketDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  const s: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: socketDir,
    password_encryption: 'scram-sha-256',
    wal_level: 'logical',
    max_replication_slots: '20',
    max_wal_senders: '20',
    max_logical_replication_workers: '8',
    max_worker_processes: '16',
    wal_log_hints: 'on',
    hot_standby: 'on',
  };
  if (major >= 13) s.wal_keep_size = '256MB';
  else s.wal_keep_segments = '16';
  for (const [k, v] of Object.entries(overrides)) s[k] = String(v);
  return s;
}

export function renderConf(settings: Record<string, string>): string {
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${confValue(v)}`);
  return `# Written by pg-upgrade-pilot's lab on every start; edit the lab settings instead.\n${lines.join('\n')}\n`;
}

/** Only 127.0.0.1 (and the private socket), scram everywhere, replication included. */
export function renderHba(): string {
  return [
    '# Written by pg-upgrade-pilot\'s lab.',
    '# TYPE  DATABASE     USER  ADDRESS        METHOD',
    'local   all          all                  scram-sha-256',
    'local   replication  all                  scram-sha-256',
    'host    all          all   127.0.0.1/32   scram-sha-256',
    'host    replication  all   127.0.0.1/32   scram-sha-256',
    '',
  ].join('\n');
}

/** A libpq keyword/value pair, quoted when needed. */
export function kv(key: string, value: string | number): string {
  const v = String(value);
  return /^[A-Za-z0-9_.\-/:@]+$/.test(v) ? `${key}=${v}` : `${key}='${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Keyword/value connection string without password, e.g. "host=127.0.0.1 port=15414 user=postgres dbname=postgres". */
export function connectionString(host: string, port: number, user: string, database: string): string {
  return [kv('host', host), kv('port', port), kv('user', user), kv('dbname', database)].join(' ');
}

/** One .pgpass line (":" and "\" escaped). */
export function pgpassLine(host: string, port: number, user: string, password: string): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  return `${esc(host)}:${port}:*:${esc(user)}:${esc(password)}\n`;
}

/** postgresql.auto.conf without the lines that would make a copy follow the wrong primary. */
export function stripReplicationSettings(autoConf: string): string {
  return autoConf
    .split('\n')
    .filter((l) => !/^\s*(primary_conninfo|primary_slot_name)\s*=/.test(l))
    .join('\n')
    .replace(/\n*$/, '\n');
}
