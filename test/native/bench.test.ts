// `tandem bench drafting|cost|e2e|typing` and `tandem models` in-process on the real addon, at sizes
// that run in seconds. Checked: the JSON contract, the three report files, determinism of the
// model-free bench, real T(k) timings, e2e's lossless verdict, typing's replay through the engine
// host, and model discovery. No speed is asserted: benchmarks report speed as ratios, tests only
// check their mechanics (token counts are mechanics: they do not depend on the machine).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../extension/cli/main';
import { captureCliIo } from '../support/cliIo';
import type { CompletionRequest, NativeAddon, NativeModel, SpeculationMode } from '../../extension/engine/native';
import { SPECULATION_MODES } from '../../extension/engine/native';
import { addon, repoRoot, scratchDir, testModel } from './fixtures';

function captureIo(env: NodeJS.ProcessEnv = process.env, loadAddon: () => NativeAddon = addon) {
  return captureCliIo({ cwd: repoRoot, env, loadAddon });
}

async function tandem(args: string[], env?: NodeJS.ProcessEnv, loadAddon?: () => NativeAddon) {
  const c = captureIo(env, loadAddon);
  const code = await runCli(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** `target` with some members replaced; the others are bound to it (native objects need their own `this`). */
function withMembers<T extends object>(target: T, members: Record<string, unknown>): T {
  return new Proxy(target, {
    get: (t, key) => {
      if (typeof key === 'string' && key in members) return members[key];
      const value = Reflect.get(t, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** The real addon, except that it refuses `mode` as a build without that drafter would. */
function addonWithout(mode: SpeculationMode): NativeAddon {
  const real = addon();
  const refusal = () => Object.assign(new Error(`speculation mode ${mode} is not in this build`), { code: 'INVALID_ARGUMENT' });
  return withMembers(real, {
    simulateDrafting: (traces: unknown, options: { modes: SpeculationMode[] }) => {
      if (options.modes.includes(mode)) throw refusal();
      return real.simulateDrafting!(traces as never, options as never);
    },
    loadModel: async (...args: Parameters<NativeAddon['loadModel']>) => {
      const model = await real.loadModel(...args);
      return withMembers(model, {
        createSession: async (...sessionArgs: Parameters<NativeModel['createSession']>) => {
          const session = await model.createSession(...sessionArgs);
          return withMembers(session, {
            complete: (request: CompletionRequest, ...rest: unknown[]) =>
              (request.speculation === mode ? Promise.reject(refusal()) : (session.complete as (...a: unknown[]) => unknown)(request, ...rest)),
          });
        },
      });
    },
  });
}

/** The one JSON object a --json run prints. */
function onlyJson(stdout: string) {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line of JSON, got:\n${stdout.slice(0, 500)}`);
  return JSON.parse(lines[0]);
}

function assertReportFiles(dir: string, name: string) {
  for (const ext of ['json', 'md', 'svg']) {
    const file = path.join(dir, `${name}.${ext}`);
    assert.ok(fs.existsSync(file) && fs.statSync(file).size > 0, `${file} was not written`);
  }
  assert.match(fs.readFileSync(path.join(dir, `${name}.svg`), 'utf8'), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>\n$/);
  assert.match(fs.readFileSync(path.join(dir, `${name}.md`), 'utf8'), /^# .*\n[^]*\| --- \|/);
}

describe('tandem bench (real addon)', function () {
  this.timeout(180_000);
  let model: string;

  before(async () => {
    model = await testModel();
  });

  describe('drafting', () => {
    const numbers = (json: { modes: Record<string, { byKind: Record<string, { totals: Record<string, unknown> } | undefined> }> }) =>
      Object.fromEntries(Object.entries(json.modes).map(([mode, r]) => [mode, Object.fromEntries(Object.entries(r.byKind).map(([kind, m]) => {
        if (!m) return [kind, null];
        const { drafterUs, beginUs, ...deterministic } = m.totals; // wall-clock timings differ run to run
        void drafterUs; void beginUs;
        return [kind, deterministic];
      }))]));

    it('--json prints the suite object and writes JSON, Markdown and SVG; every mode is measured', async () => {
      const out = scratchDir('bench-drafting-a');
      const r = await tandem(['bench', 'drafting', '--count', '20', '--seed', '3', '--out', out, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const json = onlyJson(r.stdout);
      assert.equal(json.suite, 'drafting');
      assert.equal(json.traces.all, 20);
      assert.equal(json.traces.related + json.traces.partial + json.traces.novel, 20);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'drafting.json'), 'utf8')), json);
      assertReportFiles(out, 'drafting');
      assert.deepEqual(Object.keys(json.modes), [...SPECULATION_MODES]);
      assert.deepEqual(json.skipped, []);
    });

    it('a mode the addon refuses is skipped with the addon\'s reason; the others are measured', async () => {
      const out = scratchDir('bench-drafting-skip');
      const r = await tandem(['bench', 'drafting', '--count', '5', '--seed', '3', '--out', out, '--json'], undefined, () => addonWithout('ngram-mod'));
      assert.equal(r.code, 0, r.stderr);
      const json = onlyJson(r.stdout);
      assert.deepEqual(json.skipped, [{ mode: 'ngram-mod', reason: 'speculation mode ngram-mod is not in this build' }]);
      assert.deepEqual(Object.keys(json.modes), SPECULATION_MODES.filter((m) => m !== 'ngram-mod'));
      for (const mode of ['off', 'pld', 'sam', 'auto']) assert.ok(json.modes[mode], `${mode} missing`);
      // off drafts nothing: one token per step, speed-up 1 by definition
      assert.equal(json.modes.off.tokensPerStep, 1);
      assert.equal(json.modes.off.speedup, 1);
      assert.equal(json.modes.off.byKind.all.totals.drafted, 0);
      // drafters that copy from the context must hit on real code
      assert.ok(json.modes.pld.byKind.all.totals.accepted > 0);
      assert.ok(json.modes.auto.tokensPerStep > 1);
      assert.equal(typeof json.modes.auto.byKind.related.tokensPerStep, 'number');
      assert.equal(typeof json.modes.auto.flatCurve.all.speedup, 'number');
      for (const key of ['autoVsPldRelated', 'autoVsSamRelated', 'speedupRelated', 'speedupNovel']) {
        assert.equal(typeof json.targets[key].target, 'number', key);
        assert.ok(json.targets[key].value === null || json.targets[key].value > 0, key);
      }
    });

    it('the same seed gives the same numbers; another seed other traces', async () => {
      const run = async (seed: number, dir: string) => {
        const r = await tandem(['bench', 'drafting', '--count', '20', '--seed', String(seed), '--modes', 'off,pld,sam,auto', '--out', scratchDir(dir), '--json']);
        assert.equal(r.code, 0, r.stderr);
        return onlyJson(r.stdout);
      };
      const a = await run(3, 'bench-drafting-b');
      const b = await run(3, 'bench-drafting-c');
      const c = await run(4, 'bench-drafting-d');
      assert.deepEqual(numbers(b), numbers(a));
      assert.notDeepEqual(numbers(c), numbers(a));
    });

    it('--cost-curve takes a bench cost JSON and reports where the curve came from', async () => {
      const dir = scratchDir('bench-drafting-curve');
      const file = path.join(dir, 'curve.json');
      fs.writeFileSync(file, JSON.stringify({ suite: 'cost', curve: [[1, 10], [2, 10.5], [8, 12], [128, 40]] }));
      const r = await tandem(['bench', 'drafting', '--count', '20', '--seed', '3', '--modes', 'off,auto', '--cost-curve', file, '--out', dir, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const json = onlyJson(r.stdout);
      assert.deepEqual(json.cpuCurve, [[1, 10], [2, 10.5], [8, 12], [128, 40]]);
      assert.equal(json.cpuCurveOrigin, file);
      const bad = await tandem(['bench', 'drafting', '--count', '5', '--cost-curve', path.join(dir, 'missing.json'), '--out', dir]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /\[BAD_COST_CURVE\]: --cost-curve: cannot read the cost curve .*missing\.json/);
    });
  });

  describe('cost', () => {
    it('measures real forward passes for each k asked and writes the T(k)/T(1) report', async () => {
      const out = scratchDir('bench-cost');
      const r = await tandem(['bench', 'cost', '--model', model, '--k', '1,2,4,8', '--depth', '32', '--reps', '2', '--threads', '1', '--out', out, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const json = onlyJson(r.stdout);
      assert.equal(json.suite, 'cost');
      assert.equal(json.threads, 1);
      assert.equal(json.depth, 32);
      assert.equal(json.model.path, model);
      assert.equal(json.model.origin, 'file');
      assert.deepEqual(json.points.map((p: { k: number }) => p.k), [1, 2, 4, 8]);
      for (const p of json.points) {
        assert.equal(p.runs.length, 2);
        assert.ok(p.runs.every((ms: number) => ms > 0), `k=${p.k}: ${p.runs}`);
        assert.ok(p.minMs <= p.ms);
      }
      assert.equal(json.points[0].relative, 1);
      // the curve for --cost-curve: same ks; each point is its median, or the point before when
      // a lower median does not beat every run of the smaller k (noise, not a kernel step)
      assert.deepEqual(json.curve.map(([k]: [number, number]) => k), [1, 2, 4, 8]);
      assert.equal(json.curve[0][1], json.points[0].ms);
      for (let i = 1; i < json.curve.length; i++) {
        const [, ms] = json.curve[i];
        const dip = json.points[i].ms < json.curve[i - 1][1];
        if (!dip) assert.equal(ms, json.points[i].ms, `k=${json.points[i].k}`);
        else if (json.points[i].ms < json.points[i - 1].minMs) assert.equal(ms, json.points[i].ms, `k=${json.points[i].k}: a real dip is kept`);
        else assert.equal(ms, json.curve[i - 1][1], `k=${json.points[i].k}: a noisy dip is raised`);
      }
      assertReportFiles(out, 'cost');
      assert.match(fs.readFileSync(path.join(out, 'cost.svg'), 'utf8'), /<polyline/);
    });

    it('fails clearly: a missing model exits 1 with the addon code, k past 128 is a usage error', async () => {
      const missing = await tandem(['bench', 'cost', '--model', path.join(scratchDir('bench-cost'), 'nope.gguf'), '--k', '1', '--json']);
      assert.equal(missing.code, 1);
      assert.equal(JSON.parse(missing.stderr).error.code, 'MODEL_NOT_FOUND');
      assert.equal(missing.stdout, '');
      const bad = await tandem(['bench', 'cost', '--model', model, '--k', '200']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--k values must be from 1 to 128/);
    });

    it('the addon rejects bad measureCost input with INVALID_ARGUMENT', async () => {
      const a = addon();
      await assert.rejects(a.measureCost!(model, { ks: [] }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /non-empty array/.test(e.message));
      await assert.rejects(a.measureCost!(model, { ks: [129] }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /k must be a whole number from 1 to 128/.test(e.message));
      await assert.rejects(a.measureCost!(model, { ks: [1], reps: 0 }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /reps/.test(e.message));
      await assert.rejects(a.measureCost!(model, { ks: [1], threads: 513 }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /threads must be a whole number from 0 to 512/.test(e.message));
      // threads 0 is the engine's default (as for loadModel), not an error
      const byDefault = await a.measureCost!(model, { ks: [1], threads: 0, depth: 4, reps: 1 });
      assert.ok(byDefault.threads >= 1);
    });
  });

  describe('e2e', () => {
    it('every mode completes the same prompts with exactly the text of off', async () => {
      const out = scratchDir('bench-e2e');
      const r = await tandem(['bench', 'e2e', '--model', model, '--count', '3', '--max-tokens', '12', '--modes', 'off,pld,sam,auto', '--threads', '1', '--out', out, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const json = onlyJson(r.stdout);
      assert.equal(json.suite, 'e2e');
      assert.equal(json.prompts, 3);
      assert.equal(json.identical, true);
      assert.deepEqual(json.mismatches, []);
      assert.deepEqual(Object.keys(json.modes), ['off', 'pld', 'sam', 'auto']);
      for (const [mode, m] of Object.entries<Record<string, unknown> & { completions: number; generatedTokens: number; tokensPerStep: number; errors: string[] }>(json.modes)) {
        assert.equal(m.completions, 3, mode);
        assert.deepEqual(m.errors, [], mode);
        assert.equal(m.generatedTokens, json.modes.off.generatedTokens, `${mode} generated another number of tokens than off`);
        assert.ok(m.tokensPerStep >= 1, mode);
        for (const key of ['tokensPerSecond', 'speedupOverOff', 'completionSpeedupOverOff']) assert.equal(typeof m[key], 'number', `${mode}.${key}`);
      }
      assert.equal(json.modes.off.speedupOverOff, 1);
      assert.equal(json.modes.off.tokensPerStep, 1);
      assert.match(json.note, /prove mechanics and overheads/);
      assertReportFiles(out, 'e2e');
    });

    it('a mode the addon refuses is skipped with its reason, not a crash; the others still run and match off', async () => {
      const out = scratchDir('bench-e2e-ngram');
      const r = await tandem(['bench', 'e2e', '--model', model, '--count', '1', '--max-tokens', '4', '--modes', 'off,ngram-mod,ngram-cache', '--out', out, '--json'],
        undefined, () => addonWithout('ngram-mod'));
      assert.equal(r.code, 0, r.stderr);
      const json = onlyJson(r.stdout);
      assert.deepEqual(json.skipped, [{ mode: 'ngram-mod', reason: 'speculation mode ngram-mod is not in this build' }]);
      assert.equal(json.modes['ngram-mod'], undefined);
      assert.equal(json.modes['ngram-cache'].completions, 1);
      assert.equal(json.identical, true);
    });
  });
});

describe('tandem bench typing (real engine host and addon)', function () {
  this.timeout(180_000);

  it('replays typing through both layouts: the JSON contract, per-event figures, and anchored re-reads only the typed tokens', async () => {
    const out = scratchDir('bench-typing');
    const model = await testModel();
    const r = await tandem(['bench', 'typing', '--model', model, '--bursts', '3', '--rest-ms', '200', '--max-tokens', '4', '--threads', '1',
      '--seed', '2', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = onlyJson(r.stdout);
    assert.equal(json.suite, 'typing');
    assert.equal(json.defaultLayout, 'anchored');
    assert.deepEqual(Object.keys(json.layouts), ['classic', 'anchored']);
    type Figures = { requests: number; ttftMs: Record<string, number>; reprefillTokens: Record<string, number>; ghostMs: Record<string, number> };
    for (const [layout, l] of Object.entries<Figures & { byEvent: Record<string, Figures>; errors: string[] }>(json.layouts)) {
      assert.deepEqual(l.errors, [], layout);
      assert.ok(l.requests > 5, `${layout}: ${l.requests} requests while typing forward`);
      for (const figure of ['ttftMs', 'reprefillTokens', 'ghostMs'] as const) {
        for (const p of ['p50', 'p95', 'max']) assert.equal(typeof l[figure][p], 'number', `${layout}.${figure}.${p}`);
        assert.ok(l[figure].p50 <= l[figure].p95 && l[figure].p95 <= l[figure].max, `${layout}.${figure} is ordered`);
      }
      assert.ok(l.byEvent.char.requests > 0 && l.byEvent.open.requests >= 1, `${layout}: ${JSON.stringify(Object.keys(l.byEvent))}`);
    }
    // the same keystrokes: the anchored prompt re-reads the typed tokens, the classic one the suffix too
    assert.ok(json.layouts.anchored.reprefillTokens.p50 <= 4, JSON.stringify(json.layouts.anchored.reprefillTokens));
    assert.ok(json.layouts.classic.reprefillTokens.p50 > 4 * json.layouts.anchored.reprefillTokens.p50, JSON.stringify(json.layouts.classic.reprefillTokens));
    assert.ok(json.layouts.anchored.prewarms.sent >= 3, 'a pre-warm per burst start');
    assertReportFiles(out, 'typing');

    const bad = await tandem(['bench', 'typing', '--layouts', 'anchored,sideways']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown layout "sideways"; layouts: classic, anchored/);
  });
});

describe('tandem bench typing --alternatives', function () {
  this.timeout(180_000);

  it('asks typing-forward requests for alternatives and reports their time apart', async () => {
    const out = scratchDir('bench-typing-alternatives');
    const model = await testModel();
    const r = await tandem(['bench', 'typing', '--model', model, '--layouts', 'anchored', '--bursts', '2', '--rest-ms', '200',
      '--max-tokens', '8', '--threads', '1', '--seed', '3', '--alternatives', '2', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = onlyJson(r.stdout);
    assert.equal(json.alternatives, 2);
    const a = json.layouts.anchored.alternatives;
    assert.deepEqual(json.layouts.anchored.errors, []);
    assert.ok(a.requests > 0, JSON.stringify(a));
    for (const figure of ['offered', 'alternativesMs', 'alternativeTokens', 'completionMs', 'greedyMs']) {
      for (const p of ['p50', 'p95', 'max']) assert.equal(typeof a[figure][p], 'number', `${figure}.${p}`);
    }
    assert.ok(a.offered.max <= 2 && a.alternativeTokens.max > 0, JSON.stringify(a));
    assert.ok(a.alternativesMs.p50 <= a.completionMs.p50, JSON.stringify(a));
    assert.match(fs.readFileSync(path.join(out, 'typing.md'), 'utf8'), /## Alternatives/);
  });
});

describe('tandem models (real GGUF files)', function () {
  this.timeout(60_000);

  it('lists the GGUF models of --dir with size and quantization, and nothing else', async () => {
    const dir = scratchDir('models-list');
    const home = scratchDir('models-home'); // an empty home: no tool caches to find
    fs.copyFileSync(await testModel(), path.join(dir, 'tiny-model.gguf'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a model');
    fs.writeFileSync(path.join(dir, 'broken.gguf'), 'this is not GGUF at all');
    const env = { PATH: process.env.PATH, HOME: home };
    const r = await tandem(['models', '--dir', dir, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const { models } = onlyJson(r.stdout);
    assert.equal(models.length, 1, JSON.stringify(models));
    assert.equal(models[0].path, path.join(dir, 'tiny-model.gguf'));
    assert.equal(models[0].source, 'workspace');
    assert.equal(models[0].quantization, 'F32');
    assert.equal(models[0].architecture, 'llama');
    assert.equal(models[0].sizeBytes, fs.statSync(path.join(dir, 'tiny-model.gguf')).size);

    const text = await tandem(['models', '--dir', dir], env);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^model +quant +size +arch +source +path\ntiny-model\.gguf +F32 +\d+\.\d (KiB|MiB) +llama +workspace +\//);
    const none = await tandem(['models'], env);
    assert.match(none.stdout, /no GGUF models found/);
  });
});
