import { createHash } from 'node:crypto';
import { parseConnString } from '../../conn';

/**
 * Default object names for a one-database upgrade, derived from the database, so that runs for different databases
 * of one cluster never collide: replication slots are cluster-wide (the forward slot on the source, the reverse slot
 * on the target), and so is anything named after them.
 */
export interface DatabaseScopedNames {
  publication: string;
  subscription: string;
  reversePublication: string;
  reverseSubscription: string;
}

const IDENT_MAX_BYTES = 63;
const HASH_CHARS = 8;

/**
 * `<prefix>_<database>`, sanitised to [a-z0-9_] (slot names allow nothing else) and at most 63 bytes. When sanitising
 * or shortening changed the name, a short hash of the exact database name is appended, so "App-1" and "app_1" differ.
 */
export function databaseScopedName(prefix: string, database: string): string {
  const clean = database.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const plain = `${prefix}_${clean}`;
  if (clean === database && plain.length <= IDENT_MAX_BYTES) return plain;
  const hash = createHash('sha256').update(database, 'utf8').digest('hex').slice(0, HASH_CHARS);
  const room = IDENT_MAX_BYTES - prefix.length - HASH_CHARS - 2;
  return `${prefix}_${clean.slice(0, Math.max(0, room))}_${hash}`;
}

export function databaseScopedNames(database: string): DatabaseScopedNames {
  const upgrade = databaseScopedName('pgpilot_upgrade', database);
  const reverse = databaseScopedName('pgpilot_reverse', database);
  return { publication: upgrade, subscription: upgrade, reversePublication: reverse, reverseSubscription: reverse };
}

/**
 * The database a connection string names explicitly (dbname=, or the URI's path), without environment or service
 * lookups; undefined when it names none or cannot be parsed (the caller then keeps the historical default names).
 */
export function databaseNamedBy(connection: string | undefined): string | undefined {
  if (!connection) return undefined;
  try {
    return parseConnString(connection).dbname || undefined;
  } catch {
    return undefined;
  }
}
