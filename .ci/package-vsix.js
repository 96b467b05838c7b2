#!/usr/bin/env node
'use strict';
// Release tooling: `npm run package` (bundles, the addon, then this) writes one VSIX per platform
// with @vscode/vsce. The e2e suite packages the same way (test/host/vsix.js installs it into a
// fresh code-server, as a user would).
//
//   node .ci/package-vsix.js [--build] [--target <platform>[,…] | --all] [--out FILE]
//     no --target   this machine's platform, tandem-<version>.vsix (the addon of native/build)
//     --target P    tandem-<P>-<version>.vsix for each platform P (linux-x64, linux-arm64,
//                   win32-x64, win32-arm64), with native/build-<P>'s addon (docs/platforms.md)
//     --all         every platform this machine can build (all four on Linux x64)
//     --build       build each platform's addon first (native/scripts/cross-build.js; seconds when
//                   nothing changed); `npm run package` passes it
//     --out FILE    where the VSIX goes (one platform only)
//     --addon FILE  package this tandem.node (one platform, checked to be built for it): e.g. a
//                   GPU/NPU build made on the target machine (docs/backends.md)
//
// What goes in is decided by .vscodeignore (package.json, README, out/ bundles, the addon,
// media/). Each VSIX is platform-specific (vsce --target) and carries exactly one native addon,
// the one built for that platform: the files are staged in a folder of their own with that
// addon as out/tandem.node, so out/ (which tests and `npm start` use) is never touched, and the
// written package is read back and checked before it is reported.

const fs = require('fs');
const os = require('os');
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

/** The files .vscodeignore lets into the package: it is `**` followed by `!pattern` lines (kept
 *  that simple on purpose, so this reads it without walking node_modules and the build folders). */
