// The keystroke path's token estimate (extension/context/tokenEstimate.ts, no tokenizer) against
// real tokenizers (llama.cpp's vocab GGUFs of the model families Tandem targets), on code nobody
// here wrote: slices of TypeScript, JavaScript, C/C++, Python and Markdown from node_modules and
// the pinned llama.cpp checkout. Windows are sized with the estimate, so it should err high (the
// prompt fits the context) but not by so much that most of a configured window is wasted.
// Prints the estimate/real ratios per vocab (the figures reported in tokenEstimate.ts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { estimateLineTokens } from '../../extension/context/tokenEstimate';
import { addon, repoRoot, vocabPath } from './fixtures';

const SAMPLES = [
  'node_modules/typescript/lib/typescript.js',
  'node_modules/typescript/lib/lib.dom.d.ts',
  'node_modules/@types/node/fs.d.ts',
  'node_modules/mocha/lib/runner.js',
  'node_modules/esbuild/lib/main.js',
  'node_modules/node-addon-api/napi.h',
  'node_modules/node-addon-api/napi-inl.h',
  'native/deps/llama.cpp/src/llama-vocab.cpp',
  'native/deps/llama.cpp/ggml/src/ggml-cpu/ops.cpp',
  'native/deps/llama.cpp/convert_hf_to_gguf.py',
  'native/deps/llama.cpp/README.md',
];
const LINES_PER_SAMPLE = 300;

/** 300 lines from the middle of a file: code, not licence headers. */
function sample(file: string): string {
  const lines = fs.readFileSync(path.join(repoRoot, file), 'utf8').split('\n');
  const from = Math.max(0, Math.floor(lines.length / 2) - LINES_PER_SAMPLE / 2);
  return lines.slice(from, from + LINES_PER_SAMPLE).join('\n');
}

/** What the window reader counts: each line's estimate (with its line break), as cursorWindow.ts does. */
function estimateByLines(text: string): number {
  return text.split('\n').reduce((sum, line) => sum + estimateLineTokens(line), 0) - 1;
}

describe('token estimate vs real tokenizers', function () {
  this.timeout(60_000);
  const texts = new Map<string, string>();

  before(function () {
    for (const file of SAMPLES) if (fs.existsSync(path.join(repoRoot, file))) texts.set(file, sample(file));
    if (texts.size < 6) throw new Error(`too few sample files found (${texts.size}): run npm install and npm run fetch:llama`);
  });

  for (const vocab of ['qwen2', 'deepseek-coder', 'starcoder']) {
    it(`${vocab}: errs high overall, never more than 20% low on a file`, async () => {
      const model = await addon().loadModel(vocabPath(vocab), { vocabOnly: true });
      try {
        let estimated = 0;
        let real = 0;
        const ratios: string[] = [];
        let lowest = Infinity;
        for (const [file, text] of texts) {
          const est = estimateByLines(text);
          const tokens = (await model.tokenize(text, { addSpecial: false })).length;
          estimated += est;
          real += tokens;
          lowest = Math.min(lowest, est / tokens);
          ratios.push(`${path.basename(file)} ${(est / tokens).toFixed(2)}`);
        }
        const overall = estimated / real;
        console.log(`      ${vocab}: estimate/real ${overall.toFixed(2)} overall (${estimated} vs ${real} tokens); ${ratios.join(', ')}`);
        assert.ok(overall >= 1, `the estimate should err high overall, got ${overall.toFixed(3)}`);
        assert.ok(overall <= 1.5, `the estimate is too high (${overall.toFixed(3)}): windows would waste a third of their budget`);
        assert.ok(lowest >= 0.8, `on one file the estimate is ${((1 - lowest) * 100).toFixed(0)}% low`);
      } finally {
        await model.dispose();
      }
    });
  }
});
