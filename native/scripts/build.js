#!/usr/bin/env node
// Builds the native addon (native/build/Release/tandem.node) with cmake-js.
//   node native/scripts/build.js [--backend cpu] [--debug] [--out DIR]
// --out builds into another folder than native/build (e.g. to work on the engine while other
// processes use the built addon; load it with TANDEM_ADDON=DIR/Release/tandem.node).
// llama.cpp is fetched first unless LLAMA_CPP_DIR points at a checkout. ccache is used when it
// is installed, which makes rebuilds of llama.cpp take seconds instead of minutes.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const backend = opt('backend', 'cpu');
const backends = { cpu: [] };
if (!(backend in backends)) {
  console.error(`[build] unknown --backend ${backend}; supported here: ${Object.keys(backends).join(', ')}`);
  process.exit(2);
}

execFileSync(process.execPath, [path.join(__dirname, 'fetch-llama.js')], { stdio: 'inherit' });

const hasCcache = spawnSync('ccache', ['--version'], { stdio: 'ignore' }).status === 0;
const cmakeArgs = [
  'cmake-js', 'build', '-d', 'native', '-O', opt('out', 'native/build'),
  '-p', String(os.availableParallelism ? os.availableParallelism() : os.cpus().length),
  '--CDTANDEM_USE_CCACHE=' + (hasCcache ? 'ON' : 'OFF'),
  ...backends[backend],
];
if (args.includes('--debug')) cmakeArgs.push('--debug');
if (process.env.LLAMA_CPP_DIR) cmakeArgs.push(`--CDLLAMA_CPP_DIR=${process.env.LLAMA_CPP_DIR}`);
const t0 = Date.now();
// Paths under the repo are hashed relative to it, so every clone (CI's included) shares one cache.
const env = { ...process.env, CCACHE_BASEDIR: process.env.CCACHE_BASEDIR || root };
const r = spawnSync('npx', cmakeArgs, { cwd: root, stdio: 'inherit', env });
if (r.status !== 0) process.exit(r.status ?? 1);
console.error(`[build] native addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s (ccache ${hasCcache ? 'on' : 'off'})`);