function packagedFiles() {
  const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines[0] !== '**' || lines.slice(1).some((l) => !l.startsWith('!'))) {
    throw new Error('.vscodeignore must be `**` followed by `!pattern` lines (.ci/package-vsix.js stages exactly those files)');
  }
  const patterns = lines.slice(1).map((l) => l.slice(1));
  const toRegExp = (glob) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '.*')}$`);
  const regexps = patterns.map(toRegExp);
  const tops = [...new Set(patterns.map((p) => p.split('/')[0]))];
  const files = [];
  for (const top of tops) {
    const abs = path.join(ROOT, top);
    if (/[*?]/.test(top)) {
      for (const name of fs.readdirSync(ROOT)) if (toRegExp(top).test(name) && fs.statSync(path.join(ROOT, name)).isFile()) files.push(name);
    } else if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
      for (const e of fs.readdirSync(abs, { recursive: true, withFileTypes: true })) {
        if (e.isFile()) files.push(path.relative(ROOT, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'));
      }
    } else if (fs.existsSync(abs)) files.push(top);
  }
  return [...new Set(files)].filter((f) => regexps.some((r) => r.test(f))).sort();
}

/** Platform names: --target a,b / --all (cross-build.js knows them), else this machine's. */
function targetsFromArgs(argv) {
  const { platformsFromArgs } = require('../native/scripts/cross-build');
  const named = platformsFromArgs(argv);
  return named.length ? named : [vsceTarget()];
}

/** Packages the built extension for one platform (does not build). Returns the VSIX path.
 *  `addon`: another tandem.node than the platform's build; `named`: name the file after the platform. */
function packageVsix({ out, logger = log, target = vsceTarget(), addon, named = false } = {}) {
  const { addonPath } = require('../native/scripts/cross-build');
  const { readBinaryTarget } = require('../native/scripts/binary-target');
  const pkg = readManifest();
  const addonFile = addon || addonPath(target);
  const missing = REQUIRED_FILES.filter((f) => f !== 'out/tandem.node' && !fs.existsSync(path.join(ROOT, f)));
  if (missing.length) throw new Error(`cannot package: ${missing.join(', ')} missing (run \`npm run build:ext\`)`);
  if (!fs.existsSync(addonFile)) {
    throw new Error(`cannot package ${target}: ${path.relative(ROOT, addonFile)} missing (run \`node native/scripts/cross-build.js --target ${target}\`)`);
  }
  const built = readBinaryTarget(addonFile);
  if (built.platform !== target) throw new Error(`cannot package ${target}: ${path.relative(ROOT, addonFile)} is built for ${built.platform} (${built.detail})`);
  // a platform asked for by name gets vsce's own naming; the plain `npm run package` keeps its name
  const file = path.resolve(out || path.join(ROOT, named ? `${pkg.name}-${target}-${pkg.version}.vsix` : `${pkg.name}-${pkg.version}.vsix`));
  fs.mkdirSync(path.dirname(file), { recursive: true });

  const stage = fs.mkdtempSync(path.join(os.tmpdir(), `tandem-vsix-${target}-`));
  try {
    // vsce always adds package.json; the addon is the platform's, never whatever out/ holds
    for (const f of ['package.json', '.vscodeignore', ...packagedFiles().filter((f) => !f.endsWith('.node'))]) {
      fs.mkdirSync(path.dirname(path.join(stage, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(stage, f));
    }
    fs.mkdirSync(path.join(stage, 'out'), { recursive: true });
    fs.copyFileSync(addonFile, path.join(stage, 'out', 'tandem.node'));
    const vsce = require.resolve('@vscode/vsce/vsce');
    const args = [vsce, 'package', '--no-dependencies', '--target', target, '--out', file,
      // no repository URL and no LICENSE file yet; README's relative links stay relative
      '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'];
    const t0 = Date.now();
    const r = spawnSync(process.execPath, args, { cwd: stage, encoding: 'utf8' });
    if (r.status !== 0 || !fs.existsSync(file)) {
      throw new Error(`vsce package failed (exit ${r.status ?? r.error?.message}):\n${r.stdout}${r.stderr}`);
    }
    try {
      checkVsix(file, target);
    } catch (err) {
      fs.rmSync(file, { force: true }); // a package that fails its check is not left behind
      throw err;
    }
    logger(`${path.relative(process.cwd(), file)}: ${target}, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  return file;
}

/** Reads a written VSIX back: vsce's target in its manifest, exactly one .node, built for it. */
function checkVsix(file, target) {
  const { readVsix } = require('./vsix-contents');
  const { readBinaryTarget } = require('../native/scripts/binary-target');
  const vsix = readVsix(file);
  const manifest = vsix.read('extension.vsixmanifest').toString('utf8');
  if (!manifest.includes(`TargetPlatform="${target}"`)) throw new Error(`${file}: its manifest does not name TargetPlatform="${target}"`);
  const natives = vsix.entries.filter((e) => e.name.endsWith('.node')).map((e) => e.name);
  if (natives.length !== 1 || natives[0] !== 'extension/out/tandem.node') throw new Error(`${file}: native addons ${JSON.stringify(natives)}, expected only extension/out/tandem.node`);
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-vsix-check-')), 'tandem.node');
  try {
    fs.writeFileSync(tmp, vsix.read(natives[0]));
    const built = readBinaryTarget(tmp);
    if (built.platform !== target) throw new Error(`${file}: its tandem.node is built for ${built.platform}, not ${target}`);
  } finally {
    fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
  }
}

module.exports = { packageVsix, checkVsix, packagedFiles, readManifest, vsceTarget, targetsFromArgs, REQUIRED_FILES, ROOT };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const usage = 'usage: node .ci/package-vsix.js [--build] [--target <platform>[,…] | --all] [--out FILE] [--addon FILE]';
  try {
    let out;
    let addon;
    for (let k = 0; k < argv.length; k++) {
      if (argv[k] === '--out' && argv[k + 1] !== undefined) out = argv[++k];
      else if (argv[k] === '--addon' && argv[k + 1] !== undefined) addon = path.resolve(argv[++k]);
      else if (argv[k] === '--target' && argv[k + 1] !== undefined) k++;
      else if (argv[k] !== '--all' && argv[k] !== '--build') throw new Error(`unknown option ${JSON.stringify(argv[k])}; ${usage}`);
    }
    const named = argv.includes('--target') || argv.includes('--all');
    const targets = targetsFromArgs(argv);
    if (out && targets.length > 1) throw new Error(`--out names one file, and ${targets.length} platforms were asked for`);
    if (addon && (targets.length > 1 || argv.includes('--build'))) throw new Error('--addon packages one given tandem.node: name one --target, without --build');
    const t0 = Date.now();
    for (const target of targets) {
      if (argv.includes('--build')) require('../native/scripts/cross-build').buildPlatform(target);
      console.log(packageVsix({ out, target, named, addon }));
    }
    if (targets.length > 1) log(`${targets.length} packages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    console.error(`[vsix] error: ${err.message}`);
    process.exit(1);
  }
}
