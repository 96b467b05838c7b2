#!/usr/bin/env node
// Builds llama.cpp's own `llama-server` from the pinned llama.cpp the addon uses, for the tests of
// Tandem's `server` engine kind and for `tandem bench server`:
//   node native/scripts/build-llama-server.js [--quiet]     (--quiet: CMake's output only on failure)
// Build folder native/build-server (git-ignored), one target: `llama-server`; a second run is a
// no-op when nothing changed. The last line on stdout is the binary's absolute path (progress goes
// to stderr).
//
// ccache: llama.cpp's CMake project is added the way native/CMakeLists.txt adds it for the addon —
// as the subfolder `llama.cpp` of the build folder, from a two-line wrapper project written into
// native/build-server/project — with the addon build's compiler, C++ standard, build type, ggml
// options, PIC and static libraries. With CCACHE_BASEDIR = the repository, every ggml and libllama
// compile (unity files and generated headers included) is then the addon build's own, down to its
// paths, and comes from ccache (preprocessor-mode hits; the addon also passes
// -DBUILDING_NODE_EXTENSION, which no llama.cpp source reads). llama-common, cpp-httplib, mtmd and
// the server itself are compiled once and then cached like everything else.
// No network at build time: no OpenSSL (plain HTTP is all the tests use), no web UI (neither built
// with npm nor downloaded prebuilt). This llama.cpp has no LLAMA_CURL any more (it warns and
// ignores it); its download code uses cpp-httplib and is never called here.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const buildDir = path.join(root, 'native', 'build-server');
const exe = process.platform === 'win32' ? 'llama-server.exe' : 'llama-server';
// llama.cpp puts its programs in ${CMAKE_BINARY_DIR}/bin: the top of the build folder
const binary = path.join(buildDir, 'bin', exe);
const quiet = process.argv.includes('--quiet');
const unknown = process.argv.slice(2).filter((a) => a !== '--quiet');
if (unknown.length) {
  console.error(`[build-server] unknown option ${unknown[0]}\nusage: node native/scripts/build-llama-server.js [--quiet]`);
  process.exit(2);
}

function log(msg) { process.stderr.write(`[build-server] ${msg}\n`); }

