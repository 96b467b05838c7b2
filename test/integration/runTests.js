#!/usr/bin/env node
'use strict';
// Runs the integration suite (test/integration/*.test.ts, transpiled to out/test-build by
// `node esbuild.js --tests`) inside a real VS Code with @vscode/test-electron's runTests().
//
// Which VS Code (TANDEM_VSCODE=auto|electron|offline, default auto):
//   - VSCODE_EXECUTABLE_PATH set                  → that desktop VS Code (Electron);
//   - a VS Code already cached in .vscode-test/   → that one (Electron);
//   - update.code.visualstudio.com reachable      → @vscode/test-electron downloads one (Electron);
//   - otherwise (offline machines, this CI)       → test/host/vscode-offline: code-server 4.139.1
//     (VS Code 1.139.1, real extension host) + headless chromium, set up by test/host/setup.js.
//
//   node test/integration/runTests.js [--extension DIR] [--grep PATTERN [--invert]] [--stats FILE]
//
// --extension: the extension folder to test (default: the repo); its out/test-build holds the
// tests. Used to prove the suite fails against a deliberately broken copy.
// The fixture workspace is copied to a temp folder; the user settings point tandem.model.path at a
// generated test model, and the workspace's .vscode/settings.json tries to point it (and other
// machine-scoped settings) elsewhere. Exit code = the tests' exit code.

const fs = require('fs');
const os = require('os');
const net = require('net');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'workspace');
const OFFLINE_HOST = path.join(ROOT, 'test', 'host', 'vscode-offline');

function log(m) { console.error(`[integration] ${m}`); }

