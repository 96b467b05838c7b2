// Devices and phase placement on the hardware at hand (the CPU): the device list, validation of
// device choices (unknown name → clear error; gpu/npu absent → CPU with a warning), KV hand-over
// between two contexts giving exactly the tokens of one context (greedy and speculative, with KV
// prefix reuse across requests), the cost-curve cache keyed by model and device, and build.js
// refusing a backend whose SDK is missing before it builds anything.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompletionResult, NativeModel, NativeSession, SpeculationMode } from '../../extension/engine/native';
import { addon, repoRoot, scratchDir, testModel, vocabPath } from './fixtures';

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('devices and phase placement', function () {
  this.timeout(300000);

  it('lists the CPU with its kind and offload capability', () => {
    const devices = addon().devices();
    const cpu = devices.find((d) => d.type === 'cpu');
    assert.ok(cpu, JSON.stringify(devices));
    assert.equal(cpu.kind, 'cpu');
    assert.equal(cpu.hostWeightOffload, false);
    for (const d of devices) assert.ok(['cpu', 'gpu', 'npu', 'accel'].includes(d.kind ?? ''), d.name);
  });

  describe('validation', () => {
    let modelPath: string;
    before(async () => { modelPath = await testModel(); });

    it('an unknown device name is a clear error that lists the devices there are', async () => {
      await rejectsWith(addon().loadModel(modelPath, { device: 'CUDA7' }), 'INVALID_ARGUMENT', /device 'CUDA7' does not exist.*CPU \(cpu, CPU\)/);
      await rejectsWith(addon().loadModel(modelPath, { device: { decode: 'Metal' } }), 'INVALID_ARGUMENT', /decode device 'Metal' does not exist/);
      await rejectsWith(addon().loadModel(modelPath, { device: '' }), 'INVALID_ARGUMENT', /device must be auto, cpu, gpu, npu/);
      await rejectsWith(addon().loadModel(modelPath, { device: { prefil: 'cpu' } as never }), 'INVALID_ARGUMENT', /device.prefil is not a phase/);
      await rejectsWith(addon().loadModel(modelPath, { device: 7 as never }), 'INVALID_ARGUMENT', /device must be/);
      await rejectsWith(addon().loadModel(modelPath, { placementStrategy: 'fast' as never }), 'INVALID_ARGUMENT', /placementStrategy must be one of/);
      await rejectsWith(addon().loadModel(modelPath, { device: 'cpu', placementStrategy: 'op-offload' }), 'INVALID_ARGUMENT',
        /'op-offload' needs decode on the CPU and prefill on a device whose backend offloads/);
    });

    it('gpu and npu fall back to the CPU with a warning when there is none (never a crash)', async function () {
      const devices = addon().devices();
      for (const kind of ['gpu', 'npu'] as const) {
        if (devices.some((d) => d.kind === kind)) continue;  // this machine has one: nothing falls back
        const model = await addon().loadModel(modelPath, { device: kind });
        try {
          const p = model.info().placement!;
          assert.equal(p.prefill.device, 'CPU');
          assert.equal(p.decode.device, 'CPU');
          assert.equal(p.strategy, 'single');
          assert.equal(p.warnings.length, 2, JSON.stringify(p.warnings));  // one per phase
          assert.match(p.warnings[0], new RegExp(`prefill: no ${kind.toUpperCase()} device`));
          const session = await model.createSession({ contextSize: 256, threads: 2 });
          const r = await session.complete({ prompt: ['int main() {'], maxTokens: 4 });
          assert.equal(r.stats.prefillDevice, 'CPU');
          assert.equal(r.stats.decodeDevice, 'CPU');
          await session.dispose();
        } finally {
          await model.dispose();
        }
      }
    });

    it('auto and names resolve; the placement says why', async () => {
      const model = await addon().loadModel(modelPath, { device: { prefill: 'cpu', decode: 'auto' } });
      try {
        const p = model.info().placement!;
        assert.equal(p.prefill.reason, 'requested');
        assert.match(p.decode.reason, /^auto: /);
        assert.deepEqual(p.warnings, []);
      } finally {
        await model.dispose();
      }
    });
  });

  describe('KV hand-over between two contexts gives exactly the tokens of one context', () => {
    const MODELS = [
      {},
      { arch: 'qwen2' as const, layers: 3, embd: 64, heads: 4, kvHeads: 2, ffn: 128, vocabPath: vocabPath('qwen2'), seed: 7 },
    ];
    const body = Array.from({ length: 8 }, (_, j) => `  const v${j} = compute(${j}, x);\n`).join('');
    // Several prompts in a row on the same sessions: each shares a prefix with the one before
    // (KV reuse), one extends the previous completion (its tokens must go back to the prefill
    // context), one is long enough for several hand-over chunks.
    const PROMPTS = [
      `function f(x) {\n${body}${body}  const v`,
      `function f(x) {\n${body}${body}  return v`,
      `function g(y) {\n${body}`,
      `${body.repeat(5)}function h() {`,
    ];
    const saved = process.env.TANDEM_COST_CURVE;
    before(() => { process.env.TANDEM_COST_CURVE = '1:10,128:11'; });  // flat: big verification trees
    after(() => {
      if (saved === undefined) delete process.env.TANDEM_COST_CURVE;
      else process.env.TANDEM_COST_CURVE = saved;
    });

    for (const [mi, opts] of MODELS.entries()) {
      for (const spec of ['off', 'auto'] as SpeculationMode[]) {
        it(`model ${mi}, speculation ${spec}`, async () => {
          const modelPath = await testModel(opts);
          const single = await addon().loadModel(modelPath, { device: 'cpu' });
          const handover = await addon().loadModel(modelPath, { device: 'cpu', placementStrategy: 'handover' });
          const sessions: NativeSession[] = [];
          try {
            assert.equal(single.info().placement!.strategy, 'single');
            assert.equal(handover.info().placement!.strategy, 'handover');
            const one = await single.createSession({ contextSize: 2048, threads: 2, batchSize: 128 });
            const two = await handover.createSession({ contextSize: 2048, threads: 2, batchSize: 128 });
            sessions.push(one, two);
            let previous: CompletionResult | undefined;
            for (const [pi, base] of PROMPTS.entries()) {
              // prompt 1 continues prompt 0's completion: the decode context's generated tokens are reused
              const prompt = pi === 1 && previous ? PROMPTS[0] + previous.text + '\n' : base;
              const a = await one.complete({ prompt: [prompt], maxTokens: 24, speculation: spec });
              const b = await two.complete({ prompt: [prompt], maxTokens: 24, speculation: spec });
              assert.deepEqual(b.tokens, a.tokens, `prompt ${pi}`);
              assert.equal(b.text, a.text);
              assert.equal(b.stats.reusedTokens, a.stats.reusedTokens, `prompt ${pi}: the same KV prefix is reused`);
              assert.equal(b.stats.placement, 'handover');
              assert.equal(b.stats.prefillDevice, 'CPU');
              assert.ok((b.stats.handoverBytes ?? 0) > 0 && (b.stats.handoverChunks ?? 0) >= 1, JSON.stringify(b.stats));
              if (pi === 3) assert.ok((b.stats.handoverChunks ?? 0) >= 2, `long prompt in chunks: ${b.stats.handoverChunks}`);
              assert.equal(a.stats.placement, 'single');
              assert.equal(a.stats.handoverBytes, undefined);
              assert.deepEqual(two.cachedTokens(), one.cachedTokens());
              previous = a;
            }
            assert.ok(previous);
          } finally {
            for (const s of sessions) await s.dispose();
            await single.dispose();
            await handover.dispose();
          }
        });
      }
    }

    it('a cancelled hand-over prefill leaves both contexts consistent for the next request', async () => {
      const modelPath = await testModel();
      const single = await addon().loadModel(modelPath, { device: 'cpu' });
      const handover = await addon().loadModel(modelPath, { device: 'cpu', placementStrategy: 'handover' });
      try {
        const one = await single.createSession({ contextSize: 2048, threads: 2, batchSize: 64 });
        const two = await handover.createSession({ contextSize: 2048, threads: 2, batchSize: 64 });
        const cancel = addon().createCancelFlag();
        cancel.cancel();
        const cancelled = await two.complete({ prompt: [PROMPTS[3]], maxTokens: 8 }, cancel);
        assert.equal(cancelled.stats.stopReason, 'cancelled');
        const a = await one.complete({ prompt: [PROMPTS[3]], maxTokens: 16 });
        const b = await two.complete({ prompt: [PROMPTS[3]], maxTokens: 16 });
        assert.deepEqual(b.tokens, a.tokens);
        await one.dispose();
        await two.dispose();
      } finally {
        await single.dispose();
        await handover.dispose();
      }
    });

    it('background warm-up of the prefill context (as on static-shape NPUs) changes no token', async () => {
      const modelPath = await testModel();
      const savedWarmup = process.env.TANDEM_PREFILL_WARMUP;
      process.env.TANDEM_PREFILL_WARMUP = 'background';
      const single = await addon().loadModel(modelPath, { device: 'cpu' });
      const handover = await addon().loadModel(modelPath, { device: 'cpu', placementStrategy: 'handover' });
      try {
        const one = await single.createSession({ contextSize: 2048, threads: 2 });
        const two = await handover.createSession({ contextSize: 2048, threads: 2 });
        const seen = new Set<string>();
        for (const prompt of PROMPTS) {
          const a = await one.complete({ prompt: [prompt], maxTokens: 12 });
          const b = await two.complete({ prompt: [prompt], maxTokens: 12 });
          assert.deepEqual(b.tokens, a.tokens);
          seen.add(b.stats.placement ?? '');
        }
        // whether the first request raced the warm-up or not, every placement reported is a real one
        for (const p of seen) assert.ok(p === 'single' || p === 'handover', p);
        await one.dispose();
        await two.dispose();
      } finally {
        if (savedWarmup === undefined) delete process.env.TANDEM_PREFILL_WARMUP;
        else process.env.TANDEM_PREFILL_WARMUP = savedWarmup;
        await single.dispose();
        await handover.dispose();
      }
    });
  });

  describe('cost-curve cache', () => {
    const saved = { dir: process.env.TANDEM_COST_CACHE_DIR, curve: process.env.TANDEM_COST_CURVE };
    let dir: string;
    before(() => {
      delete process.env.TANDEM_COST_CURVE;
      dir = path.join(scratchDir('cost-cache'), String(process.pid));
      fs.rmSync(dir, { recursive: true, force: true });
      process.env.TANDEM_COST_CACHE_DIR = dir;
    });
    after(() => {
      for (const [key, value] of [['TANDEM_COST_CACHE_DIR', saved.dir], ['TANDEM_COST_CURVE', saved.curve]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    async function origin(modelPath: string, load: Parameters<ReturnType<typeof addon>['loadModel']>[1], threads = 2): Promise<string> {
      const model: NativeModel = await addon().loadModel(modelPath, load);
      try {
        const session = await model.createSession({ contextSize: 512, threads });
        const r = await session.complete({ prompt: ['def f(x):\n    return x'], maxTokens: 4, speculation: 'auto' });
        await session.dispose();
        return r.stats.speculation?.costOrigin ?? '';
      } finally {
        await model.dispose();
      }
    }

    it('is measured once per model, device and threads; another model, threads or a replaced file measure again', async () => {
      const a = await testModel();
      const b = await testModel({ seed: 4321 });
      assert.equal(await origin(a, { device: 'cpu' }), 'measured');
      assert.equal(await origin(a, { device: 'cpu' }), 'cache');
      // the same device by name and by kind: the key is the resolved device, not the spelling
      assert.equal(await origin(a, { device: 'CPU' }), 'cache');
      assert.equal(await origin(a, { device: 'cpu', placementStrategy: 'handover' }), 'cache', 'decode still on the CPU');
      assert.equal(await origin(b, { device: 'cpu' }), 'measured', 'another model');
      assert.equal(await origin(a, { device: 'cpu' }, 1), 'measured', 'other threads');
      // a replaced file (new mtime) is another model
      const copy = path.join(dir, 'copy.gguf');
      fs.copyFileSync(a, copy);
      assert.equal(await origin(copy, { device: 'cpu' }), 'measured');
      fs.utimesSync(copy, new Date(), new Date(Date.now() + 60000));
      assert.equal(await origin(copy, { device: 'cpu' }), 'measured');
      // one cache file per key (the device is part of it; see native/tests for device changes)
      assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.txt')).length, 5);
    });
  });

  describe('build.js backends', () => {
    it('a backend whose SDK is missing fails at once with a clear message and builds nothing', () => {
      const out = path.join('native', 'build-sdk-check-never-created');
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'native', 'scripts', 'build.js'), '--backend', 'cuda', '--out', out],
        // CUDA_PATH names the toolkit to use (as for CMake): one that is not there, whatever this machine has
        { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, CUDA_PATH: path.join(repoRoot, '.tandem', 'no-cuda-here') } });
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /--backend cuda: the CUDA toolkit \(nvcc\) was not found: CUDA_PATH=.*no-cuda-here has no bin\/nvcc/);
      assert.match(r.stderr, /nothing was built/);
      assert.ok(!fs.existsSync(path.join(repoRoot, out)), 'no build folder');
      const unknown = spawnSync(process.execPath, [path.join(repoRoot, 'native', 'scripts', 'build.js'), '--backend', 'rocm'], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /unknown --backend rocm; choose from: cpu, cuda, vulkan, openvino, hexagon, metal/);
    });

    it('--help prints the options; an unknown option or a missing value is refused before anything runs', () => {
      const build = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'native', 'scripts', 'build.js'), ...args], { cwd: repoRoot, encoding: 'utf8' });
      const help = build('--help');
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /--backend B\[,B…\]/);
      assert.match(help.stdout, /--out DIR/);
      const typo = build('--backends', 'cuda');
      assert.equal(typo.status, 2);
      assert.match(typo.stderr, /unknown option --backends\nusage:/);
      const missing = build('--out');
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /--out needs a value/);
      assert.doesNotMatch(typo.stdout + missing.stdout, /fetch-llama|cmake/, 'nothing fetched or built');
    });
  });
});
