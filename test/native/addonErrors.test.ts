// Bad input to the native addon: each case is a clear error with the right code, and nothing
// crashes or is lost (the model and session stay usable afterwards). Damaged metadata that would
// make llama.cpp abort is loaded in a child process, so a regression kills that one, not mocha.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeModel, NativeSession } from '../../extension/engine/native';
import {
  addon, copyGgufWithMetadata, ggufDataOffset, GgufValue, readGgufStrings, scratchDir, testModel, vocabPath, writeGguf,
} from './fixtures';

function hasCode(code: string, messagePattern?: RegExp) {
  return (e: any) => {
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    assert.ok(e instanceof Error);
    if (messagePattern) assert.match(e.message, messagePattern);
    return true;
  };
}

describe('native addon: bad model files', function () {
  const dir = scratchDir('bad-models');

  it('missing file → MODEL_NOT_FOUND', async () => {
    await assert.rejects(addon().loadModel(path.join(dir, 'does-not-exist.gguf')), hasCode('MODEL_NOT_FOUND', /does-not-exist/));
  });

  it('directory → MODEL_IS_DIRECTORY', async () => {
    await assert.rejects(addon().loadModel(dir), hasCode('MODEL_IS_DIRECTORY'));
  });

  it('empty file → MODEL_EMPTY', async () => {
    const f = path.join(dir, 'empty.gguf');
    fs.writeFileSync(f, '');
    await assert.rejects(addon().loadModel(f), hasCode('MODEL_EMPTY'));
  });

  it('non-GGUF bytes → MODEL_NOT_GGUF', async () => {
    const f = path.join(dir, 'text.gguf');
    fs.writeFileSync(f, 'this is a README, not a model\n'.repeat(20));
    await assert.rejects(addon().loadModel(f), hasCode('MODEL_NOT_GGUF', /GGUF/));
  });

  it('truncated GGUF (tensor data cut off) → MODEL_TRUNCATED', async () => {
    const whole = fs.readFileSync(await testModel());
    const f = path.join(dir, 'truncated.gguf');
    fs.writeFileSync(f, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await assert.rejects(addon().loadModel(f), hasCode('MODEL_TRUNCATED', /truncated/));
  });

  it('truncated GGUF header → MODEL_TRUNCATED', async () => {
    const whole = fs.readFileSync(await testModel());
    const f = path.join(dir, 'truncated-header.gguf');
    fs.writeFileSync(f, whole.subarray(0, 100));
    await assert.rejects(addon().loadModel(f), hasCode('MODEL_TRUNCATED'));
  });

  it('vocab-only GGUF → MODEL_NO_TENSORS', async () => {
    await assert.rejects(addon().loadModel(vocabPath('deepseek-coder')), hasCode('MODEL_NO_TENSORS', /no tensors/));
  });

  it("unsupported architecture → MODEL_UNSUPPORTED_ARCH with llama's reason", async () => {
    const f = path.join(dir, 'nonexistent-arch.gguf');
    writeGguf(f, { 'general.architecture': 'nonexistent', 'general.name': 'weird' }, [{ name: 'token_embd.weight', shape: [8, 4] }]);
    await assert.rejects(addon().loadModel(f), hasCode('MODEL_UNSUPPORTED_ARCH', /nonexistent/));
  });

  it('GGUF whose tensors do not match the architecture → MODEL_LOAD_FAILED', async () => {
    const f = path.join(dir, 'wrong-tensors.gguf');
    writeGguf(f, { 'general.architecture': 'llama', 'llama.block_count': 1 }, [{ name: 'nothing.weight', shape: [8] }]);
    await assert.rejects(addon().loadModel(f), hasCode('MODEL_LOAD_FAILED'));
  });

  it('a cancelled flag aborts loading → ABORTED', async () => {
    const flag = addon().createCancelFlag();
    flag.cancel();
    await assert.rejects(addon().loadModel(await testModel(), { cancel: flag }), hasCode('ABORTED'));
  });

  it('invalid load options → INVALID_ARGUMENT', async () => {
    await assert.rejects(addon().loadModel(await testModel(), { cancel: {} as any }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(addon().loadModel(42 as any), hasCode('INVALID_ARGUMENT'));
  });

  it('a NUL character in the model path → INVALID_ARGUMENT (not the path cut at the NUL)', async () => {
    const real = await testModel();
    await assert.rejects(addon().loadModel(`${real}\u0000.txt`), hasCode('INVALID_ARGUMENT', /model path contains a NUL character/));
    await assert.rejects(addon().loadModel('\u0000'), hasCode('INVALID_ARGUMENT', /NUL character \(at byte 0\)/));
  });

  it('makeTestModel rejects a bad spec', async () => {
    const out = path.join(dir, 'never.gguf');
    await assert.rejects(addon().makeTestModel({ arch: 'gpt9' as any, layers: 1, embd: 64, heads: 4, kvHeads: 2, ffn: 128, contextLength: 128, vocabPath: vocabPath('deepseek-coder'), out, seed: 1, type: 'f32' }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(addon().makeTestModel({ arch: 'llama', layers: 1, embd: 60, heads: 4, kvHeads: 2, ffn: 128, contextLength: 128, vocabPath: vocabPath('deepseek-coder'), out, seed: 1, type: 'q8_0' }), hasCode('INVALID_ARGUMENT'));
    assert.ok(!fs.existsSync(out));
  });
});

describe('native addon: bad arguments to the model-free tools → INVALID_ARGUMENT', function () {
  const simulate = (traces: unknown, options: unknown) => addon().simulateDrafting!(traces as never, options as never);
  const ok = { modes: ['pld'], costCurve: [[1, 10], [8, 20]] };

  it('simulateDrafting: traces and options of the wrong shape', () => {
    assert.throws(() => simulate({}, ok), hasCode('INVALID_ARGUMENT', /simulateDrafting/));
    assert.throws(() => simulate([42], ok), hasCode('INVALID_ARGUMENT', /traces\[0\] must be an object/));
    assert.throws(() => simulate([{ prompt: 'x', reference: [] }], ok), hasCode('INVALID_ARGUMENT', /tokens/));
  });

  it('simulateDrafting: modes that are not an array of names', () => {
    assert.throws(() => simulate([], { costCurve: ok.costCurve }), hasCode('INVALID_ARGUMENT', /modes must be an array/));
    assert.throws(() => simulate([], { ...ok, modes: 'pld' }), hasCode('INVALID_ARGUMENT', /modes must be an array/));
    assert.throws(() => simulate([], { ...ok, modes: [7] }), hasCode('INVALID_ARGUMENT', /mode/));
    assert.throws(() => simulate([], { ...ok, modes: ['warp'] }), hasCode('INVALID_ARGUMENT', /unknown mode warp/));
  });

  it('simulateDrafting: a cost curve that is not [k, ms] pairs', () => {
    assert.throws(() => simulate([], { modes: ok.modes }), hasCode('INVALID_ARGUMENT', /costCurve must be an array/));
    for (const bad of [[5], [[1]], [['1', 10]], [[1, null]], [[0, 10]], [[2.5, 10]], [[1, -1]], [[1, NaN]], [{ 0: 1, 1: 10 }]]) {
      assert.throws(() => simulate([], { ...ok, costCurve: bad }), hasCode('INVALID_ARGUMENT', /costCurve/), JSON.stringify(bad));
    }
    assert.throws(() => simulate([], { ...ok, fim: { suffix: 'a', middle: 1 } }), hasCode('INVALID_ARGUMENT', /fim/));
  });

  it('simulateDrafting: a well-formed call still runs', () => {
    const r = simulate([{ prompt: [1, 2, 3, 1, 2], reference: [3, 1, 2] }], ok);
    assert.ok(r.pld?.all, JSON.stringify(r));
  });

  it('measureCost: bad ks, depth and reps are refused before any model is loaded', async () => {
    const measure = (options: unknown) => addon().measureCost!('/nonexistent/never-loaded.gguf', options as never);
    await assert.rejects(measure(undefined), hasCode('INVALID_ARGUMENT', /ks/));
    await assert.rejects(measure({ ks: [] }), hasCode('INVALID_ARGUMENT', /ks/));
    await assert.rejects(measure({ ks: 4 }), hasCode('INVALID_ARGUMENT', /ks/));
    await assert.rejects(measure({ ks: ['4'] }), hasCode('INVALID_ARGUMENT', /ks must hold numbers/));
    await assert.rejects(measure({ ks: [0] }), hasCode('INVALID_ARGUMENT', /k must be a whole number from 1 to 128/));
    await assert.rejects(measure({ ks: [1], depth: -1 }), hasCode('INVALID_ARGUMENT', /depth/));
    await assert.rejects(measure({ ks: [1], reps: 0 }), hasCode('INVALID_ARGUMENT', /reps/));
    await assert.rejects(measure({ ks: [1], reps: 1 }), hasCode('MODEL_NOT_FOUND'));
  });
});

interface ChildLoad { loaded?: boolean; code?: string; message?: string; signal?: string }

/** Loads `file` in a separate Node process and, when it loads, completes two tokens (some damage
 *  only aborts at the first completion): an engine that aborts kills that process, not mocha. */
function loadInChild(file: string): ChildLoad {
  const script = `
    const { addon } = require(${JSON.stringify(path.join(__dirname, 'fixtures'))});
    (async () => {
      try {
        const model = await addon().loadModel(${JSON.stringify(file)});
        const session = await model.createSession({ contextSize: 64, threads: 1 });
        await session.complete({ prompt: ['int main() {'], maxTokens: 2 });
        await session.dispose();
        await model.dispose();
        console.log(JSON.stringify({ loaded: true }));
      } catch (e) {
        console.log(JSON.stringify({ code: e.code, message: e.message }));
      }
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, GGML_NO_BACKTRACE: '1' },  // no gdb on an abort
  });
  if (r.signal) return { signal: `${r.signal}: ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}` };
  const last = (r.stdout || '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ChildLoad;
  } catch {
    return { message: `the child exited ${r.status}: ${r.stderr}` };
  }
}

describe('native addon: damaged metadata that llama.cpp would abort on → MODEL_LOAD_FAILED', function () {
  this.timeout(180_000);
  const dir = scratchDir('bad-metadata');
  let source: string;  // llama layout: 2 layers, 64 wide, 4 heads, 2 KV heads, deepseek-coder vocabulary
  before(async () => { source = await testModel(); });

  function damaged(name: string, changes: Record<string, GgufValue | null>): string {
    const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.gguf`);
    copyGgufWithMetadata(source, file, changes);
    return file;
  }

  function rejectsClearly(file: string, message: RegExp): void {
    const r = loadInChild(file);
    assert.ok(!r.signal, `the engine process was killed by ${r.signal}`);
    assert.ok(!r.loaded, 'the damaged model loaded and generated');
    assert.equal(r.code, 'MODEL_LOAD_FAILED', r.message);
    assert.match(r.message ?? '', message);
    assert.match(r.message ?? '', /download or convert the model again/);
  }

  const cases: [string, Record<string, GgufValue | null>, RegExp][] = [
    ['block_count 0', { 'llama.block_count': { u32: 0 } }, /llama\.block_count \(the number of layers\) is 0; it must be from 1 to 512/],
    ['block_count over 512', { 'llama.block_count': { u32: 100000 } }, /llama\.block_count .* is 100000; it must be from 1 to 512/],
    ['more next-token-prediction layers than layers', { 'llama.nextn_predict_layers': { u32: 3 } },
      /llama\.nextn_predict_layers is 3 but the model has only 2 layers/],
    ['expert_count over 1024', { 'llama.expert_count': { u32: 2000 }, 'llama.expert_used_count': { u32: 2 } },
      /llama\.expert_count is 2000; llama\.cpp supports at most 1024/],
    ['more experts used than there are', { 'llama.expert_count': { u32: 4 }, 'llama.expert_used_count': { u32: 8 } },
      /llama\.expert_used_count is 8 but llama\.expert_count is 4/],
    ['experts but none used', { 'llama.expert_count': { u32: 4 }, 'llama.expert_used_count': { u32: 0 } },
      /llama\.expert_used_count is 0 \(or missing\) but the model has 4 experts/],
    ['experts used without experts', { 'llama.expert_used_count': { u32: 2 } }, /llama\.expert_used_count is 2 but the model has no experts/],
    ['expert groups without experts', { 'llama.expert_group_count': { u32: 2 } }, /llama\.expert_group_count is 2 but the model has no experts/],
    ['unknown rope.scaling.type', { 'llama.rope.scaling.type': { str: 'yarn2' } },
      /llama\.rope\.scaling\.type is 'yarn2'; it must be one of none, linear, yarn, longrope/],
    ['negative RMS norm epsilon (aborts at the first completion)', { 'llama.attention.layer_norm_rms_epsilon': { f32: -1e-5 } },
      /llama\.attention\.layer_norm_rms_epsilon is -1e-05; it must be a small positive number/],
    ['NaN RMS norm epsilon', { 'llama.attention.layer_norm_rms_epsilon': { f32: NaN } }, /layer_norm_rms_epsilon is nan;/],
    ['KV heads that do not divide the heads', { 'llama.attention.head_count_kv': { u32: 3 } },
      /llama\.attention\.head_count_kv is 3 but llama\.attention\.head_count is 4; the key\/value heads must divide/],
    ['fewer token types than tokens', { 'tokenizer.ggml.token_type': { i32s: [1, 1, 1] } },
      /tokenizer\.ggml\.token_type has 3 entries but tokenizer\.ggml\.tokens has \d+; there must be one per token/],
    ['no tokenizer (tokenizer.ggml.model none)', { 'tokenizer.ggml.model': { str: 'none' } },
      /tokenizer\.ggml\.model is 'none': the model has no tokenizer/],
  ];
  for (const [label, changes, message] of cases) {
    it(label, () => rejectsClearly(damaged(label, changes), message));
  }

  it('a duplicated token string', () => {
    const tokens = readGgufStrings(source, 'tokenizer.ggml.tokens');
    tokens[1000] = tokens[999];
    rejectsClearly(damaged('duplicate-token', { 'tokenizer.ggml.tokens': { strings: tokens } }),
      /tokenizer\.ggml\.tokens has the token '.*' twice \(ids 999 and 1000\); every token must be unique/);
  });

  it('general.alignment 1 (tensor data off a 32-byte boundary)', () => {
    // A name length that leaves the unpadded header off a 32-byte boundary.
    let file = '';
    for (let pad = 0; pad < 32 && (!file || ggufDataOffset(file) % 32 === 0); pad++) {
      file = damaged('alignment-1', { 'general.alignment': { u32: 1 }, 'general.name': { str: `unaligned${'x'.repeat(pad)}` } });
    }
    assert.notEqual(ggufDataOffset(file) % 32, 0);
    rejectsClearly(file, /the data of tensor '[^']+' starts at byte \d+, not at a multiple of 32 \(general\.alignment is 1\)/);
  });

  it('the undamaged copy still loads and generates (the helper changes only what it is asked to)', () => {
    assert.deepEqual(loadInChild(damaged('undamaged', { 'general.name': { str: 'a copy' } })), { loaded: true });
  });
});

describe('native addon: bad requests', function () {
  let model: NativeModel;
  let session: NativeSession;

  before(async () => {
    model = await addon().loadModel(await testModel());
    session = await model.createSession({ contextSize: 128 });
  });
  after(async () => {
    await session?.dispose();
    await model?.dispose();
  });

  it('prompt longer than the context → CONTEXT_OVERFLOW naming both sizes', async () => {
    const prompt = (await model.tokenize('let x = 1;\n'.repeat(100))).slice(0, 300);
    await assert.rejects(session.complete({ prompt, maxTokens: 4 }), hasCode('CONTEXT_OVERFLOW', /300.*128/));
  });

  for (const [label, maxTokens] of [['0', 0], ['negative', -5], ['non-integer', 2.5], ['larger than the context', 129], ['NaN', NaN], ['missing', undefined]] as const) {
    it(`maxTokens ${label} → INVALID_ARGUMENT`, async () => {
      await assert.rejects(session.complete({ prompt: ['x'], maxTokens: maxTokens as any }), hasCode('INVALID_ARGUMENT', /maxTokens/));
    });
  }

  it('empty prompt → INVALID_ARGUMENT', async () => {
    await assert.rejects(session.complete({ prompt: [], maxTokens: 4 }), hasCode('INVALID_ARGUMENT', /empty/));
    await assert.rejects(session.complete({ prompt: [''], maxTokens: 4 }), hasCode('INVALID_ARGUMENT', /empty/));
  });

  it('malformed prompt parts and token ids → INVALID_ARGUMENT', async () => {
    await assert.rejects(session.complete({ prompt: [true as any], maxTokens: 4 }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(session.complete({ prompt: [9_999_999], maxTokens: 4 }), hasCode('INVALID_ARGUMENT', /vocabulary/));
    await assert.rejects(session.complete({ prompt: [-1], maxTokens: 4 }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(session.complete({ prompt: 'text' as any, maxTokens: 4 }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(session.complete({ prompt: ['x'], maxTokens: 4, timeBudgetMs: -1 }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(model.detokenize([1e9]), hasCode('INVALID_ARGUMENT'));
  });

  it('invalid UTF-8 bytes → INVALID_UTF8 with the byte offset', async () => {
    await assert.rejects(model.tokenize(new Uint8Array([0x61, 0x62, 0xff, 0x63])), hasCode('INVALID_UTF8', /offset 2/));
    await assert.rejects(model.tokenize(new Uint8Array([0x61, 0xe2, 0x82])), hasCode('INVALID_UTF8', /offset 1/));
  });

  it('lone surrogates in JS strings → INVALID_UTF8', async () => {
    await assert.rejects(model.tokenize('ab\uD800cd'), hasCode('INVALID_UTF8', /index 2/));
    await assert.rejects(model.tokenize('\uDC00'), hasCode('INVALID_UTF8'));
    await assert.rejects(session.complete({ prompt: ['ok', 'bad\uDBFF'], maxTokens: 2 }), hasCode('INVALID_UTF8'));
    await assert.rejects(session.complete({ prompt: ['ok'], maxTokens: 2, stop: ['\uD83D'] }), hasCode('INVALID_UTF8'));
    // A proper pair is fine.
    assert.ok((await model.tokenize('emoji \uD83D\uDE00')).length > 0);
  });

  it('bad session options → INVALID_ARGUMENT', async () => {
    await assert.rejects(model.createSession({ contextSize: 2.5 }), hasCode('INVALID_ARGUMENT', /contextSize/));
    // below one output per draft-tree sequence llama.cpp would abort the process: refused instead
    await assert.rejects(model.createSession({ contextSize: 12 }), hasCode('INVALID_ARGUMENT', /contextSize must be a whole number from 16/));
    await assert.rejects(model.createSession({ threads: 0 }), hasCode('INVALID_ARGUMENT', /threads/));
  });

  it('unknown log level → INVALID_ARGUMENT', () => {
    assert.throws(() => addon().setLogLevel('loud'), hasCode('INVALID_ARGUMENT'));
  });

  it('after all that, the session still works', async () => {
    const r = await session.complete({ prompt: ['int main() {'], maxTokens: 3 });
    assert.equal(r.stats.generatedTokens, 3);
  });
});
