// EngineClient against the real engine host process, with the fake addon inside it: startup,
// streaming, cancellation, crash recovery and cleanup, without needing the native build.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineClient, EngineState, MAX_MODEL_CRASHES } from '../../extension/engine/client';
import { EngineCrashedError, EngineError } from '../../extension/engine/errors';
import { isAlive } from '../support/processes';

const hostScript = path.resolve(__dirname, '../../extension/engine/host.js');
const fakeAddon = path.resolve(__dirname, 'fixtures/fakeAddon.js');
const prompt = [1, 'def f():', 2, 3];

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('EngineClient with the engine host (fake addon)', function () {
  this.timeout(10_000);
  let client: EngineClient;
  let states: EngineState['kind'][];
  let log: string[];

  beforeEach(() => {
    log = [];
    states = [];
    client = new EngineClient({ hostScript, addonPath: fakeAddon, backoff: { initialMs: 50 }, log: (line) => log.push(line) });
    client.onDidChangeState((s) => states.push(s.kind));
  });
  afterEach(async () => {
    await client.disposeAsync();
  });

  it('starts lazily, loads a model with progress and streams completion text equal to the result', async () => {
    assert.equal(client.pid, undefined);
    assert.equal(client.state.kind, 'stopped');
    const progress: number[] = [];
    const info = await client.loadModel('/models/a.gguf', { onProgress: (f) => progress.push(f), contextSize: 512 });
    assert.equal(info.path, '/models/a.gguf');
    assert.ok(progress.length > 0 && progress[progress.length - 1] === 1);
    assert.equal(states[0], 'starting');
    assert.ok(states.indexOf('loading') > 0);
    assert.equal(client.state.kind, 'ready');
    assert.deepEqual(client.loadedModel?.params, { path: '/models/a.gguf', contextSize: 512 });

    const pieces: string[] = [];
    const result = await client.complete({ prompt, maxTokens: 6 }, { onText: (t) => pieces.push(t) });
    assert.equal(result.text, 'abcdef');
    assert.equal(pieces.join(''), result.text);
    assert.equal(result.stats.stopReason, 'maxTokens');
    assert.equal((await client.modelInfo())?.path, '/models/a.gguf');
    assert.deepEqual(await client.tokenize('ab'), [97, 98]);
    assert.equal((await client.devices())[0].type, 'cpu');
  });

  it('passes alternatives through to the addon and their texts and stats back', async () => {
    await client.loadModel('/models/a.gguf');
    const result = await client.complete({ prompt, maxTokens: 3, alternatives: 2 });
    assert.equal(result.text, 'abc');
    assert.deepEqual(result.alternatives, ['abc1', 'abc2']);
    assert.equal(result.stats.alternativeTokens, 2);
    const plain = await client.complete({ prompt, maxTokens: 3 });
    assert.equal(plain.alternatives, undefined);
    await assert.rejects(client.complete({ prompt, maxTokens: 3, alternatives: 3 }), (err: EngineError) => {
      assert.equal(err.code, 'BAD_MESSAGE');
      assert.match(err.message, /alternatives must be a whole number from 0 to 2/);
      return true;
    });
  });

  it('an AbortSignal cancels the running completion quickly (stopReason cancelled)', async () => {
    await client.loadModel('/models/a.gguf');
    const controller = new AbortController();
    let pieces = 0;
    const started = Date.now();
    const pending = client.complete(
      { prompt, maxTokens: 1000 },
      {
        signal: controller.signal,
        onText: () => {
          if (++pieces === 3) controller.abort();
        },
      },
    );
    const result = await pending;
    assert.equal(result.stats.stopReason, 'cancelled');
    assert.ok(result.text.length >= 3 && result.text.length < 20, result.text);
    assert.ok(Date.now() - started < 2000);
    // an already aborted signal never reaches the engine
    const aborted = AbortSignal.abort();
    assert.equal((await client.complete({ prompt, maxTokens: 5 }, { signal: aborted })).stats.stopReason, 'cancelled');
  });

  it('queues completions on the session instead of failing with BUSY', async () => {
    await client.loadModel('/models/a.gguf');
    const [a, b] = await Promise.all([client.complete({ prompt, maxTokens: 3 }), client.complete({ prompt, maxTokens: 2 })]);
    assert.equal(a.text, 'abc');
    assert.equal(b.text, 'ab');
  });

  it('rejects with the addon code when a model cannot load, and keeps working', async () => {
    await assert.rejects(client.loadModel('/models/missing.gguf'), (err: unknown) => {
      assert.ok(err instanceof EngineError);
      assert.equal(err.code, 'MODEL_NOT_FOUND');
      return true;
    });
    assert.equal(client.state.kind, 'error');
    await assert.rejects(
      client.complete({ prompt, maxTokens: 1 }),
      (err: unknown) => err instanceof EngineError && err.code === 'NO_MODEL',
    );
    await client.loadModel('/models/a.gguf');
    assert.equal((await client.complete({ prompt, maxTokens: 2 })).text, 'ab');
  });

  it('a newer load cancels a slow one in flight (ABORTED) and wins', async () => {
    const slow = client.loadModel('/models/slow.gguf');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const fast = client.loadModel('/models/b.gguf');
    await assert.rejects(slow, (err: unknown) => err instanceof EngineError && err.code === 'ABORTED');
    assert.equal((await fast).path, '/models/b.gguf');
    assert.equal(client.state.kind, 'ready');
  });

  it('aborting a load rejects it with ABORTED', async () => {
    const controller = new AbortController();
    const load = client.loadModel('/models/slow.gguf', { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(load, (err: unknown) => err instanceof EngineError && err.code === 'ABORTED');
  });

  it('kill -9 mid-request: the request rejects with EngineCrashedError, the host restarts and reloads the model', async () => {
    await client.loadModel('/models/a.gguf');
    const firstPid = client.pid!;
    let pieces = 0;
    const started = Date.now();
    const doomed = client.complete(
      { prompt, maxTokens: 1000 },
      {
        onText: () => {
          if (++pieces === 2) process.kill(firstPid, 'SIGKILL');
        },
      },
    );
    await assert.rejects(doomed, (err: unknown) => {
      assert.ok(err instanceof EngineCrashedError, String(err));
      assert.equal(err.code, 'ENGINE_CRASHED');
      assert.match(err.message, /exited with signal SIGKILL; it is restarting/);
      return true;
    });
    assert.ok(Date.now() - started < 2000);
    const next = await client.complete({ prompt, maxTokens: 3 });
    assert.equal(next.text, 'abc');
    assert.notEqual(client.pid, firstPid);
    assert.ok(states.includes('crashed'));
    assert.equal(client.state.kind, 'ready');
    assert.equal((await client.modelInfo())?.path, '/models/a.gguf');
  });

  it('a crash inside the engine (the process kills itself) is survived the same way', async () => {
    await client.loadModel('/models/a.gguf');
    await assert.rejects(client.complete({ prompt: [1, 'CRASH', 2, 3], maxTokens: 5 }), EngineCrashedError);
    assert.equal((await client.complete({ prompt, maxTokens: 1 })).text, 'a');
  });

  it('a model that crashes the engine at every completion is given up after MAX_MODEL_CRASHES, once, with a clear error', async () => {
    const gaveUp: { path: string; code: string; message: string }[] = [];
    client.onModelGaveUp(({ path, error }) => gaveUp.push({ path, code: error.code, message: error.message }));
    await client.loadModel('/models/crash-on-complete.gguf');
    for (let i = 0; i < MAX_MODEL_CRASHES; i++) {
      await assert.rejects(client.complete({ prompt, maxTokens: 5 }), EngineCrashedError);
      if (i < MAX_MODEL_CRASHES - 1) await waitUntil(() => client.state.kind === 'ready');
    }
    assert.equal(client.state.kind, 'error');
    assert.equal(client.state.kind === 'error' && client.state.error.code, 'MODEL_CRASHED');
    assert.deepEqual(
      gaveUp.map((g) => [g.path, g.code]),
      [['/models/crash-on-complete.gguf', 'MODEL_CRASHED']],
    );
    assert.match(
      gaveUp[0].message,
      /crashed Tandem's engine 3 times in a row; it is not loaded again\. Select another model, or Restart Engine/,
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // no restart loop: nothing happens by itself
    assert.equal(client.pid, undefined);
    assert.equal(client.state.kind, 'error');
    await assert.rejects(
      client.complete({ prompt, maxTokens: 1 }),
      (err: unknown) => err instanceof EngineError && err.code === 'NO_MODEL',
    );
    assert.equal(gaveUp.length, 1);
  });

  it('crashes with completions working in between are not a streak', async () => {
    await client.loadModel('/models/a.gguf');
    for (let i = 0; i < MAX_MODEL_CRASHES + 1; i++) {
      await assert.rejects(client.complete({ prompt: [1, 'CRASH', 2, 3], maxTokens: 5 }), EngineCrashedError);
      assert.equal((await client.complete({ prompt, maxTokens: 1 })).text, 'a');
    }
    assert.equal(client.state.kind, 'ready');
  });

  it('a model that crashes the engine while loading: the state says so, and nothing restarts', async () => {
    await assert.rejects(client.loadModel('/models/crash-on-load.gguf'), EngineCrashedError);
    assert.equal(client.state.kind, 'error');
    assert.match(
      client.state.kind === 'error' ? client.state.error.message : '',
      /crashed Tandem's engine while loading .*it is not loaded again/,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(client.pid, undefined, 'no host restarted by itself');
    assert.equal(client.state.kind, 'error');
  });

  it('restart() replaces the host and keeps the model', async () => {
    await client.loadModel('/models/a.gguf');
    const firstPid = client.pid!;
    await client.restart();
    assert.notEqual(client.pid, firstPid);
    await waitUntil(() => !isAlive(firstPid));
    assert.equal((await client.complete({ prompt, maxTokens: 2 })).text, 'ab');
  });

  it('dispose kills the host process and rejects pending requests', async () => {
    await client.loadModel('/models/a.gguf');
    const pid = client.pid!;
    const pending = client.complete({ prompt, maxTokens: 1000 }).then(
      () => null,
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // let it reach the host
    await client.disposeAsync();
    assert.ok((await pending) instanceof EngineError && ((await pending) as EngineError).code === 'ENGINE_STOPPED');
    assert.equal(isAlive(pid), false);
    await assert.rejects(client.complete({ prompt, maxTokens: 1 }), /shut down/);
    assert.equal(client.state.kind, 'disposed');
  });

  it('reports a missing host script as a clear error', async () => {
    const broken = new EngineClient({ hostScript: '/nonexistent/engineHost.js' });
    try {
      await assert.rejects(broken.devices(), /engine host script is missing: \/nonexistent\/engineHost.js/);
      assert.equal(broken.state.kind, 'error');
    } finally {
      broken.dispose();
    }
  });

  it('reports an addon that fails to load with ADDON_UNAVAILABLE on every request', async () => {
    const broken = new EngineClient({ hostScript, addonPath: '/nonexistent/tandem.node' });
    try {
      await assert.rejects(broken.devices(), (err: unknown) => err instanceof EngineError && err.code === 'ADDON_UNAVAILABLE');
    } finally {
      await broken.disposeAsync();
    }
  });
});

describe('EngineClient: incremental draft documents', function () {
  this.timeout(10_000);
  it('sends a document text once per version per host process, reads it lazily, and again after a restart', async () => {
    const client = new EngineClient({ hostScript, addonPath: fakeAddon, backoff: { initialMs: 50 } });
    try {
      await client.loadModel('/models/a.gguf');
      let reads = 0;
      const doc = (version: number) => ({
        id: 'file:///b.ts',
        version,
        source: 'otherFile' as const,
        readText: () => (reads++, 'x'.repeat(1000)),
      });
      await client.complete({ prompt, maxTokens: 1, documents: [doc(1)] });
      assert.equal(client.documentBytesSent, 1000);
      for (let i = 0; i < 5; i++) await client.complete({ prompt, maxTokens: 1, documents: [doc(1)] });
      assert.equal(client.documentBytesSent, 1000, 'an unchanged document is not re-sent');
      assert.equal(reads, 1, 'its text is not even read');
      await client.complete({ prompt, maxTokens: 1, documents: [doc(2)] });
      assert.equal(client.documentBytesSent, 2000, 'a new version is sent');
      await client.complete({ prompt, maxTokens: 1, documents: [] }); // closed: no longer listed
      await client.complete({ prompt, maxTokens: 1, documents: [doc(2)] });
      assert.equal(client.documentBytesSent, 3000, 'reopened: sent again (the host dropped it)');
      await client.restart();
      await client.complete({ prompt, maxTokens: 1, documents: [doc(2)] });
      assert.equal(client.documentBytesSent, 1000, 'a new host process gets the text again');
    } finally {
      await client.disposeAsync();
    }
  });
});
