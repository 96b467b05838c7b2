'use strict';
// Starts code-server (VS Code 1.139 server + web workbench + real extension host) on loopback
// with everything it writes isolated under one folder. Used by start.js, smoke.js and tests.
//
//   const { startCodeServer } = require('./codeServer');
//   const cs = await startCodeServer({ dir: '/tmp/run1', folder: '/path/ws' });
//   console.log(cs.url); ...; await cs.stop();

const fs = require('fs');
const net = require('net');
const http = require('http');
const path = require('path');
const { spawn } = require('child_process');
const { ensureHost } = require('./setup');

const HOST = '127.0.0.1';

/** A free TCP port on 127.0.0.1 (ask the kernel, then release it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** True when something already accepts connections on 127.0.0.1:port. */
function portInUse(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    sock.setTimeout(1000);
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
    sock.once('error', () => resolve(false));
  });
}

function healthz(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path: '/healthz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.on('error', () => resolve(false));
  });
}

/** Pids of all descendants of `pid` (Linux /proc walk), deepest last. */
function descendants(pid) {
  const children = new Map();
  let entries = [];
  try { entries = fs.readdirSync('/proc'); } catch { return []; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(e));
    } catch { /* exited */ }
  }
  const out = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    for (const c of children.get(p) || []) { out.push(c); stack.push(c); }
  }
  return out;
}

/** Pids whose process group is `pgid` (Linux /proc). */
function groupMembers(pgid) {
  const out = [];
  let entries = [];
  try { entries = fs.readdirSync('/proc'); } catch { return out; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(e));
    } catch { /* exited */ }
  }
  return out;
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

function isZombie(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
  } catch { return true; }
}

function tail(file, n = 40) {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; }
}

/**
 * Start code-server.
 * @param {object} o
 * @param {string} o.dir             folder for everything code-server writes (user-data, extensions, XDG, log)
 * @param {number} [o.port=0]        0 = any free port
 * @param {string} [o.folder]        workspace folder to open
 * @param {string} [o.userDataDir]   default <dir>/user-data
 * @param {string} [o.extensionsDir] default <dir>/extensions
 * @param {string[]} [o.vscodeOptions] extra `--vscode-option` values, e.g. ['enable-smoke-test-driver']
 * @param {string[]} [o.args]        extra raw code-server arguments
 * @param {object} [o.env]           extra environment (passes through to the extension host)
 * @param {string} [o.logFile]       default <dir>/code-server.log
 * @param {number} [o.timeoutMs=60000] how long to wait for it to listen
 * @returns {Promise<{url:string, workbenchUrl:string, port:number, process:import('child_process').ChildProcess,
 *   dirs:object, logFile:string, stop:()=>Promise<void>}>}
 */
async function startCodeServer(o) {
  if (!o || !o.dir) throw new Error('startCodeServer: dir is required');
  const host = await ensureHost();
  const dir = path.resolve(o.dir);
  const dirs = {
    userDataDir: path.resolve(o.userDataDir || path.join(dir, 'user-data')),
    extensionsDir: path.resolve(o.extensionsDir || path.join(dir, 'extensions')),
    xdgConfig: path.join(dir, 'xdg', 'config'),
    xdgData: path.join(dir, 'xdg', 'data'),
    xdgCache: path.join(dir, 'xdg', 'cache'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const logFile = path.resolve(o.logFile || path.join(dir, 'code-server.log'));
  fs.mkdirSync(path.dirname(logFile), { recursive: true });

  let port = o.port || 0;
  if (port) {
    if (await portInUse(port)) {
      throw new Error(`port ${port} on ${HOST} is already in use (pick another with --port N, or --port 0 for any free port)`);
    }
  } else {
    port = await freePort();
  }

  const args = [
    '-r', path.join(__dirname, 'watchdog.js'),
    host.codeServerEntry,
    '--auth', 'none',
    '--bind-addr', `${HOST}:${port}`,
    '--user-data-dir', dirs.userDataDir,
    '--extensions-dir', dirs.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
  ];
  for (const v of o.vscodeOptions || []) args.push('--vscode-option', v);
  args.push(...(o.args || []));
  if (o.folder) args.push(path.resolve(o.folder));

  const env = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    TANDEM_HOST_OWNER_PID: String(process.pid),
    ...(o.env || {}),
  };
  delete env.NODE_OPTIONS; // a dev's NODE_OPTIONS (e.g. --require ts-node) must not leak into Node 24
  delete env.VSCODE_IPC_HOOK_CLI; // when started from a VS Code terminal, don't talk to that VS Code
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;

  const logFd = fs.openSync(logFile, 'a');
  fs.writeSync(logFd, `\n[${new Date().toISOString()}] ${host.node} ${args.join(' ')}\n`);
  // detached: its own process group, so stop() can signal the whole tree at once.
  const child = spawn(host.node, args, { env, cwd: o.folder || dir, detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);

  let exited = null;
  const exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  child.once('error', (err) => { exited = { code: -1, signal: null, error: err }; });

  let stopping = null;
  const emergencyKill = () => { // process 'exit' handler: synchronous only
    for (const pid of descendants(child.pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  process.once('exit', emergencyKill);

  const stop = (graceMs = 5000) => {
    if (stopping) return stopping;
    stopping = (async () => {
      // Everything in code-server's process group, plus descendants that left the group.
      const pids = new Set(descendants(child.pid));
      const remaining = () => {
        for (const p of descendants(child.pid)) pids.add(p);
        for (const p of groupMembers(child.pid)) pids.add(p);
        return [...pids].filter((p) => alive(p) && !isZombie(p));
      };
      const signalAll = (sig) => {
        try { process.kill(-child.pid, sig); } catch { /* group gone */ }
        for (const pid of remaining()) { try { process.kill(pid, sig); } catch { /* gone */ } }
      };
      signalAll('SIGTERM');
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && (!exited || remaining().length)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!exited || remaining().length) {
        signalAll('SIGKILL');
        await Promise.race([exitPromise, new Promise((r) => setTimeout(r, 2000))]);
        const t = Date.now();
        while (remaining().length && Date.now() - t < 2000) await new Promise((r) => setTimeout(r, 100));
      }
      process.removeListener('exit', emergencyKill);
    })();
    return stopping;
  };

  const timeoutMs = o.timeoutMs || 60000;
  const t0 = Date.now();
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`code-server exited during startup (${exited.error ? exited.error.message : exited.signal || `code ${exited.code}`}); log: ${logFile}\n${tail(logFile)}`);
    }
    if (await healthz(port)) break;
    if (Date.now() - t0 > timeoutMs) {
      await stop();
      throw new Error(`code-server did not answer on http://${HOST}:${port}/healthz within ${timeoutMs / 1000} s; log: ${logFile}\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }

  const url = `http://${HOST}:${port}/`;
  const workbenchUrl = o.folder ? `${url}?folder=${encodeURIComponent(path.resolve(o.folder))}` : url;
  return { url, workbenchUrl, port, process: child, dirs, logFile, exited: exitPromise, stop, startupMs: Date.now() - t0 };
}

module.exports = { startCodeServer, freePort, portInUse, descendants, HOST };
