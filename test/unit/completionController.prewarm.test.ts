// Pre-warm without vscode (CompletionController.prewarm, CursorContextReader.readForPrewarm): the
// controller prefills what the next keystroke would send, never twice for the same prompt, stops
// for a keystroke, and learns the prefill speed; the reader gives a cold window the budgets that
// fit the time target and pre-warms a full one, which takes effect only once it is prefilled.
import * as assert from 'node:assert/strict';
import { CompletionController, CompletionSettings } from '../../extension/completion/completionController';
import { CursorContextReader, DocumentView, ReaderSettings, budgetsOf } from '../../extension/completion/cursorContextReader';
import { estimateTokens } from '../../extension/context/tokenEstimate';
import type { ClientCompletionRequest, ClientPrefillRequest, CompleteOptions } from '../../extension/engine/client';
import type { CompletionResult, PrefillResult } from '../../extension/engine/native';
import { FIM_MODEL as MODEL } from './support/fimModel';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records completions and prefills; a prefill takes `prefillMs` unless aborted. */
class RecordingEngine {
  completions: ClientCompletionRequest[] = [];
  prefills: { request: ClientPrefillRequest; signal?: AbortSignal; result?: PrefillResult }[] = [];
  prefillMs = 20;
  async complete(request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    this.completions.push(request);
    options.onText?.('x');
    return {
      text: 'x',
      tokens: [1],
      stats: {
        promptTokens: 400,
        reusedTokens: 0,
        prefillMs: 2000,
        generatedTokens: 1,
        decodeMs: 1,
        firstTokenMs: 1,
        stopReason: 'maxTokens',
      },
    };
  }
  async prefill(request: ClientPrefillRequest, options: { signal?: AbortSignal } = {}): Promise<PrefillResult> {
    const entry: (typeof this.prefills)[number] = { request, signal: options.signal };
    this.prefills.push(entry);
    const started = Date.now();
    while (Date.now() - started < this.prefillMs && !options.signal?.aborted) await sleep(2);
    entry.result = {
      promptTokens: 1000,
      reusedTokens: 0,
      restoredTokens: 0,
      prefillMs: 500,
      kvSwitchMs: 0,
      cancelled: !!options.signal?.aborted,
      documentKv: { documents: 0, bytes: 0, limitBytes: 0, maxDocuments: 0 },
    };
    return entry.result;
  }
}

const SETTINGS: ReaderSettings = { promptLayout: 'anchored', prefixTokens: 1024, suffixTokens: 256, contextTokens: 0, coldStartMs: 1000 };

function documentOf(text: string, version = 1): DocumentView {
  const lines = text.split('\n');
  return { id: 'file:///a.ts', version, languageId: 'typescript', lineCount: lines.length, lineText: (n) => lines[n] };
}

const source = Array.from({ length: 200 }, (_, i) => `  const value${i} = compute(${i}, "a string of some length ${i}");`).join('\n');

function setup({ modelLoaded = true } = {}) {
  const loaded = modelLoaded ? MODEL : undefined;
  const engine = new RecordingEngine();
  const settings: CompletionSettings = { maxTokens: 16, prefixTokens: 1024, streamFirstLine: false, prefetch: false };
  const controller = new CompletionController({
    engine,
    model: async () => MODEL,
    loadedModel: () => loaded,
    settings: () => settings,
    debounce: { minMs: 0, maxMs: 0, initialMs: 0, pauseMs: 1000, window: 8, factor: 1 },
  });
  const reader = new CursorContextReader({ kvKeys: true, prefillTokensPerMs: () => controller.prefillRate.tokensPerMs() });
  const read = (doc: DocumentView, line: number, character: number) =>
    reader.read({ document: doc, line, character, settings: SETTINGS, indentUnit: () => '  ' });
  const prewarmRead = (doc: DocumentView, line: number, character: number) =>
    reader.readForPrewarm({ document: doc, line, character, settings: SETTINGS, indentUnit: () => '  ' });
  return { engine, controller, reader, read, prewarmRead };
}

