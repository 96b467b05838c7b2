// Per-document KV (CompletionRequest.kvKey): a session saves the KV of the document it leaves and
// restores it when that document comes back, so switching editor files costs no cold prefill —
// with exactly the tokens a cold session gives, LRU limits by count and bytes, lossless
// speculation on a restored document, the 'handover' placement, and argument checks.
import * as assert from 'node:assert/strict';
import type { CompletionResult, NativeModel, NativeSession, SessionOptions } from '../../extension/engine/native';
import { addon, coldCompletion, testModel } from './fixtures';

// Three documents that share no leading token, each well over the 32 tokens worth saving.
const TEXTS = {
  a: 'function add(a, b) {\n  return a + b;\n}\n\nfunction mul(a, b) {\n  return a * b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n\nfunction div(',
  b: 'class Stack {\n  constructor() {\n    this.items = [];\n  }\n  push(x) {\n    this.items.push(x);\n  }\n  pop() {\n    return this.items.pop();\n  }\n  peek(',
  c: 'import os\nimport sys\n\ndef main(argv):\n    for name in argv[1:]:\n        if os.path.exists(name):\n            print(name, os.path.getsize(name))\n    return 0\n\ndef usage(',
};
type Doc = keyof typeof TEXTS;

describe('native addon: per-document KV', function () {
  let model: NativeModel;
  const prompts = {} as Record<Doc, number[]>;
  const sessions: NativeSession[] = [];

  async function newSession(options: SessionOptions = {}): Promise<NativeSession> {
    const session = await model.createSession({ contextSize: 2048, threads: 2, ...options });
    sessions.push(session);
    return session;
  }
  async function visit(session: NativeSession, doc: Doc, kvKey: string | undefined, extra: number[] = []): Promise<CompletionResult> {
    return session.complete({ prompt: prompts[doc].concat(extra), maxTokens: 8, ...(kvKey === undefined ? {} : { kvKey }) });
  }

  before(async function () {
    model = await addon().loadModel(await testModel());
    for (const doc of Object.keys(TEXTS) as Doc[]) {
      prompts[doc] = await model.tokenize(TEXTS[doc]);
      assert.ok(prompts[doc].length >= 40, `${doc}: ${prompts[doc].length} tokens`);
    }
    assert.notEqual(prompts.a[0], prompts.b[0]);
    assert.notEqual(prompts.b[0], prompts.c[0]);
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.dispose();
  });
  after(async () => model?.dispose());

  it('restores a document after another one ran, with exactly the cold tokens', async () => {
    const session = await newSession();
    const first = await visit(session, 'a', 'a');
    assert.equal(first.stats.restoredTokens, 0);
    assert.deepEqual(first.stats.documentKv, { documents: 0, bytes: 0, limitBytes: 256 * 1024 * 1024, maxDocuments: 3 });
    const other = await visit(session, 'b', 'b');
    assert.equal(other.stats.restoredTokens, 0);
    assert.equal(other.stats.documentKv?.documents, 1, 'a was saved when b came');

    const extra = await model.tokenize(' x, y) {\n');
    const back = await visit(session, 'a', 'a', extra);
    assert.ok((back.stats.restoredTokens ?? 0) > 0, JSON.stringify(back.stats));
    assert.ok(back.stats.reusedTokens >= prompts.a.length - 1, `reused ${back.stats.reusedTokens} of ${prompts.a.length}`);
    assert.ok((back.stats.restoredTokens ?? 0) <= back.stats.reusedTokens);
    assert.ok((back.stats.kvSwitchMs ?? 0) > 0);
    assert.equal(back.stats.documentKv?.documents, 1, 'b saved, a taken out');
    assert.deepEqual(session.cachedTokens().slice(0, prompts.a.length + extra.length), prompts.a.concat(extra));

    const cold = await coldCompletion(model, { prompt: prompts.a.concat(extra), maxTokens: 8 });
    assert.equal(cold.stats.reusedTokens, 0);
    assert.deepEqual(back.tokens, cold.tokens);
    assert.equal(back.text, cold.text);
  });

  it('without kvKey the same sequence restores nothing (prefix reuse only)', async () => {
    const session = await newSession();
    await visit(session, 'a', undefined);
    await visit(session, 'b', undefined);
    const back = await visit(session, 'a', undefined, await model.tokenize(' x, y) {\n'));
    assert.equal(back.stats.restoredTokens, 0);
    assert.ok(back.stats.reusedTokens < 4, `reused ${back.stats.reusedTokens}`);
    assert.equal(back.stats.documentKv?.documents, 0);
  });

  it('evicts the least recently left document beyond documentKvDocuments', async () => {
    const session = await newSession({ documentKvDocuments: 1 });
    for (const doc of ['a', 'b', 'c'] as Doc[]) await visit(session, doc, doc);
    const a = await visit(session, 'a', 'a');
    assert.equal(a.stats.restoredTokens, 0, 'a was evicted when b was saved beside it');
    assert.ok(a.stats.reusedTokens < 4);
    assert.equal(a.stats.documentKv?.documents, 1);
    assert.equal(a.stats.documentKv?.maxDocuments, 1);
    await visit(session, 'b', 'b');
    await visit(session, 'c', 'c');
    const b = await visit(session, 'b', 'b');
    assert.ok((b.stats.restoredTokens ?? 0) > 0, 'saving c must not evict b, which is coming back');
    assert.equal(b.stats.reusedTokens, prompts.b.length - 1);
  });

  it('saves nothing with documentKvBytes 0 or a document bigger than the limit', async () => {
    for (const documentKvBytes of [0, 1000]) {
      const session = await newSession({ documentKvBytes });
      await visit(session, 'a', 'a');
      const b = await visit(session, 'b', 'b');
      assert.deepEqual(b.stats.documentKv, { documents: 0, bytes: 0, limitBytes: documentKvBytes, maxDocuments: 3 });
      const a = await visit(session, 'a', 'a');
      assert.equal(a.stats.restoredTokens, 0, `documentKvBytes ${documentKvBytes}`);
      assert.ok(a.stats.reusedTokens < 4);
    }
  });

  it('reports the saved bytes within the limits', async () => {
    const session = await newSession({ documentKvBytes: 4 * 1024 * 1024, documentKvDocuments: 2 });
    const seen: number[] = [];
    for (const doc of ['a', 'b', 'c', 'a'] as Doc[]) {
      const r = await visit(session, doc, doc);
      const kv = r.stats.documentKv!;
      assert.equal(kv.limitBytes, 4 * 1024 * 1024);
      assert.equal(kv.maxDocuments, 2);
      assert.ok(kv.documents <= 2 && kv.bytes <= kv.limitBytes, JSON.stringify(kv));
      assert.equal(kv.bytes > 0, kv.documents > 0, JSON.stringify(kv));
      seen.push(kv.documents);
    }
    // a: none saved; b: a; c: a, b; a again: a taken out, c saved → b, c
    assert.deepEqual(seen, [0, 1, 2, 2]);
  });

  it('evicts the least recently left document beyond documentKvBytes', async () => {
    const probe = await newSession();
    await visit(probe, 'a', 'a');
    const oneDocument = (await visit(probe, 'b', 'b')).stats.documentKv!.bytes;  // a's saved KV
    const limitBytes = Math.floor(oneDocument * 1.5);  // room for one document, not two
    const session = await newSession({ documentKvBytes: limitBytes });
    await visit(session, 'a', 'a');
    assert.equal((await visit(session, 'b', 'b')).stats.documentKv?.documents, 1);
    const c = await visit(session, 'c', 'c');
    assert.equal(c.stats.documentKv?.documents, 1, 'a went to make room for b');
    assert.ok(c.stats.documentKv.bytes <= limitBytes);
    assert.equal((await visit(session, 'a', 'a')).stats.restoredTokens, 0);
    assert.ok(((await visit(session, 'c', 'c')).stats.restoredTokens ?? 0) > 0);
  });

  it('a short document (< 32 tokens) is not worth saving', async () => {
    const session = await newSession();
    await session.complete({ prompt: prompts.a.slice(0, 10), maxTokens: 4, kvKey: 'short' });
    const b = await visit(session, 'b', 'b');
    assert.equal(b.stats.documentKv?.documents, 0);
  });

  it('reset forgets the saved documents too', async () => {
    const session = await newSession();
    await visit(session, 'a', 'a');
    await visit(session, 'b', 'b');
    await session.reset();
    const a = await visit(session, 'a', 'a');
    assert.equal(a.stats.restoredTokens, 0);
    assert.equal(a.stats.reusedTokens, 0);
    assert.equal(a.stats.documentKv?.documents, 0);
  });

  it('speculation auto on a restored document gives exactly the off tokens', async function () {
    const saved = process.env.TANDEM_COST_CURVE;
    process.env.TANDEM_COST_CURVE = '1:10,128:11';  // flat: big verification trees
    try {
      const session = await newSession();
      const documents = [{ id: 'a', version: 1, source: 'sameFile' as const, text: TEXTS.a.repeat(3) }];
      await session.complete({ prompt: prompts.a, maxTokens: 24, kvKey: 'a', speculation: 'auto', documents });
      await session.complete({ prompt: prompts.b, maxTokens: 24, kvKey: 'b', speculation: 'auto', documents });
      const extra = await model.tokenize(' a, b) {\n');
      const back = await session.complete({ prompt: prompts.a.concat(extra), maxTokens: 32, kvKey: 'a', speculation: 'auto', documents });
      assert.ok((back.stats.restoredTokens ?? 0) > 0);
      assert.equal(back.stats.speculation?.mode, 'auto');
      const off = await coldCompletion(model, { prompt: prompts.a.concat(extra), maxTokens: 32, speculation: 'off' });
      assert.deepEqual(back.tokens, off.tokens);
      assert.equal(back.text, off.text);
    } finally {
      if (saved === undefined) delete process.env.TANDEM_COST_CURVE;
      else process.env.TANDEM_COST_CURVE = saved;
    }
  });

  it('works with the handover placement (only the decode context is saved)', async () => {
    const handover = await addon().loadModel(await testModel(), { device: 'cpu', placementStrategy: 'handover' });
    try {
      const session = await handover.createSession({ contextSize: 2048, threads: 2, batchSize: 32 });
      try {
        await session.complete({ prompt: prompts.a, maxTokens: 8, kvKey: 'a' });
        await session.complete({ prompt: prompts.b, maxTokens: 8, kvKey: 'b' });
        const extra = await model.tokenize(' x, y) {\n');
        const back = await session.complete({ prompt: prompts.a.concat(extra), maxTokens: 8, kvKey: 'a' });
        assert.equal(back.stats.placement, 'handover');
        assert.ok((back.stats.restoredTokens ?? 0) > 0, JSON.stringify(back.stats));
        const cold = await coldCompletion(model, { prompt: prompts.a.concat(extra), maxTokens: 8 }, { batchSize: 32 });
        assert.deepEqual(back.tokens, cold.tokens);
        // and back to b, whose prefix the prefill context no longer holds either
        const b = await session.complete({ prompt: prompts.b, maxTokens: 8, kvKey: 'b' });
        assert.ok((b.stats.restoredTokens ?? 0) > 0);
        assert.deepEqual(b.tokens, (await coldCompletion(model, { prompt: prompts.b, maxTokens: 8 }, { batchSize: 32 })).tokens);
      } finally {
        await session.dispose();
      }
    } finally {
      await handover.dispose();
    }
  });

  it('rejects a kvKey that is not a short string and bad limits (INVALID_ARGUMENT)', async () => {
    const session = await newSession();
    const invalid = (e: { code?: string }) => e.code === 'INVALID_ARGUMENT';
    await assert.rejects(session.complete({ prompt: prompts.a, maxTokens: 2, kvKey: 42 as never }), invalid);
    await assert.rejects(session.complete({ prompt: prompts.a, maxTokens: 2, kvKey: {} as never }), invalid);
    await assert.rejects(session.complete({ prompt: prompts.a, maxTokens: 2, kvKey: 'x'.repeat(1025) }), invalid);
    await assert.rejects(session.prefill({ prompt: prompts.a, kvKey: 7 as never }), invalid);
    const ok = await session.complete({ prompt: prompts.a, maxTokens: 2, kvKey: 'é'.repeat(512) });  // 1024 bytes
    assert.equal(ok.stats.generatedTokens, 2);
    for (const bad of [-1, 1.5, Number.NaN, '1000']) {
      await assert.rejects(model.createSession({ documentKvBytes: bad as never }), invalid, `documentKvBytes ${String(bad)}`);
      await assert.rejects(model.createSession({ documentKvDocuments: bad as never }), invalid, `documentKvDocuments ${String(bad)}`);
    }
  });
});
