/** Where a run finds a cluster's password when none is stored: as libpq would (string, PGPASSWORD, password file). */
import { lookupPgpass, parseConnString, resolveConn } from '../conn';

/**
 * The password libpq would use for this connection string: its own password=, else PGPASSWORD, else the first
 * password-file entry matching one of its hosts. undefined when there is none (trust/peer auth, or ask the user).
 */
export async function libpqPassword(connection: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const r = await resolveConn(parseConnString(connection), env);
  if (r.password) return r.password;
  for (const ep of r.endpoints) {
    const pw = await lookupPgpass(ep, r.dbname, r.user, { passfile: r.passfile, homedir: env.HOME });
    if (pw !== undefined) return pw;
  }
  return undefined;
}
