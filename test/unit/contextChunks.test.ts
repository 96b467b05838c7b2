// Context chunks (contextChunks.ts): windows of other files chosen by identifier overlap (Jaccard)
// with the code at the cursor, within a token budget.
import * as assert from 'node:assert/strict';
import { ChunkIndex, ChunkSource, jaccard, wordsOf } from '../../extension/context/contextChunks';
import { estimateTokens } from '../../extension/context/tokenEstimate';

const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join('\n');

describe('context chunks (Jaccard)', () => {
  const source = (id: string, text: string, version = 1): ChunkSource & { reads: number } => {
    const s = { id, version, path: `${id}.ts`, source: 'otherFile' as const, reads: 0, text: () => (s.reads++, text) };
    return s;
  };

  it('scores identifier overlap', () => {
    assert.equal(jaccard(wordsOf('alpha beta'), wordsOf('alpha beta')), 1);
    assert.equal(jaccard(wordsOf('alpha beta'), wordsOf('gamma delta')), 0);
    assert.ok(Math.abs(jaccard(wordsOf('alpha beta gamma'), wordsOf('alpha beta delta')) - 0.5) < 1e-9);
  });

  it('picks the windows most like the code at the cursor, within the budget, best last', () => {
    const related = source(
      'users',
      lines(60, (i) => (i >= 30 && i < 40 ? `const user${i} = fetchUser(userId, session);` : `unrelated${i}()`)),
    );
    const noise = source(
      'noise',
      lines(60, (i) => `paint(canvas${i}, brush, colour)`),
    );
    const index = new ChunkIndex();
    const chunks = index.select('const user = fetchUser(userId, session);', [noise, related], {
      maxTokens: 400,
      maxChunks: 3,
      minScore: 0.05,
    });
    assert.ok(chunks.length >= 1);
    assert.equal(chunks[chunks.length - 1].path, 'users.ts');
    assert.ok(
      chunks.every((c) => c.path === 'users.ts'),
      'the unrelated file is not chosen',
    );
    assert.ok(chunks.reduce((n, c) => n + estimateTokens(c.text), 0) <= 400);
  });

  it('chunks a document once per version', () => {
    const doc = source(
      'a',
      lines(50, (i) => `fetchUser(${i})`),
    );
    const index = new ChunkIndex();
    index.select('fetchUser', [doc]);
    index.select('fetchUser again', [doc]);
    assert.equal(doc.reads, 1);
    doc.version = 2;
    index.select('fetchUser', [doc]);
    assert.equal(doc.reads, 2);
    index.retain(new Set());
    assert.equal(index.size, 0);
  });
});
