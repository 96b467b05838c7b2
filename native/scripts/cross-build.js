#!/usr/bin/env node
// Builds the native addon for other platforms than this machine's, on Linux x64 (docs/platforms.md):
//   node native/scripts/cross-build.js --target <platform>[,<platform>…] | --all  [--debug] [--tests]
//   platforms: linux-x64, linux-arm64, win32-x64, win32-arm64 (and darwin-arm64/-x64 on a Mac);
//              this machine's own is native/scripts/build.js's native/build; --all: every
//              platform this machine can build
// Each cross target builds in its own folder, native/build-<platform>/Release/tandem.node, with a
// pinned toolchain that native/scripts/toolchains.js installs (zig 0.11 for Windows, Debian's
// aarch64 g++ for Linux arm64) and through ccache, so a rebuild with unchanged sources takes seconds.
// After the build the .node's header is checked: the right format (ELF/PE) and CPU.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const toolchains = require('./toolchains');
const { readBinaryTarget } = require('./binary-target');

const root = path.resolve(__dirname, '..', '..');

/** Per platform: the CMake toolchain file (CPU baseline inside) and the zig target of the cross
 *  builds; `native`: built only on such a machine (native/scripts/build.js, native/build). */
const PLATFORMS = {
  'linux-x64': { native: true, cpu: 'x86-64 with SSE4.2, AVX, AVX2, BMI2, FMA, F16C' },
  'linux-arm64': { toolchainFile: 'linux-arm64.cmake', cpu: 'Armv8.2-A with dotprod and fp16' },
  'win32-x64': { toolchainFile: 'windows-x64.cmake', zigTarget: 'x86_64-windows-gnu', cpu: 'x86-64 with SSE4.2, AVX, AVX2, BMI2, FMA, F16C' },
  'win32-arm64': { toolchainFile: 'windows-arm64.cmake', zigTarget: 'aarch64-windows-gnu', cpu: 'Armv8.2-A with dotprod, fp16 and i8mm' },
  // Apple's SDK (Xcode) is needed and cannot be had on Linux: built on a Mac (docs/platforms.md)
  'darwin-arm64': { native: true, cpu: "ggml's Apple silicon defaults", needs: "macOS with Xcode's command line tools" },
  'darwin-x64': { native: true, cpu: "ggml's defaults", needs: "macOS with Xcode's command line tools" },
};
const HOST = `${process.platform}-${process.arch}`;
/** What `--all` builds here: this machine's platform, and from Linux x64 the cross targets. */
const ALL_HERE = Object.keys(PLATFORMS).filter((p) => p === HOST || (HOST === 'linux-x64' && PLATFORMS[p].toolchainFile));

/** Where a platform's addon lands: native/build for this machine's, native/build-<platform> else. */
function addonPath(platform) {
  if (!(platform in PLATFORMS)) throw new Error(`unknown platform ${platform}; known: ${Object.keys(PLATFORMS).join(', ')}`);
  return path.join(root, 'native', platform === HOST ? 'build' : `build-${platform}`, 'Release', 'tandem.node');
}

