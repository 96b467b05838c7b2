// The engine host's scheduler, driven deterministically: a fake clock and timers, fake cancel
// flags, and explanation decodes that settle when the test says so.
import * as assert from 'node:assert/strict';
import type { CompletionResult, NativeCancelFlag } from '../../extension/engine/native';
import type { WireCompletionRequest } from '../../extension/engine/protocol';
import { EngineScheduler, ExplanationSteps, RequestCancelFlag, SchedulerClock } from '../../extension/engine/scheduler';

const QUIET = 250;

class FakeClock implements SchedulerClock {
  time = 1000;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimer(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }
  clearTimer(timer: unknown): void {
    this.timers.delete(timer as number);
  }
  advance(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.time) continue;
      this.timers.delete(id);
      timer.callback();
    }
  }
  get pending(): number {
    return this.timers.size;
  }
}

class Flag implements NativeCancelFlag {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function part(
  text: string,
  tokens: number[],
  stopReason: CompletionResult['stats']['stopReason'],
  pendingBytes?: number[],
): CompletionResult {
  return {
    text,
    tokens,
    pendingBytes,
    stats: {
      promptTokens: 4,
      reusedTokens: 0,
      prefillMs: 10,
      generatedTokens: tokens.length,
      decodeMs: 5 * tokens.length,
      firstTokenMs: 12,
      stopReason,
    },
  };
}

/** Explanation steps whose decodes wait for the test to settle them. */
function fakeSteps() {
  const decodes: { request: WireCompletionRequest; flag: Flag; settle(result: CompletionResult): void }[] = [];
  let open = true;
  const steps: ExplanationSteps = {
    createFlag: () => new Flag(),
    ensureOpen: () => {
      if (!open) throw Object.assign(new Error('unloaded'), { code: 'DISPOSED' });
    },
    decode: (request, flag) => new Promise((resolve) => decodes.push({ request, flag: flag, settle: resolve })),
  };
  return {
    steps,
    decodes,
    close: () => {
      open = false;
    },
  };
}

const request = (overrides: Partial<WireCompletionRequest> = {}): WireCompletionRequest => ({
  prompt: [1, 'explain'],
  maxTokens: 5,
  ...overrides,
});

describe('EngineScheduler: pre-warms come last', () => {
  it('a pre-warm queued on an idle machine may start; a completion arriving cancels it, once', () => {
    const scheduler = new EngineScheduler(new FakeClock(), QUIET);
    const prewarm = new Flag();
    scheduler.prewarmQueued(prewarm);
    assert.equal(scheduler.prewarmMayStart(prewarm), true);
    scheduler.completionStarted();
    assert.equal(prewarm.cancelled, true);
    scheduler.completionStarted();
    assert.equal(scheduler.prewarmsPreempted, 1);
  });

  it('is cancelled at once while a completion is queued or running, and may not start until it ended', () => {
    const scheduler = new EngineScheduler(new FakeClock(), QUIET);
    scheduler.completionStarted();
    const prewarm = new Flag();
    scheduler.prewarmQueued(prewarm);
    assert.equal(prewarm.cancelled, true);
    assert.equal(scheduler.prewarmMayStart(prewarm), false);
    assert.equal(scheduler.prewarmsPreempted, 0, 'skipped, not preempted');
    scheduler.completionEnded();
    assert.equal(scheduler.prewarmMayStart(new Flag()), true);
  });

  it('a newer pre-warm replaces the older one', () => {
    const scheduler = new EngineScheduler(new FakeClock(), QUIET);
    const older = new Flag();
    const newer = new Flag();
    scheduler.prewarmQueued(older);
    scheduler.prewarmQueued(newer);
    assert.deepEqual([older.cancelled, newer.cancelled], [true, false]);
    scheduler.prewarmEnded(older); // the older one's end does not forget the newer one
    scheduler.completionStarted();
    assert.equal(newer.cancelled, true);
  });

  it('is not started beside a running explanation', async () => {
    const scheduler = new EngineScheduler(new FakeClock(), QUIET);
    const { steps, decodes } = fakeSteps();
    const cancel = new RequestCancelFlag();
    const explanation = scheduler.runExplanation(cancel, request(), steps);
    await flush();
    assert.equal(decodes.length, 1);
    const prewarm = new Flag();
    scheduler.prewarmQueued(prewarm);
    assert.equal(prewarm.cancelled, true);
    decodes[0].settle(part('abcde', [1, 2, 3, 4, 5], 'maxTokens'));
    await explanation;
    assert.equal(scheduler.prewarmMayStart(new Flag()), true);
  });
});

describe('EngineScheduler: explanations yield to completions and resume', () => {
  it('starts at once on a quiet machine; otherwise only once completions were quiet for the quiet time', async () => {
    const clock = new FakeClock();
    const scheduler = new EngineScheduler(clock, QUIET);
    const { steps, decodes } = fakeSteps();
    scheduler.completionStarted();
    const explanation = scheduler.runExplanation(new RequestCancelFlag(), request(), steps);
    await flush();
    assert.equal(decodes.length, 0, 'a completion is running');
    clock.advance(1000);
    await flush();
    assert.equal(decodes.length, 0, 'still running: time alone does not start it');
    scheduler.completionEnded();
    clock.advance(QUIET - 1);
    await flush();
    assert.equal(decodes.length, 0, 'not quiet for long enough');
    scheduler.completionStarted(); // another keystroke: the wait starts over after it
    scheduler.completionEnded();
    clock.advance(QUIET - 1);
    await flush();
    assert.equal(decodes.length, 0);
    clock.advance(1);
    await flush();
    assert.equal(decodes.length, 1);
    decodes[0].settle(part('ab', [1, 2], 'eog'));
    assert.equal((await explanation).text, 'ab');
    assert.equal(clock.pending, 0);
  });

  it('a completion preempts the running decode; the explanation resumes from prompt + tokens so far and merges the parts', async () => {
    const clock = new FakeClock();
    const scheduler = new EngineScheduler(clock, QUIET);
    const { steps, decodes } = fakeSteps();
    const explanation = scheduler.runExplanation(new RequestCancelFlag(), request({ maxTokens: 5, stop: ['\n\n'] }), steps);
    await flush();
    scheduler.completionStarted();
    assert.equal(decodes[0].flag.cancelled, true, 'the decode was cancelled');
    decodes[0].settle(part('ab', [10, 11], 'cancelled', [0xe2]));
    await flush();
    assert.equal(decodes.length, 1, 'no resume while the completion runs');
    scheduler.completionEnded();
    clock.advance(QUIET);
    await flush();
    assert.equal(decodes.length, 2);
    assert.deepEqual(decodes[1].request.prompt, [1, 'explain', 10, 11]);
    assert.equal(decodes[1].request.maxTokens, 3);
    assert.deepEqual(decodes[1].request.carriedBytes, [0xe2], 'the unfinished character carries over');
    decodes[1].settle(part('c\n\nd', [12, 13, 14], 'maxTokens'));
    const result = await explanation;
    assert.equal(result.text, 'abc', 'cut at the stop string');
    assert.deepEqual(result.tokens, [10, 11, 12, 13, 14]);
    assert.equal(result.stats.stopReason, 'stop');
    assert.equal(result.stats.generatedTokens, 5);
    assert.equal(result.stats.prefillMs, 20);
    assert.equal(result.stats.promptTokens, 4, 'prompt and reuse from the first decode');
    assert.equal(scheduler.preemptions, 1);
  });

  it('a decode that ends on its own (not preempted) ends the explanation, even if cancelled-looking', async () => {
    const scheduler = new EngineScheduler(new FakeClock(), QUIET);
    const { steps, decodes } = fakeSteps();
    const explanation = scheduler.runExplanation(new RequestCancelFlag(), request(), steps);
    await flush();
    decodes[0].settle(part('a', [1], 'cancelled'));
    assert.equal((await explanation).stats.stopReason, 'cancelled');
    assert.equal(decodes.length, 1);
    assert.equal(scheduler.preemptions, 0);
  });

  it('cancelling it while it waits for quiet wakes it: it answers cancelled without decoding', async () => {
    const clock = new FakeClock();
    const scheduler = new EngineScheduler(clock, QUIET);
    const { steps, decodes } = fakeSteps();
    scheduler.completionStarted();
    const cancel = new RequestCancelFlag();
    const explanation = scheduler.runExplanation(cancel, request(), steps);
    await flush();
    cancel.cancel();
    const result = await explanation;
    assert.deepEqual([result.text, result.stats.stopReason, decodes.length], ['', 'cancelled', 0]);
  });

  it('cancelling it while it decodes cancels that decode and keeps the text so far', async () => {
    const scheduler = new EngineScheduler(new FakeClock(), QUIET);
    const { steps, decodes } = fakeSteps();
    const cancel = new RequestCancelFlag();
    const explanation = scheduler.runExplanation(cancel, request(), steps);
    await flush();
    cancel.cancel();
    assert.equal(decodes[0].flag.cancelled, true);
    decodes[0].settle(part('ab', [1, 2], 'cancelled'));
    const result = await explanation;
    assert.deepEqual([result.text, result.stats.stopReason], ['ab', 'cancelled']);
  });

  it('a time budget shrinks across resumes; spent while preempted, it ends with timeBudget', async () => {
    const clock = new FakeClock();
    const scheduler = new EngineScheduler(clock, QUIET);
    const { steps, decodes } = fakeSteps();
    const explanation = scheduler.runExplanation(new RequestCancelFlag(), request({ timeBudgetMs: 1000 }), steps);
    await flush();
    assert.equal(decodes[0].request.timeBudgetMs, 1000);
    clock.advance(100);
    scheduler.completionStarted();
    decodes[0].settle(part('a', [1], 'cancelled'));
    await flush();
    scheduler.completionEnded();
    clock.advance(QUIET);
    await flush();
    assert.equal(decodes[1].request.timeBudgetMs, 1000 - 100 - QUIET);
    clock.advance(100);
    scheduler.completionStarted();
    decodes[1].settle(part('b', [2], 'cancelled'));
    await flush();
    clock.advance(1000);
    scheduler.completionEnded();
    clock.advance(QUIET);
    const result = await explanation;
    assert.deepEqual([result.text, result.stats.stopReason, decodes.length], ['ab', 'timeBudget', 2]);
  });

  it('rejects when its model was unloaded while it waited', async () => {
    const clock = new FakeClock();
    const scheduler = new EngineScheduler(clock, QUIET);
    const { steps, close } = fakeSteps();
    scheduler.completionStarted();
    const explanation = scheduler.runExplanation(new RequestCancelFlag(), request(), steps);
    close();
    scheduler.completionEnded();
    clock.advance(QUIET);
    await assert.rejects(explanation, /unloaded/);
  });

  it('after close() nothing waits for quiet', async () => {
    const clock = new FakeClock();
    const scheduler = new EngineScheduler(clock, QUIET);
    const { steps, decodes } = fakeSteps();
    scheduler.completionStarted();
    scheduler.completionEnded();
    scheduler.close();
    const explanation = scheduler.runExplanation(new RequestCancelFlag(), request(), steps);
    await flush();
    assert.equal(decodes.length, 1);
    decodes[0].settle(part('a', [1], 'eog'));
    await explanation;
  });
});
