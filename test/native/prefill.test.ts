// session.prefill(): evaluates a prompt into the KV cache without generating, so the completion
// that follows starts warm — with exactly the cold tokens, per-document KV keys, cancellation
// within a forward pass (what was evaluated stays cached), the BUSY rule shared with complete(),
// the draft corpus and the 'handover' placement.
import * as assert from 'node:assert/strict';
import type { NativeModel, NativeSession } from '../../extension/engine/native';
import { addon, coldCompletion, testModel } from './fixtures';

const CODE = 'function add(a, b) {\n  return a + b;\n}\n\nfunction mul(a, b) {\n  return a * b;\n}\n\nfunction pow(a, n) {\n  let r = 1;\n';
const OTHER = 'class Queue {\n  constructor() {\n    this.items = [];\n  }\n  enqueue(x) {\n    this.items.push(x);\n  }\n  dequeue() {\n';

describe('native addon: prefill', function () {
  let model: NativeModel;
  let session: NativeSession;
  let prompt: number[];

  before(async function () {
    model = await addon().loadModel(await testModel());
    session = await model.createSession({ contextSize: 2048, threads: 2 });
    prompt = await model.tokenize(CODE);
  });
  after(async () => {
    await session?.dispose();
    await model?.dispose();
  });

  it('warms the cache: the completion reuses all but the last prompt token, with the cold tokens', async () => {
    await session.reset();
    const warmed = await session.prefill({ prompt });
    assert.equal(warmed.cancelled, false);
    assert.equal(warmed.promptTokens, prompt.length);
    assert.equal(warmed.reusedTokens, 0);
    assert.equal(warmed.restoredTokens, 0);
    assert.ok(warmed.prefillMs > 0);
    assert.deepEqual(warmed.documentKv, { documents: 0, bytes: 0, limitBytes: 256 * 1024 * 1024, maxDocuments: 3 });
    assert.deepEqual(session.cachedTokens(), prompt, 'exactly the prompt, nothing generated');

    const again = await session.prefill({ prompt });
    assert.equal(again.reusedTokens, prompt.length - 1, 'prefill reuses like complete');

    const r = await session.complete({ prompt, maxTokens: 10 });
    assert.equal(r.stats.reusedTokens, prompt.length - 1);
    const cold = await coldCompletion(model, { prompt, maxTokens: 10 });
    assert.deepEqual(r.tokens, cold.tokens);
    assert.equal(r.text, cold.text);
  });

  it('a prefilled document is saved under its kvKey and restored later', async () => {
    await session.reset();
    const other = await model.tokenize(OTHER);
    await session.prefill({ prompt, kvKey: 'code' });
    const b = await session.complete({ prompt: other, maxTokens: 6, kvKey: 'other' });
    assert.equal(b.stats.documentKv?.documents, 1);
    const back = await session.complete({ prompt, maxTokens: 10, kvKey: 'code' });
    assert.equal(back.stats.restoredTokens, prompt.length - 1);
    assert.equal(back.stats.reusedTokens, prompt.length - 1);
    assert.deepEqual(back.tokens, (await coldCompletion(model, { prompt, maxTokens: 10 })).tokens);
    // and the other way round: prefill restores too
    const pre = await session.prefill({ prompt: other, kvKey: 'other' });
    assert.ok(pre.restoredTokens > 0 && pre.reusedTokens === other.length - 1, JSON.stringify(pre));
    assert.ok(pre.kvSwitchMs > 0);
  });

  it('keepCached: a pre-warm of another prompt of the same document keeps what a completion still needs', async () => {
    await session.reset();
    const other = await model.tokenize(OTHER);
    const first = await session.complete({ prompt, maxTokens: 4, kvKey: 'doc' });
    const pre = await session.prefill({ prompt: other, kvKey: 'doc', keepCached: true }); // a new window, never used
    assert.equal(pre.cancelled, false);
    assert.equal(pre.documentKv.documents, 1, 'the held prompt was kept');
    const back = await session.complete({ prompt: [...prompt, ...first.tokens.slice(0, 2)], maxTokens: 6, kvKey: 'doc' });
    assert.ok(back.stats.restoredTokens! >= prompt.length, JSON.stringify(back.stats));
    assert.deepEqual(back.tokens, (await coldCompletion(model, { prompt: [...prompt, ...first.tokens.slice(0, 2)], maxTokens: 6 })).tokens);
    // the document's saved KV stays too when the context holds another document
    await session.reset();
    await session.complete({ prompt, maxTokens: 4, kvKey: 'doc' });
    await session.complete({ prompt: other, maxTokens: 4, kvKey: 'elsewhere' });
    const fresh = [...other.slice(0, 20), ...prompt.slice(0, 20)]; // the same document's other window
    await session.prefill({ prompt: fresh, kvKey: 'doc', keepCached: true });
    const returned = await session.complete({ prompt, maxTokens: 2, kvKey: 'doc' });
    assert.equal(returned.stats.restoredTokens, prompt.length - 1, JSON.stringify(returned.stats));
    // without keepCached the same steps lose it
    await session.reset();
    await session.complete({ prompt, maxTokens: 4, kvKey: 'doc' });
    await session.prefill({ prompt: other, kvKey: 'doc' });
    const lost = await session.complete({ prompt, maxTokens: 2, kvKey: 'doc' });
    assert.equal(lost.stats.restoredTokens, 0);
    await assert.rejects(session.prefill({ prompt, keepCached: 'yes' as never }), (e: any) => e.code === 'INVALID_ARGUMENT');
  });

  it('builds the drafter\'s document index, so the next completion does not wait for it', async () => {
    const big = (v: number) => [{ id: 'big.js', version: v, source: 'otherFile' as const, text: `${OTHER}\n`.repeat(40 + v) }];
    await session.complete({ prompt, maxTokens: 2, speculation: 'auto', documents: big(1) }); // the drafter exists now
    const cold = await session.complete({ prompt, maxTokens: 2, speculation: 'auto', documents: big(2) });
    assert.ok(cold.stats.speculation!.documentIndexMs! > 0, 'new documents: the completion indexes them');
    await session.prefill({ prompt, documents: big(3) });
    const warm = await session.complete({ prompt, maxTokens: 2, speculation: 'auto', documents: big(3).map(({ text: _text, ...d }) => d) });
    assert.equal(warm.stats.speculation!.documentIndexMs, 0, 'the pre-warm built the index');
    assert.deepEqual(warm.stats.speculation!.missingDocuments, []);
  });

  it('updates the draft corpus when documents are given', async () => {
    await session.reset();
    await session.prefill({ prompt, documents: [{ id: 'doc', version: 1, source: 'sameFile', text: CODE.repeat(2) }] });
    const r = await session.complete({ prompt, maxTokens: 4, speculation: 'pld' });
    assert.equal(r.stats.speculation?.corpusDocuments, 1, 'documents absent = unchanged since the prefill');
  });

  it('checks the request as complete() does', async () => {
    const invalid = (e: { code?: string }) => e.code === 'INVALID_ARGUMENT';
    await assert.rejects(session.prefill(undefined as never), invalid);
    await assert.rejects(session.prefill({ prompt: [] }), invalid);
    await assert.rejects(session.prefill({ prompt: 'text' as never }), invalid);
    await assert.rejects(session.prefill({ prompt, documents: 'x' as never }), invalid);
    const long = await model.tokenize(CODE.repeat(120));
    assert.ok(long.length > 2048);
    await assert.rejects(session.prefill({ prompt: long }), (e: { code?: string }) => e.code === 'CONTEXT_OVERFLOW');
    assert.equal((await session.prefill({ prompt })).cancelled, false, 'still usable');
  });

  it('shares the one-request rule with complete() (BUSY)', async () => {
    const running = session.complete({ prompt: [CODE], maxTokens: 64 });
    await assert.rejects(session.prefill({ prompt }), (e: { code?: string }) => e.code === 'BUSY');
    await running;
    const prefilling = session.prefill({ prompt: prompt.concat(await model.tokenize(OTHER.repeat(8))) });
    await assert.rejects(session.complete({ prompt, maxTokens: 2 }), (e: { code?: string }) => e.code === 'BUSY');
    await prefilling;
  });

  it('a flag cancelled before the call resolves at once as cancelled', async () => {
    await session.reset();
    const flag = addon().createCancelFlag();
    flag.cancel();
    const r = await session.prefill({ prompt }, flag);
    assert.equal(r.cancelled, true);
    assert.deepEqual(session.cachedTokens(), []);
  });
});