function log(m) { process.stderr.write(`[cross-build] ${m}\n`); }

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} … failed (exit ${r.status ?? r.signal ?? r.error?.message})`);
}

/** Builds one platform; returns { platform, file, seconds }. `tests`: also the model-free C++ unit
 *  tests (Release/tandem_engine_tests[.exe]) of a cross build. */
function buildPlatform(platform, { debug = false, tests = false } = {}) {
  const spec = PLATFORMS[platform];
  const t0 = Date.now();
  if (platform === HOST) {
    run(process.execPath, [path.join(__dirname, 'build.js'), ...(debug ? ['--debug'] : [])]);
  } else {
    if (!spec.toolchainFile || HOST !== 'linux-x64') {
      throw new Error(spec.toolchainFile ? `cross builds run on linux-x64 (Debian/Ubuntu); this machine is ${HOST}`
        : `${platform} is built on a ${platform} machine${spec.needs ? ` (${spec.needs})` : ''}: npm run build:native there, then node .ci/package-vsix.js`);
    }
    toolchains.ensureApt(toolchains.APT.build[platform]);
    execFileSync(process.execPath, [path.join(__dirname, 'fetch-llama.js')], { stdio: 'inherit' });
    const buildDir = path.join(root, 'native', `build-${platform}`);
    const release = path.join(buildDir, 'Release');
    const defs = {
      CMAKE_TOOLCHAIN_FILE: path.join(root, 'native', 'cmake', spec.toolchainFile),
      CMAKE_BUILD_TYPE: debug ? 'Debug' : 'Release',
      // N-API headers only (the addon uses nothing else of Node's): the same for every platform
      CMAKE_JS_INC: path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include'),
      CMAKE_LIBRARY_OUTPUT_DIRECTORY: release,
      CMAKE_RUNTIME_OUTPUT_DIRECTORY: release,
      TANDEM_USE_CCACHE: spawnSync('ccache', ['--version'], { stdio: 'ignore' }).status === 0 ? 'ON' : 'OFF',
    };
    if (process.env.LLAMA_CPP_DIR) defs.LLAMA_CPP_DIR = process.env.LLAMA_CPP_DIR;
    if (spec.zigTarget) {
      const zig = toolchains.zigWrappers(spec.zigTarget);
      Object.assign(defs, { CMAKE_C_COMPILER: zig.cc, CMAKE_CXX_COMPILER: zig.cxx, CMAKE_AR: zig.ar, CMAKE_RANLIB: zig.ranlib });
    }
    // A changed configuration (toolchain, compiler, build type) starts the CMake cache afresh;
    // objects stay and ccache makes the rebuild quick.
    const stampFile = path.join(buildDir, 'tandem-cross.json');
    // (the toolchain file's text too: its flags only reach a fresh CMake cache)
    const generator = spawnSync('ninja', ['--version'], { stdio: 'ignore' }).status === 0 ? 'Ninja' : 'Unix Makefiles';
    const stamp = JSON.stringify({ ...defs, generator, toolchain: fs.readFileSync(defs.CMAKE_TOOLCHAIN_FILE, 'utf8') });
    if (!fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8') !== stamp) {
      fs.rmSync(path.join(buildDir, 'CMakeCache.txt'), { force: true });
      fs.rmSync(path.join(buildDir, 'CMakeFiles'), { recursive: true, force: true });
    }
    const env = { ...process.env, CCACHE_BASEDIR: process.env.CCACHE_BASEDIR || root };
    if (!fs.existsSync(path.join(buildDir, 'CMakeCache.txt'))) {
      run('cmake', ['-G', generator, '-S', path.join(root, 'native'), '-B', buildDir, ...Object.entries(defs).map(([k, v]) => `-D${k}=${v}`)], { env });
      fs.writeFileSync(stampFile, stamp);
    }
    const jobs = String(os.availableParallelism ? os.availableParallelism() : os.cpus().length);
    run('cmake', ['--build', buildDir, '--target', 'tandem', ...(tests ? ['tandem_engine_tests'] : []), '--parallel', jobs], { env });
  }
  const file = addonPath(platform);
  const found = readBinaryTarget(file);
  if (found.platform !== platform) throw new Error(`${path.relative(root, file)} was built for ${found.platform} (${found.detail}), not ${platform}`);
  const seconds = (Date.now() - t0) / 1000;
  log(`${platform}: ${path.relative(root, file)} (${found.detail}, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s`);
  return { platform, file, seconds };
}

/** Parses --target a,b / --target a --target b / --all. */
function platformsFromArgs(argv) {
  const wanted = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--all') wanted.push(...ALL_HERE);
    else if (argv[i] === '--target') {
      if (!argv[i + 1] || argv[i + 1].startsWith('--')) throw new Error('--target needs a platform');
      wanted.push(...argv[++i].split(',').map((p) => p.trim()).filter(Boolean));
    }
  }
  for (const p of wanted) {
    if (!(p in PLATFORMS)) throw new Error(`unknown platform ${p}; known: ${Object.keys(PLATFORMS).join(', ')}`);
  }
  return [...new Set(wanted)];
}

module.exports = { PLATFORMS, HOST, ALL_HERE, addonPath, buildPlatform, platformsFromArgs };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const usage = `usage: node native/scripts/cross-build.js --target <${Object.keys(PLATFORMS).join('|')}>[,…] | --all [--debug] [--tests]`;
  try {
    const unknown = argv.filter((a, i) => a.startsWith('--') && !['--all', '--target', '--debug', '--tests'].includes(a) && argv[i - 1] !== '--target');
    if (unknown.length) throw new Error(`unknown option ${unknown[0]}`);
    const platforms = platformsFromArgs(argv);
    if (platforms.length === 0) throw new Error('no platform named');
    const results = platforms.map((p) => buildPlatform(p, { debug: argv.includes('--debug'), tests: argv.includes('--tests') }));
    for (const r of results) console.log(`${r.platform}\t${r.seconds.toFixed(1)} s\t${path.relative(process.cwd(), r.file)}`);
  } catch (err) {
    log(`error: ${err.message}\n${usage}`);
    process.exit(1);
  }
}
