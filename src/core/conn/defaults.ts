/** Compiled-in defaults as in Debian's libpq, plus our own connect timeout. */
export const DEFAULT_PORT = 5432;
/** libpq's DEFAULT_PGSOCKET_DIR on Debian (and /run/postgresql, the same directory). */
export const DEFAULT_SOCKET_DIRS: readonly string[] = ['/var/run/postgresql', '/run/postgresql'];
/** Debian libpq's compiled-in DEFAULT_PGSOCKET_DIR, spelt exactly: .pgpass maps only this string to "localhost". */
export const DEFAULT_PGSOCKET_DIR = '/var/run/postgresql';
export const DEFAULT_HOST = 'localhost';
/** Ours: libpq waits forever by default; a tool that drives a switchover must not. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
/** libpq treats connect_timeout=1 as 2: its minimum. */
export const MIN_CONNECT_TIMEOUT_SECONDS = 2;

export const isSocketDir = (host: string): boolean => host.startsWith('/');