execFileSync(process.execPath, [path.join(__dirname, 'fetch-llama.js')], { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
const llamaDir = process.env.LLAMA_CPP_DIR || path.join(root, 'native', 'deps', 'llama.cpp');
if (!fs.existsSync(path.join(llamaDir, 'tools', 'server', 'CMakeLists.txt'))) {
  log(`no llama.cpp server sources at ${llamaDir}/tools/server: run \`npm run fetch:llama\` or set LLAMA_CPP_DIR to a llama.cpp checkout`);
  process.exit(1);
}

const works = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const ccache = works('ccache', ['--version']);
const ninja = works('ninja', ['--version']);
const options = {
  CMAKE_BUILD_TYPE: 'Release',
  ...(ccache ? { CMAKE_C_COMPILER_LAUNCHER: 'ccache', CMAKE_CXX_COMPILER_LAUNCHER: 'ccache' } : {}),
  ...(process.env.CMAKE_TOOLCHAIN_FILE ? { CMAKE_TOOLCHAIN_FILE: process.env.CMAKE_TOOLCHAIN_FILE } : {}),
};
// The wrapper: as native/CMakeLists.txt sets up llama.cpp for the addon (keep the two in step),
// except that common, the tools and the server are built here.
const cache = (name, value) => `set(${name} ${value} CACHE BOOL "" FORCE)`;
const wrapper = [
  '# Written by native/scripts/build-llama-server.js: llama.cpp as the addon build adds it, plus llama-server.',
  'cmake_minimum_required(VERSION 3.18)',
  'project(tandem_llama_server C CXX)',
  'set(CMAKE_CXX_STANDARD 17)',
  'set(CMAKE_CXX_STANDARD_REQUIRED ON)',
  cache('BUILD_SHARED_LIBS', 'OFF'),
  'set(CMAKE_POSITION_INDEPENDENT_CODE ON)',
  ...Object.entries({
    LLAMA_BUILD_TESTS: 'OFF', LLAMA_BUILD_EXAMPLES: 'OFF', LLAMA_BUILD_APP: 'OFF',
    LLAMA_BUILD_COMMON: 'ON', LLAMA_BUILD_TOOLS: 'ON', LLAMA_BUILD_SERVER: 'ON',
    LLAMA_BUILD_UI: 'OFF', LLAMA_USE_PREBUILT_UI: 'OFF', LLAMA_OPENSSL: 'OFF', LLAMA_ALL_WARNINGS: 'OFF',
    GGML_CCACHE: 'OFF', GGML_OPENMP: 'OFF', GGML_NATIVE: 'OFF',
  }).map(([k, v]) => cache(k, v)),
  // binary folder `llama.cpp`, as in the addon build: the paths ccache sees are then the same
  `add_subdirectory("${llamaDir.replace(/\\/g, '/')}" llama.cpp EXCLUDE_FROM_ALL)`,
  '',
].join('\n');

// A changed wrapper or option set (another llama.cpp, ccache installed since) starts the CMake
// cache afresh; objects stay and ccache keeps the rebuild short.
const projectDir = path.join(buildDir, 'project');
const stampFile = path.join(buildDir, 'tandem-server-options.json');
const stamp = JSON.stringify({ generator: ninja ? 'Ninja' : 'default', options, wrapper });
const configured = fs.existsSync(path.join(buildDir, 'CMakeCache.txt')) && fs.existsSync(stampFile)
  && fs.readFileSync(stampFile, 'utf8') === stamp;
const env = { ...process.env, CCACHE_BASEDIR: process.env.CCACHE_BASEDIR || root };
// CMake's and ninja's output goes to stderr (stdout carries only the path); with --quiet it is
// kept and shown only when a step fails (ninja prints compile errors on its stdout).
function cmake(args) {
  const r = spawnSync('cmake', args, { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', process.stderr, 'inherit'] });
  if (quiet && r.status !== 0) process.stderr.write(`${r.stdout || ''}${r.stderr || ''}`);
  return r;
}
const t0 = Date.now();
if (!configured) {
  fs.rmSync(path.join(buildDir, 'CMakeCache.txt'), { force: true });
  fs.mkdirSync(projectDir, { recursive: true });
  fs.writeFileSync(path.join(projectDir, 'CMakeLists.txt'), wrapper);
  const args = ['-S', projectDir, '-B', buildDir, ...(ninja ? ['-G', 'Ninja'] : []),
    ...Object.entries(options).map(([k, v]) => `-D${k}=${v}`)];
  log(`configuring llama.cpp (${path.relative(root, llamaDir)}) in ${path.relative(root, buildDir)}`);
  const r = cmake(args);
  if (r.status !== 0) {
    log(r.error ? `cmake could not run: ${r.error.message} (install CMake ≥ 3.18)` : `cmake configure failed (exit ${r.status}), see above`);
    process.exit(1);
  }
  fs.writeFileSync(stampFile, stamp);
}
const jobs = String(os.availableParallelism ? os.availableParallelism() : os.cpus().length);
const r = cmake(['--build', buildDir, '--target', 'llama-server', '--config', 'Release', '-j', jobs]);
if (r.status !== 0) {
  log(`building llama-server failed (exit ${r.status ?? r.signal}), see above`);
  process.exit(1);
}
if (!fs.existsSync(binary)) {
  log(`the build finished but ${path.relative(root, binary)} is not there`);
  process.exit(1);
}
log(`llama-server built in ${((Date.now() - t0) / 1000).toFixed(1)} s (ccache ${ccache ? 'on' : 'off'})`);
process.stdout.write(`${binary}\n`);
