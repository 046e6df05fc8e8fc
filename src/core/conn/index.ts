/** libpq-compatible connection handling: parse, format/redact, resolve (service, env, defaults), .pgpass, connect. */
export * from './types';
export { parseConnString, looksLikeConnString } from './parse';
export { formatConnString, redactConnString, quoteConnValue } from './format';
export { resolveConn, type ResolveOptions } from './resolve';
export { lookupPgpass, pgpassFileStatus, pgpassHostName, type PgpassOptions, type PgpassFileStatus } from './pgpass';
export { loadService, parseServiceFile } from './service';
export { connect, formatEndpoint, type ConnectOptions, type Connected } from './connect';
export { classifyPgError } from './errors';
