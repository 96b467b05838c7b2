// The native addon against small generated models: loading, tokenization, greedy generation,
// streaming, stop strings, KV prefix reuse, cancellation, concurrency and disposal.
import * as assert from 'node:assert/strict';
import type { CompletionResult, NativeModel, NativeSession, PromptPart } from '../../extension/engine/native';
import { addon, testModel, vocabPath } from './fixtures';

const CODE = 'function add(a, b) {\n  return a + b;\n}\n\nfunction mul(a, b) {\n';

async function complete(session: NativeSession, prompt: PromptPart[], maxTokens: number, extra: object = {}): Promise<CompletionResult> {
  return session.complete({ prompt, maxTokens, ...extra });
}

describe('native addon: basics', function () {
  let model: NativeModel;

  before(async function () {
    model = await addon().loadModel(await testModel());
  });
  after(async () => model?.dispose());

  it('reports version and devices', () => {
    const v = addon().version();
    assert.match(v.tandem, /^\d+\.\d+\.\d+/);
    assert.match(v.llamaCpp, /llama\.cpp/);
    assert.ok(v.systemInfo.length > 0);
    const devices = addon().devices();
    assert.ok(devices.some((d) => d.type === 'cpu'), JSON.stringify(devices));
  });

  it('reports model info', () => {
    const info = model.info();
    assert.equal(info.architecture, 'llama');
    assert.equal(info.quantization, 'F32');
    assert.equal(info.layers, 2);
    assert.equal(info.embeddingLength, 64);
    assert.equal(info.vocabSize, 32256);
    assert.equal(info.contextLength, 4096);
    assert.ok(info.parameters > 0 && info.sizeBytes > 0 && info.fileSizeBytes >= info.sizeBytes);
    assert.ok(info.fim.prefix >= 0 && info.fim.suffix >= 0 && info.fim.middle >= 0, JSON.stringify(info.fim));
    assert.equal(info.fimText.prefix, '<｜fim▁begin｜>');
    assert.ok(info.bos >= 0 && info.eos >= 0);
    assert.equal(info.addBos, true); // DeepSeek-Coder's tokenizer starts prompts with BOS
  });

  it('formats a conversation with the model chat template, or says why it cannot', () => {
    const info = model.info();
    const messages = [{ role: 'system' as const, content: 'You explain code.' }, { role: 'user' as const, content: 'What does x do?' }];
    if (info.chatTemplate) {
      const text = model.applyChatTemplate(messages);
      assert.ok(text.includes('You explain code.') && text.includes('What does x do?'), text);
    }
    assert.throws(() => model.applyChatTemplate('nope' as never), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT');
  });

  it('reports FIM tokens and quantization of a qwen2 Q8_0 model', async function () {
    const qwen = await addon().loadModel(await testModel({ arch: 'qwen2', type: 'q8_0', vocabPath: vocabPath('qwen2'), embd: 64, ffn: 128 }));
    try {
      const info = qwen.info();
      assert.equal(info.architecture, 'qwen2');
      assert.equal(info.quantization, 'Q8_0');
      assert.equal(info.vocabSize, 151936);
      assert.equal(info.fimText.prefix, '<|fim_prefix|>');
      assert.equal(info.fimText.suffix, '<|fim_suffix|>');
      assert.equal(info.fimText.middle, '<|fim_middle|>');
      assert.deepEqual([info.fim.prefix, info.fim.suffix, info.fim.middle], [151659, 151661, 151660]);
      assert.equal(info.addBos, false); // Qwen2.5 prompts start without BOS
      // Qwen's ChatML template, from the vocab GGUF, through llama.cpp's renderer
      const chat = qwen.applyChatTemplate([{ role: 'user', content: 'Explain this.' }]);
      assert.match(chat, /<\|im_start\|>user\nExplain this\.<\|im_end\|>\n<\|im_start\|>assistant\n$/);
      const session = await qwen.createSession({ contextSize: 256 });
      const r = await complete(session, [CODE], 8);
      assert.equal(r.stats.generatedTokens, 8);
      await session.dispose();
    } finally {
      await qwen.dispose();
    }
  });

  it('tokenizes and detokenizes round trip, text and bytes alike', async () => {
    const tokens = await model.tokenize(CODE);
    assert.ok(tokens.length > 5);
    assert.equal(await model.detokenize(tokens), CODE);
    assert.deepEqual(await model.tokenize(new TextEncoder().encode(CODE)), tokens);
    const emoji = 'const s = "héllo 😀";';
    assert.equal(await model.detokenize(await model.tokenize(emoji)), emoji);
  });

  it('does not parse special tokens in plain text unless asked', async () => {
    const fim = model.info().fimText.prefix;
    const plain = await model.tokenize(fim);
    assert.ok(!plain.includes(model.info().fim.prefix));
    assert.deepEqual(await model.tokenize(fim, { parseSpecial: true }), [model.info().fim.prefix]);
    const withBos = await model.tokenize('x', { addSpecial: true });
    assert.equal(withBos[0], model.info().bos);
  });
});

describe('native addon: generation', function () {
  let model: NativeModel;
  let session: NativeSession;

  before(async function () {
    model = await addon().loadModel(await testModel());
    session = await model.createSession({ contextSize: 512, threads: 2 });
  });
  after(async () => {
    await session?.dispose();
    await model?.dispose();
  });

  it('greedy output is deterministic and equals a step-by-step reference', async () => {
    const prompt = await model.tokenize(CODE);
    const n = 12;
    const first = await complete(session, prompt, n);
    assert.equal(first.stats.stopReason, 'maxTokens');
    assert.equal(first.tokens.length, n);
    await session.reset();
    const again = await complete(session, prompt, n);
    assert.deepEqual(again.tokens, first.tokens);
    assert.equal(again.text, first.text);

    // Reference: a fresh session per step, one token each, prompt given as token ids.
    const reference: number[] = [];
    for (let i = 0; i < n; i++) {
      const cold = await model.createSession({ contextSize: 512, threads: 2 });
      const r = await complete(cold, prompt.concat(reference), 1);
      await cold.dispose();
      reference.push(r.tokens[0]);
    }
    assert.deepEqual(first.tokens, reference);
    assert.equal(first.text, await model.detokenize(reference));
  });

  it('streams pieces that concatenate to the final text', async () => {
    const pieces: string[] = [];
    const r = await complete(session, [CODE], 24, { onText: (p: string) => pieces.push(p) });
    assert.ok(pieces.length > 1);
    assert.equal(pieces.join(''), r.text);
    assert.ok(r.stats.firstTokenMs > 0);
    assert.equal(r.stats.generatedTokens, 24);
    assert.ok(r.stats.prefillMs >= 0 && r.stats.decodeMs > 0);
  });

  it('stops before a stop string, streaming nothing of it', async () => {
    await session.reset();
    const full = await complete(session, [CODE], 24);
    // A stop string that appears in the middle of the reference output.
    const stop = full.text.slice(Math.floor(full.text.length / 2), Math.floor(full.text.length / 2) + 3);
    assert.ok(stop.length === 3, `reference output too short: ${JSON.stringify(full.text)}`);
    const expected = full.text.slice(0, full.text.indexOf(stop));
    const pieces: string[] = [];
    const r = await complete(session, [CODE], 24, { stop: [stop, 'never-appears'], onText: (p: string) => pieces.push(p) });
    assert.equal(r.stats.stopReason, 'stop');
    assert.equal(r.text, expected);
    assert.equal(pieces.join(''), expected);
    assert.ok(r.tokens.length <= full.tokens.length);
    assert.deepEqual(r.tokens, full.tokens.slice(0, r.tokens.length));
  });

  it('stops on the time budget', async () => {
    const r = await complete(session, [CODE], 400, { timeBudgetMs: 1 });
    assert.equal(r.stats.stopReason, 'timeBudget');
    assert.ok(r.stats.generatedTokens >= 1 && r.stats.generatedTokens < 400);
  });

  it('stops when the context is full', async () => {
    const small = await model.createSession({ contextSize: 64 });
    try {
      const prompt = (await model.tokenize(CODE.repeat(8))).slice(0, 60);
      const r = await complete(small, prompt, 64);
      assert.equal(r.stats.stopReason, 'contextFull');
      assert.equal(r.stats.generatedTokens, 64 - 60 + 1);
      assert.equal(small.cachedTokens().length, 64);
    } finally {
      await small.dispose();
    }
  });

  it('reuses the KV prefix and gives the same output as a cold session', async () => {
    await session.reset();
    const base = await model.tokenize(CODE);
    const first = await complete(session, base, 8);
    assert.equal(first.stats.reusedTokens, 0);
    assert.deepEqual(session.cachedTokens(), base.concat(first.tokens.slice(0, -1)));

    // Same prompt again: everything but the last prompt token is reused.
    const same = await complete(session, base, 8);
    assert.equal(same.stats.reusedTokens, base.length - 1);
    assert.deepEqual(same.tokens, first.tokens);

    // An edit near the end: the common prefix is kept, the rest prefilled.
    const edited = base.slice(0, base.length - 3).concat(await model.tokenize(' x * y;\n}\n'));
    const warm = await complete(session, edited, 10);
    assert.equal(warm.stats.reusedTokens, base.length - 3);
    assert.equal(warm.stats.promptTokens, edited.length);
    const cold = await model.createSession({ contextSize: 512, threads: 2 });
    const reference = await complete(cold, edited, 10);
    await cold.dispose();
    assert.equal(reference.stats.reusedTokens, 0);
    assert.deepEqual(warm.tokens, reference.tokens);
    assert.equal(warm.text, reference.text);

    // Continuing from generated text reuses the generated tokens' KV too.
    const continued = await complete(session, edited.concat(warm.tokens.slice(0, 5)), 4);
    assert.equal(continued.stats.reusedTokens, edited.length + 4);
  });

  it('rejects a second request while one runs (BUSY)', async () => {
    const running = complete(session, [CODE], 32);
    await assert.rejects(complete(session, [CODE], 4), (e: any) => e.code === 'BUSY');
    await running;
  });

  it('accepts token ids and special-text parts in prompts', async () => {
    const info = model.info();
    const r = await complete(session, [info.fim.prefix, 'def f(', info.fim.suffix, ')\n', { text: info.fimText.middle, parseSpecial: true }], 4);
    assert.equal(r.stats.generatedTokens, 4);
    const ids = await model.tokenize('def f(');
    assert.equal(r.stats.promptTokens, ids.length + 2 + (await model.tokenize(')\n')).length + 1);
  });
});

describe('native addon: cancellation', function () {
  let model: NativeModel;

  before(async function () {
    // Big enough that one forward pass takes measurable time.
    model = await addon().loadModel(await testModel({ layers: 4, embd: 256, heads: 8, kvHeads: 4, ffn: 1024 }));
  });
  after(async () => model?.dispose());

  it('cancels mid-generation quickly; the session stays usable and consistent', async () => {
    const session = await model.createSession({ contextSize: 2048, threads: 2 });
    try {
      const prompt = await model.tokenize(CODE);
      const flag = addon().createCancelFlag();
      let cancelledAt = 0;
      const pieces: string[] = [];
      const r = await session.complete({
        prompt, maxTokens: 1500,
        onText: (p) => {
          pieces.push(p);
          if (!cancelledAt && pieces.length >= 3) { cancelledAt = performance.now(); flag.cancel(); }
        },
      }, flag);
      const latency = performance.now() - cancelledAt;
      assert.equal(r.stats.stopReason, 'cancelled');
      assert.ok(flag.cancelled);
      // counted in tokens, not ms (the machine is shared): 3 pieces were out when it was cancelled
      assert.ok(r.stats.generatedTokens < 200, `${r.stats.generatedTokens} tokens generated; cancel took ${latency.toFixed(1)} ms`);
      assert.ok(r.text.startsWith(pieces.join('')));
      // KV holds exactly the prompt and the generated tokens that were evaluated.
      const cached = session.cachedTokens();
      assert.deepEqual(cached.slice(0, prompt.length), prompt);
      assert.deepEqual(cached.slice(prompt.length), r.tokens.slice(0, cached.length - prompt.length));
      assert.ok(cached.length >= prompt.length + r.tokens.length - 1 && cached.length <= prompt.length + r.tokens.length);

      // Still usable and still exact: same output as a cold session.
      const after = await session.complete({ prompt, maxTokens: 6 });
      const cold = await model.createSession({ contextSize: 2048, threads: 2 });
      const reference = await cold.complete({ prompt, maxTokens: 6 });
      await cold.dispose();
      assert.deepEqual(after.tokens, reference.tokens);
      const common = Math.min(6, r.tokens.length);
      assert.deepEqual(after.tokens.slice(0, common), r.tokens.slice(0, common));
    } finally {
      await session.dispose();
    }
  });

  it('cancels a long prefill within about one forward pass', async () => {
    const session = await model.createSession({ contextSize: 4096, threads: 2, batchSize: 512 });
    try {
      const prompt = (await model.tokenize(CODE.repeat(200))).slice(0, 3000);
      const flag = addon().createCancelFlag();
      const started = performance.now();
      setTimeout(() => flag.cancel(), 50);
      const r = await session.complete({ prompt, maxTokens: 4 }, flag);
      const elapsed = performance.now() - started;
      assert.equal(r.stats.stopReason, 'cancelled');
      assert.equal(r.stats.generatedTokens, 0);
      assert.equal(r.text, '');
      const cached = session.cachedTokens();
      assert.ok(cached.length < prompt.length, `the whole prefill ran (${elapsed.toFixed(0)} ms) despite the cancel`);
      assert.deepEqual(cached, prompt.slice(0, cached.length));
      // The partial prefill is reused by the next request.
      const again = await session.complete({ prompt: prompt.slice(0, 700), maxTokens: 2 });
      assert.equal(again.stats.reusedTokens, Math.min(cached.length, 699));
    } finally {
      await session.dispose();
    }
  });

  it('a flag cancelled before the call resolves at once as cancelled', async () => {
    const session = await model.createSession({ contextSize: 256 });
    const flag = addon().createCancelFlag();
    flag.cancel();
    const r = await session.complete({ prompt: [CODE], maxTokens: 10 }, flag);
    assert.equal(r.stats.stopReason, 'cancelled');
    assert.equal(r.stats.generatedTokens, 0);
    await session.dispose();
  });

  it('dispose during a request cancels it and is idempotent', async () => {
    const session = await model.createSession({ contextSize: 2048 });
    const running = session.complete({ prompt: [CODE], maxTokens: 1500 });
    await new Promise((r) => setTimeout(r, 30));
    const d1 = session.dispose();
    const d2 = session.dispose();
    const r = await running;
    assert.equal(r.stats.stopReason, 'cancelled');
    await Promise.all([d1, d2]);
    await session.dispose();
    await assert.rejects(session.complete({ prompt: [CODE], maxTokens: 2 }), (e: any) => e.code === 'DISPOSED');
    assert.deepEqual(session.cachedTokens(), []);
  });
});

describe('native addon: sessions and lifetime', function () {
  it('two sessions run concurrently without interfering', async () => {
    const model = await addon().loadModel(await testModel());
    try {
      const prompts = [[CODE], ['class Stack {\n  push(x) {\n']];
      const sequential: CompletionResult[] = [];
      for (const p of prompts) {
        const s = await model.createSession({ contextSize: 512, threads: 1 });
        sequential.push(await s.complete({ prompt: p, maxTokens: 20 }));
        await s.dispose();
      }
      const a = await model.createSession({ contextSize: 512, threads: 1 });
      const b = await model.createSession({ contextSize: 512, threads: 1 });
      for (let round = 0; round < 3; round++) {
        const [ra, rb] = await Promise.all([
          a.complete({ prompt: prompts[0], maxTokens: 20 }),
          b.complete({ prompt: prompts[1], maxTokens: 20 }),
        ]);
        assert.deepEqual(ra.tokens, sequential[0].tokens);
        assert.deepEqual(rb.tokens, sequential[1].tokens);
      }
      await Promise.all([a.dispose(), b.dispose()]);
    } finally {
      await model.dispose();
    }
  });

  it('model.dispose keeps weights alive for live sessions and refuses new work', async () => {
    const model = await addon().loadModel(await testModel());
    const session = await model.createSession({ contextSize: 256 });
    const before = await session.complete({ prompt: [CODE], maxTokens: 5 });
    await model.dispose();
    await model.dispose(); // idempotent
    await assert.rejects(model.tokenize('x'), (e: any) => e.code === 'DISPOSED');
    await assert.rejects(model.createSession(), (e: any) => e.code === 'DISPOSED');
    assert.throws(() => model.info(), (e: any) => e.code === 'DISPOSED');
    await session.reset();
    const after = await session.complete({ prompt: [CODE], maxTokens: 5 });
    assert.deepEqual(after.tokens, before.tokens);
    await session.dispose();
  });

  it('load progress is reported', async () => {
    const seen: number[] = [];
    const model = await addon().loadModel(await testModel(), { onProgress: (f) => seen.push(f) });
    await new Promise((r) => setImmediate(r));
    await model.dispose();
    assert.ok(seen.length >= 1);
    assert.ok(seen.every((f) => f >= 0 && f <= 1));
  });
});
