import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MASK, Redactor, scrubText } from '../../src/core/runbook/redact';

const CANARY = 'Canary-7f3e!s3cr3t';

describe('redaction', () => {
  it('masks a known password wherever it appears, in every encoding a message may carry', () => {
    const r = new Redactor();
    r.add(CANARY);
    const texts = [
      `login failed for ${CANARY}`,
      `uri postgresql://app:${encodeURIComponent(CANARY)}@db/app`,
      `CONNECTION 'host=db password=${CANARY.replace(/'/g, "''")}'`,
      JSON.stringify({ note: `pw ${CANARY}` }),
    ];
    for (const t of texts) {
      const out = r.text(t);
      assert.ok(!out.includes(CANARY) && !out.includes(encodeURIComponent(CANARY)), out);
      assert.ok(out.includes(MASK), out);
    }
  });

  it('masks password fragments even when the value is not known', () => {
    const cases: [string, string][] = [
      ['host=db password=hunter22 user=app', `host=db password=${MASK} user=app`],
      ["host=db password = 'a b\\'c' user=app", `host=db password = '${MASK}' user=app`],
      ['postgres://app:hunter22@db:5432/app', `postgres://app:${MASK}@db:5432/app`],
      ["ALTER ROLE app PASSWORD 'hunter22'", `ALTER ROLE app PASSWORD '${MASK}'`],
      ['PGPASSWORD=hunter22 pg_dump -h db', `PGPASSWORD=${MASK} pg_dump -h db`],
      ['{"password":"hunter22","user":"app"}', `{"password":"${MASK}","user":"app"}`],
      ['sslpassword=keypass', `sslpassword=${MASK}`],
    ];
    for (const [input, expected] of cases) assert.equal(scrubText(input), expected);
  });

  it('leaves ordinary text alone', () => {
    const s = 'ALTER SYSTEM SET password_encryption = scram-sha-256; host=db user=app dbname=app';
    assert.equal(scrubText(s), s);
  });

  it('deep-scrubs values: strings inside, values under password-like keys', () => {
    const r = new Redactor();
    r.add(CANARY);
    const out = r.value({
      outputs: { conninfo: `host=db password=${CANARY}`, list: [CANARY, 42], nested: { PGPASSWORD: 'other', password: 'x1', count: 3 } },
      ok: true,
    });
    const text = JSON.stringify(out);
    assert.ok(!text.includes(CANARY) && !text.includes('other') && !text.includes('x1'), text);
    assert.equal(out.outputs.nested.count, 3);
    assert.equal(out.outputs.list[1], 42);
    assert.equal(out.ok, true);
  });

  it('masks a short password only as a whole word', () => {
    const r = new Redactor();
    r.add('pg');
    assert.equal(r.text('user pg logged in to pgbench'), `user ${MASK} logged in to pgbench`);
  });
});
