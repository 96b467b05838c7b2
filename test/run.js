#!/usr/bin/env node
// `npm test`: type-checks, lints, checks the formatting, builds what the tests need (native addon incrementally, bundles,
// transpiled tests), runs every suite, and ends with one line `N passed, N failed`.
//   node test/run.js [suite…]      suites: cpp unit native server integration e2e platforms (default: all)
// Each mocha suite runs in its own process so a crash in one cannot hide the others' results.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const wanted = process.argv.slice(2);

function step(title, cmd, args, opts = {}) {
  console.log(`\n=== ${title}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  console.log(`=== ${title}: ${r.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return r.status === 0;
}

function findNativeBinary(name) {
  for (const p of [`native/build/${name}`, `native/build/Release/${name}`]) {
    if (fs.existsSync(path.join(root, p))) return path.join(root, p);
  }
  return null;
}

// The model file fuzzer (native/fuzz): a fixed seed and count, so every run tries the same mutants
// (~20 s here, ~45 s with the machine busy; the same 600 found 19 crashes before the metadata
// checks). Each mutant the check accepts is loaded by the engine in a child process; a crash or
// hang there, or in the check, fails this one test. Mutants that crash go to test-artifacts/.
const FUZZ_ITERATIONS = 600;
function runModelFuzz() {
  if (process.platform === 'win32') return { passed: 0, failed: 0, skipped: 1 };  // it forks: POSIX only
  const bin = findNativeBinary('tandem_model_fuzz');
  if (!bin) return { passed: 0, failed: 1, note: 'tandem_model_fuzz was not built' };
  const args = ['--iterations', String(FUZZ_ITERATIONS), '--seed', '1', '--quiet', '--findings', path.join(root, 'test-artifacts', 'model-fuzz')];
  console.log(`\n=== model file fuzz (${path.relative(root, bin)} ${args.slice(0, 4).join(' ')})`);
  const r = spawnSync(bin, args, { cwd: root, encoding: 'utf8', timeout: 110_000, maxBuffer: 16 * 1024 * 1024 });
  process.stdout.write(r.stdout || '');
  process.stderr.write(r.stderr || '');
  if (r.error) return { passed: 0, failed: 1, note: `model file fuzz: ${r.error.code === 'ETIMEDOUT' ? 'timed out after 110 s' : r.error.message}` };
  if (r.status === 0) return { passed: 1, failed: 0 };
  return { passed: 0, failed: 1, note: `model file fuzz ${r.status === 1 ? 'found crashes (see above)' : `exited ${r.status ?? r.signal}`}` };
}

function runCppUnitTests() {
  const bin = findNativeBinary('tandem_engine_tests');
  if (!bin) return { passed: 0, failed: 1, note: 'tandem_engine_tests was not built' };
  console.log(`\n=== suite cpp (${path.relative(root, bin)})`);
  const r = spawnSync(bin, [], { cwd: root, encoding: 'utf8' });
  process.stdout.write(r.stdout || '');
  process.stderr.write(r.stderr || '');
  const m = /(\d+) passed, (\d+) failed\s*$/.exec(r.stdout || '');
  if (!m) return { passed: 0, failed: 1, note: `C++ test runner exited ${r.status ?? r.signal} without a tally` };
  const counts = { passed: +m[1], failed: +m[2] };
  if (r.status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

function runCpp() {
  const unit = runCppUnitTests();
  const fuzz = runModelFuzz();
  const notes = [unit.note, fuzz.note].filter(Boolean);
  return {
    passed: unit.passed + fuzz.passed, failed: unit.failed + fuzz.failed, skipped: fuzz.skipped || 0,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

function runMocha(name, pattern, timeoutMs) {
  const dir = path.join(root, 'out', 'test-build', 'test', name);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.test.js')).map((f) => path.join(dir, f)).sort() : [];
  console.log(`\n=== suite ${name} (${files.length} files)`);
  if (files.length === 0) return { passed: 0, failed: 1, note: `no test files in ${path.relative(root, dir)}` };
  const statsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-test-')), 'stats.json');
  const r = spawnSync(process.execPath, [
    require.resolve('mocha/bin/mocha.js'), '--reporter', path.join(__dirname, 'support', 'countingReporter.js'),
    '--timeout', String(timeoutMs), '--exit', ...files,
  ], { cwd: root, stdio: 'inherit', env: { ...process.env, TANDEM_TEST_STATS: statsFile } });
  if (!fs.existsSync(statsFile)) {
    return { passed: 0, failed: 1, note: `mocha for ${name} ended (${r.status ?? r.signal}) without results` };
  }
  const s = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
  fs.rmSync(path.dirname(statsFile), { recursive: true, force: true });
  return { passed: s.passes, failed: s.failures, skipped: s.pending };
}

// Suites that run inside a real VS Code (test/integration, test/e2e). Where no desktop VS Code can
// be had they use the offline host (code-server + headless chromium): set it up first (cached,
// a no-op once done; as root it apt-installs chromium when missing). Results come from the JSON
// tally file the suite writes, else from its last `tandem-tally {...}` output line.
let hostReady = null;
function ensureVSCodeHost() {
  if (hostReady === null) hostReady = step('VS Code host set-up', process.execPath, ['test/host/setup.js', '--chromium']);
  return hostReady;
}

function runInVSCode(name, script, timeoutMs) {
  console.log(`\n=== suite ${name} (${script})`);
  if (!ensureVSCodeHost()) return { passed: 0, failed: 1, note: 'VS Code host set-up failed (see above)' };
  const statsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-test-')), 'stats.json');
  const r = spawnSync(process.execPath, [script, '--stats', statsFile],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(r.stdout || '');
  let s = null;
  try { s = JSON.parse(fs.readFileSync(statsFile, 'utf8')); } catch { /* fall back to the output */ }
  fs.rmSync(path.dirname(statsFile), { recursive: true, force: true });
  if (!s) {
    const m = /^tandem-tally (\{.*\})\s*$/m.exec(r.stdout || '');
    if (m) s = JSON.parse(m[1]);
  }
  if (!s) {
    const why = r.error && r.error.code === 'ETIMEDOUT' ? `timed out after ${timeoutMs / 1000} s` : `exit ${r.status ?? r.signal}`;
    return { passed: 0, failed: 1, note: `${name} ended (${why}) without results` };
  }
  const counts = { passed: s.passes, failed: s.failures, skipped: s.pending };
  if (r.status !== 0 && counts.failed === 0) { counts.failed = 1; counts.note = `exit ${r.status ?? r.signal} with no failed test`; }
  return counts;
}

// `native`: the suite needs the addon and the bundles (the unit suite runs over the fake addon and
// the transpiled sources only, so `npm test -- unit` builds no C++).
let llamaServerBuilt = null;
/** Builds llama-server once per run (incremental; the server and integration suites use it). */
function buildLlamaServer() {
  if (llamaServerBuilt === null) llamaServerBuilt = step('build llama-server', process.execPath, ['native/scripts/build-llama-server.js', '--quiet']);
  return llamaServerBuilt;
}

const suites = [
  { name: 'cpp', native: true, run: runCpp },
  { name: 'unit', native: false, run: () => runMocha('unit', '', 10_000) },
  { name: 'native', native: true, run: () => runMocha('native', '', 180_000) },
  // llama.cpp's own llama-server (native/build-server; ccache: ~7 s warm, ~5 min cold on 2 cores)
  // and the harness the `server` engine kind's tests use; integration needs the binary too.
  { name: 'server', native: true, run: () => (buildLlamaServer()
    ? runMocha('server', '', 180_000) : { passed: 0, failed: 1, note: 'building llama-server failed (see above)' }) },
  { name: 'integration', native: true, run: () => (buildLlamaServer()
    ? runInVSCode('integration', 'test/integration/runTests.js', 30 * 60_000) : { passed: 0, failed: 1, note: 'building llama-server failed (see above)' }) },
  { name: 'e2e', native: true, run: () => runInVSCode('e2e', 'test/e2e/run.js', 15 * 60_000) },
  // cross-built addons (docs/platforms.md): linux-arm64 under qemu, win32-x64 under wine, win32-arm64
  // inspected, one VSIX per platform; builds them first (ccache: cold ~30 min, then ~25-100 s in all)
  { name: 'platforms', native: true, run: () => runMocha('platforms', '', 15 * 60_000) },
];

function main() {
  const t0 = Date.now();
  const selected = suites.filter((s) => wanted.length === 0 || wanted.includes(s.name));
  const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
  if (unknown.length) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  const results = [];
  const native = selected.some((s) => s.native);
  const built = step('type-check', process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', '.'])
    && step('lint (typescript-eslint, type-checked)', process.execPath, [path.join(path.dirname(require.resolve('eslint/package.json')), 'bin', 'eslint.js'), '.'])
    && step('format (prettier --check)', process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--check', '--log-level', 'warn', 'extension/**/*.ts', 'test/**/*.ts'])
    && step('format (clang-format --dry-run)', process.execPath, ['native/scripts/format.js', '--check'])
    && (!native || step('build native addon', process.execPath, ['native/scripts/build.js']))
    && (!native || step('bundle extension', process.execPath, ['esbuild.js']))
    && step('transpile tests', process.execPath, ['esbuild.js', '--tests']);
  if (!built) results.push({ name: 'build', passed: 0, failed: 1, note: 'type-check or build failed (see above)' });
  else {
    for (const s of selected) {
      const s0 = Date.now();
      results.push({ name: s.name, ...s.run(), seconds: (Date.now() - s0) / 1000 });
    }
  }
  console.log('\n=== summary');
  let passed = 0, failed = 0, skipped = 0;
  for (const r of results) {
    passed += r.passed; failed += r.failed; skipped += r.skipped || 0;
    const time = r.seconds !== undefined ? ` in ${r.seconds.toFixed(1)} s` : '';
    console.log(`  ${r.name}: ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}${time}${r.note ? ` — ${r.note}` : ''}`);
  }
  console.log(`  total time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
