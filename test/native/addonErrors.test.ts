// Bad input to the native addon: each case is a clear error with the right code, and nothing
// crashes or is lost (the model and session stay usable afterwards).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeModel, NativeSession } from '../../extension/engine/native';
import { addon, scratchDir, testModel, vocabPath, writeGguf } from './fixtures';

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

  it('makeTestModel rejects a bad spec', async () => {
    const out = path.join(dir, 'never.gguf');
    await assert.rejects(addon().makeTestModel({ arch: 'gpt9' as any, layers: 1, embd: 64, heads: 4, kvHeads: 2, ffn: 128, contextLength: 128, vocabPath: vocabPath('deepseek-coder'), out, seed: 1, type: 'f32' }), hasCode('INVALID_ARGUMENT'));
    await assert.rejects(addon().makeTestModel({ arch: 'llama', layers: 1, embd: 60, heads: 4, kvHeads: 2, ffn: 128, contextLength: 128, vocabPath: vocabPath('deepseek-coder'), out, seed: 1, type: 'q8_0' }), hasCode('INVALID_ARGUMENT'));
    assert.ok(!fs.existsSync(out));
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
