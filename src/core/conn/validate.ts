import type { ConnKeyword } from './types';

/** A problem with one keyword's value: `part` is the bad text, `offset` its index inside the value. */
export interface ValueProblem {
  message: string;
  part: string;
  offset: number;
}

const ENUMS: Partial<Record<ConnKeyword, readonly string[]>> = {
  sslmode: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'],
  target_session_attrs: ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'],
  load_balance_hosts: ['disable', 'random'],
  sslnegotiation: ['postgres', 'direct'],
  channel_binding: ['disable', 'prefer', 'require'],
  gssencmode: ['disable', 'prefer', 'require'],
  sslcertmode: ['disable', 'allow', 'require'],
  // libpq 18: the wire protocol versions
  min_protocol_version: ['3.0', '3.2', 'latest'],
  max_protocol_version: ['3.0', '3.2', 'latest'],
};

const INTEGERS: ReadonlySet<ConnKeyword> = new Set<ConnKeyword>([
  'connect_timeout', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count', 'tcp_user_timeout',
]);

const TLS_VERSIONS = ['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'];

/** libpq's pqParseIntParam: an integer, surrounding whitespace allowed. */
export function parseIntParam(value: string): number | undefined {
  const t = value.trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) && n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

/** One element of a port list: "" means the default port. */
export function parsePort(value: string): number | undefined | 'default' {
  if (value.trim() === '') return 'default';
  const n = parseIntParam(value);
  return n !== undefined && n >= 1 && n <= 65535 ? n : undefined;
}

/** Checks the value libpq would later reject at connect time, so bad input is caught where it was typed. */
export function checkValue(key: ConnKeyword, value: string): ValueProblem | undefined {
  if (key === 'port') {
    let offset = 0;
    for (const el of value.split(',')) {
      if (parsePort(el) === undefined) {
        return { message: `invalid port "${el}" (expected a number from 1 to 65535)`, part: el, offset };
      }
      offset += el.length + 1;
    }
    return undefined;
  }
  if (INTEGERS.has(key)) {
    return parseIntParam(value) === undefined
      ? { message: `invalid integer value "${value}" for "${key}"`, part: value, offset: 0 }
      : undefined;
  }
  const allowed = ENUMS[key];
  if (allowed && !allowed.includes(value)) {
    return { message: `invalid ${key} value "${value}" (expected one of: ${allowed.join(', ')})`, part: value, offset: 0 };
  }
  if ((key === 'ssl_min_protocol_version' || key === 'ssl_max_protocol_version') && value !== ''
    && !TLS_VERSIONS.includes(value.toLowerCase())) {
    return { message: `invalid ${key} value "${value}" (expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)`, part: value, offset: 0 };
  }
  return undefined;
}
