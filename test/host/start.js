#!/usr/bin/env node
'use strict';
// `npm start`: run Tandem in a real VS Code (code-server 4.139.1 = VS Code 1.139.1, real extension
// host) on this machine, offline, and print the URL to open in a browser. See --help.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ensureHost } = require('./setup');
const { startCodeServer } = require('./codeServer');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD_OUTPUTS = ['out/extension.js', 'out/engineHost.js', 'out/tandem.node'];
// The generated default model. The qwen2 vocab from llama.cpp has no FIM tokens, so the engine
// rejects a qwen2 test model for completions (MODEL_NO_FIM); deepseek-coder's vocab has them.
const TEST_MODEL_ARGS = ['--arch', 'llama', '--layers', '2', '--embd', '64', '--vocab', 'deepseek-coder'];
const DEFAULT_MODEL = path.join(ROOT, '.tandem', 'models', 'tandem-test-deepseek-coder.gguf');
const DEFAULT_WORKSPACE = path.join(ROOT, '.tandem', 'workspace');
const DEFAULT_DATA_DIR = path.join(ROOT, '.tandem', 'vscode');

const HELP = `Usage: npm start -- [options]      (or: node test/host/start.js [options])

Runs Tandem inside a real VS Code on this machine, offline: code-server 4.139.1
(VS Code 1.139.1, the real Node extension host) from the npm registry, installed
once into ~/.cache/tandem/vscode-host (TANDEM_HOST_CACHE overrides). Prints the
URL to open in a browser and keeps running until Ctrl-C.

Options:
  --port N         port on 127.0.0.1 (default 8080; 0 = any free port)
  --model FILE     GGUF model for tandem.model.path (default: $TANDEM_MODEL, else the
                   existing tandem.model.path in <data-dir>'s settings, else a
                   small random-weight test model with FIM tokens generated
                   once into .tandem/models/tandem-test-deepseek-coder.gguf;
                   its completions are gibberish, use a real GGUF for real ones)
  --folder DIR     workspace folder to open (default: a sample workspace created
                   in .tandem/workspace)
  --data-dir DIR   VS Code user data, extensions and logs (default .tandem/vscode;
                   kept between runs, so your settings there persist)
  --extension DIR  extension folder to load (default: this repository)
  --no-build       do not run \`npm run build\` when out/ is incomplete
  --rebuild        run \`npm run build\` first even when out/ is complete
  -h, --help       this text

Steps: ensure Node 24 + code-server (first run ~1 min, then cached) -> build the
extension if out/extension.js, out/engineHost.js or out/tandem.node is missing ->
link the extension into <data-dir>/extensions as <publisher>.<name>-<version> ->
merge "tandem.model.path" into <data-dir>/user-data/{Machine,User}/settings.json -> start
code-server with --auth none on 127.0.0.1 only.

From another machine, tunnel the port: ssh -L 8080:127.0.0.1:8080 <this-host>
Environment variables set here reach the extension host (e.g. TANDEM_* knobs).`;

