#!/usr/bin/env node
'use strict';
// Release tooling: `npm run package` (build, production bundles, then this) writes
// tandem-<version>.vsix with @vscode/vsce. The e2e suite packages the same way
// (test/host/vsix.js installs it into a fresh code-server, as a user would).
//
//   node .ci/package-vsix.js [--out FILE]     packages the current build (out/ must be built)
//
// What goes in is decided by .vscodeignore (package.json, README, out/ bundles, the addon,
// media/). The VSIX is platform-specific (--target): it carries one native addon, built here.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
/** What must be in the installed extension for it to run (relative to its folder). */
const REQUIRED_FILES = ['package.json', 'out/extension.js', 'out/engineHost.js', 'out/cli.js', 'out/tandem.node',
  'media/explain.js', 'media/explain.css',
  // the walkthrough's steps (package.json contributes.walkthroughs)
  'media/walkthrough/model.md', 'media/walkthrough/complete.md', 'media/walkthrough/explain.md', 'media/walkthrough/status.md'];

function log(m) { console.error(`[vsix] ${m}`); }

/** vsce's --target for this machine (the addon in out/ was built for it). */
function vsceTarget(platform = process.platform, arch = process.arch) {
  const archs = { x64: 'x64', arm64: 'arm64', arm: 'armhf' };
  const platforms = { linux: 'linux', darwin: 'darwin', win32: 'win32' };
  if (!platforms[platform] || !archs[arch]) throw new Error(`no VS Code target for ${platform}-${arch}`);
  return `${platforms[platform]}-${archs[arch]}`;
}

function readManifest() {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
}

/** Packages the built extension (does not build). Returns the VSIX path. */
function packageVsix({ out, logger = log } = {}) {
  const pkg = readManifest();
  const missing = REQUIRED_FILES.filter((f) => !fs.existsSync(path.join(ROOT, f)));
  if (missing.length) throw new Error(`cannot package: ${missing.join(', ')} missing (run \`npm run build\`)`);
  const file = path.resolve(out || path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const vsce = require.resolve('@vscode/vsce/vsce');
  const args = [vsce, 'package', '--no-dependencies', '--target', vsceTarget(), '--out', file,
    // no repository URL and no LICENSE file yet; README's relative links stay relative
    '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(file)) {
    throw new Error(`vsce package failed (exit ${r.status ?? r.error?.message}):\n${r.stdout}${r.stderr}`);
  }
  logger(`${path.relative(process.cwd(), file)}: ${(fs.statSync(file).size / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

module.exports = { packageVsix, readManifest, vsceTarget, REQUIRED_FILES, ROOT };

if (require.main === module) {
  const argv = process.argv.slice(2);
  try {
    let out;
    for (let k = 0; k < argv.length; k++) {
      if (argv[k] === '--out' && argv[k + 1] !== undefined) out = argv[++k];
      else throw new Error(`unknown option ${JSON.stringify(argv[k])}; usage: node .ci/package-vsix.js [--out FILE]`);
    }
    console.log(packageVsix({ out }));
  } catch (err) {
    console.error(`[vsix] error: ${err.message}`);
    process.exit(1);
  }
}
