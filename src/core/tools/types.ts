/** PostgreSQL client programs the runbooks start (pg_dump, psql, …), as found on this machine. */
export type ClientToolName = 'pg_dump' | 'pg_dumpall' | 'pg_restore' | 'psql' | 'pgbench' | 'pg_basebackup' | 'pg_rewind';

export interface ToolVersion {
  major: number; // 15 (10+), 9 for 9.x
  minor: number;
  text: string; // "15.18"
}

export interface ClientTool {
  name: ClientToolName;
  /** Absolute path as found (the first of several paths resolving to the same program). */
  path: string;
  version: ToolVersion;
  /** Where it was found: the clientToolsPath setting, PATH, or a well-known install directory. */
  source: 'setting' | 'path' | 'well-known';
}

/** A program with its argument array; never a shell string. */
export interface ToolInvocation {
  path: string;
  args: string[];
  /** Extra environment (PGPASSWORD, PGAPPNAME …) on top of the inherited one; never logged. */
  env?: Record<string, string>;
}

/** Thrown when no suitable tool is installed or a tool fails; the message never contains a password. */
export class ClientToolError extends Error {
  constructor(message: string, readonly exitCode?: number | null, readonly stderr?: string) {
    super(message);
    this.name = 'ClientToolError';
  }
}
