// One VSIX per platform (.ci/package-vsix.js, docs/platforms.md): each names its target in the
// manifest and carries exactly one tandem.node, byte for byte the one built for that platform; the
// rest of the package is the same everywhere. A .node for another platform is refused.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../native/fixtures';
import { whyPlatformChecksCannotRun } from './prerequisites';

/* eslint-disable @typescript-eslint/no-require-imports -- release tooling is plain JS */
const crossBuild = require(path.join(repoRoot, 'native', 'scripts', 'cross-build.js'));
const packaging = require(path.join(repoRoot, '.ci', 'package-vsix.js'));
const { readVsix } = require(path.join(repoRoot, '.ci', 'vsix-contents.js'));
/* eslint-enable @typescript-eslint/no-require-imports */

const PLATFORMS = ['linux-x64', 'linux-arm64', 'win32-x64', 'win32-arm64'];
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('platform VSIXs', function () {
  this.timeout(10 * 60_000);
  let dir: string;
  const written: Record<string, string> = {};

  before(function () {
    this.timeout(90 * 60_000); // the builds, when test/platforms/platforms.test.ts has not made them
    const why = whyPlatformChecksCannotRun(PLATFORMS, false);
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    // this machine's own addon (native/build) is built by test/run.js before any suite
    for (const p of PLATFORMS) if (p !== crossBuild.HOST) crossBuild.buildPlatform(p);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-vsix-platforms-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes one VSIX per platform with its target and only its own tandem.node', () => {
    const sizes: string[] = [];
    for (const target of PLATFORMS) {
      const file = packaging.packageVsix({ target, named: true, out: path.join(dir, `tandem-${target}.vsix`), logger: () => {} });
      written[target] = file;
      const vsix = readVsix(file);
      assert.match(vsix.read('extension.vsixmanifest').toString('utf8'), new RegExp(`TargetPlatform="${target}"`));
      const natives = vsix.entries.filter((e: { name: string }) => e.name.endsWith('.node')).map((e: { name: string }) => e.name);
      assert.deepEqual(natives, ['extension/out/tandem.node']);
      assert.equal(
        sha(vsix.read('extension/out/tandem.node')),
        sha(fs.readFileSync(crossBuild.addonPath(target))),
        `${target}: not its own build`,
      );
      sizes.push(`${target} ${(fs.statSync(file).size / 1e6).toFixed(1)} MB`);
    }
    console.log(`      ${sizes.join(', ')}`);
    // everything but the addon is the same in every package
    const listing = (t: string) =>
      readVsix(written[t])
        .entries.filter((e: { name: string }) => !e.name.endsWith('.node'))
        .map((e: { name: string; size: number }) => `${e.name} ${e.size}`)
        .sort();
    for (const t of PLATFORMS.slice(1))
      assert.deepEqual(
        listing(t).filter((l: string) => !l.startsWith('extension.vsixmanifest')),
        listing('linux-x64').filter((l: string) => !l.startsWith('extension.vsixmanifest')),
      );
  });

  it('refuses to package a .node built for another platform, and writes nothing', () => {
    const out = path.join(dir, 'wrong.vsix');
    assert.throws(
      () => packaging.packageVsix({ target: 'win32-arm64', addon: crossBuild.addonPath('linux-arm64'), out, logger: () => {} }),
      /cannot package win32-arm64: .* is built for linux-arm64/,
    );
    assert.equal(fs.existsSync(out), false);
  });

  it('the command line: --target names the platform in the file name, unknown platforms are refused', () => {
    const cli = path.join(repoRoot, '.ci', 'package-vsix.js');
    const ok = spawnSync(process.execPath, [cli, '--target', 'win32-arm64'], { cwd: dir, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const file = ok.stdout.trim();
    assert.match(path.basename(file), /^tandem-win32-arm64-\d+\.\d+\.\d+\.vsix$/);
    assert.equal(sha(readVsix(file).read('extension/out/tandem.node')), sha(fs.readFileSync(crossBuild.addonPath('win32-arm64'))));
    fs.rmSync(file);
    const bad = spawnSync(process.execPath, [cli, '--target', 'win32-ia32'], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unknown platform win32-ia32; known: linux-x64, linux-arm64, win32-x64, win32-arm64/);
  });
});
