/**
 * The publisher's host and port of a subscription, WITHOUT its password.
 * The server splits subconninfo (SQL below) and sends back only the host/hostaddr/port pieces, so the
 * connection string (and any password in it) never leaves the server; decodePublisherEndpoint turns the
 * pieces into display strings.
 */
import { quoteLiteral } from '../sql';

const KV_TOKEN = `([A-Za-z_]+)\\s*=\\s*('(?:[^'\\\\]|\\\\.)*'|(?:[^\\s'\\\\]|\\\\.)(?:[^\\s\\\\]|\\\\.)*)`;
const URI_PREFIX = `^[A-Za-z]+://(?:[^@/]*@)?`;

/** SQL (a json value) with the endpoint pieces of a conninfo expression; constant text, no user input. */
export function conninfoPartsSql(expr: string): string {
  const lit = quoteLiteral; // E'' form for the backslashes: read the same whatever standard_conforming_strings is
  return `CASE WHEN ${expr} ~* '^postgres(ql)?://' THEN json_build_object(
    'uri', (regexp_match(${expr}, ${lit(`${URI_PREFIX}([^/?]*)`)}))[1],
    'params', (SELECT json_agg(json_build_array(m[1], m[2])) FROM regexp_matches(
      COALESCE((regexp_match(${expr}, ${lit(`${URI_PREFIX}[^/?]*(?:/[^?]*)?\\?(.*)$`)}))[1], ''),
      '(?:^|&)(host|hostaddr|port)=([^&]*)', 'g') m))
  ELSE json_build_object(
    'params', (SELECT json_agg(json_build_array(m[1], m[2])) FROM regexp_matches(${expr}, ${lit(KV_TOKEN)}, 'g') m
      WHERE m[1] IN ('host', 'hostaddr', 'port')))
  END`;
}

export interface PublisherEndpoint {
  host: string | null;
  port: string | null;
}

interface ConninfoParts {
  uri?: string | null;
  params?: [string, string][] | null;
}

/** Pieces from conninfoPartsSql → host(s) and port(s), comma-separated as libpq writes multi-host lists. */
export function decodePublisherEndpoint(raw: unknown): PublisherEndpoint {
  if (raw === null || raw === undefined) return { host: null, port: null };
  const parts = (typeof raw === 'string' ? JSON.parse(raw) : raw) as ConninfoParts;
  const isUri = parts.uri !== undefined;
  const params = new Map<string, string>();
  for (const [key, value] of parts.params ?? []) {
    params.set(key, isUri ? percentDecode(value) : unquoteKeywordValue(value)); // the last one wins, as in libpq
  }
  let host = params.get('host') ?? params.get('hostaddr') ?? null;
  let port = params.get('port') ?? null;
  if (isUri && parts.uri) {
    const fromAuthority = splitAuthority(parts.uri);
    host = params.get('host') ?? (fromAuthority.host || params.get('hostaddr') || null);
    port = params.get('port') ?? fromAuthority.port;
  }
  return { host: host === '' ? null : host, port: port === '' ? null : port };
}

/** "h1:5432,[::1]:5433,h3" → hosts "h1,::1,h3", ports "5432,5433," (null when no port is given). */
export function splitAuthority(authority: string): PublisherEndpoint {
  const hosts: string[] = [];
  const ports: string[] = [];
  for (const entry of authority.split(',')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(entry) ?? /^([^:]*)(?::(.*))?$/.exec(entry);
    hosts.push(percentDecode(m?.[1] ?? entry));
    ports.push(m?.[2] ?? '');
  }
  const host = hosts.join(',');
  return { host: host === '' || hosts.every((h) => h === '') ? null : host, port: ports.some((p) => p) ? ports.join(',') : null };
}

/** libpq keyword/value: optional single quotes, backslash escapes any character. */
export function unquoteKeywordValue(value: string): string {
  const inner = value.length >= 2 && value.startsWith("'") && value.endsWith("'") ? value.slice(1, -1) : value;
  return inner.replace(/\\(.)/gs, '$1');
}

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
