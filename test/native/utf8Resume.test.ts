// A decode cut inside a UTF-8 character (a byte-level BPE token can hold just the first bytes of
// one) hands back those bytes instead of a broken "\uFFFD", and a decode resumed from them gives
// exactly the uninterrupted text. This is how the engine host resumes a preempted explanation.
import * as assert from 'node:assert/strict';
import type { NativeModel, NativeSession } from '../../extension/engine/native';
import { addon, testModel, vocabPath } from './fixtures';

describe('native addon: decodes cut inside a UTF-8 character', function () {
  this.timeout(180_000);
  let model: NativeModel;
  let session: NativeSession;

  before(async () => {
    // qwen2's byte-level vocabulary has many tokens that are only part of a character
    model = await addon().loadModel(await testModel({ arch: 'qwen2', layers: 2, embd: 64, heads: 4, kvHeads: 2, ffn: 128, vocabPath: vocabPath('qwen2'), seed: 11 }));
    session = await model.createSession({ contextSize: 1024, threads: 2 });
  });
  after(async () => {
    await session?.dispose();
    await model?.dispose();
  });

  it('holds the unfinished character back as pendingBytes, and carrying it on completes the text exactly', async () => {
    const N = 48;
    let cuts = 0;
    for (const source of ['// 中文注释: 计算总和\nfunction sum(xs) {\n', 'def größe(x):  # Größe → ∑\n    return ', 'let s = "日本語のテキスト";\n']) {
      const prompt = await model.tokenize(source);
      const whole = await session.complete({ prompt, maxTokens: N });
      for (let i = 1; i < whole.tokens.length; i++) {
        const first = await session.complete({ prompt, maxTokens: i });
        if (!first.pendingBytes) continue;
        cuts++;
        assert.ok(first.pendingBytes.length >= 1 && first.pendingBytes.length <= 3);
        assert.ok(!first.text.endsWith('\uFFFD'), `cut after ${i} tokens ends in a broken character: ${JSON.stringify(first.text.slice(-4))}`);
        const pieces: string[] = [];
        const rest = await session.complete({
          prompt: [...prompt, ...first.tokens], maxTokens: whole.tokens.length - i, carriedBytes: first.pendingBytes,
          onText: (p) => pieces.push(p),
        });
        assert.equal(first.text + rest.text, whole.text, `resumed after ${i} tokens`);
        assert.equal(pieces.join(''), rest.text);
        assert.deepEqual([...first.tokens, ...rest.tokens], whole.tokens);
        if (cuts >= 3) return;
      }
    }
    // the generated models must produce at least one such cut, or this test proves nothing
    assert.ok(cuts > 0, 'no decode of these prompts was ever cut inside a character');
  });

  it('rejects carriedBytes that are not bytes', async () => {
    const prompt = await model.tokenize('x');
    await assert.rejects(session.complete({ prompt, maxTokens: 1, carriedBytes: [256] }), /carriedBytes must hold integers 0\.\.255/);
    await assert.rejects(session.complete({ prompt, maxTokens: 1, carriedBytes: [1, 2, 3, 4] }), /at most 3 bytes/);
  });
});