describe('completion controller: pre-warm', () => {
  it('prefills the prompt the next keystroke sends (same prompt bar the typed text), once', async () => {
    const { engine, controller, read } = setup();
    const doc = documentOf(source);
    const result = await controller.prewarm(read(doc, 100, 10));
    assert.equal(result?.cancelled, false);
    assert.equal(engine.prefills.length, 1);
    assert.equal(engine.prefills[0].request.kvKey, 'file:///a.ts');
    assert.equal(await controller.prewarm(read(doc, 100, 10)), undefined, 'nothing changed: nothing is sent');
    assert.equal(engine.prefills.length, 1);

    const typed = documentOf(source.replace('  const value100', '  const vaXlue100'), 2); // X typed at the cursor
    await controller.provide(read(typed, 100, 11), new AbortController().signal);
    const warm = engine.prefills[0].request.prompt;
    const sent = engine.completions[0].prompt;
    assert.deepEqual(sent.slice(0, -1), warm.slice(0, -1), 'only the written middle differs');
    assert.equal(await controller.prewarm(read(typed, 100, 11)), undefined, 'the completion sent that prompt already');

    // another document's request in between: the engine's KV moved on, so the same prompt is sent
    // again (the engine restores the document's KV and updates its draft corpus in the background)
    const other = { ...documentOf(source), id: 'file:///b.ts' };
    await controller.provide(read(other, 10, 0), new AbortController().signal);
    assert.equal((await controller.prewarm(read(typed, 100, 11)))?.cancelled, false);
    assert.equal(engine.prefills.length, 2);
  });

  it('a keystroke stops a running pre-warm; a cancelled one may be sent again', async () => {
    const { engine, controller, read } = setup();
    engine.prefillMs = 5_000;
    const doc = documentOf(source);
    const running = controller.prewarm(read(doc, 50, 4));
    await sleep(10);
    assert.equal(controller.prewarmRunning, true);
    await controller.provide(read(doc, 50, 4), new AbortController().signal);
    const result = await running;
    assert.equal(result?.cancelled, true);
    assert.equal(engine.prefills[0].signal?.aborted, true);
    engine.prefillMs = 5;
    engine.completions.length = 0;
    const again = await controller.prewarm(read(documentOf(source, 3), 60, 4));
    assert.equal(again?.cancelled, false);
  });

  it('never loads a model: without a loaded one nothing is sent', async () => {
    const { engine, controller, read } = setup({ modelLoaded: false });
    assert.equal(await controller.prewarm(read(documentOf(source), 10, 0)), undefined);
    assert.equal(engine.prefills.length, 0);
  });

  it('learns the prefill speed from completions and pre-warms', async () => {
    const { controller, read } = setup();
    await controller.prewarm(read(documentOf(source), 10, 0));
    assert.equal(controller.prefillRate.tokensPerMs(), 2); // 1000 tokens in 500 ms
  });

  it('a cold keystroke gets a window within the time target; a pre-warm a full one, in effect once prefilled', async () => {
    const { engine, controller, reader, read, prewarmRead } = setup();
    controller.prefillRate.observe(MODEL.path, 100, 1000); // 0.1 tokens/ms: 100 tokens in the 1 s target
    const doc = documentOf(source);
    const cold = read(doc, 150, 4);
    const coldText = cold.promptText!;
    assert.equal(coldText.anchor?.window.reduced, true);
    assert.ok(estimateTokens(coldText.prefix) + estimateTokens(coldText.suffix) <= 100);

    const { context, deferred, commit } = prewarmRead(doc, 150, 4);
    assert.equal(deferred, true);
    assert.equal(context.promptText?.anchor?.window.reduced, false);
    assert.ok(estimateTokens(context.promptText.prefix) > 500, 'a full window');
    assert.equal(reader.anchorOf(doc.id)?.window.reduced, true, 'keystrokes keep the cold window until the pre-warm is done');
    const result = await controller.prewarm(context, { keepCached: deferred });
    assert.equal(result?.cancelled, false);
    assert.equal(engine.prefills[0].request.keepCached, true, 'the engine keeps the cold window until this one is in effect');
    assert.equal(commit(), true);
    assert.equal(reader.anchorOf(doc.id)?.window, context.promptText?.anchor?.window);
    const next = read(documentOf(source.replace('  const value150', '  coXnst value150'), 2), 150, 5);
    assert.equal(next.promptText?.anchor?.change, 'kept');
    assert.equal(next.promptText?.prefix, context.promptText?.prefix, 'the next keystroke sends the pre-warmed prompt');
    assert.equal(engine.prefills.length, 1);
  });

  it('budgetsOf gives the anchor a middle limit from the prefix budget', () => {
    const b = budgetsOf(SETTINGS);
    assert.equal(b.prefixTokens, 1024);
    assert.ok(b.middleTokens >= 32 && b.middleTokens <= 256);
  });
});
