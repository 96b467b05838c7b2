// FIM prompts per model family (fimPrompt.ts): how each family's prompt is laid out, with context
// chunks. (fimPrompt.test.ts tests the prompt's text itself: splitting, the anchored layout.)
import * as assert from 'node:assert/strict';
import { buildFimPrompt, fimFamilyOf, lineCommentFor } from '../../extension/context/fimPrompt';
import type { FimTokens } from '../../extension/engine/native';

describe('FIM prompt per model family', () => {
  const qwen: FimTokens = { prefix: 151659, suffix: 151661, middle: 151660, pad: 151662, repo: 151663, sep: 151664 };
  const model = (fim: FimTokens, prefixText: string, extra: object = {}) => ({
    fim,
    name: 'm',
    path: '/m.gguf',
    fimText: { prefix: prefixText, suffix: '', middle: '' },
    ...extra,
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
    const prompt = buildFimPrompt(
      model(qwen, '<|fim_prefix|>'),
      { prefix: 'a', suffix: 'b', chunks: [chunk], path: 'src/main.ts', repoName: 'proj' },
      null,
    );
    assert.deepEqual(prompt, [
      151663,
      'proj\n',
      151664,
      'src/util.ts\nexport const one = 1;\n',
      151664,
      'src/main.ts\n',
      151659,
      'a',
      151661,
      'b',
      151660,
    ]);
  });

  it('StarCoder2: the same layout with its own ids', () => {
    const sc: FimTokens = { prefix: 1, suffix: 3, middle: 2, pad: 4, repo: 18, sep: 17 };
    const prompt = buildFimPrompt(model(sc, '<fim_prefix>'), { prefix: 'a', suffix: 'b', chunks: [chunk], path: 'x.ts' }, null);
    assert.deepEqual(prompt, [18, 'workspace\n', 17, 'src/util.ts\nexport const one = 1;\n', 17, 'x.ts\n', 1, 'a', 3, 'b', 2]);
  });

  it('DeepSeek-Coder: BOS, PSM, context as line comments in the prefix', () => {
    const ds: FimTokens = { prefix: 32016, suffix: 32015, middle: 32017, pad: -1, repo: -1, sep: -1 };
    const prompt = buildFimPrompt(
      model(ds, '<｜fim▁begin｜>', { bos: 32013, addBos: true }),
      { prefix: 'x = ', suffix: '\n', chunks: [chunk], languageId: 'python' },
      null,
    );
    assert.deepEqual(prompt, [32013, 32016, '# Path: src/util.ts\n# export const one = 1;\nx = ', 32015, '\n', 32017]);
  });

  it('CodeLlama: BOS and PSM with its <PRE>/<SUF>/<MID> ids', () => {
    const cl: FimTokens = { prefix: 32007, suffix: 32008, middle: 32009, pad: -1, repo: -1, sep: -1 };
    assert.deepEqual(buildFimPrompt(model(cl, '▁<PRE>', { bos: 1, addBos: true }), { prefix: 'a', suffix: 'b' }, null), [
      1,
      32007,
      'a',
      32008,
      'b',
      32009,
    ]);
  });

  it('Codestral: suffix first ([SUFFIX] suffix [PREFIX] prefix), the model continues the prefix', () => {
    const cs: FimTokens = { prefix: 30, suffix: 31, middle: 32, pad: -1, repo: -1, sep: -1 };
    assert.deepEqual(buildFimPrompt(model(cs, '[PREFIX]', { bos: 1, addBos: true }), { prefix: 'a', suffix: 'b' }, null), [
      1,
      31,
      'b',
      30,
      'a',
    ]);
  });

  it('languages without line comments get no commented context', () => {
    assert.equal(lineCommentFor('json'), undefined);
    assert.equal(lineCommentFor('typescript'), '//');
    const ds: FimTokens = { prefix: 1, suffix: 2, middle: 3, pad: -1, repo: -1, sep: -1 };
    assert.deepEqual(
      buildFimPrompt(model(ds, '<｜fim▁begin｜>'), { prefix: 'a', suffix: 'b', chunks: [chunk], languageId: 'json' }, null),
      [1, 'a', 2, 'b', 3],
    );
  });
});
