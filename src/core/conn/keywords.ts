import type { ConnKeyword } from './types';

/** libpq's keywords in libpq's own order, each with its environment variable (PQconninfoOptions). */
const TABLE: ReadonlyArray<readonly [ConnKeyword, string | null]> = [
  ['service', 'PGSERVICE'],
  ['user', 'PGUSER'],
  ['password', 'PGPASSWORD'],
  ['passfile', 'PGPASSFILE'],
  ['channel_binding', 'PGCHANNELBINDING'],
  ['connect_timeout', 'PGCONNECT_TIMEOUT'],
  ['dbname', 'PGDATABASE'],
  ['host', 'PGHOST'],
  ['hostaddr', 'PGHOSTADDR'],
  ['port', 'PGPORT'],
  ['client_encoding', 'PGCLIENTENCODING'],
  ['options', 'PGOPTIONS'],
  ['application_name', 'PGAPPNAME'],
  ['fallback_application_name', null],
  ['keepalives', null],
  ['keepalives_idle', null],
  ['keepalives_interval', null],
  ['keepalives_count', null],
  ['tcp_user_timeout', null],
  ['sslmode', 'PGSSLMODE'],
  ['sslnegotiation', 'PGSSLNEGOTIATION'],
  ['sslcompression', 'PGSSLCOMPRESSION'],
  ['sslcert', 'PGSSLCERT'],
  ['sslkey', 'PGSSLKEY'],
  ['sslkeylogfile', null], // libpq 18 (fe-connect.c REL_18_STABLE; docs: libpq-connect.html#LIBPQ-CONNECT-SSLKEYLOGFILE)
  ['sslcertmode', 'PGSSLCERTMODE'],
  ['sslpassword', null],
  ['sslrootcert', 'PGSSLROOTCERT'],
  ['sslcrl', 'PGSSLCRL'],
  ['sslcrldir', 'PGSSLCRLDIR'],
  ['sslsni', 'PGSSLSNI'],
  ['requirepeer', 'PGREQUIREPEER'],
  ['require_auth', 'PGREQUIREAUTH'],
  ['min_protocol_version', 'PGMINPROTOCOLVERSION'],
  ['max_protocol_version', 'PGMAXPROTOCOLVERSION'],
  ['ssl_min_protocol_version', 'PGSSLMINPROTOCOLVERSION'],
  ['ssl_max_protocol_version', 'PGSSLMAXPROTOCOLVERSION'],
  ['gssencmode', 'PGGSSENCMODE'],
  ['krbsrvname', 'PGKRBSRVNAME'],
  ['gsslib', 'PGGSSLIB'],
  ['gssdelegation', 'PGGSSDELEGATION'],
  ['replication', null],
  ['target_session_attrs', 'PGTARGETSESSIONATTRS'],
  ['load_balance_hosts', 'PGLOADBALANCEHOSTS'],
  ['scram_client_key', null],
  ['scram_server_key', null],
  ['oauth_issuer', null],
  ['oauth_client_id', null],
  ['oauth_client_secret', null],
  ['oauth_scope', null],
];

export const ALL_KEYWORDS: readonly ConnKeyword[] = TABLE.map(([k]) => k);
export const ENV_VARS: ReadonlyMap<ConnKeyword, string> = new Map(
  TABLE.filter((e): e is readonly [ConnKeyword, string] => e[1] !== null),
);

/** Values that are secrets: never formatted by default, never shown, never in an error message. */
export const SECRET_KEYWORDS: ReadonlySet<ConnKeyword> = new Set<ConnKeyword>([
  'password', 'sslpassword', 'oauth_client_secret', 'scram_client_key', 'scram_server_key',
]);

const KEYWORD_SET: ReadonlySet<string> = new Set(ALL_KEYWORDS);

export function isConnKeyword(k: string): k is ConnKeyword {
  return KEYWORD_SET.has(k);
}

export function isSecretKeyword(k: string): boolean {
  return SECRET_KEYWORDS.has(k as ConnKeyword);
}

/** " (did you mean "host"?)" for a near miss, else "". */
export function suggestKeyword(bad: string): string {
  const b = bad.toLowerCase();
  let best: string | undefined;
  let bestD = 3;
  for (const k of ALL_KEYWORDS) {
    const d = editDistance(b, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best && bestD <= Math.max(1, Math.floor(best.length / 4)) ? ` (did you mean "${best}"?)` : '';
}

/** Edit distance counting a swap of two neighbours as one edit ("hots" → "host"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
