// Typing forward through the real pieces — the CursorContextReader's anchored prompts, the model's
// own FIM tokens and tokenizer (Qwen2 vocab), the addon's KV reuse — re-prefills only the typed
// characters' tokens, while the classic layout re-reads the whole suffix on every keystroke. And
// the text stays exactly what a cold prefill of the same prompt gives.
import * as assert from 'node:assert/strict';
import { CursorContextReader, DocumentView, ReaderSettings } from '../../extension/completion/cursorContextReader';
import { buildFimPrompt } from '../../extension/context/fimPrompt';
import type { NativeModel, NativeSession, PromptPart } from '../../extension/engine/native';
import type { PromptText } from '../../extension/completion/completionController';
import { addon, coldCompletion, testModel, vocabPath } from './fixtures';

const BEFORE = Array.from({ length: 40 }, (_, i) => `  const item${i} = lookup(table, "key-${i}");`).join('\n');
const AFTER = Array.from({ length: 30 }, (_, i) => `  audit(item${i}, ${i * 7});`).join('\n');
const LINE = '  const total = item1.count + item2.count * factor(item3);';

describe('native addon: typing forward with anchored prompts', function () {
  this.timeout(120_000);
  let model: NativeModel;
  let session: NativeSession;

  before(async () => {
    model = await addon().loadModel(await testModel({ arch: 'qwen2', vocabPath: vocabPath('qwen2'), type: 'q8_0', embd: 64, ffn: 128 }));
    session = await model.createSession({ contextSize: 4096, threads: 2 });
  });
  after(async () => {
    await session?.dispose();
    await model?.dispose();
  });

  /** Types LINE into an empty line between BEFORE and AFTER, one request per character. */
  async function typeLine(layout: ReaderSettings['promptLayout']) {
    const reader = new CursorContextReader({ kvKeys: true });
    const settings: ReaderSettings = { promptLayout: layout, prefixTokens: 1024, suffixTokens: 256, contextTokens: 0, coldStartMs: 0 };
    await session.reset();
    const reprefilled: number[] = [];
    let last: { prompt: PromptPart[]; tokens: number[]; text: string } | undefined;
    for (let typed = 0; typed <= LINE.length; typed++) {
      const lines = [...BEFORE.split('\n'), LINE.slice(0, typed), ...AFTER.split('\n')];
      const document: DocumentView = { id: 'file:///t.ts', version: typed + 1, languageId: 'typescript', lineCount: lines.length, lineText: (n) => lines[n] };
      const context = reader.read({ document, line: 40, character: typed, settings, indentUnit: () => '  ' });
      const text = context.promptText as PromptText;
      const prompt = buildFimPrompt(model.info(), { prefix: text.prefix, middle: text.middle, suffix: text.suffix, path: 't.ts' }, null);
      const result = await session.complete({ prompt, maxTokens: 2, kvKey: context.kvKey, speculation: 'auto' });
      if (typed > 0) reprefilled.push(result.stats.promptTokens - result.stats.reusedTokens);
      last = { prompt, tokens: result.tokens, text: result.text };
    }
    return { reprefilled, last: last! };
  }

  it('re-prefills only the typed tokens (classic: the suffix each time), with the text of a cold prefill', async () => {
    const anchored = await typeLine('anchored');
    const classic = await typeLine('classic');
    const suffixTokens = (await model.tokenize(`\n${AFTER}`)).length;
    assert.ok(Math.max(...anchored.reprefilled) <= 4, `anchored re-prefilled ${anchored.reprefilled.join(',')}`);
    assert.ok(Math.min(...classic.reprefilled) >= suffixTokens / 2, `classic re-prefilled ${classic.reprefilled.join(',')} (suffix ${suffixTokens})`);
    const cold = await coldCompletion(model, { prompt: anchored.last.prompt, maxTokens: 2, speculation: 'off' });
    assert.deepEqual(anchored.last.tokens, cold.tokens, 'warm and cold give the same tokens');
  });
});
