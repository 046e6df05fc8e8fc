import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { formatConnString, parseConnString, redactConnString, type ConnParams } from '../../../src/core/conn';

const CANARY = 'Kan4ry-s3cret';
const pctEncoded = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');

/** Every spelling of the canary that must never show up. */
const canaryForms = [CANARY, encodeURIComponent(CANARY), pctEncoded(CANARY), 'Kan4ry', 's3cret'];

function assertNoCanary(text: string, context: string): void {
  for (const f of canaryForms) assert.ok(!text.includes(f), `${context}: leaked ${f} in ${JSON.stringify(text)}`);
}

describe('formatConnString', () => {
  it('writes keyword/value, quoting only where needed, host/port/dbname/user first', () => {
    assert.equal(
      formatConnString({ sslmode: 'require', user: 'bob', host: 'a,b', port: '5432', dbname: 'app', application_name: "it's x", options: '' }),
      String.raw`host=a,b port=5432 dbname=app user=bob options='' application_name='it\'s x' sslmode=require`,
    );
    assert.equal(formatConnString({ dbname: String.raw`C:\data` }), String.raw`dbname='C:\\data'`);
  });

  it('omits the password by default and includes it on request', () => {
    const p: ConnParams = { host: 'h', password: CANARY, sslpassword: CANARY };
    assertNoCanary(formatConnString(p), 'default');
    assert.equal(formatConnString(p, { includePassword: true }), `host=h password=${CANARY} sslpassword=${CANARY}`);
  });

  it('round-trips through parseConnString, hostile values included', () => {
    const p: ConnParams = {
      host: '/var/run/postgresql,db.example.com', port: '5432,6543', dbname: "we ird'db\\ \t", user: 'ünïcødé user',
      password: String.raw`p a'ss\word`, application_name: '', options: '-c search_path="$user",public',
    };
    assert.deepEqual(parseConnString(formatConnString(p, { includePassword: true })), p);
  });
});

describe('redactConnString', () => {
  const cases: Array<[string, string]> = [
    [`host=db password=${CANARY} user=bob`, 'host=db user=bob'],
    [`password=${CANARY} host=db`, 'host=db'],
    [`host=db password='${CANARY} with spaces \\' and quote'`, 'host=db'],
    [`host=db password = ${CANARY}`, 'host=db'],
    [`host=db sslpassword=${CANARY} oauth_client_secret=${CANARY} sslmode=require`, 'host=db sslmode=require'],
    [`postgresql://bob:${CANARY}@db:5432/app?sslmode=require`, 'postgresql://bob@db:5432/app?sslmode=require'],
    [`postgresql://bob:${pctEncoded(CANARY)}@db/app`, 'postgresql://bob@db/app'],
    [`postgresql://:${CANARY}@db/app`, 'postgresql://@db/app'],
    [`postgres://db/app?password=${CANARY}&sslmode=require`, 'postgres://db/app?sslmode=require'],
    [`postgres://db/app?sslmode=require&password=${encodeURIComponent(CANARY)}`, 'postgres://db/app?sslmode=require'],
    [`postgres://db/app?password=${CANARY}`, 'postgres://db/app'],
    [`postgres://u:${CANARY}@a,b:5433/app?sslpassword=${CANARY}&target_session_attrs=read-write&password=x${CANARY}`,
      'postgres://u@a,b:5433/app?target_session_attrs=read-write'],
  ];
  for (const [input, expected] of cases) {
    it(`removes every secret, keeping the form: ${expected}`, () => {
      const out = redactConnString(input);
      assert.equal(out, expected);
      assertNoCanary(out, input);
    });
  }

  it('redacts a whole connection string given as dbname (as psql -d takes it)', () => {
    const kv = redactConnString(`host=h dbname='host=x password=${CANARY}'`);
    assertNoCanary(kv, 'kv dbname');
    assert.equal(kv, 'host=h dbname=host=x');
    const uri = redactConnString(`postgresql://h/${encodeURIComponent(`host=x password=${CANARY}`)}`);
    assertNoCanary(uri, 'uri dbname');
    assert.equal(parseConnString(uri).dbname, 'host=x');
  });

  it('unparseable strings become a placeholder, canary or not', () => {
    for (const s of [
      `host=db password='${CANARY}`, `host=db password=${CANARY.slice(0, 6)} ${CANARY.slice(6)}`, `hots=db password=${CANARY}`,
      `postgresql://u:${CANARY}@h/db%zz`, `postgresql://u:${CANARY}@[::1/db`, CANARY, `password${CANARY}`,
    ]) {
      assert.equal(redactConnString(s), '<unparseable connection string>', s);
    }
  });

  it('parse errors never carry the canary, whatever is wrong with the string', () => {
    const broken = [
      `host=db password='${CANARY}`, `password=${CANARY.slice(0, 6)} ${CANARY.slice(6)}`,
      `password=${CANARY.slice(0, 6)} ${CANARY.slice(6)}=x`, `postgresql://u:${CANARY}%G@h/db`,
      `postgresql://u:${CANARY}%00@h`, `postgresql://h/db?password=${CANARY}%`,
    ];
    for (const s of broken) {
      assert.throws(() => parseConnString(s), (e: Error) => {
        assertNoCanary(e.message + JSON.stringify(e), s);
        return true;
      });
    }
  });

  it('redacted output parses to the same settings minus secrets', () => {
    const s = `postgresql://bob:${CANARY}@a:1,b:2/app?application_name=x&password=${CANARY}&connect_timeout=5`;
    const { password: _pw, ...rest } = parseConnString(s);
    assert.deepEqual(parseConnString(redactConnString(s)), rest);
  });
});