function parseArgs(argv) {
  const o = { port: 8080, build: true };
  const need = (i, flag) => {
    if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { inline = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = (flag) => (inline !== null ? inline : need(i++, flag));
    switch (a) {
      case '-h': case '--help': o.help = true; break;
      case '--port': {
        const v = val(a);
        o.port = Number(v);
        if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new UsageError(`--port: bad port "${v}"`);
        break;
      }
      case '--model': o.model = val(a); break;
      case '--folder': o.folder = val(a); break;
      case '--data-dir': o.dataDir = val(a); break;
      case '--extension': o.extension = val(a); break;
      case '--no-build': o.build = false; break;
      case '--rebuild': o.rebuild = true; break;
      default: throw new UsageError(`unknown option "${argv[i]}" (see --help)`);
    }
  }
  return o;
}

class UsageError extends Error {}

function log(m) { console.error(`[tandem start] ${m}`); }

/** Build outputs missing under the extension folder. */
function missingBuildOutputs(extDir = ROOT) {
  return BUILD_OUTPUTS.filter((f) => !fs.existsSync(path.join(extDir, f)));
}

/** Runs `npm run build` in the repo when outputs are missing. Throws on failure. */
function ensureBuilt({ extDir = ROOT, build = true, rebuild = false } = {}) {
  const missing = missingBuildOutputs(extDir);
  if (!missing.length && !rebuild) return { built: false, missing: [] };
  if (!build || extDir !== ROOT) return { built: false, missing };
  log(`${missing.length ? `missing ${missing.join(', ')}` : '--rebuild'} -> running \`npm run build\` (a first native build can take several minutes) ...`);
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    throw new Error(`\`npm run build\` failed (exit ${r.status ?? r.error?.message}). Fix the build, ` +
      'or start anyway without the extension bundle using --no-build.');
  }
  const still = missingBuildOutputs(extDir);
  if (still.length) throw new Error(`\`npm run build\` succeeded but ${still.join(', ')} still missing`);
  log(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { built: true, missing: [] };
}

/** Links extDir into extensionsDir as <publisher>.<name>-<version>; removes stale versions. */
function linkExtension(extDir, extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(extDir, 'package.json'), 'utf8'));
  if (!pkg.publisher || !pkg.name || !pkg.version) {
    throw new Error(`${extDir}/package.json needs publisher, name and version`);
  }
  const id = `${pkg.publisher}.${pkg.name}`.toLowerCase();
  const linkName = `${id}-${pkg.version}`;
  fs.mkdirSync(extensionsDir, { recursive: true });
  for (const e of fs.readdirSync(extensionsDir)) {
    if (e.toLowerCase().startsWith(`${id}-`) && e !== linkName) {
      fs.rmSync(path.join(extensionsDir, e), { recursive: true, force: true });
    }
  }
  const link = path.join(extensionsDir, linkName);
  let current = null;
  try { current = fs.readlinkSync(link); } catch { /* absent or not a link */ }
  if (current !== path.resolve(extDir)) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(path.resolve(extDir), link, 'dir');
  }
  // VS Code keeps a manifest of installed extensions; if an earlier session wrote one that
  // lacks this extension, or marked it removed, drop the cached entries so the folder is rescanned.
  for (const f of ['extensions.json', '.obsolete']) {
    const p = path.join(extensionsDir, f);
    if (!fs.existsSync(p)) continue;
    try {
      const data = JSON.parse(fs.readFileSync(p, 'utf8'));
      if (f === '.obsolete') {
        if (Object.keys(data).some((k) => k.toLowerCase().startsWith(id))) fs.rmSync(p);
      } else if (!Array.isArray(data) || !data.some((x) => x && x.identifier &&
          String(x.identifier.id).toLowerCase() === id && x.version === pkg.version)) {
        fs.rmSync(p); // VS Code rebuilds it from the folders
      }
    } catch { fs.rmSync(p, { force: true }); }
  }
  return { id, version: pkg.version, displayName: pkg.displayName || pkg.name, link };
}

/** Parses JSON with comments and trailing commas (VS Code's settings.json dialect). */
function parseJsonc(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else { out += c; i++; }
  }
  out = out.replace(/,(\s*[}\]])/g, '$1');
  return out.trim() ? JSON.parse(out) : {};
}

// code-server is a remote window: settings with machine scope (tandem.model.path and the other
// settings that name a file or a size) are read from <data>/Machine/settings.json, and VS Code writes
// them there too ("Remote" tab in the Settings UI). Application and window settings stay in User/.

/** A setting's value in the remote (Machine) settings, else the User settings. */
function readUserSetting(userDataDir, key) {
  for (const dir of ['Machine', 'User']) {
    try {
      const value = parseJsonc(fs.readFileSync(path.join(userDataDir, dir, 'settings.json'), 'utf8'))[key];
      if (value !== undefined) return value;
    } catch { /* no such file, or not JSON: the next one */ }
  }
  return undefined;
}

/** Merges `values` into <userDataDir>/User/settings.json, keeping everything else. */
function mergeUserSettings(userDataDir, values, defaults = {}) {
  return mergeSettingsFile(path.join(userDataDir, 'User', 'settings.json'), values, defaults);
}

/** Merges machine-scoped `values` into <userDataDir>/Machine/settings.json (code-server reads them there). */
function mergeMachineSettings(userDataDir, values) {
  return mergeSettingsFile(path.join(userDataDir, 'Machine', 'settings.json'), values, {});
}

function mergeSettingsFile(file, values, defaults) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let settings = {};
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8');
    try { settings = parseJsonc(text); } catch (err) {
      throw new Error(`cannot parse ${file} (${err.message}); fix or delete it — not overwriting it`);
    }
    if (!settings || typeof settings !== 'object' || Array.isArray(settings)) {
      throw new Error(`${file} is not a JSON object; fix or delete it — not overwriting it`);
    }
  }
  const merged = { ...defaults, ...settings, ...values };
  if (JSON.stringify(merged) !== JSON.stringify(settings)) {
    fs.writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  }
  return file;
}