describe('native addon: prefill cancellation and placement', function () {
  let model: NativeModel;

  before(async function () {
    // Big enough that a 2,000-token prefill takes many forward passes of measurable time.
    model = await addon().loadModel(await testModel({ layers: 4, embd: 256, heads: 8, kvHeads: 4, ffn: 1024 }));
  });
  after(async () => model?.dispose());

  it('cancels within a forward pass; what was evaluated stays cached for the completion', async () => {
    const session = await model.createSession({ contextSize: 4096, threads: 2, batchSize: 256 });
    try {
      const prompt = (await model.tokenize(CODE.repeat(80))).slice(0, 2000);
      const flag = addon().createCancelFlag();
      const started = performance.now();
      setTimeout(() => flag.cancel(), 50);
      const r = await session.prefill({ prompt }, flag);
      const elapsed = performance.now() - started;
      assert.equal(r.cancelled, true, `the whole prefill ran (${elapsed.toFixed(0)} ms) despite the cancel`);
      const cached = session.cachedTokens();
      assert.ok(cached.length < prompt.length, `${cached.length} of ${prompt.length} cached`);
      assert.deepEqual(cached, prompt.slice(0, cached.length));

      const after = await session.complete({ prompt, maxTokens: 6 });
      assert.equal(after.stats.reusedTokens, cached.length);
      const cold = await coldCompletion(model, { prompt, maxTokens: 6 }, { contextSize: 4096, batchSize: 256 });
      assert.deepEqual(after.tokens, cold.tokens);
      assert.equal(after.text, cold.text);
    } finally {
      await session.dispose();
    }
  });

  it('goes through the hand-over prefill context when the placement hands over', async () => {
    const modelPath = await testModel();
    const handover = await addon().loadModel(modelPath, { device: 'cpu', placementStrategy: 'handover' });
    const small = await addon().loadModel(modelPath);
    try {
      const prompt = (await small.tokenize(CODE.repeat(4))).slice(0, 200);
      const cold = await handover.createSession({ contextSize: 1024, threads: 2, batchSize: 64 });
      const full = await cold.complete({ prompt, maxTokens: 8 });
      await cold.dispose();
      assert.equal(full.stats.placement, 'handover');

      const session = await handover.createSession({ contextSize: 1024, threads: 2, batchSize: 64 });
      try {
        const warmed = await session.prefill({ prompt });
        assert.equal(warmed.cancelled, false);
        const r = await session.complete({ prompt, maxTokens: 8 });
        assert.equal(r.stats.reusedTokens, prompt.length - 1);
        assert.deepEqual(r.tokens, full.tokens);
        // The prefill context already holds the prompt (the prefill ran there): only the last
        // token's KV is handed over, nothing is synced back from the decode context.
        assert.ok((r.stats.handoverBytes ?? 0) * 10 < (full.stats.handoverBytes ?? 0),
          `${r.stats.handoverBytes} vs ${full.stats.handoverBytes} bytes for the whole prompt`);
        assert.deepEqual(r.tokens, (await coldCompletion(small, { prompt, maxTokens: 8 }, { batchSize: 64 })).tokens);
      } finally {
        await session.dispose();
      }
    } finally {
      await handover.dispose();
      await small.dispose();
    }
  });
});
