/** The password file route's pure parts (passfile.ts): the .pgpass line, the file's place, what it cannot carry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { passfileLine, passfilePath, passfileUnfit } from '../../src/core/runbooks/logical/passfile';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupPgpass } from '../../src/core/conn';

describe('password file route', () => {
  it('escapes ":" and "\\" so the password reads back exactly (the libpq-exact .pgpass reader)', async () => {
    const password = 'a:b\\c d\'e"f:';
    const line = passfileLine('re:pl', password);
    assert.equal(line, '*:*:*:re\\:pl:a\\:b\\\\c d\'e"f\\:');
    const dir = mkdtempSync(join(tmpdir(), 'pgpilot-passfile-'));
    try {
      const file = join(dir, 'f.pgpass');
      writeFileSync(file, `${line}\n`, { mode: 0o600 });
      assert.equal(await lookupPgpass({ host: '10.1.2.3', port: 5433 }, 'app', 're:pl', { passfile: file }), password);
      assert.equal(await lookupPgpass({ host: '10.1.2.3', port: 5433 }, 'app', 'other', { passfile: file }), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts the file under the data directory\'s pg_stat_tmp, one name per run and subscription, no path characters', () => {
    const a = passfilePath('/var/lib/pg/data/', 'run-1', 'pgpilot_upgrade');
    const b = passfilePath('/var/lib/pg/data', 'run-1', 'pgpilot_reverse');
    assert.match(a, /^\/var\/lib\/pg\/data\/pg_stat_tmp\/pgpilot_run-1_[0-9a-f]{12}\.pgpass$/);
    assert.notEqual(a, b);
    assert.match(passfilePath('/d', '../x y', 'a/b"c'), /^\/d\/pg_stat_tmp\/pgpilot_xy_[0-9a-f]{12}\.pgpass$/);
  });

  it('refuses what a password file cannot carry (line breaks, control characters)', () => {
    assert.equal(passfileUnfit('ordinary: \\ \' " @ / ü'), undefined);
    assert.match(passfileUnfit('two\nlines') ?? '', /control character/);
    assert.match(passfileUnfit('tab\there') ?? '', /control character/);
  });
});
