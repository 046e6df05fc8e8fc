import { ConnectError, type ConnectErrorKind } from './types';

/** Raised inside connect() when the server asks for a password and no source has one. */
export class PasswordRequiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordRequiredError';
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'EHOSTUNREACH', 'ENETUNREACH',
  'EHOSTDOWN', 'ENETDOWN', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ENOENT', 'EADDRNOTAVAIL', 'ENOTDIR',
]);

/** OpenSSL verification codes as Node reports them. */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_REVOKED', 'HOSTNAME_MISMATCH',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE',
]);

/**
 * What kind of connection failure an error from node-postgres, Node's net/tls or connect() is.
 * SQLSTATEs: 28P01/28000 auth-failed, 3D000 database-missing, 25006 read-only, 57P03 (starting up,
 * shutting down) unreachable.
 */
export function classifyPgError(err: unknown): ConnectErrorKind {
  if (err instanceof ConnectError) return err.kind;
  if (err instanceof PasswordRequiredError) return 'password-required';
  if (err instanceof AggregateError && err.errors.length) return classifyPgError(err.errors[0]);
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = typeof e.message === 'string' ? e.message : String(err);
  switch (code) {
    case '28P01':
    case '28000':
      return 'auth-failed';
    case '3D000':
      return 'database-missing';
    case '25006':
      return 'read-only';
    case '57P03':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'timeout';
  }
  if (UNREACHABLE_CODES.has(code)) return 'unreachable';
  if (TLS_CODES.has(code) || /^ERR_(SSL|TLS)_/.test(code)) return 'ssl';
  if (/timeout expired|connection timeout/i.test(msg)) return 'timeout';
  if (/does not support SSL|establishing an SSL connection|SSL routines|certificate/i.test(msg)) return 'ssl';
  if (/client password must be a string|no password supplied/i.test(msg)) return 'password-required';
  if (/Connection terminated unexpectedly/i.test(msg)) return 'unreachable';
  return 'other';
}

/** A one-line reason for an error (AggregateError from dual-stack dialling included). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) {
    return [...new Set(err.errors.map(describeError))].join('; ');
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const msg = err.message || err.name;
    return code && !/^[0-9A-Z]{5}$/.test(code) && !msg.includes(code) ? `${msg} (${code})` : msg;
  }
  return String(err);
}
