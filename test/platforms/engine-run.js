// Runs one completion through the packaged engine host (out/engineHost.js) with a given tandem.node,
// under whatever Node runs this script: the platform's own Node binary under qemu-aarch64 or wine
// (test/platforms/run-platform.js starts it). Plain JS with no dependencies, so the target Node
// needs nothing but this file, the bundle and the addon.
//   node engine-run.js --addon FILE --model FILE --out RESULT.json [--exec-path WRAPPER]
// The result (JSON) goes to a file, not stdout: node.exe under wine cannot write to a Linux pipe.
// --exec-path: what the engine host is started with (fork's execPath). Under qemu-user an
// emulated process cannot exec another emulated binary (no binfmt_misc here), so it execs a shell
// script that starts qemu again; elsewhere the default, this same Node binary.
'use strict';
const { fork } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PROMPT = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return ';
const MAX_TOKENS = 24;
const TIMEOUT_MS = Number(process.env.TANDEM_ENGINE_RUN_TIMEOUT_MS || 600_000);

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const addon = option('addon');
const model = option('model');
const out = option('out');
const execPath = option('exec-path');
if (!addon || !model || !out) {
  process.exitCode = 2;
  throw new Error('usage: node engine-run.js --addon FILE --model FILE --out RESULT.json [--exec-path WRAPPER]');
}

const result = { node: { version: process.version, platform: process.platform, arch: process.arch, execPath: process.execPath } };
const write = () => fs.writeFileSync(out, JSON.stringify(result, null, 1));
const stderr = [];

// The addon in this process too: its llama.cpp system info names the CPU features compiled in.
try {
  const direct = require(path.resolve(addon));
  result.version = direct.version();
} catch (err) {
  result.directLoadError = String(err && err.message);
}

const host = fork(path.join(__dirname, '..', '..', 'out', 'engineHost.js'), ['--addon', path.resolve(addon)], {
  stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  env: { ...process.env, TANDEM_LOG_LEVEL: 'error' },
  execArgv: [],
  serialization: 'json',
  ...(execPath ? { execPath } : {}),
});
host.stdout.on('data', (d) => stderr.push(String(d)));
host.stderr.on('data', (d) => stderr.push(String(d)));

let nextId = 1;
const pending = new Map();
function request(method, params) {
  const id = nextId++;
  host.send({ type: 'request', id, method, params });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

let helloSeen;
const hello = new Promise((resolve) => { helloSeen = resolve; });
host.on('message', (m) => {
  if (m.type === 'hello') helloSeen(m);
  const waiter = pending.get(m.id);
  if (!waiter) return;
  if (m.type === 'result') { pending.delete(m.id); waiter.resolve(m.result); }
  if (m.type === 'error') { pending.delete(m.id); waiter.reject(Object.assign(new Error(m.error.message), { code: m.error.code })); }
});
host.on('exit', (code, signal) => {
  result.hostExit = { code, signal };
  for (const w of pending.values()) w.reject(new Error(`engine host exited (${code ?? signal})`));
  pending.clear();
});

const timer = setTimeout(() => {
  result.error = `timed out after ${TIMEOUT_MS} ms`;
  host.kill('SIGKILL');
}, TIMEOUT_MS);

async function main() {
  const t0 = Date.now();
  const h = await hello;
  result.hello = { addon: h.addon, addonError: h.addonError, ms: Date.now() - t0 };
  if (!h.addon) return;
  // an engine error is a C++ exception caught at the N-API boundary: unwinding works on this platform
  result.missingModel = await request('loadModel', { path: `${path.resolve(model)}.missing`, device: 'cpu' })
    .then(() => 'loaded', (err) => err.code);
  const info = await request('loadModel', { path: path.resolve(model), contextSize: 512, threads: 2, device: 'cpu' });
  result.model = { description: info.description, layers: info.layers, vocabSize: info.vocabSize };
  const prompt = [PROMPT];
  const greedy = await request('complete', { session: 'completion', request: { prompt, maxTokens: MAX_TOKENS, speculation: 'off' } });
  // the speculative path too: it must give the same text (lossless) on this CPU as well
  const speculative = await request('complete', { session: 'explain', request: { prompt, maxTokens: MAX_TOKENS, speculation: 'auto' } });
  result.completion = { text: greedy.text, tokens: greedy.tokens, stopReason: greedy.stats.stopReason };
  result.speculative = { text: speculative.text, tokens: speculative.tokens };
  result.ms = Date.now() - t0;
}

main()
  .catch((err) => { result.error = `${err.code ? `${err.code}: ` : ''}${err.message}`; })
  .finally(() => {
    clearTimeout(timer);
    result.hostOutput = stderr.join('').slice(-4000);
    if (host.connected) host.disconnect();
    write();
  });