/** The model to use: explicit, $TANDEM_MODEL, or a generated small test model. */
function resolveModel(explicit, extDir = ROOT, { strict = false } = {}) {
  const given = explicit || process.env.TANDEM_MODEL;
  if (given) {
    const p = path.resolve(given);
    if (!fs.existsSync(p)) log(`warning: model ${p} does not exist (the extension will report it)`);
    return { path: p, source: explicit ? '--model' : 'TANDEM_MODEL' };
  }
  if (fs.existsSync(DEFAULT_MODEL) && fs.statSync(DEFAULT_MODEL).size > 0) {
    return { path: DEFAULT_MODEL, source: 'test model (cached)' };
  }
  const cli = path.join(extDir, 'out', 'cli.js');
  if (!fs.existsSync(cli)) {
    log(`warning: ${cli} not built; cannot generate the test model. ` +
      `tandem.model.path points at ${path.relative(ROOT, DEFAULT_MODEL)}, which does not exist yet. ` +
      'Pass --model FILE (or set TANDEM_MODEL) to use a real GGUF.');
    return { path: DEFAULT_MODEL, source: 'placeholder (missing)' };
  }
  fs.mkdirSync(path.dirname(DEFAULT_MODEL), { recursive: true });
  log(`generating a small random-weight test model -> ${path.relative(ROOT, DEFAULT_MODEL)} ...`);
  const tmp = `${DEFAULT_MODEL}.tmp-${process.pid}`;
  const r = spawnSync(process.execPath, [cli, 'make-test-model', ...TEST_MODEL_ARGS, '--out', tmp],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0 || !fs.existsSync(tmp)) {
    fs.rmSync(tmp, { force: true });
    const msg = `\`node out/cli.js make-test-model\` failed (exit ${r.status ?? r.error?.message}); ` +
      'pass --model FILE to use an existing GGUF';
    if (strict) throw new Error(msg);
    log(`warning: ${msg}. Starting anyway; tandem.model.path points at the missing ${DEFAULT_MODEL}`);
    return { path: DEFAULT_MODEL, source: 'placeholder (generation failed)' };
  }
  fs.renameSync(tmp, DEFAULT_MODEL);
  return { path: DEFAULT_MODEL, source: 'test model (generated)' };
}

const SAMPLE_FILES = {
  'README.md': `# Tandem sample workspace

Open a source file, place the cursor at the end of a line or inside a function body and
pause: Tandem shows its completion as ghost text (Tab accepts). With the default random-weight
test model the suggestions are gibberish; pass \`--model FILE\` with a real GGUF code model
(e.g. Qwen2.5-Coder 0.5B/1.5B base) for useful ones.
`,
  'geometry.py': `"""Small geometry helpers."""
import math
from dataclasses import dataclass


@dataclass
class Point:
    x: float
    y: float

    def distance_to(self, other: "Point") -> float:
        return math.hypot(self.x - other.x, self.y - other.y)


def perimeter(points: list[Point]) -> float:
    total = 0.0
    for a, b in zip(points, points[1:] + points[:1]):
        total += a.distance_to(b)
    return total


def centroid(points: list[Point]) -> Point:
    `,
  'queue.ts': `// A tiny bounded FIFO queue.
export class BoundedQueue<T> {
  private items: T[] = [];

  constructor(private readonly capacity: number) {}

  push(item: T): boolean {
    if (this.items.length >= this.capacity) {
      return false;
    }
    this.items.push(item);
    return true;
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  get size(): number {
    `,
};

/** Creates the sample workspace (never overwrites existing files). */
function ensureSampleWorkspace(dir = DEFAULT_WORKSPACE) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(SAMPLE_FILES)) {
    const p = path.join(dir, name);
    if (!fs.existsSync(p)) fs.writeFileSync(p, text);
  }
  return dir;
}

/**
 * Everything before code-server starts: host, build, extension link, model, settings, workspace.
 * Shared by start.js and smoke.js.
 */
