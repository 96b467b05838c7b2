// The context stage: token estimates and windows, Jaccard-chosen chunks from other files, the
// recent-edits ring, files.exclude globs, and FIM prompts per model family.
import * as assert from 'node:assert/strict';
import { ChunkIndex, ChunkSource, jaccard, wordsOf } from '../../extension/context/contextChunks';
import { readCursorWindow } from '../../extension/context/cursorWindow';
import { buildFimPrompt, fimFamilyOf, lineCommentFor } from '../../extension/context/fimPrompt';
import { GlobSet } from '../../extension/context/globMatch';
import { RecentEdits } from '../../extension/context/recentEdits';
import { estimateTokens, headByTokens, tailByTokens } from '../../extension/context/tokenEstimate';
import type { FimTokens } from '../../extension/engine/native';

const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join('\n');

describe('token estimate and windows', () => {
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

  it('reads the cursor window line by line, keeping the whole cursor line', () => {
    const doc = lines(5000, (i) => `line ${i} of the file with some words`);
    const all = doc.split('\n');
    let reads = 0;
    const source = { lineCount: all.length, lineText: (l: number) => (reads++, all[l]) };
    const w = readCursorWindow(source, 2500, 4, 200, 50);
    assert.equal(w.linePrefix, 'line');
    assert.equal(w.lineSuffix, ' 2500 of the file with some words');
    assert.ok(w.prefix.endsWith('line 2499 of the file with some words\nline'));
    assert.ok(w.suffix.startsWith(' 2500 of the file') && w.suffix.includes('line 2501'));
    assert.ok(reads < 200, `read ${reads} lines, not the whole document`);
    assert.equal(w.prefixAtDocumentStart, false);
    const top = readCursorWindow(source, 1, 0, 200, 50);
    assert.equal(top.prefixAtDocumentStart, true);
    assert.equal(top.prefix, 'line 0 of the file with some words\n');
  });
});

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
    const related = source('users', lines(60, (i) => (i >= 30 && i < 40 ? `const user${i} = fetchUser(userId, session);` : `unrelated${i}()`)));
    const noise = source('noise', lines(60, (i) => `paint(canvas${i}, brush, colour)`));
    const index = new ChunkIndex();
    const chunks = index.select('const user = fetchUser(userId, session);', [noise, related], { maxTokens: 400, maxChunks: 3, minScore: 0.05 });
    assert.ok(chunks.length >= 1);
    assert.equal(chunks[chunks.length - 1].path, 'users.ts');
    assert.ok(chunks.every((c) => c.path === 'users.ts'), 'the unrelated file is not chosen');
    assert.ok(chunks.reduce((n, c) => n + estimateTokens(c.text), 0) <= 400);
  });

  it('chunks a document once per version', () => {
    const doc = source('a', lines(50, (i) => `fetchUser(${i})`));
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

describe('recent edits ring', () => {
  it('merges nearby edits, keeps the newest first, bounded, and skips what the prompt has', () => {
    const ring = new RecentEdits({ capacity: 3, radius: 2 });
    ring.record('a', 'a.ts', 10);
    ring.record('a', 'a.ts', 11); // merges with line 10
    ring.record('b', 'b.ts', 5);
    ring.record('c', 'c.ts', 1);
    ring.record('d', 'd.ts', 1);
    assert.deepEqual(ring.list().map((e) => e.documentId), ['d', 'c', 'b']);
    const read: string[] = [];
    const sources = ring.sources((id, from, to) => (read.push(`${id}:${from}-${to}`), `${id} text`), { documentId: 'd', firstLine: 0, lastLine: 20 });
    assert.deepEqual(sources.map((s) => s.path), ['c.ts', 'b.ts']);
    assert.deepEqual(read, [], 'text is read lazily');
    assert.equal(sources[1].text(), 'b text');
    assert.deepEqual(read, ['b:3-7']);
  });

  it('the version of edits elsewhere does not change while typing in one place', () => {
    const ring = new RecentEdits();
    ring.record('other', 'o.ts', 40);
    const here = { documentId: 'cur', firstLine: 0, lastLine: 100 };
    ring.record('cur', 'c.ts', 50);
    const v1 = ring.outside(here).version;
    ring.record('cur', 'c.ts', 50);
    ring.record('cur', 'c.ts', 51);
    assert.equal(ring.outside(here).version, v1);
    ring.record('other', 'o.ts', 400);
    assert.notEqual(ring.outside(here).version, v1);
  });
});

describe('files.exclude globs', () => {
  it('matches VS Code style patterns', () => {
    const globs = new GlobSet({ '**/node_modules': true, '**/*.min.js': true, 'dist/**': true, '**/.git': true, '**/*.{png,jpg}': true, 'keep/**': false });
    for (const p of ['node_modules/x/index.js', 'src/node_modules/a.js', 'lib/app.min.js', 'dist/out.js', 'img/a.png', '.git/config']) {
      assert.ok(globs.matches(p), p);
    }
    for (const p of ['src/app.ts', 'keep/a.ts', 'distant/file.ts', 'lib/app.js']) assert.ok(!globs.matches(p), p);
  });
});

describe('FIM prompt per model family', () => {
  const qwen: FimTokens = { prefix: 151659, suffix: 151661, middle: 151660, pad: 151662, repo: 151663, sep: 151664 };
  const model = (fim: FimTokens, prefixText: string, extra: object = {}) => ({
    fim, name: 'm', path: '/m.gguf', fimText: { prefix: prefixText, suffix: '', middle: '' }, ...extra,
  });
  const chunk = { path: 'src/util.ts', text: 'export const one = 1;', source: 'otherFile' as const };

  it('recognises the families from their FIM token text', () => {
    assert.equal(fimFamilyOf(model(qwen, '<|fim_prefix|>')), 'qwen');
    assert.equal(fimFamilyOf(model(qwen, '<fim_prefix>')), 'starcoder');
    assert.equal(fimFamilyOf(model(qwen, '<｜fim▁begin｜>')), 'deepseek');
    assert.equal(fimFamilyOf(model(qwen, '▁<PRE>')), 'codellama');
    assert.equal(fimFamilyOf(model(qwen, '[PREFIX]')), 'codestral');
    assert.equal(fimFamilyOf(model(qwen, '<PREFIX>')), 'generic');
  });

  it('Qwen2.5-Coder: repo-level format with repo name and file separators, then PSM', () => {
    const prompt = buildFimPrompt(model(qwen, '<|fim_prefix|>'), { prefix: 'a', suffix: 'b', chunks: [chunk], path: 'src/main.ts', repoName: 'proj' }, null);
    assert.deepEqual(prompt, [151663, 'proj\n', 151664, 'src/util.ts\nexport const one = 1;\n', 151664, 'src/main.ts\n', 151659, 'a', 151661, 'b', 151660]);
  });

  it('StarCoder2: the same layout with its own ids', () => {
    const sc: FimTokens = { prefix: 1, suffix: 3, middle: 2, pad: 4, repo: 18, sep: 17 };
    const prompt = buildFimPrompt(model(sc, '<fim_prefix>'), { prefix: 'a', suffix: 'b', chunks: [chunk], path: 'x.ts' }, null);
    assert.deepEqual(prompt, [18, 'workspace\n', 17, 'src/util.ts\nexport const one = 1;\n', 17, 'x.ts\n', 1, 'a', 3, 'b', 2]);
  });

  it('DeepSeek-Coder: BOS, PSM, context as line comments in the prefix', () => {
    const ds: FimTokens = { prefix: 32016, suffix: 32015, middle: 32017, pad: -1, repo: -1, sep: -1 };
    const prompt = buildFimPrompt(model(ds, '<｜fim▁begin｜>', { bos: 32013, addBos: true }),
      { prefix: 'x = ', suffix: '\n', chunks: [chunk], languageId: 'python' }, null);
    assert.deepEqual(prompt, [32013, 32016, '# Path: src/util.ts\n# export const one = 1;\nx = ', 32015, '\n', 32017]);
  });

  it('CodeLlama: BOS and PSM with its <PRE>/<SUF>/<MID> ids', () => {
    const cl: FimTokens = { prefix: 32007, suffix: 32008, middle: 32009, pad: -1, repo: -1, sep: -1 };
    assert.deepEqual(buildFimPrompt(model(cl, '▁<PRE>', { bos: 1, addBos: true }), { prefix: 'a', suffix: 'b' }, null), [1, 32007, 'a', 32008, 'b', 32009]);
  });

  it('Codestral: suffix first ([SUFFIX] suffix [PREFIX] prefix), the model continues the prefix', () => {
    const cs: FimTokens = { prefix: 30, suffix: 31, middle: 32, pad: -1, repo: -1, sep: -1 };
    assert.deepEqual(buildFimPrompt(model(cs, '[PREFIX]', { bos: 1, addBos: true }), { prefix: 'a', suffix: 'b' }, null), [1, 31, 'b', 30, 'a']);
  });

  it('languages without line comments get no commented context', () => {
    assert.equal(lineCommentFor('json'), undefined);
    assert.equal(lineCommentFor('typescript'), '//');
    const ds: FimTokens = { prefix: 1, suffix: 2, middle: 3, pad: -1, repo: -1, sep: -1 };
    assert.deepEqual(buildFimPrompt(model(ds, '<｜fim▁begin｜>'), { prefix: 'a', suffix: 'b', chunks: [chunk], languageId: 'json' }, null), [1, 'a', 2, 'b', 3]);
  });
});
