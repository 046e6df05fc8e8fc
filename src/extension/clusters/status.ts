/** What the explorer knows about a cluster's server right now. Pure types and helpers (no vscode import). */
import type { ServerOverview } from '../../core/catalog/types';
import type { ConnectAttempt, ConnectErrorKind } from '../../core/conn/types';
import type { ServerVersion } from '../../core/db';
import type { Translate } from '../translate';

export type ClusterStatus =
  | { state: 'unknown' }
  | {
      state: 'connected';
      version: ServerVersion;
      /** host:port of the server that answered (multi-host strings: the one target_session_attrs chose). */
      endpoint?: string;
      overview?: ServerOverview;
      checkedAt: number; // epoch ms
    }
  | {
      state: 'error';
      kind: ConnectErrorKind;
      /** Never holds a password (ConnectError and server messages do not). */
      message: string;
      attempts?: ConnectAttempt[];
      checkedAt: number;
    };

export type ClusterErrorStatus = Extract<ClusterStatus, { state: 'error' }>;

/** Whether a failure is about the password (the node then offers "Re-enter Password"). */
export function isPasswordProblem(kind: ConnectErrorKind): boolean {
  return kind === 'auth-failed' || kind === 'password-required';
}

/** Short text for the node description: "authentication failed", "unreachable", ... */
export function errorKindLabel(kind: ConnectErrorKind, t: Translate): string {
  switch (kind) {
    case 'auth-failed': return t('authentication failed');
    case 'password-required': return t('password required');
    case 'unreachable': return t('unreachable');
    case 'timeout': return t('connection timed out');
    case 'ssl': return t('SSL/TLS error');
    case 'read-only': return t('no server matches target_session_attrs');
    case 'database-missing': return t('database does not exist');
    default: return t('connection failed');
  }
}

/**
 * contextValue of a cluster node: "cluster", then ".production" when flagged, then ".error" (any failure) and
 * ".auth" (a password problem). when-clauses: any cluster `viewItem =~ /^cluster(\.|$)/`, production
 * `viewItem =~ /^cluster\.production/`, failed `viewItem =~ /^cluster.*\.error/`, password `viewItem =~ /\.error\.auth$/`.
 */
export function clusterContextValue(production: boolean | undefined, status: ClusterStatus): string {
  const parts = ['cluster'];
  if (production) parts.push('production');
  if (status.state === 'error') {
    parts.push('error');
    if (isPasswordProblem(status.kind)) parts.push('auth');
  }
  return parts.join('.');
}

/** The kind of a ConnectError-like value (duck-typed: the conn module is loaded lazily), else 'other'. */
export function connectErrorKind(err: unknown): ConnectErrorKind {
  const kind = (err as { name?: unknown; kind?: unknown } | null)?.kind;
  const known: ConnectErrorKind[] = ['auth-failed', 'password-required', 'unreachable', 'timeout', 'ssl', 'read-only', 'database-missing', 'other'];
  return typeof kind === 'string' && (known as string[]).includes(kind) ? (kind as ConnectErrorKind) : 'other';
}

export function connectErrorAttempts(err: unknown): ConnectAttempt[] | undefined {
  const attempts = (err as { attempts?: unknown } | null)?.attempts;
  return Array.isArray(attempts) && attempts.length ? (attempts as ConnectAttempt[]) : undefined;
}

/** The database a "does not exist" message names, e.g. 'database "orders" does not exist' → orders. */
export function missingDatabaseOf(message: string): string | undefined {
  return /database "((?:[^"]|"")+)" does not exist/.exec(message)?.[1];
}
