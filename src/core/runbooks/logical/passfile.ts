/**
 * The passfile route: a subscription's password kept in a password file (.pgpass format) that the SUBSCRIBER server
 * writes on its own host, the subscription's connection naming it with `passfile=` — nothing secret in
 * pg_subscription, ever. Measured on 12, 16 and 18 (docs/switchover.md, "Passwords"):
 * - `COPY … TO '<file>'` creates a file 0644 whatever the data directory's mode (COPY sets umask 022 itself), and
 *   libpq ignores a group/world-readable password file. So the file is first created empty and private by
 *   `COPY (SELECT 1 WHERE false) TO PROGRAM 'umask 077 && : > <file>'` (no secret near the shell), then the line is
 *   written into it by a plain `COPY … TO '<file>'` (fopen "w" truncates and keeps the mode: 0600).
 * - The password reaches the server only as COPY … FROM STDIN data into a temporary table: no statement a server
 *   could log holds it.
 * - The file lives in `<data_directory>/pg_stat_tmp/`: pg_basebackup and pg_rewind skip that directory's contents (a
 *   standby or a rewound server never gets a copy unnoticed), the server itself never deletes files it did not
 *   write there, and the directory is the postmaster's own (mode 0700).
 * - Who may use it: only a superuser-owned subscription (PostgreSQL 16+ demands `password=` inside the connection
 *   of a non-superuser owner unless password_required = false; before 16 only superusers own subscriptions), and
 *   only a superuser (or pg_execute_server_program + pg_write_server_files) can write the file: we require our
 *   session on the subscriber to be a superuser — it becomes the subscription's owner.
 * - Removal: without adminpack (gone in 17) no SQL function deletes a file; the ending that drops or stops the
 *   subscription overwrites it with nothing (0 bytes; the empty file stays, harmless, named in the record).
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../../db';
import { quoteLiteral } from '../../sql';

type CopyCapable = Queryable & { copyRowsIn(statement: string, rows: string[][]): Promise<void> };

export interface ToolPassfile {
  /** Absolute path on the subscriber's host. */
  path: string;
  /** The .pgpass line (holds the password): only ever sent as COPY data. */
  line: string;
}

/** Escapes a .pgpass field (libpq: backslash escapes `:` and `\`). */
function pgpassField(v: string): string {
  return v.replace(/[\\:]/g, (c) => `\\${c}`);
}

/** Why the passfile route cannot carry this password, or undefined if it can. */
export function passfileUnfit(password: string): string | undefined {
  // a line break cannot be written in a .pgpass line; control characters collide with the COPY CSV framing below
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(password) ? 'the password holds a control character, which a password file cannot carry' : undefined;
}

export function passfileLine(user: string, password: string): string {
  return `*:*:*:${pgpassField(user)}:${pgpassField(password)}`;
}

function safeName(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12);
}

/** The per-run, per-subscription file name under the subscriber's data directory. */
export function passfilePath(dataDirectory: string, runId: string, subscription: string): string {
  return `${dataDirectory.replace(/\/+$/, '')}/pg_stat_tmp/pgpilot_${runId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40)}_${safeName(subscription)}.pgpass`;
}

export type PassfileRoute = { path: string } | { reason: string };

/** Can our session on the subscriber use the passfile route? (superuser: owner exempt from the password rule, may write files) */
export async function passfileRoute(q: Queryable, runId: string, subscription: string): Promise<PassfileRoute> {
  const r = (await q.query<{ su: boolean; dir: string | null; win: boolean }>(
    // data_directory only for a superuser: anyone else without pg_read_all_settings gets "permission denied"
    "SELECT current_setting('is_superuser') = 'on' AS su, CASE WHEN current_setting('is_superuser') = 'on' THEN current_setting('data_directory') END AS dir, version() ILIKE '%windows%' AS win",
  )).rows[0];
  if (!r.su) return { reason: 'our user on the subscriber is not a superuser: PostgreSQL 16+ requires the password inside the connection string of a subscription owned by a non-superuser (password_required), and only a superuser may write the password file on the server' };
  if (r.win) return { reason: 'the subscriber runs on Windows, where the password file cannot be made private by this tool' };
  if (!r.dir) return { reason: 'the subscriber does not show its data directory' };
  return { path: passfilePath(r.dir, runId, subscription) };
}

/** Single-quoted for a POSIX shell. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

const TABLE = 'pgpilot_passfile';

/** Writes the file (0600) on the server of session `s` (dedicated session, superuser). The password only as COPY data. */
export async function writePassfile(s: Queryable, file: ToolPassfile): Promise<void> {
  const c = s as Partial<CopyCapable>;
  if (typeof c.copyRowsIn !== 'function') throw new Error('internal: this session cannot COPY a secret to the server');
  await s.query(`CREATE TEMPORARY TABLE IF NOT EXISTS ${TABLE} (line text)`);
  try {
    await s.query(`TRUNCATE pg_temp.${TABLE}`);
    await c.copyRowsIn(`COPY pg_temp.${TABLE} (line) FROM STDIN`, [[file.line]]);
    await s.query(`COPY (SELECT 1 WHERE false) TO PROGRAM ${quoteLiteral(`umask 077 && : > ${shellQuote(file.path)}`)}`);
    // CSV with delimiter and quote characters a password cannot hold (passfileUnfit): the line is written verbatim
    await s.query(`COPY pg_temp.${TABLE} (line) TO ${quoteLiteral(file.path)} WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`could not write the password file ${file.path} on the subscriber: ${msg.split(file.line).join('********')} (to keep the password in the subscription's connection instead, while it must run: --password-in-catalog / passwordInCatalog)`);
  } finally {
    await s.query(`DROP TABLE IF EXISTS pg_temp.${TABLE}`).catch(() => undefined);
  }
}

/** Overwrites the file with nothing if it exists and is not empty; true if it did. */
export async function emptyPassfile(q: Queryable, path: string): Promise<boolean> {
  if (!(await passfilePresent(q, path))) return false;
  await q.query(`COPY (SELECT 1 WHERE false) TO ${quoteLiteral(path)}`);
  return true;
}

/** Is the file there and not empty? */
export async function passfilePresent(q: Queryable, path: string): Promise<boolean> {
  const r = (await q.query<{ size: string | null }>('SELECT (pg_stat_file($1, true)).size::text AS size', [path])).rows[0];
  return !!r && r.size !== null && r.size !== '0';
}
