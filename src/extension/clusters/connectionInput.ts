/**
 * Turning what the user typed into a connection string: the guided fields, the inline validation messages of the
 * connection-string InputBox, and a suggested cluster name. Pure (no vscode import): unit-tested.
 */
import type { ConnParams, SslMode, TargetSessionAttrs } from '../../core/conn/types';
import { parsePort } from '../../core/conn/validate';
import type { Translate } from '../translate';

export interface GuidedFields {
  /** Comma-separated host names, IP addresses or Unix-socket directories. */
  hosts: string;
  /** One port for all hosts, or one per host, comma-separated. */
  ports: string;
  database: string;
  user: string;
  sslmode?: SslMode;
  sslrootcert?: string;
  /** Only meaningful with several hosts. */
  targetSessionAttrs?: TargetSessionAttrs;
}

export function splitList(value: string): string[] {
  return value.split(',').map((v) => v.trim());
}

/** Why the host list is not acceptable, or undefined. */
export function hostsProblem(value: string, t: Translate): string | undefined {
  const hosts = splitList(value);
  if (hosts.every((h) => h === '')) return t('Enter at least one host name, IP address or socket directory.');
  const bad = hosts.find((h) => h === '' || /[\s'"=\\]/.test(h));
  if (bad !== undefined) return bad === '' ? t('Remove the empty entry from the host list.') : t('"{0}" is not a valid host name.', bad);
  return undefined;
}

/** Why the port list is not acceptable for that many hosts, or undefined. */
export function portsProblem(value: string, hostCount: number, t: Translate): string | undefined {
  const ports = splitList(value);
  const bad = ports.find((p) => p === '' || parsePort(p) === undefined);
  if (bad !== undefined) return t('"{0}" is not a port number (1–65535).', bad);
  if (ports.length !== 1 && ports.length !== hostCount) return t('Give one port for all hosts or one per host ({0} hosts, {1} ports).', hostCount, ports.length);
  return undefined;
}

/** libpq parameters from the guided fields (empty fields are left to libpq's defaults). */
export function guidedParams(f: GuidedFields): ConnParams {
  const p: ConnParams = {};
  const hosts = splitList(f.hosts).join(',');
  const ports = splitList(f.ports).join(',');
  if (hosts) p.host = hosts;
  if (ports) p.port = ports;
  if (f.database.trim()) p.dbname = f.database.trim();
  if (f.user.trim()) p.user = f.user.trim();
  if (f.sslmode) p.sslmode = f.sslmode;
  if (f.sslrootcert?.trim()) p.sslrootcert = f.sslrootcert.trim();
  if (f.targetSessionAttrs && f.targetSessionAttrs !== 'any' && splitList(f.hosts).length > 1) p.target_session_attrs = f.targetSessionAttrs;
  return p;
}

/** "db1:5432/app", "db1:5432 +1/app" (several hosts), "service prod" ... */
export function suggestClusterName(p: ConnParams): string {
  if (p.service && !p.host && !p.hostaddr) return p.service;
  const hosts = splitList(p.host ?? p.hostaddr ?? 'localhost');
  const port = splitList(p.port ?? '5432')[0] || '5432';
  const first = hosts[0] || 'localhost';
  const host = first.startsWith('/') ? 'local' : first;
  const more = hosts.length > 1 ? ` +${hosts.length - 1}` : '';
  return `${host}:${port}${more}${p.dbname ? `/${p.dbname}` : ''}`;
}

export interface InputNote {
  severity: 'info' | 'warning';
  message: string;
}

/** Non-blocking notes on a parsed string: password handling, multi-host without target_session_attrs, ... */
export function connectionNotes(p: ConnParams, t: Translate): InputNote[] {
  const notes: InputNote[] = [];
  if (p.password !== undefined) {
    notes.push({ severity: 'info', message: t('The password will be moved to VS Code\'s secret storage and removed from the stored connection string.') });
  }
  if (p.sslpassword !== undefined) {
    notes.push({ severity: 'warning', message: t('sslpassword is not stored: it will be removed from the connection string.') });
  }
  const hostCount = splitList(p.host ?? p.hostaddr ?? '').filter(Boolean).length;
  if (hostCount > 1 && (p.target_session_attrs === undefined || p.target_session_attrs === 'any')) {
    notes.push({ severity: 'warning', message: t('Several hosts without target_session_attrs: the first server that answers is used, primary or not. Add target_session_attrs=read-write to always reach the primary.') });
  }
  return notes;
}

/** The InputBox message for a ConnStringError-like error: its message, naming the bad part if it does not already. */
export function connStringErrorMessage(err: unknown, t: Translate): string {
  const e = err as { message?: unknown; part?: unknown; position?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const part = typeof e?.part === 'string' && e.part !== '' ? e.part : undefined;
  const mentioned = part !== undefined && message.includes(part);
  return part !== undefined && !mentioned ? t('{0} (near "{1}")', message, part) : message;
}