function parseArgs(argv) {
  const o = { extension: ROOT };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === '--extension') o.extension = path.resolve(val());
    else if (a === '--grep') o.grep = val();
    else if (a === '--invert') o.invert = true;
    else if (a === '--stats') o.stats = path.resolve(val());
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function reachable(host, port = 443, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (v) => { sock.destroy(); resolve(v); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Newest desktop VS Code already cached by @vscode/test-electron under .vscode-test/. */
function cachedVSCode() {
  const dir = path.join(ROOT, '.vscode-test');
  if (!fs.existsSync(dir)) return null;
  for (const e of fs.readdirSync(dir).filter((d) => d.startsWith('vscode-')).sort().reverse()) {
    for (const exe of ['code', 'Code.exe', 'Visual Studio Code.app/Contents/MacOS/Electron']) {
      const p = path.join(dir, e, exe);
      if (fs.existsSync(p)) return p;
    }
  }
  return null;
}

/** { kind: 'electron'|'offline', executable?: string, why } */
async function pickVSCode() {
  const mode = process.env.TANDEM_VSCODE || 'auto';
  if (mode === 'offline') return { kind: 'offline', executable: OFFLINE_HOST, why: 'TANDEM_VSCODE=offline' };
  if (process.env.VSCODE_EXECUTABLE_PATH) {
    return { kind: 'electron', executable: process.env.VSCODE_EXECUTABLE_PATH, why: 'VSCODE_EXECUTABLE_PATH' };
  }
  const cached = cachedVSCode();
  if (cached) return { kind: 'electron', executable: cached, why: 'cached in .vscode-test/' };
  if (mode === 'electron' || await reachable('update.code.visualstudio.com')) {
    return { kind: 'electron', executable: undefined, why: 'download by @vscode/test-electron' };
  }
  return { kind: 'offline', executable: OFFLINE_HOST, why: 'no desktop VS Code available offline' };
}

/** The generated test model (deepseek-coder vocab: has FIM tokens), made once and cached. */
function testModel(extension) {
  const { resolveModel } = require('../host/start');
  const saved = process.env.TANDEM_MODEL;
  delete process.env.TANDEM_MODEL; // the suite always uses the generated model
  try { return resolveModel(undefined, extension, { strict: true }).path; } finally {
    if (saved !== undefined) process.env.TANDEM_MODEL = saved;
  }
}

/** A snapshot of the built extension (package.json, out/ bundles + addon + transpiled integration
 *  tests, media/) in the run folder: a concurrent `node esbuild.js` rewriting out/tandem.node while
 *  the engine host has it mapped would crash it mid-test. node_modules is linked (mocha). */
function stageExtension(src, runDir) {
  const dst = path.join(runDir, 'extension');
  fs.mkdirSync(path.join(dst, 'out'), { recursive: true });
  fs.copyFileSync(path.join(src, 'package.json'), path.join(dst, 'package.json'));
  for (const f of fs.readdirSync(path.join(src, 'out'))) {
    const p = path.join(src, 'out', f);
    if (fs.statSync(p).isFile()) fs.copyFileSync(p, path.join(dst, 'out', f));
  }
  fs.cpSync(path.join(src, 'out', 'test-build', 'test', 'integration'), path.join(dst, 'out', 'test-build', 'test', 'integration'), { recursive: true });
  for (const d of ['media']) {
    if (fs.existsSync(path.join(src, d))) fs.cpSync(path.join(src, d), path.join(dst, d), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dst, 'node_modules'), 'dir');
  return dst;
}

/** Settings a workspace must not be able to change (machine and application scope): the fixture's
 *  .vscode/settings.json tries anyway, and settings.test.ts checks VS Code ignores it. */
const HOSTILE_WORKSPACE_SETTINGS = {
  'tandem.model.path': '/tmp/workspace-chosen-model.gguf',
  'tandem.explain.modelPath': '/tmp/workspace-chosen-explain-model.gguf',
  'tandem.model.downloadBaseUrl': 'http://127.0.0.1:9/evil-mirror',
  'tandem.engine.contextSize': 1048576,
  // where code is sent is the user's choice alone (server.test.ts also points these at a live server)
  'tandem.engine.kind': 'server',
  'tandem.engine.serverUrl': 'http://127.0.0.1:9/workspace-chosen-server',
};

function prepareWorkspace(runDir, model) {
  const ws = path.join(runDir, 'workspace');
  fs.cpSync(FIXTURE, ws, { recursive: true });
  // The model is the user's choice: machine scope, so a workspace value is ignored. code-server is a
  // remote window: machine-scoped settings come from its Machine/settings.json, not User/.
  for (const dir of ['User', 'Machine']) {
    const settingsDir = path.join(runDir, 'user-data', dir);
    fs.mkdirSync(settingsDir, { recursive: true });
    fs.writeFileSync(path.join(settingsDir, 'settings.json'), `${JSON.stringify({ 'tandem.model.path': model }, null, 2)}\n`);
  }
  fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), `${JSON.stringify({
    ...HOSTILE_WORKSPACE_SETTINGS,
    'tandem.completion.maxTokens': 24,
    // prefetching after a shown suggestion sends extra requests: off, so engine calls are the tests'
    'tandem.completion.prefetch': 'off',
    'editor.inlineSuggest.enabled': true,
    // the suggest widget would hide ghost text and steal Tab/commit
    'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
    'editor.suggestOnTriggerCharacters': false,
    'editor.wordBasedSuggestions': 'off',
    'files.autoSave': 'off',
    'git.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'workbench.startupEditor': 'none',
  }, null, 2)}\n`);
  return ws;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const built = path.join(o.extension, 'out', 'test-build', 'test', 'integration', 'index.js');
  if (!fs.existsSync(built)) throw new Error(`${built} missing: run \`node esbuild.js --tests\``);
  for (const f of ['out/extension.js', 'out/engineHost.js', 'out/tandem.node']) {
    if (!fs.existsSync(path.join(o.extension, f))) throw new Error(`${path.join(o.extension, f)} missing: run \`node esbuild.js\``);
  }
  const model = testModel(o.extension);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-it-'));
  const ws = prepareWorkspace(runDir, model);
  const extension = stageExtension(o.extension, runDir);
  const testsPath = path.join(extension, 'out', 'test-build', 'test', 'integration', 'index.js');
  const vscode = await pickVSCode();
  log(`VS Code: ${vscode.kind} (${vscode.why}); model ${model}; workspace ${ws}`);
  const { runTests } = require('@vscode/test-electron');
  const stats = o.stats || path.join(runDir, 'stats.json');
  let code = 0;
  try {
    await runTests({
      vscodeExecutablePath: vscode.executable,
      extensionDevelopmentPath: extension,
      extensionTestsPath: testsPath,
      launchArgs: [ws, `--user-data-dir=${path.join(runDir, 'user-data')}`,
        `--extensions-dir=${path.join(runDir, 'extensions')}`, '--disable-extensions'],
      extensionTestsEnv: {
        TANDEM_TEST_STATS: stats,
        TANDEM_IT_MODEL: model,
        TANDEM_IT_REPO: ROOT, // server.test.ts starts llama-server with test/support/llamaServer.ts from here
        TANDEM_IT_WORKSPACE: ws,
        TANDEM_IT_HOSTILE_SETTINGS: JSON.stringify(HOSTILE_WORKSPACE_SETTINGS),
        TANDEM_IT_SCRATCH: path.join(runDir, 'scratch'),
        TANDEM_IT_ARTIFACTS: path.join(ROOT, 'test-artifacts'),
        TANDEM_HOST_ARTIFACTS: path.join(ROOT, 'test-artifacts'),
        ...(o.grep ? { TANDEM_IT_GREP: o.grep, TANDEM_IT_INVERT: o.invert ? '1' : '0' } : {}),
      },
    });
  } catch (err) {
    code = typeof err.code === 'number' && err.code ? err.code : 1;
    log(`tests failed: ${err.message}`);
  } finally {
    if (!process.env.TANDEM_IT_KEEP) fs.rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  }
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s (exit ${code})`);
  return code;
}

module.exports = { pickVSCode, cachedVSCode };

if (require.main === module) {
  main().then((c) => process.exit(c), (err) => { log(err.stack || String(err)); process.exit(1); });
}
