import * as assert from 'node:assert/strict';
import { CursorPositionError, splitAtCursor } from '../../extension/context/cursorSplit';
import { FimUnsupportedError, buildFimPrompt, hasFimTokens, windowFimText } from '../../extension/context/fimPrompt';
import type { FimTokens } from '../../extension/engine/native';

const FIM: FimTokens = { prefix: 151659, suffix: 151661, middle: 151660, pad: 151662, repo: 151663, sep: 151664 };
const NO_FIM: FimTokens = { prefix: -1, suffix: -1, middle: -1, pad: -1, repo: -1, sep: -1 };
const model = (fim: FimTokens) => ({ fim, name: 'test-coder', path: '/models/test.gguf' });

describe('buildFimPrompt', () => {
  it('frames prefix and suffix with the model FIM token ids, text as plain strings', () => {
    const prompt = buildFimPrompt(model(FIM), { prefix: 'def add(a, b):\n    return ', suffix: '\n\nprint(add(1, 2))\n' });
    assert.deepEqual(prompt, [151659, 'def add(a, b):\n    return ', 151661, '\n\nprint(add(1, 2))\n', 151660]);
  });

  it('keeps special-token text inside code as plain text (no injection)', () => {
    const prompt = buildFimPrompt(model(FIM), { prefix: 'x = "<|fim_middle|>"', suffix: '' });
    assert.deepEqual(prompt, [151659, 'x = "<|fim_middle|>"', 151661, 151660]);
    assert.ok(prompt.every((p) => typeof p === 'string' || typeof p === 'number'));
  });

  it('starts with BOS only for models that expect one (DeepSeek-Coder yes, Qwen2.5 no)', () => {
    const text = { prefix: 'a', suffix: 'b' };
    assert.deepEqual(buildFimPrompt({ ...model(FIM), bos: 1, addBos: true }, text), [1, 151659, 'a', 151661, 'b', 151660]);
    assert.deepEqual(buildFimPrompt({ ...model(FIM), bos: 151643, addBos: false }, text), [151659, 'a', 151661, 'b', 151660]);
  });

  it('leaves out empty text parts', () => {
    assert.deepEqual(buildFimPrompt(model(FIM), { prefix: '', suffix: '' }), [151659, 151661, 151660]);
  });

  it('throws FimUnsupportedError naming the model when it has no FIM tokens', () => {
    assert.equal(hasFimTokens(NO_FIM), false);
    assert.throws(
      () => buildFimPrompt(model(NO_FIM), { prefix: 'a', suffix: 'b' }),
      (err: unknown) => {
        assert.ok(err instanceof FimUnsupportedError);
        assert.equal(err.code, 'MODEL_NO_FIM');
        assert.match(err.message, /test-coder has no fill-in-the-middle tokens/);
        return true;
      },
    );
    assert.throws(() => buildFimPrompt(model({ ...FIM, middle: -1 }), { prefix: 'a', suffix: 'b' }), FimUnsupportedError);
  });

  it('windows the prefix from the end and the suffix from the start, at line boundaries', () => {
    const prefix = 'line one\nline two\nline three\n    ret';
    const suffix = 'urn x\nline five\nline six\n';
    const w = windowFimText({ prefix, suffix }, { maxPrefixChars: 20, maxSuffixChars: 12 });
    assert.equal(w.prefix, 'line three\n    ret');
    assert.equal(w.suffix, 'urn x\n');
    const all = windowFimText({ prefix, suffix }, { maxPrefixChars: 1000, maxSuffixChars: 1000 });
    assert.deepEqual(all, { prefix, suffix });
  });

  it('cuts inside a long line without splitting a surrogate pair', () => {
    const w = windowFimText({ prefix: 'aa😀bb', suffix: 'cc😀dd' }, { maxPrefixChars: 3, maxSuffixChars: 3 });
    assert.equal(w.prefix, 'bb'); // the cut would have kept half of 😀
    assert.equal(w.suffix, 'cc');
  });
});

describe('splitAtCursor', () => {
  const text = 'first\nsecond line\r\nthird';

  it('splits at 1-based line and column', () => {
    assert.deepEqual(splitAtCursor(text, 1, 1), { prefix: '', suffix: text, linePrefix: '', lineSuffix: 'first' });
    const s = splitAtCursor(text, 2, 7);
    assert.equal(s.prefix, 'first\nsecond');
    assert.equal(s.suffix, ' line\r\nthird');
    assert.equal(s.linePrefix, 'second');
    assert.equal(s.lineSuffix, ' line');
  });

  it('accepts the column just past the end of a line (before \\r\\n) and the last line', () => {
    assert.equal(splitAtCursor(text, 2, 12).lineSuffix, '');
    assert.equal(splitAtCursor(text, 3, 6).suffix, '');
    assert.equal(splitAtCursor('abc\n', 2, 1).prefix, 'abc\n');
    assert.equal(splitAtCursor('', 1, 1).prefix, '');
  });

  it('rejects lines and columns outside the document with a clear message', () => {
    const rejects = (line: number, column: number, message: RegExp) =>
      assert.throws(
        () => splitAtCursor(text, line, column),
        (err: unknown) => {
          assert.ok(err instanceof CursorPositionError);
          assert.equal(err.code, 'INVALID_POSITION');
          assert.match(err.message, message);
          return true;
        },
      );
    rejects(0, 1, /Line must be an integer ≥ 1, got 0/);
    rejects(1, 0, /Column must be an integer ≥ 1/);
    rejects(1.5, 1, /Line must be an integer/);
    rejects(4, 1, /Line 4 is past the end of the document, which has 3 lines/);
    rejects(2, 13, /Column 13 is past the end of line 2, which has 11 characters \(the last valid column is 12\)/);
  });
});