async function prepare(o = {}) {
  const timings = {};
  let t = Date.now();
  const host = await ensureHost({ log: (m) => log(`host: ${m}`) });
  timings.hostMs = Date.now() - t;
  const extDir = path.resolve(o.extension || ROOT);
  t = Date.now();
  const build = ensureBuilt({ extDir, build: o.build !== false, rebuild: !!o.rebuild });
  timings.buildMs = Date.now() - t;
  if (build.missing.length) {
    log(`warning: ${build.missing.join(', ')} missing in ${extDir}; ` +
      'VS Code will list the extension but it cannot activate fully');
  }
  const dataDir = path.resolve(o.dataDir || DEFAULT_DATA_DIR);
  const dirs = { userDataDir: path.join(dataDir, 'user-data'), extensionsDir: path.join(dataDir, 'extensions') };
  // link: false when the caller installs the extension itself (the e2e suite installs the VSIX)
  const ext = o.link === false ? null : linkExtension(extDir, dirs.extensionsDir);
  t = Date.now();
  // Without --model / $TANDEM_MODEL, a model the user already set in this data dir's settings wins
  // over the generated test model (so a path set in the Settings UI survives a restart).
  let model = null;
  if (!o.model && !process.env.TANDEM_MODEL) {
    const prev = readUserSetting(dirs.userDataDir, 'tandem.model.path');
    if (typeof prev === 'string' && prev && path.resolve(prev) !== DEFAULT_MODEL && fs.existsSync(prev)) {
      model = { path: prev, source: 'user settings' };
    }
  }
  model = model || resolveModel(o.model, extDir, { strict: !!o.strictModel });
  timings.modelMs = Date.now() - t;
  mergeMachineSettings(dirs.userDataDir, { 'tandem.model.path': model.path });
  const settingsFile = mergeUserSettings(dirs.userDataDir, { 'tandem.model.path': model.path }, {
    // Defaults only (a user's own values win): keep an offline session quiet.
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'workbench.startupEditor': 'none',
    'github.gitAuthentication': false,
    'git.openRepositoryInParentFolders': 'never',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  });
  const folder = o.folder ? path.resolve(o.folder) : ensureSampleWorkspace(o.sampleWorkspace || DEFAULT_WORKSPACE);
  if (!fs.existsSync(folder)) throw new Error(`--folder ${folder} does not exist`);
  return { host, extDir, ext, dataDir, dirs, model, settingsFile, folder, build, timings };
}

async function main() {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (err) {
    if (err instanceof UsageError) { console.error(`error: ${err.message}`); process.exit(2); }
    throw err;
  }
  if (o.help) { console.log(HELP); return; }
  const t0 = Date.now();
  const prep = await prepare(o);
  log(`extension ${prep.ext.id}@${prep.ext.version} -> ${prep.extDir}`);
  log(`model (${prep.model.source}): ${prep.model.path}`);
  const cs = await startCodeServer({
    dir: prep.dataDir,
    userDataDir: prep.dirs.userDataDir,
    extensionsDir: prep.dirs.extensionsDir,
    logFile: path.join(prep.dataDir, 'code-server.log'),
    port: o.port,
    folder: prep.folder,
  });
  let shuttingDown = false;
  const shutdown = async (sig) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`${sig}: stopping code-server ...`);
    await cs.stop();
    process.exit(sig === 'exited' ? 1 : 0);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => shutdown(sig));
  cs.exited.then((e) => {
    if (shuttingDown) return;
    log(`code-server exited unexpectedly (${e.signal || `code ${e.code}`}); log: ${cs.logFile}`);
    shutdown('exited');
  });
  console.log(`
  Tandem is running in VS Code ${require('./setup').CODE_SERVER_VERSION.replace(/^4\./, '1.')} (code-server), ready in ${((Date.now() - t0) / 1000).toFixed(1)} s

    Open:       ${cs.workbenchUrl}
    Workspace:  ${prep.folder}
    Model:      ${prep.model.path}${prep.model.source.startsWith('placeholder') ? `  (MISSING: ${prep.model.source})` : ''}
    Settings:   ${prep.settingsFile}
    Logs:       ${cs.logFile}  and ${path.join(prep.dirs.userDataDir, 'logs')}

  Remote machine? ssh -L ${cs.port}:127.0.0.1:${cs.port} <host>, then open the URL locally.
  Ctrl-C stops it.
`);
}

module.exports = { prepare, parseArgs, linkExtension, mergeUserSettings, parseJsonc, ensureBuilt,
  resolveModel, ensureSampleWorkspace, missingBuildOutputs, ROOT, DEFAULT_MODEL, DEFAULT_WORKSPACE };

if (require.main === module) {
  main().catch((err) => {
    console.error(`[tandem start] error: ${err.message}`);
    process.exit(1);
  });
}
