// Token estimates without a tokenizer (tokenEstimate.ts): roughly 3–4 characters per token, erring
// high, and cuts at line boundaries within a budget. (test/native/tokenEstimate.test.ts compares
// the estimate with real tokenizers.)
import * as assert from 'node:assert/strict';
import { estimateTokens, headByTokens, tailByTokens } from '../../extension/context/tokenEstimate';

const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join('\n');

describe('token estimate', () => {
  it('estimates code at roughly 3–4 characters per token, erring high', () => {
    const code = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
    const tokens = estimateTokens(code);
    assert.ok(tokens >= code.length / 5 && tokens <= code.length / 2, `${tokens} tokens for ${code.length} chars`);
    assert.equal(estimateTokens(''), 0);
  });

  it('cuts prefix tails and suffix heads at line boundaries within the budget', () => {
    const text = lines(100, (i) => `const value${i} = compute(${i});`);
    const tail = tailByTokens(text, 50);
    assert.ok(text.endsWith(tail) && tail.startsWith('const value'));
    assert.ok(estimateTokens(tail) <= 50);
    const head = headByTokens(text, 50);
    assert.ok(text.startsWith(head) && head.endsWith('\n'));
    assert.ok(estimateTokens(head) <= 50);
    assert.equal(tailByTokens('short', 50), 'short');
  });
});
