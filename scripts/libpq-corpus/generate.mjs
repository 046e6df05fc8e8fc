#!/usr/bin/env node
/**
 * Generates test/fixtures/libpq-corpus.json: connection strings and what the real libpq makes of them.
 * Run once (and again when cases are added): `node scripts/libpq-corpus/generate.mjs` — needs cc and Debian's
 * libpq-dev (libpq 15). It compiles probe.c, feeds it every case with a clean environment and records, per string:
 *   stage "parse"   PQconninfoParse refused it (error = libpq's message)
 *   stage "options" parsed, but PQconnectdb refused a value before any network traffic (error = libpq's message)
 *   stage "ok"      parsed and accepted; params = PQconninfoParse's keyword map (connect failed only for the network)
 * Keywords added after libpq 15 (16: load_balance_hosts, require_auth, sslcertmode, gssdelegation; 17:
 * sslnegotiation; 18: sslkeylogfile, min/max_protocol_version, scram_*_key, oauth_*) are asked of libpq 15 under a
 * stand-in keyword of the same shape (krbsrvname: no value check) and mapped back; their value checks are written
 * out below from libpq 18's src/interfaces/libpq/fe-connect.c (REL_18_STABLE, connectOptions2) and marked
 * `libpq18`. Targets are loopback or a missing socket only, so nothing leaves the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'test', 'fixtures', 'libpq-corpus.json');

// ------------------------------------------------------------------ cases
const cases = [];
const add = (group, ...inputs) => inputs.forEach((input) => cases.push({ group, input }));

add('keyword basics',
  '', ' ', 'host=127.0.0.1', 'host=127.0.0.1 port=5432 dbname=app user=u',
  '  host=127.0.0.1   port=5432  ', 'host = 127.0.0.1', 'host= 127.0.0.1', 'host =127.0.0.1',
  'host=127.0.0.1\tport=5432', 'host=127.0.0.1\nport=5432', 'host=127.0.0.1\r\nport=5432', 'host=127.0.0.1\vport=5432\f',
  "dbname='a b'", "dbname='a\\'b'", "dbname='a\\\\b'", "dbname=a\\ b", "dbname=a\\'b", "dbname=a'b", "dbname=''", 'dbname=',
  "dbname='' host=127.0.0.1", "dbname='x'y", "dbname='x''y'", 'dbname=x=y', "options='-c a=b -c c=d'",
  "application_name='ünï côdé'", 'application_name=日本', 'host=127.0.0.1 host=localhost', 'dbname=a dbname=b',
  'user=u user=', "password='' host=127.0.0.1", 'HOST=127.0.0.1', 'host', 'host ', 'host=127.0.0.1 port',
  '=x', '= x', 'x=1', 'hots=127.0.0.1', 'db=app', 'host=127.0.0.1 bogus=1', "dbname='unterminated",
  "dbname='a\\", 'dbname=a\\', "host=127.0.0.1 dbname='x", 'host=127.0.0.1=2', "password='a b' host=127.0.0.1",
  'password=a b host=127.0.0.1', "password='Canary x", 'password=Canary\\', "sslpassword='k y' host=127.0.0.1",
  'service', 'fallback_application_name=fb application_name=app', 'client_encoding=UTF8', 'client_encoding=auto',
  'replication=database', 'replication=true', 'keepalives=1 keepalives_idle=10 keepalives_interval=5 keepalives_count=3',
  // integers are checked when libpq connects: a reachable-looking host makes it get that far
  ...['tcp_user_timeout=1000', 'connect_timeout=5', 'connect_timeout= 5', "connect_timeout=' 5 '", 'connect_timeout=-1',
    'connect_timeout=0', 'connect_timeout=2147483648', 'connect_timeout=1.5', 'connect_timeout=x', 'connect_timeout=',
    'keepalives=x', 'keepalives=0', 'keepalives_idle=', 'keepalives_idle=x', 'keepalives_count=-5', 'tcp_user_timeout=x',
  ].map((s) => `host=127.0.0.1 ${s}`),
  'krbsrvname=postgres gsslib=gssapi', 'sslsni=0', 'sslcompression=1',
  'sslcert=/nonexistent/c sslkey=/nonexistent/k', 'passfile=/nonexistent/pgpass', 'requirepeer=postgres',
  'gssencmode=prefer', 'gssencmode=disable', 'gssencmode=require', 'gssencmode=bogus', 'channel_binding=prefer',
  'channel_binding=disable', 'channel_binding=require', 'channel_binding=bogus', 'sslcrldir=/nonexistent',
  'sslcrl=/nonexistent/crl',
);

add('sslmode and requiressl',
  ...['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'bogus', 'Require', ''].map((m) => `host=127.0.0.1 sslmode=${m}`),
  'requiressl=1', 'requiressl=0', 'requiressl=2', 'requiressl=10', 'requiressl=yes', 'requiressl=', 'requiressl=1 sslmode=disable',
  'sslmode=disable requiressl=1', 'sslmode=verify-full requiressl=0', 'postgresql://127.0.0.1/?requiressl=1',
  'postgresql://127.0.0.1/?requiressl=0', 'postgresql://127.0.0.1/?ssl=true', 'postgresql://127.0.0.1/?ssl=false',
  'postgresql://127.0.0.1/?ssl=1', 'ssl=true', 'host=127.0.0.1 ssl_min_protocol_version=TLSv1.3',
  'host=127.0.0.1 ssl_min_protocol_version=tlsv1.2', 'host=127.0.0.1 ssl_min_protocol_version=TLSv9',
  'host=127.0.0.1 ssl_max_protocol_version=TLSv1.1 ssl_min_protocol_version=TLSv1.2',
  'host=127.0.0.1 ssl_min_protocol_version=TLSv1 ssl_max_protocol_version=TLSv1.3', 'host=127.0.0.1 ssl_min_protocol_version=',
  'sslrootcert=system', 'sslrootcert=system sslmode=require', 'sslrootcert=system sslmode=verify-full',
);

add('hosts and ports',
  'host=127.0.0.1,127.0.0.1 port=5432,5433', 'host=127.0.0.1,localhost port=5432', 'host=127.0.0.1,localhost port=5432,5433,5434',
  'host=127.0.0.1,localhost port=', 'host=127.0.0.1 port=5432,', 'host=127.0.0.1, port=5432,5433', 'host=,127.0.0.1',
  'host=127.0.0.1 port=0', 'host=127.0.0.1 port=65535', 'host=127.0.0.1 port=65536', 'host=127.0.0.1 port=70000',
  'host=127.0.0.1 port=abc', 'host=127.0.0.1 port=-1', 'host=127.0.0.1 port=05432', "host=127.0.0.1 port=' 5432'",
  'host=127.0.0.1 port=5432x', 'hostaddr=127.0.0.1', 'hostaddr=127.0.0.1 host=db.example.com', 'hostaddr=::1',
  'hostaddr=127.0.0.1,127.0.0.1 host=a,b', 'hostaddr=127.0.0.1,127.0.0.1 host=a', 'hostaddr=not-an-ip',
  'hostaddr=127.0.0.1 port=5432,5433', 'host=/nonexistent/socket', 'host=/nonexistent/socket,127.0.0.1',
  'host=127.0.0.1 target_session_attrs=read-write', 'host=127.0.0.1 target_session_attrs=any',
  'host=127.0.0.1 target_session_attrs=primary', 'host=127.0.0.1 target_session_attrs=standby',
  'host=127.0.0.1 target_session_attrs=prefer-standby', 'host=127.0.0.1 target_session_attrs=read-only',
  'host=127.0.0.1 target_session_attrs=bogus', 'host=127.0.0.1 target_session_attrs=Read-Write',
);

add('uri',
  'postgresql://', 'postgres://', 'postgresql://127.0.0.1', 'postgresql://127.0.0.1:5432', 'postgresql://127.0.0.1:5432/app',
  'postgresql://127.0.0.1/app?connect_timeout=5', 'postgresql://u@127.0.0.1/app', 'postgresql://u:p@127.0.0.1/app',
  'postgresql://:p@127.0.0.1/app', 'postgresql://u:@127.0.0.1/app', 'postgresql://@127.0.0.1/app',
  'postgresql:///app', 'postgresql:///app?host=/nonexistent/socket', 'postgresql://%2Fnonexistent%2Fsocket/app',
  'postgresql://127.0.0.1,127.0.0.1:5433/app', 'postgresql://127.0.0.1:5432,127.0.0.1:5433/app',
  'postgresql://127.0.0.1:5432,/app', 'postgresql://,127.0.0.1/app', 'postgresql://[::1]:5432/app', 'postgresql://[::1]/app',
  'postgresql://[::1', 'postgresql://[]/app', 'postgresql://[::1]x/app', 'postgresql://127.0.0.1:abc/app',
  'postgresql://127.0.0.1:/app', 'postgresql://127.0.0.1:99999/app', 'postgresql://127.0.0.1/a%20b',
  'postgresql://127.0.0.1/a b', 'postgresql://127.0.0.1/a%2', 'postgresql://127.0.0.1/a%zz', 'postgresql://127.0.0.1/a%00b',
  'postgresql://127.0.0.1/a%C3%A9', 'postgresql://127.0.0.1/a%FF', 'postgresql://127.0.0.1/a?', 'postgresql://127.0.0.1/a?&',
  'postgresql://127.0.0.1/a?x', 'postgresql://127.0.0.1/a?x=1', 'postgresql://127.0.0.1/a?dbname=b',
  'postgresql://127.0.0.1/a?a=b=c', 'postgresql://127.0.0.1/a?application_name=x%20y', 'postgresql://127.0.0.1/a?application_name=x+y',
  'postgresql://127.0.0.1/a?host=localhost', 'postgresql://127.0.0.1/a?port=5433', 'postgresql://127.0.0.1/a?sslmode=bogus',
  'postgresql://127.0.0.1/a?options=-c%20x%3Dy', 'postgresql://127.0.0.1/a?%73slmode=require', 'postgresql://127.0.0.1/a#frag',
  'postgresql://127.0.0.1/a/b', 'postgresql://u%40x:p%3Ay@127.0.0.1/app', 'POSTGRESQL://127.0.0.1/app',
  'postgresql:/127.0.0.1/app', 'postgresql:127.0.0.1', 'postgresql://127.0.0.1/app ', ' postgresql://127.0.0.1/app',
  '\tpostgresql://127.0.0.1/app', ' postgresql://127.0.0.1/app?sslmode=require', 'postgresql:// 127.0.0.1/app',
  'postgresql://127.0.0.1 /app', 'postgresql://u :p@127.0.0.1/app', 'postgres://127.0.0.1?', 'postgresql://127.0.0.1?dbname=x',
  'postgresql://127.0.0.1/app?target_session_attrs=read-write&connect_timeout=3',
);

// Passwords people type unencoded into URIs: what libpq makes of them decides what an error may echo.
const PW = 'Canary';
add('uri passwords',
  ...['/', '@', ':', '?', '#', '&', '=', '%', '%4', '[', ']', ',', ' ', "'", '"', '\\'].flatMap((c) => [
    `postgresql://app:${PW}${c}x9@127.0.0.1:5432/app`,
    `postgresql://app:${PW}${c}x9@127.0.0.1/app?sslmode=prefer`,
  ]),
  `postgresql://app:${PW}/123@127.0.0.1/app`, `postgresql://app:123/x@127.0.0.1/app`, `postgresql://app:${PW}@x@127.0.0.1/app`,
  `postgresql://app:${PW}@@127.0.0.1/app`, `postgresql://app:${PW}%40x@127.0.0.1/app`, `postgresql://app:${PW}%2Fx@127.0.0.1/app`,
  `postgresql://app:${PW}%zz@127.0.0.1/app`, `postgresql://app:${PW}%00@127.0.0.1/app`, `postgresql://app:${PW}%FF@127.0.0.1/app`,
  `postgresql://127.0.0.1/app?password=${PW}`, `postgresql://127.0.0.1/app?password=${PW}%zz`, `postgresql://127.0.0.1/app?password=${PW}=x`,
  `postgresql://127.0.0.1/app?sslpassword=${PW}`,
);

// Keywords libpq 15 does not know; libpq 16–18 do (stand-in: krbsrvname).
const LATER = {
  load_balance_hosts: 16, require_auth: 16, sslcertmode: 16, gssdelegation: 16, sslnegotiation: 17, sslkeylogfile: 18,
  min_protocol_version: 18, max_protocol_version: 18, scram_client_key: 18, scram_server_key: 18,
  oauth_issuer: 18, oauth_client_id: 18, oauth_client_secret: 18, oauth_scope: 18,
};
add('later keywords',
  'host=127.0.0.1 load_balance_hosts=random', 'host=127.0.0.1 load_balance_hosts=disable', 'host=127.0.0.1 load_balance_hosts=bogus',
  'host=127.0.0.1 sslcertmode=allow', 'host=127.0.0.1 sslcertmode=bogus', 'host=127.0.0.1 gssdelegation=1',
  'host=127.0.0.1 sslnegotiation=postgres', 'host=127.0.0.1 sslnegotiation=direct', 'host=127.0.0.1 sslnegotiation=direct sslmode=prefer',
  'host=127.0.0.1 sslnegotiation=direct sslmode=disable', 'host=127.0.0.1 sslnegotiation=direct sslmode=allow',
  'host=127.0.0.1 sslnegotiation=direct sslmode=require', 'host=127.0.0.1 sslnegotiation=direct sslmode=verify-full',
  'host=127.0.0.1 sslnegotiation=bogus', 'postgresql://127.0.0.1/app?sslnegotiation=direct&sslmode=prefer',
  'postgresql://127.0.0.1/app?sslnegotiation=direct&sslmode=require', 'host=127.0.0.1 sslkeylogfile=/tmp/keys.log',
  'postgresql://127.0.0.1/app?sslkeylogfile=%2Ftmp%2Fkeys.log', 'host=127.0.0.1 min_protocol_version=3.0',
  'host=127.0.0.1 max_protocol_version=3.2', 'host=127.0.0.1 max_protocol_version=latest', 'host=127.0.0.1 min_protocol_version=2.0',
  'host=127.0.0.1 oauth_issuer=https://issuer.example oauth_client_id=pilot', "host=127.0.0.1 require_auth='scram-sha-256'",
);

// ------------------------------------------------------------------ libpq 18's value checks for the later keywords
// fe-connect.c REL_18_STABLE, connectOptions2(): each message as libpq 18 words it.
function libpq18Options(params) {
  const sslmode = params.sslmode ?? 'prefer';
  const enumCheck = (k, allowed) => (params[k] !== undefined && !allowed.includes(params[k]) ? `invalid ${k} value: "${params[k]}"` : undefined);
  return enumCheck('load_balance_hosts', ['disable', 'random'])
    ?? enumCheck('sslcertmode', ['disable', 'allow', 'require'])
    ?? enumCheck('sslnegotiation', ['postgres', 'direct'])
    ?? (params.sslnegotiation === 'direct' && !['require', 'verify-ca', 'verify-full'].includes(sslmode)
      ? `weak sslmode "${sslmode}" may not be used with sslnegotiation=direct (use "require", "verify-ca", or "verify-full")` : undefined)
    ?? (['min_protocol_version', 'max_protocol_version'].map((k) => (params[k] !== undefined && !['3.0', '3.2', 'latest'].includes(params[k])
      ? `invalid ${k} value: "${params[k]}"` : undefined)).find(Boolean));
}

// ------------------------------------------------------------------ run libpq
const work = mkdtempSync(join(tmpdir(), 'libpq-corpus-'));
const bin = join(work, 'probe');
const include = execFileSync('pg_config', ['--includedir'], { encoding: 'utf8' }).trim();
execFileSync('cc', ['-Wall', '-O1', `-I${include}`, join(here, 'probe.c'), '-lpq', '-o', bin]);

const STAND_INS = ['krbsrvname', 'gsslib'];
const asked = cases.map(({ input }) => {
  const later = Object.keys(LATER).filter((k) => new RegExp(`(^|[\\s?&])${k}\\s*=`).test(input));
  if (later.length > STAND_INS.length) throw new Error(`too many later keywords in ${input}`);
  const replaced = later.reduce((s, k, i) => s.replace(new RegExp(`(^|[\\s?&])${k}(?=\\s*=)`), `$1${STAND_INS[i]}`), input);
  return { input: replaced, later };
});
if (asked.some((a) => a.input.includes('\0'))) throw new Error('a case holds a NUL byte');
const stdout = execFileSync('env', ['-i', 'HOME=/nonexistent', 'PGSYSCONFDIR=/nonexistent', 'LANG=C', bin], {
  input: asked.map((a) => `${a.input}\0`).join(''), encoding: 'utf8', timeout: 120_000,
});
const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
const libpqVersion = lines.pop().libpq;

const OPTION_ERROR = /invalid |could not match|may not be used|weak sslmode|not supported|unsupported|could not parse network address/;
const clean = (m) => m.replace(/\n\t?/g, ' ').trim();

const out15 = (r) => {
  if (!r.parse.ok) return { stage: 'parse', error: clean(r.parse.error) };
  const problem = clean(r.connect).split(/(?<=\S) (?=connection to server|invalid |could not parse)/).find((m) => OPTION_ERROR.test(m));
  return problem ? { stage: 'options', params: r.parse.params, error: problem.replace(/^connection to server .*? failed: /, '') }
    : { stage: 'ok', params: r.parse.params };
};

const corpus = cases.map((c, i) => {
  const libpq15 = out15(lines[i]);
  const entry = { id: i + 1, group: c.group, input: c.input };
  const { later } = asked[i];
  if (!later.length) return { ...entry, libpq15 };
  // Map the stand-in back; libpq 15 itself refuses the keyword as unknown.
  const fromLater = { ...libpq15 };
  if (libpq15.params) {
    const params = {};
    for (const [k, v] of Object.entries(libpq15.params)) params[STAND_INS.includes(k) ? later[STAND_INS.indexOf(k)] : k] = v;
    fromLater.params = params;
    const refused = libpq18Options(params);
    if (refused) Object.assign(fromLater, { stage: 'options', error: refused });
  }
  const since = Math.max(...later.map((k) => LATER[k]));
  return { ...entry, libpq15: { stage: 'parse', error: `invalid connection option "${later[0]}"` }, libpq18: { since, ...fromLater } };
});

// ------------------------------------------------------------------ .pgpass: which password libpq takes
const pgpassCases = [
  // [file text, host, port, dbname, user]
  ['h:5432:d:u:pw\n', '127.0.0.1', '5432', 'd', 'u'], ['127.0.0.1:5432:d:u:pw\n', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:pw\r\n', '127.0.0.1', '5432', 'd', 'u'], ['127.0.0.1:5432:d:u:pw\r\r\n', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:pw\r', '127.0.0.1', '5432', 'd', 'u'], ['127.0.0.1:5432:d:u:pw', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:pw\n\n', '127.0.0.1', '5432', 'd', 'u'], ['127.0.0.1:05432:d:u:pw\n', '127.0.0.1', '05432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:pw\n', '127.0.0.1', '05432', 'd', 'u'], ['127.0.0.1:05432:d:u:pw\n', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:pw\n', '127.0.0.1', '', 'd', 'u'], ['*:*:*:*:pw\n', '127.0.0.1', '5432', 'd', 'u'],
  ['*:*:*:*:\n*:*:*:*:second\n', '127.0.0.1', '5432', 'd', 'u'], ['\\*:*:*:*:pw\n', '127.0.0.1', '5432', 'd', 'u'],
  ['**:*:*:*:pw\n', '127.0.0.1', '5432', 'd', 'u'], ['#127.0.0.1:5432:d:u:no\n127.0.0.1:5432:d:u:pw\n', '127.0.0.1', '5432', 'd', 'u'],
  [' 127.0.0.1:5432:d:u:pw\n', '127.0.0.1', '5432', 'd', 'u'], ['127.0.0.1:5432:d:u:p\\:w\n', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:p\\\\w\n', '127.0.0.1', '5432', 'd', 'u'], ['127.0.0.1:5432:d:u:p:w\n', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d\\:x:u:pw\n', '127.0.0.1', '5432', 'd:x', 'u'], ['127.0.0.1:5432:d:u\n', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:\n', '127.0.0.1', '5432', 'd', 'u'], ['127.0.0.1:5432:D:u:pw\n', '127.0.0.1', '5432', 'd', 'u'],
  ['localhost:5432:d:u:pw\n', '/var/run/postgresql', '5432', 'd', 'u'], ['localhost:5432:d:u:pw\n', '/run/postgresql', '5432', 'd', 'u'],
  ['localhost:5432:d:u:pw\n', '/var/run/postgresql/', '5432', 'd', 'u'], ['/run/postgresql:5432:d:u:pw\n', '/run/postgresql', '5432', 'd', 'u'],
  ['localhost:5432:d:u:pw\n', '', '5432', 'd', 'u'], ['localhost:5432:d:u:pw\n', 'localhost', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:pw\n', 'localhost', '5432', 'd', 'u'], ['127.0.0.1:5432:*:u:first\n127.0.0.1:5432:d:u:second\n', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:  spaced  \n', '127.0.0.1', '5432', 'd', 'u'], ['127.0.0.1:5432:d:u:pw\\\n', '127.0.0.1', '5432', 'd', 'u'],
  ['127.0.0.1:5432:d:u:pw\n', '127.0.0.1', "' 5432'", 'd', 'u'],
];
const pgpass = pgpassCases.map(([text, host, port, dbname, user], i) => {
  const file = join(work, `pgpass-${i}`);
  writeFileSync(file, text, { mode: 0o600 });
  const hostPart = host === '' ? '' : host.startsWith('/') ? `host=${host}` : `host=${host} hostaddr=127.0.0.1`;
  return { id: i + 1, text, host, port, dbname, user, conninfo: `${hostPart} port=${port || "''"} dbname=${dbname} user=${user} passfile=${file}` };
});
const passOut = execFileSync('env', ['-i', 'HOME=/nonexistent', 'PGSYSCONFDIR=/nonexistent', 'LANG=C', bin, 'pass'], {
  input: pgpass.map((c) => `${c.conninfo}\0`).join(''), encoding: 'utf8', timeout: 60_000,
}).trim().split('\n').map((l) => JSON.parse(l));
const pgpassCorpus = pgpass.map((c, i) => ({ id: c.id, text: c.text, host: c.host, port: c.port, dbname: c.dbname, user: c.user, password: passOut[i].password === '' ? null : passOut[i].password }));

writeFileSync(out, `${JSON.stringify({
  generatedBy: 'scripts/libpq-corpus/generate.mjs (probe.c over PQconninfoParse + PQconnectdb; libpq 18 rules from fe-connect.c REL_18_STABLE)',
  libpqVersion,
  count: corpus.length,
  cases: corpus,
  pgpass: pgpassCorpus,
}, null, 1)}\n`);
console.log(`wrote ${corpus.length} cases from libpq ${libpqVersion} to ${out}`);
