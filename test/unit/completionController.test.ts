// The completion controller (completionController.ts) without vscode: type-through cache, reuse
// of the running generation, streaming the first line, abort on a keystroke elsewhere, debounce,
// prefetch, and that nothing is left running when the user stops typing.
import * as assert from 'node:assert/strict';
import { CompletionController, CompletionSettings, CursorContext } from '../../extension/completion/completionController';
import type { ClientCompletionRequest, CompleteOptions } from '../../extension/engine/client';
import type { CompletionResult } from '../../extension/engine/native';
import { FIM_MODEL as MODEL } from './support/fimModel';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An engine that streams a scripted answer piece by piece, honouring the abort signal. */
class ScriptedEngine {
  calls: { request: ClientCompletionRequest; aborted: boolean; signal?: AbortSignal }[] = [];
  /** What a request that asks for alternatives gets besides the greedy answer. */
  alternativesOf?: (request: ClientCompletionRequest) => string[];
  constructor(
    public answer: (request: ClientCompletionRequest) => string,
    public msPerPiece = 5,
    public pieceChars = 1,
  ) {}
  async complete(request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    const call = { request, aborted: false, signal: options.signal };
    this.calls.push(call);
    const full = this.answer(request);
    let text = '';
    for (let i = 0; i < full.length; i += this.pieceChars) {
      await sleep(this.msPerPiece);
      if (options.signal?.aborted) {
        call.aborted = true;
        return {
          text,
          tokens: [],
          stats: {
            promptTokens: 0,
            reusedTokens: 0,
            prefillMs: 0,
            generatedTokens: 0,
            decodeMs: 0,
            firstTokenMs: 0,
            stopReason: 'cancelled',
          },
        };
      }
      const piece = full.slice(i, i + this.pieceChars);
      text += piece;
      options.onText?.(piece);
    }
    return {
      text,
      tokens: [],
      ...(request.alternatives && this.alternativesOf ? { alternatives: this.alternativesOf(request).slice(0, request.alternatives) } : {}),
      stats: {
        promptTokens: 1,
        reusedTokens: 0,
        prefillMs: 1,
        generatedTokens: text.length,
        decodeMs: 1,
        firstTokenMs: 1,
        stopReason: 'maxTokens',
      },
    };
  }
}

function context(prefix: string, suffix = '\n', documentId = 'doc'): CursorContext {
  const lineStart = prefix.lastIndexOf('\n') + 1;
  const lineEnd = suffix.indexOf('\n');
  return {
    documentId,
    documentVersion: 1,
    languageId: 'typescript',
    path: 'a.ts',
    prefix,
    suffix,
    prefixAtDocumentStart: true,
    linePrefix: prefix.slice(lineStart),
    lineSuffix: lineEnd < 0 ? suffix : suffix.slice(0, lineEnd),
    indentUnit: '  ',
  };
}

function setup(answer: (r: ClientCompletionRequest) => string, settings: Partial<CompletionSettings> = {}, msPerPiece = 5) {
  const engine = new ScriptedEngine(answer, msPerPiece);
  const full: CompletionSettings = { maxTokens: 64, prefixTokens: 1024, streamFirstLine: false, prefetch: false, ...settings };
  const controller = new CompletionController({
    engine,
    model: async () => MODEL,
    settings: () => full,
    debounce: { minMs: 0, maxMs: 0, initialMs: 0, pauseMs: 1000, window: 8, factor: 1 },
    abandonGraceMs: 30,
  });
  return { engine, controller, settings: full };
}

const never = () => new AbortController().signal;

