// FimCheckRunner (extension/models/fimCheckRunner.ts): the FIM check runs once per model file
// (path, size, modification time), at low priority, abortably, and only a finished check is
// remembered. The engine is a fake that records requests and answers what the test says.
import * as assert from 'node:assert/strict';
import type { CompletionResult, ModelInfo } from '../../extension/engine/native';
import type { ClientCompletionRequest, CompleteOptions } from '../../extension/engine/client';
import { FIM_CHECK_MAX_TOKENS } from '../../extension/models/fimCheck';
import { FimCheckMemory, FimCheckRecord, FimCheckRunner, fimCheckKey } from '../../extension/models/fimCheckRunner';
import { FIM_MODEL } from './support/fimModel';

const INSTRUCT: ModelInfo = { ...FIM_MODEL, path: '/models/coder-instruct.gguf', name: 'Coder-1.5B-Instruct', chatTemplate: '{{ x }}' };
const CHATTY = "Sure! Here's the function:\n```python";

function result(text: string, stopReason: CompletionResult['stats']['stopReason'] = 'eog'): CompletionResult {
  return {
    text,
    tokens: [],
    stats: { promptTokens: 9, reusedTokens: 0, prefillMs: 1, generatedTokens: 3, decodeMs: 1, firstTokenMs: 1, stopReason },
  };
}

/** An engine whose answers the test gives; `hold` keeps requests pending until released. */
class FakeEngine {
  readonly requests: { request: ClientCompletionRequest; options: CompleteOptions }[] = [];
  answer: (signal?: AbortSignal) => Promise<CompletionResult> = async () => result(CHATTY);
  complete(request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    this.requests.push({ request, options });
    return this.answer(options.signal);
  }
}

class MapMemory implements FimCheckMemory {
  readonly records = new Map<string, FimCheckRecord>();
  recall(key: string): FimCheckRecord | undefined {
    return this.records.get(key);
  }
  async remember(key: string, record: FimCheckRecord): Promise<void> {
    this.records.set(key, record);
  }
}

describe('FIM check: once per model file', () => {
  let engine: FakeEngine;
  let memory: MapMemory;
  let files: Record<string, { size: number; mtimeMs: number }>;
  let runner: FimCheckRunner;
  beforeEach(() => {
    engine = new FakeEngine();
    memory = new MapMemory();
    files = { [INSTRUCT.path]: { size: 1000, mtimeMs: 5000 } };
    runner = new FimCheckRunner({
      engine,
      memory,
      statFile: async (path) => {
        const file = files[path];
        if (!file) throw new Error(`ENOENT: ${path}`);
        return file;
      },
    });
  });
  afterEach(() => runner.dispose());

  it('asks the engine once, at low priority (the explain session) with a short answer, and judges the answer', async () => {
    const outcome = await runner.check(INSTRUCT);
    assert.equal(outcome.kind, 'checked');
    assert.equal(outcome.kind === 'checked' && outcome.verdict.chatLike, true);
    assert.equal(engine.requests.length, 1);
    const [{ request, options }] = engine.requests;
    assert.equal(options.session, 'explain', 'the scheduler preempts explain-session work for completions');
    assert.ok(options.signal, 'abortable');
    assert.equal(request.maxTokens, FIM_CHECK_MAX_TOKENS);
    assert.deepEqual(
      request.prompt.filter((p) => typeof p === 'number'),
      [1, 2, 3],
      "the model's FIM tokens",
    );
    assert.equal(request.documents, undefined, "the completion session's draft documents are left alone");
    assert.equal(memory.records.get(fimCheckKey(INSTRUCT.path, files[INSTRUCT.path]))?.chatLike, true);
  });

  it('the same file again (this session, or a later one with the same memory) is not checked again', async () => {
    await runner.check(INSTRUCT);
    assert.deepEqual(await runner.check(INSTRUCT), { kind: 'known', record: memory.records.values().next().value });
    const nextSession = new FimCheckRunner({ engine, memory, statFile: async () => files[INSTRUCT.path] });
    assert.equal((await nextSession.check(INSTRUCT)).kind, 'known');
    assert.equal(engine.requests.length, 1);
  });

  it('a changed file (size or modification time) is checked again', async () => {
    await runner.check(INSTRUCT);
    files[INSTRUCT.path] = { size: 1000, mtimeMs: 6000 };
    assert.equal((await runner.check(INSTRUCT)).kind, 'checked');
    files[INSTRUCT.path] = { size: 2000, mtimeMs: 6000 };
    assert.equal((await runner.check(INSTRUCT)).kind, 'checked');
    assert.equal(engine.requests.length, 3);
  });

  it('a newer model aborts the check in flight; the aborted file is checked on its next load', async () => {
    let release!: () => void;
    engine.answer = (signal) =>
      new Promise((resolve) => {
        release = () => resolve(result(CHATTY));
        signal?.addEventListener('abort', () => resolve(result('', 'cancelled')));
      });
    const first = runner.check(INSTRUCT);
    while (engine.requests.length === 0) await new Promise((r) => setImmediate(r));
    const other: ModelInfo = { ...INSTRUCT, path: '/models/other.gguf' };
    files[other.path] = { size: 1, mtimeMs: 1 };
    const second = runner.check(other);
    assert.equal(engine.requests[0].options.signal?.aborted, true);
    assert.equal((await first).kind, 'skipped');
    while (engine.requests.length < 2) await new Promise((r) => setImmediate(r));
    release();
    assert.equal((await second).kind, 'checked');
    assert.equal(memory.records.size, 1, 'only the finished check is remembered');
    engine.answer = async () => result(CHATTY);
    assert.equal((await runner.check(INSTRUCT)).kind, 'checked', 'the aborted one runs again');
  });

  it('dispose() aborts the check in flight', async () => {
    engine.answer = (signal) => new Promise((resolve) => signal?.addEventListener('abort', () => resolve(result('', 'cancelled'))));
    const pending = runner.check(INSTRUCT);
    while (engine.requests.length === 0) await new Promise((r) => setImmediate(r));
    runner.dispose();
    assert.equal((await pending).kind, 'skipped');
    assert.equal(memory.records.size, 0);
  });

  it('an engine error is not remembered (the next load tries again); an unreadable file or a model without FIM is skipped', async () => {
    engine.answer = async () => {
      throw new Error("Tandem's engine process exited");
    };
    const failed = await runner.check(INSTRUCT);
    assert.equal(failed.kind, 'skipped');
    assert.match(failed.kind === 'skipped' ? failed.reason : '', /engine process exited/);
    engine.answer = async () => result('    return a + b');
    const retried = await runner.check(INSTRUCT);
    assert.equal(retried.kind === 'checked' && retried.verdict.chatLike, false);

    assert.equal((await runner.check({ ...INSTRUCT, path: '/models/gone.gguf' })).kind, 'skipped');
    const noFim = { ...INSTRUCT, fim: { prefix: -1, suffix: -1, middle: -1, pad: -1, repo: -1, sep: -1 } };
    files[INSTRUCT.path] = { size: 7, mtimeMs: 7 };
    assert.equal((await runner.check(noFim)).kind, 'skipped');
    assert.equal(engine.requests.length, 2);
  });
});
