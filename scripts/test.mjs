// Runs every suite the README's test command promises, in order, and ends with one plain summary line:
//   "tests: N passed, N failed"
// Suites: unit (pure functions), integration (real PostgreSQL 12–18 from the lab), e2e (real VS Code in code-server).
// Usage: node scripts/test.mjs [unit|integration|e2e ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const all = ['unit', 'integration', 'e2e'];
const wanted = process.argv.slice(2).filter((a) => all.includes(a));
const suites = wanted.length ? wanted : all;
mkdirSync('test-artifacts', { recursive: true });

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function runNodeTests(suite, extraArgs) {
  const files = testFiles(join('test', suite));
  if (!files.length) return { passed: 0, failed: 0 };
  const tap = join('test-artifacts', `${suite}.tap`);
  const r = spawnSync(process.execPath, [
    '--import', 'tsx', '--test', ...extraArgs,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ], { stdio: 'inherit' });
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) || [])[1] || 0);
  const failed = count('fail') + count('cancelled') + (r.status !== 0 && count('fail') === 0 ? 1 : 0);
  return { passed: count('pass'), failed };
}

function runE2e() {
  const r = spawnSync(process.execPath, ['test/e2e/run.mjs'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const resultFile = join('test-artifacts', 'e2e-result.json');
  if (existsSync(resultFile)) {
    const { passed, failed } = JSON.parse(readFileSync(resultFile, 'utf8'));
    return { passed, failed: failed + (r.status !== 0 && failed === 0 ? 1 : 0) };
  }
  return { passed: 0, failed: r.status === 0 ? 0 : 1 };
}

let passed = 0;
let failed = 0;
for (const suite of suites) {
  console.log(`\n=== ${suite} tests ===`);
  const res = suite === 'e2e'
    ? (existsSync('test/e2e/run.mjs') ? runE2e() : { passed: 0, failed: 0 })
    : runNodeTests(suite, suite === 'integration' ? ['--test-concurrency=1', '--test-timeout=600000'] : []);
  console.log(`=== ${suite}: ${res.passed} passed, ${res.failed} failed ===`);
  passed += res.passed;
  failed += res.failed;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