describe('completion controller', () => {
  it('answers from the engine, then serves typed-through characters from the cache with no engine call', async () => {
    const { engine, controller } = setup(() => 'value = compute(x);');
    const first = await controller.provide(context('const '), never());
    assert.deepEqual(first, { text: 'value = compute(x);', source: 'engine', partial: false });
    for (const typed of ['v', 'va', 'value =', 'value = compute(']) {
      const answer = await controller.provide(context(`const ${typed}`), never());
      assert.equal(answer?.source, 'cache');
      assert.equal(answer?.text, 'value = compute(x);'.slice(typed.length));
    }
    assert.equal(engine.calls.length, 1);
    // a character that does not match the suggestion: a new request
    await controller.provide(context('const w'), never());
    assert.equal(engine.calls.length, 2);
    controller.dispose();
  });

  it('a keystroke that extends the running generation attaches to it instead of starting another', async () => {
    const { engine, controller } = setup(() => 'abcdefghij', {}, 10);
    const first = new AbortController();
    const answer1 = controller.provide(context('x = '), first.signal);
    await sleep(35); // 'abc' streamed
    first.abort(); // VS Code cancels the previous call on the next keystroke
    const answer2 = await controller.provide(context('x = ab'), never());
    assert.equal(await answer1, undefined);
    assert.deepEqual(answer2, { text: 'cdefghij', source: 'inflight', partial: false });
    assert.equal(engine.calls.length, 1);
    assert.equal(engine.calls[0].aborted, false);
    controller.dispose();
  });

  it('a keystroke elsewhere aborts the running generation inside the engine (one in flight per editor)', async () => {
    const { engine, controller } = setup(() => 'abcdefghijklmnop', {}, 10);
    const first = new AbortController();
    const answer1 = controller.provide(context('x = '), first.signal);
    await sleep(25);
    first.abort();
    const answer2 = controller.provide(context('y = '), never());
    await sleep(5);
    assert.equal(engine.calls[0].aborted || controller.runningCount === 1, true);
    assert.equal(await answer1, undefined);
    assert.equal((await answer2)?.text, 'abcdefghijklmnop');
    assert.equal(engine.calls.length, 2);
    assert.equal(engine.calls[0].aborted, true);
    controller.dispose();
  });

  it('a cursor move the running request cannot serve aborts it in the engine at once; moves it can serve keep it', async () => {
    const { engine, controller } = setup(() => `abcdefgh${'k'.repeat(300)}`, {}, 10);
    const answer = controller.provide(context('x = '), never());
    for (let i = 0; i < 200 && !engine.calls.length; i++) await sleep(5);
    // typing into the generation, or a click on the same place: it can still answer there
    assert.equal(controller.cursorMoved(context('x = ab')), false);
    assert.equal(controller.cursorMoved(context('x = ')), false);
    assert.equal(engine.calls[0].signal?.aborted, false);
    // arrow left (or a click elsewhere, or another suffix after the cursor): aborted now, not when it ends
    assert.equal(controller.cursorMoved(context('x =')), true);
    assert.equal(engine.calls[0].signal?.aborted, true);
    assert.equal(controller.runningCount, 0);
    assert.equal(await answer, undefined);
    assert.equal(engine.calls[0].aborted, true, 'the engine call saw the abort');
    assert.equal(controller.cursorMoved(context('y = ')), false, 'nothing left to abort');
    controller.dispose();
  });

  it('a cursor move (no edit) aborts even before the first token: the text after the cursor differs', async () => {
    // the document is "x = \nz\n", the request was made after "x = "
    for (const moved of [context('x = \nz', '\n'), context('x =', ' \nz\n'), context('x = ', '\nz\n', 'other-doc')]) {
      const { engine, controller } = setup(() => 'k'.repeat(300), {}, 10);
      const answer = controller.provide(context('x = ', '\nz\n'), never());
      for (let i = 0; i < 200 && !engine.calls.length; i++) await sleep(5);
      controller.cursorMoved(moved);
      const sameDocument = moved.documentId === 'doc';
      assert.equal(engine.calls[0].signal?.aborted, sameDocument, JSON.stringify(moved));
      if (!sameDocument) controller.cancelDocument('doc');
      assert.equal(await answer, undefined);
      controller.dispose();
    }
  });

  it('typing through a shown suggestion keeps the prefetch of its continuation running', async () => {
    let n = 0;
    const { engine, controller } = setup(() => (n++ === 0 ? 'first();' : `\n${'s'.repeat(300)}`), { prefetch: true }, 10);
    const shown = await controller.provide(context('x;\n'), never());
    assert.equal(shown?.text, 'first();');
    for (let i = 0; i < 100 && engine.calls.length < 2; i++) await sleep(5);
    assert.equal(engine.calls.length, 2, 'a prefetch was started');
    assert.equal(controller.cursorMoved(context('x;\nfir')), false, 'typed through: served from cache');
    assert.equal(controller.cursorMoved(context('x;\nfirst();')), false, 'accepted: the prefetch is for here');
    assert.equal(engine.calls[1].signal?.aborted, false);
    assert.equal(controller.cursorMoved(context('x;')), true, 'moved back up: nothing to serve');
    assert.equal(engine.calls[1].signal?.aborted, true);
    controller.dispose();
  });

  it('a generation nobody waits for is aborted after the grace period (idle means idle)', async () => {
    const { engine, controller } = setup(() => 'a'.repeat(200), {}, 5);
    const cancel = new AbortController();
    const answer = controller.provide(context('x = '), cancel.signal);
    await sleep(20);
    cancel.abort();
    assert.equal(await answer, undefined);
    await sleep(80);
    assert.equal(engine.calls[0].aborted, true);
    assert.equal(controller.runningCount, 0);
    controller.dispose();
  });

  it('streams: shows the first line of a multi-line completion early, asks for a re-trigger, then serves all of it from cache', async () => {
    const body = 'const a = 1;\n  const b = 2;\n  const c = 3;\n  return a + b + c;';
    const { engine, controller } = setup(() => body, { streamFirstLine: true }, 4);
    const retriggers: string[] = [];
    controller.onShouldRetrigger((id) => retriggers.push(id));
    const ctx = context('function f() {\n  ', '\n}\n');
    const started = performance.now();
    const early = await controller.provide(ctx, never());
    const firstGhostMs = performance.now() - started;
    assert.deepEqual(early, { text: 'const a = 1;', source: 'engine', partial: true });
    for (let i = 0; i < 100 && retriggers.length === 0; i++) await sleep(10);
    const allMs = performance.now() - started;
    assert.deepEqual(retriggers, ['doc']);
    const full = await controller.provide(ctx, never());
    assert.deepEqual(full, { text: body, source: 'cache', partial: false });
    assert.equal(engine.calls.length, 1);
    assert.ok(firstGhostMs < allMs / 2, `first ghost text after ${firstGhostMs.toFixed(0)} ms, all of it after ${allMs.toFixed(0)} ms`);
    controller.dispose();
  });

  it('prefetches the continuation as if accepted; accepting is then served without waiting', async () => {
    let n = 0;
    const { engine, controller } = setup(() => (n++ === 0 ? 'first();' : '\nsecond();'), { prefetch: true }, 2);
    const shown = await controller.provide(context('x;\n'), never());
    assert.equal(shown?.text, 'first();');
    for (let i = 0; i < 50 && engine.calls.length < 2; i++) await sleep(5);
    assert.equal(engine.calls.length, 2, 'a prefetch was started');
    assert.equal(controller.counters.prefetches, 1);
    for (let i = 0; i < 50 && controller.runningCount > 0; i++) await sleep(5);
    const afterAccept = await controller.provide(context('x;\nfirst();'), never());
    assert.deepEqual(afterAccept, { text: '\nsecond();', source: 'cache', partial: false });
    // the only engine calls are prefetches: accepting again prefetches the next step (bounded chain)
    assert.equal(engine.calls.length, 1 + controller.counters.prefetches);
    controller.dispose();
  });

  it('no prefetch when the setting (or the power source) says no', async () => {
    const { engine, controller } = setup(() => 'first();', { prefetch: false }, 1);
    await controller.provide(context('x;\n'), never());
    await sleep(30);
    assert.equal(engine.calls.length, 1);
    assert.equal(controller.runningCount, 0);
    controller.dispose();
  });

  it('sends the draft documents and the FIM prompt to the engine', async () => {
    const { engine, controller } = setup(() => 'x');
    const ctx = {
      ...context('a = '),
      documents: () => [{ id: 'file:///b.ts', version: 3, source: 'otherFile' as const, readText: () => 'b' }],
    };
    await controller.provide(ctx, never());
    const request = engine.calls[0].request;
    assert.deepEqual(request.prompt, [1, 'a = ', 2, '\n', 3]);
    assert.deepEqual(
      request.documents?.map((d) => d.id),
      ['file:///b.ts'],
    );
    // the history of earlier completions joins the corpus afterwards
    await controller.provide({ ...ctx, prefix: 'zz = ', linePrefix: 'zz = ' }, never());
    assert.deepEqual(
      engine.calls[1].request.documents?.map((d) => d.id),
      ['file:///b.ts', 'tandem:history'],
    );
    controller.dispose();
  });
});