// The anchored layout per FIM family. `█` is the cursor; the anchor is the start of its line: the
// text from there to the cursor is the written middle, and typing on only appends to the prompt.
describe('buildFimPrompt: anchored layout per FIM family', () => {
  const doc = 'import os\n\ndef area(w, h):\n    return w█\n\nprint(area(2, 3))\n';
  const cursor = doc.indexOf('█');
  const anchor = doc.lastIndexOf('\n', cursor) + 1;
  const text = {
    prefix: doc.slice(0, anchor),
    middle: doc.slice(anchor, cursor),
    suffix: doc.slice(cursor + 1),
    path: 'geo.py',
    repoName: 'shapes',
    languageId: 'python',
  };
  const chunk = { path: 'util.py', text: 'def square(x):\n    return x * x', source: 'otherFile' as const };
  const P = 'import os\n\ndef area(w, h):\n',
    M = '    return w',
    S = '\n\nprint(area(2, 3))\n';
  const families = [
    {
      family: 'qwen (repo-level)',
      fim: { prefix: 151659, suffix: 151661, middle: 151660, pad: 151662, repo: 151663, sep: 151664 },
      fimText: { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' },
      expected: [
        151663,
        'shapes\n',
        151664,
        'util.py\ndef square(x):\n    return x * x\n',
        151664,
        'geo.py\n',
        151659,
        P,
        151661,
        S,
        151660,
        M,
      ],
    },
    {
      family: 'starcoder2 (repo-level)',
      fim: { prefix: 1, suffix: 3, middle: 2, pad: 4, repo: 17, sep: 18 },
      fimText: { prefix: '<fim_prefix>', suffix: '<fim_suffix>', middle: '<fim_middle>' },
      expected: [17, 'shapes\n', 18, 'util.py\ndef square(x):\n    return x * x\n', 18, 'geo.py\n', 1, P, 3, S, 2, M],
    },
    {
      family: 'deepseek (BOS, context as comments)',
      fim: { prefix: 32016, suffix: 32015, middle: 32017, pad: -1, repo: -1, sep: -1 },
      bos: 32013,
      fimText: { prefix: '<｜fim▁begin｜>', suffix: '<｜fim▁hole｜>', middle: '<｜fim▁end｜>' },
      expected: [32013, 32016, `# Path: util.py\n# def square(x):\n#     return x * x\n${P}`, 32015, S, 32017, M],
    },
    {
      family: 'codellama',
      fim: { prefix: 32007, suffix: 32008, middle: 32009, pad: -1, repo: -1, sep: -1 },
      fimText: { prefix: '▁<PRE>', suffix: '▁<SUF>', middle: '▁<MID>' },
      expected: [32007, `# Path: util.py\n# def square(x):\n#     return x * x\n${P}`, 32008, S, 32009, M],
    },
    {
      family: 'codestral (SPM: the middle continues the prefix)',
      fim: { prefix: 12, suffix: 11, middle: 13, pad: -1, repo: -1, sep: -1 },
      fimText: { prefix: '[PREFIX]', suffix: '[SUFFIX]', middle: '[MIDDLE]' },
      expected: [11, S, 12, `# Path: util.py\n# def square(x):\n#     return x * x\n${P}`, M],
    },
  ];
  for (const f of families) {
    it(`${f.family}: the written middle is the last part`, () => {
      const m = { fim: f.fim, fimText: f.fimText, name: f.family, path: '/m.gguf', bos: f.bos ?? -1, addBos: f.bos !== undefined };
      assert.deepEqual(buildFimPrompt(m, { ...text, chunks: [chunk] }, null), f.expected);
      // typing one more character changes nothing but the last part
      const typed = buildFimPrompt(m, { ...text, middle: `${M}i`, chunks: [chunk] }, null);
      assert.deepEqual(typed.slice(0, -1), f.expected.slice(0, -1));
      assert.equal(typed[typed.length - 1], `${M}i`);
    });
  }

  it('an empty middle leaves the classic form (nothing after the middle token)', () => {
    const m = { ...model(FIM), fimText: { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' } };
    assert.deepEqual(buildFimPrompt(m, { prefix: 'a', middle: '', suffix: 'b' }), [151659, 'a', 151661, 'b', 151660]);
  });
});
