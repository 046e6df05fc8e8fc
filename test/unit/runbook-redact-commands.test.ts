/**
 * Issue 13 item 4: the dry-run plan and the record show the exact commands that ran, with only the secret masked.
 * Every part of the connection (user, dbname, host, application_name, options) carries quotes; the rendered line is
 * read back by a real POSIX shell (as a user pasting it would) and must give the argv that ran.
 * (A value that itself reads `password=…` or `PASSWORD '…'` is masked by the generic layer: over-masking, on purpose.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { formatConnString, parseConnString, type ConnParams } from '../../src/core/conn';
import { shellQuote } from '../../src/core/record/markdown';
import { renderAction, renderPlanMarkdown } from '../../src/core/runbook/render';
import { MASK, Redactor, scrubText } from '../../src/core/runbook/redact';

const HOSTILE: ConnParams = {
  host: `db'"x.example`,
  port: '5432',
  dbname: `app's "db" \\ --no-password 'x'`,
  user: `o'brien "the" pass'word`,
  application_name: `pilot's "app" --no-password`,
  options: `-c search_path='a b' -c application_name=\\'q\\'`,
};
const PASSWORD = `Canary-'q" \\ x@/:?#&=7`;

/** What `sh` makes of a rendered command line: the argv a user gets by pasting it. */
function shellWords(line: string): string[] {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

function commandsFor(conn: string): string[][] {
  return [
    ['/usr/lib/postgresql/15/bin/pg_dump', '--schema-only', '--no-password', `--dbname=${conn}`],
    ['/usr/lib/postgresql/15/bin/psql', '--no-psqlrc', '--no-password', '--quiet', `--dbname=${conn}`],
    ['pg_basebackup', '-D', '/data', '-d', conn, '-c', 'fast', '--no-password'],
  ];
}

const renderers: Array<[string, (argv: string[]) => string]> = [
  ['dry-run plan (render.ts)', (argv) => renderAction({ kind: 'host', cluster: 'source', argv })[1]],
  ['record (record/markdown.ts)', (argv) => shellQuote(argv)],
];

describe('commands in the plan and the record: exact, only the secret masked', () => {
  const conn = formatConnString(HOSTILE);

  for (const [name, render] of renderers) {
    it(`${name}: a command without a password is shown unchanged by every scrubbing layer`, () => {
      const redactor = new Redactor();
      redactor.add(PASSWORD);
      for (const argv of commandsFor(conn)) {
        const line = render(argv);
        assert.equal(scrubText(line), line);
        assert.equal(redactor.text(line), line);
        assert.deepEqual(shellWords(redactor.text(line)), argv, 'pasting the shown line runs exactly what ran');
      }
    });

    it(`${name}: with a password in the conninfo, only the password is masked`, () => {
      const withPassword = formatConnString({ ...HOSTILE, password: PASSWORD }, { includePassword: true });
      const redactor = new Redactor();
      redactor.add(PASSWORD);
      for (const argv of commandsFor(withPassword)) {
        for (const shown of [redactor.text(render(argv)), scrubText(render(argv))]) {
          assert.ok(!shown.includes('Canary'), shown);
          const words = shellWords(shown);
          const connWord = words.find((w) => w.includes('host='))!.replace(/^--dbname=/, '');
          assert.deepEqual(parseConnString(connWord), { ...HOSTILE, password: MASK }, shown);
          assert.deepEqual(words.filter((w) => !w.includes('host=')), argv.filter((w) => !w.includes('host=')));
        }
      }
    });
  }

  it('a dry-run plan in markdown keeps hostile names intact', () => {
    const argv = commandsFor(conn)[0];
    const md = renderPlanMarkdown('Plan', {
      runId: 'r1', status: 'succeeded', dryRun: true, journalFile: '/dev/null',
      steps: [{ id: 'copy-schema', title: 'Copy schema', status: 'planned', risk: 'safe', actions: [{ kind: 'host', cluster: 'source', argv }] }],
    } as never, [{ id: 'copy-schema', why: 'schema first', clusters: ['source'] }]);
    assert.equal(scrubText(md), md);
    const line = md.split('\n').find((l) => l.includes('pg_dump'))!;
    assert.deepEqual(shellWords(line), argv);
  });

  it('SQL passwords and password= settings are still masked', () => {
    assert.equal(scrubText(`ALTER ROLE "o'x" PASSWORD 'se''cret'`), `ALTER ROLE "o'x" PASSWORD '${MASK}'`);
    assert.equal(scrubText(`CREATE ROLE r LOGIN ENCRYPTED PASSWORD 'x'`), `CREATE ROLE r LOGIN ENCRYPTED PASSWORD '${MASK}'`);
    assert.equal(scrubText('host=h password=abc dbname=d'), `host=h password=${MASK} dbname=d`);
    assert.equal(scrubText('--no-password --password=abc'), '--no-password --password=abc', 'a flag is not a setting');
  });
});