describe('completion controller: debounce', () => {
  it('a cache hit is not debounced', async () => {
    const engine = new ScriptedEngine(() => 'abcdef', 1);
    const controller = new CompletionController({
      engine,
      model: async () => MODEL,
      settings: () => ({ maxTokens: 64, prefixTokens: 1024, streamFirstLine: false, prefetch: false }),
      debounce: { minMs: 300, maxMs: 300, initialMs: 300, pauseMs: 1500, window: 8, factor: 1 },
    });
    await controller.provide(context('q = '), never());
    const started = performance.now();
    const hit = await controller.provide(context('q = ab'), never());
    assert.equal(hit?.source, 'cache');
    assert.ok(performance.now() - started < 50);
    controller.dispose();
  });
});

describe('completion controller: alternatives on a manual trigger', () => {
  it('a manual (explicit) request asks for alternatives and answers the greedy text first, alternatives cleaned and deduplicated', async () => {
    const { engine, controller } = setup(() => 'value = compute(x);');
    engine.alternativesOf = () => ['value = other(x);', 'value = compute(x);  ', 'total = 0;\nmore();', ''];
    const automatic = await controller.provide(context('const '), never());
    assert.equal(engine.calls[0].request.alternatives, undefined, 'typing never asks for alternatives');
    assert.equal(automatic?.alternatives, undefined);
    // a manual trigger at the same place: the cached suggestion has none, so the engine is asked again
    const manual = await controller.provide(context('const '), never(), true);
    assert.equal(engine.calls.length, 2);
    assert.equal(engine.calls[1].request.alternatives, 2);
    assert.equal(manual?.text, 'value = compute(x);');
    // the second alternative repeats the greedy text (whitespace aside): dropped; a single-line
    // request keeps its first line
    assert.deepEqual(manual?.alternatives, ['value = other(x);']);
    controller.dispose();
  });

  it('typing on serves the alternatives that still fit from the cache, with no engine call', async () => {
    const { engine, controller } = setup(() => 'value = compute(x);');
    engine.alternativesOf = () => ['value = other(x);', 'total = 0;'];
    await controller.provide(context('const '), never(), true);
    const typed = await controller.provide(context('const va'), never(), true);
    assert.equal(engine.calls.length, 1);
    assert.equal(typed?.source, 'cache');
    assert.equal(typed?.text, 'lue = compute(x);');
    assert.deepEqual(typed?.alternatives, ['lue = other(x);'], '"total = 0;" no longer fits what was typed');
    controller.dispose();
  });
});
