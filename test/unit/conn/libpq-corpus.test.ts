/**
 * The differential corpus (issue 13 item 6): every connection string in test/fixtures/libpq-corpus.json was given to the
 * real libpq (15, by scripts/libpq-corpus/generate.mjs; keywords of 16–18 checked by libpq 18's rules). Our parser and
 * resolver must agree: refuse what libpq refuses, and produce libpq's keyword map for what it accepts. The few places
 * where we deliberately refuse what libpq accepts are listed below, each with its reason.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lookupPgpass, parseConnString, resolveConn, type ConnParams } from '../../../src/core/conn';

interface Outcome { stage: 'parse' | 'options' | 'ok'; params?: Record<string, string>; error?: string }
interface Case { id: number; group: string; input: string; libpq15: Outcome; libpq18?: Outcome & { since: number } }

interface PgpassCase { id: number; text: string; host: string; port: string; dbname: string; user: string; password: string | null }

const corpus = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'libpq-corpus.json'), 'utf8')) as {
  cases: Case[]; pgpass: PgpassCase[]; libpqVersion: number;
};

/** Where we refuse on purpose what libpq accepts (a refusal before anything happens, never the other way round). */
const DELIBERATE: Array<[RegExp | ((s: string) => boolean), string]> = [
  [(s) => { try { decodeURIComponent(s.replace(/%(?![0-9a-f]{2})/gi, '%25')); return false; } catch { return true; } }, 'a percent-decoded value that is not UTF-8: libpq passes raw bytes, we refuse (JS strings are text)'],
  [(s) => /^postgres(ql)?:\/\//.test(s) && /@/.test(s.replace(/^postgres(ql)?:\/\/[^@/]*@/, '').split('?')[0]),
    'an "@" after the user:password@ part of a URI: an unencoded "@" or "/" in a password; refused without echoing it (item 5)'],
  [/channel_binding=require|gssencmode=require|require_auth=|requirepeer=|sslcrldir=|sslcertmode=require/,
    'a setting node-postgres cannot honour: refused rather than silently weaker'],
  [/sslrootcert=system sslmode=require/, 'libpq 16+ rule (libpq 15 has no sslrootcert=system): weak sslmode with the system roots'],
];

function deliberate(input: string): string | undefined {
  return DELIBERATE.find(([test]) => (typeof test === 'function' ? test(input) : test.test(input)))?.[1];
}

const env = { HOME: join(tmpdir(), 'pgpilot-corpus-home-absent') };
const opts = { homedir: env.HOME, osUser: 'corpus', socketDir: '/nonexistent/socket' };

async function ours(input: string): Promise<{ stage: Outcome['stage']; params?: ConnParams; error?: string }> {
  let params: ConnParams;
  try {
    params = parseConnString(input);
  } catch (e) {
    return { stage: 'parse', error: (e as Error).message };
  }
  try {
    await resolveConn(params, env, opts);
  } catch (e) {
    return { stage: 'options', params, error: (e as Error).message };
  }
  return { stage: 'ok', params };
}

describe(`libpq differential corpus (${corpus.cases.length} strings, libpq ${corpus.libpqVersion})`, () => {
  it('covers the scale of the review (at least 273 strings)', () => {
    assert.ok(corpus.cases.length >= 273);
  });

  for (const c of corpus.cases) {
    const expected = c.libpq18 ?? c.libpq15;
    const why = deliberate(c.input);
    it(`#${c.id} ${c.group}: ${JSON.stringify(c.input)} → libpq: ${expected.stage}${why ? ' (we refuse on purpose)' : ''}`, async () => {
      const got = await ours(c.input);
      if (why && expected.stage !== 'parse' && expected.stage !== 'options') {
        assert.notEqual(got.stage, 'ok', `expected a deliberate refusal: ${why}`);
        return;
      }
      if (expected.stage === 'ok') {
        assert.equal(got.stage, 'ok', `libpq accepts this; we said: ${got.error}`);
        assert.deepEqual({ ...got.params }, expected.params);
      } else if (expected.stage === 'parse') {
        assert.equal(got.stage, 'parse', `libpq's parser refuses this (${expected.error}); we ${got.stage === 'ok' ? 'accepted it' : `refused only later: ${got.error}`}`);
      } else {
        assert.notEqual(got.stage, 'ok', `libpq refuses this before connecting (${expected.error}); we accepted it`);
        if (got.stage === 'options') assert.deepEqual({ ...got.params }, expected.params);
      }
    });
  }
});

describe(`libpq differential corpus: the password file (${corpus.pgpass.length} cases)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpilot-pgpass-corpus-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const c of corpus.pgpass) {
    it(`#${c.id} ${JSON.stringify(c.text)} for host ${JSON.stringify(c.host)} port ${JSON.stringify(c.port)} → ${JSON.stringify(c.password)}`, async () => {
      const passfile = join(dir, `pgpass-${c.id}`);
      writeFileSync(passfile, c.text, { mode: 0o600 });
      const conninfo = `${c.host ? `host=${c.host}` : ''} port=${c.port || "''"} dbname=${c.dbname.replace(/[\\':]/g, (x) => (x === ':' ? x : `\\${x}`))} user=${c.user}`;
      const r = await resolveConn(parseConnString(conninfo), env, { ...opts, socketDir: '/var/run/postgresql' });
      const got = await lookupPgpass(r.endpoints[0], r.dbname, r.user, { passfile });
      assert.equal(got ?? null, c.password);
    });
  }
});
