// The engine host's request handling in-process, over the fake addon: bad input gets an error
// answer (never a throw), and every request gets exactly one answer.
import * as assert from 'node:assert/strict';
import { EngineHostService } from '../../extension/engine/hostService';
import type { NativeAddon } from '../../extension/engine/native';
import type { HostMessage } from '../../extension/engine/protocol';
import { EXPLAIN_RESUME_QUIET_MS } from '../../extension/engine/scheduler';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeAddon = require('./fixtures/fakeAddon') as NativeAddon;

function serviceWithInbox(addon: NativeAddon | { message: string; code: 'ADDON_UNAVAILABLE' } = fakeAddon) {
  const inbox: HostMessage[] = [];
  const logged: string[] = [];
  const service = new EngineHostService(
    addon,
    (m) => inbox.push(m),
    (line) => logged.push(line),
  );
  const answer = async (id: number) => {
    for (let i = 0; i < 500; i++) {
      const found = inbox.find((m) => (m.type === 'result' || m.type === 'error') && m.id === id);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no answer for ${id}`);
  };
  return { service, inbox, logged, answer };
}

describe('EngineHostService', () => {
  it('answers malformed requests with an error and logs messages without an id', async () => {
    const { service, answer, logged } = serviceWithInbox();
    for (const raw of [undefined, 42, 'x', [], { type: 'request' }]) assert.doesNotThrow(() => service.handle(raw));
    assert.equal(logged.length, 5);
    service.handle({
      type: 'request',
      id: 7,
      method: 'complete',
      params: { session: 'completion', request: { prompt: 'nope', maxTokens: 1 } },
    });
    assert.deepEqual(await answer(7), {
      type: 'error',
      id: 7,
      error: { code: 'BAD_MESSAGE', message: 'complete: prompt must be a non-empty array' },
    });
    service.handle({ type: 'request', id: 8, method: 'frobnicate' });
    assert.equal(((await answer(8)) as { error: { code: string } }).error.code, 'UNKNOWN_METHOD');
    service.handle({ type: 'cancel', id: 12345 }); // unknown ids are ignored
  });

  it('needs a model for tokenize and complete (NO_MODEL)', async () => {
    const { service, answer } = serviceWithInbox();
    service.handle({ type: 'request', id: 1, method: 'tokenize', params: { text: 'x' } });
    service.handle({
      type: 'request',
      id: 2,
      method: 'complete',
      params: { session: 'completion', request: { prompt: ['x'], maxTokens: 1 } },
    });
    service.handle({ type: 'request', id: 3, method: 'modelInfo', params: {} });
    assert.equal(((await answer(1)) as { error: { code: string } }).error.code, 'NO_MODEL');
    assert.equal(((await answer(2)) as { error: { code: string } }).error.code, 'NO_MODEL');
    assert.deepEqual(await answer(3), { type: 'result', id: 3, result: null });
  });

  it('streams text pieces before the result, and a cancel while queued skips the work', async () => {
    const { service, inbox, answer } = serviceWithInbox();
    service.handle({ type: 'request', id: 1, method: 'loadModel', params: { path: '/m.gguf' } });
    assert.equal((await answer(1)).type, 'result');
    const complete = (id: number, maxTokens: number) =>
      service.handle({
        type: 'request',
        id,
        method: 'complete',
        params: { session: 'completion', request: { prompt: [1, 'x', 2, 3], maxTokens } },
      });
    complete(2, 4);
    complete(3, 4);
    service.handle({ type: 'cancel', id: 3 });
    const first = (await answer(2)) as { result: { text: string } };
    const streamed = inbox
      .filter((m) => m.type === 'stream' && m.id === 2)
      .map((m) => (m as { text: string }).text)
      .join('');
    assert.equal(streamed, first.result.text);
    const second = (await answer(3)) as { result: { text: string; stats: { stopReason: string } } };
    assert.deepEqual([second.result.text, second.result.stats.stopReason], ['', 'cancelled']);
  });

  it('answers every request with ADDON_UNAVAILABLE when the addon did not load', async () => {
    const { service, answer } = serviceWithInbox({ message: 'no addon here', code: 'ADDON_UNAVAILABLE' });
    assert.equal(service.hello(1).addon, null);
    service.handle({ type: 'request', id: 1, method: 'devices', params: {} });
    assert.deepEqual(await answer(1), { type: 'error', id: 1, error: { message: 'no addon here', code: 'ADDON_UNAVAILABLE' } });
  });
});

describe('EngineHostService: a separate explain model', () => {
  it('loads beside the completion model; requests with role explain run on it, the rest on the completion model', async () => {
    const { service, answer } = serviceWithInbox();
    const request = (id: number, method: string, params: object) => service.handle({ type: 'request', id, method, params });
    request(1, 'loadModel', { path: '/completion.gguf' });
    await answer(1);
    request(2, 'complete', { session: 'explain', role: 'explain', request: { prompt: ['x'], maxTokens: 1 } });
    assert.deepEqual(((await answer(2)) as { error: object }).error, { code: 'NO_MODEL', message: 'No explain model is loaded.' });
    request(3, 'loadModel', { path: '/instruct.gguf', role: 'explain' });
    assert.equal(((await answer(3)) as { result: { path: string } }).result.path, '/instruct.gguf');
    request(4, 'modelInfo', { role: 'explain' });
    request(5, 'modelInfo', {});
    assert.equal(((await answer(4)) as { result: { path: string } }).result.path, '/instruct.gguf');
    assert.equal(((await answer(5)) as { result: { path: string } }).result.path, '/completion.gguf');
    request(6, 'loadModel', { path: '/missing.gguf', role: 'explain' });
    assert.equal(((await answer(6)) as { error: { code: string } }).error.code, 'MODEL_NOT_FOUND');
    assert.equal(service.modelInfo('explain'), undefined, 'the old explain model was freed before the new one loaded');
    assert.equal(service.modelInfo('completion')?.path, '/completion.gguf', 'completions keep their model');
    request(7, 'complete', { session: 'completion', request: { prompt: ['x'], maxTokens: 1 } });
    assert.equal((await answer(7)).type, 'result');
    request(8, 'unloadModel', { role: 'explain' });
    await answer(8);
    // unloading while a load is in flight cancels it: nothing comes back after the unload
    request(10, 'loadModel', { path: '/slow-instruct.gguf', role: 'explain' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    request(11, 'unloadModel', { role: 'explain' });
    assert.equal(((await answer(10)) as { error: { code: string } }).error.code, 'ABORTED');
    await answer(11);
    assert.equal(service.modelInfo('explain'), undefined);
    request(9, 'modelInfo', { frobnicate: 1, role: 'nope' });
    assert.match(((await answer(9)) as { error: { message: string } }).error.message, /unknown model role "nope"/);
  });
});

describe('EngineHostService: explain yields to completions', () => {
  const load = async (h: ReturnType<typeof serviceWithInbox>) => {
    h.service.handle({ type: 'request', id: 1, method: 'loadModel', params: { path: '/m.gguf' } });
    assert.equal((await h.answer(1)).type, 'result');
  };

  it('a completion arriving during an explanation preempts it; the explanation resumes and loses nothing', async () => {
    const h = serviceWithInbox();
    await load(h);
    h.service.handle({
      type: 'request',
      id: 2,
      method: 'complete',
      params: { session: 'explain', request: { prompt: ['explain'], maxTokens: 30 } },
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    h.service.handle({
      type: 'request',
      id: 3,
      method: 'complete',
      params: { session: 'completion', request: { prompt: [1, 'x', 2, 3], maxTokens: 3 } },
    });
    const completion = (await h.answer(3)) as { result: { text: string } };
    assert.equal(completion.result.text, 'abc');
    const explain = (await h.answer(2)) as { result: { text: string; stats: { stopReason: string; generatedTokens: number } } };
    const letters = Array.from({ length: 30 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'[i % 26]).join('');
    assert.equal(explain.result.text, letters, 'resumed from the tokens generated so far');
    assert.equal(explain.result.stats.stopReason, 'maxTokens');
    const streamed = h.inbox
      .filter((m) => m.type === 'stream' && m.id === 2)
      .map((m) => (m as { text: string }).text)
      .join('');
    assert.equal(streamed, letters);
    assert.ok(h.service.preemptions >= 1);
    // the completion did not wait for the explanation: it preempted it and finished first
    const order = h.inbox.filter((m) => m.type === 'result').map((m) => (m as { id: number }).id);
    assert.deepEqual(order.slice(-2), [3, 2]);
  });

  it('an explanation waits while completions are queued, and can be cancelled while it waits', async () => {
    const h = serviceWithInbox();
    await load(h);
    h.service.handle({
      type: 'request',
      id: 2,
      method: 'complete',
      params: { session: 'completion', request: { prompt: ['a'], maxTokens: 20 } },
    });
    h.service.handle({
      type: 'request',
      id: 3,
      method: 'complete',
      params: { session: 'explain', request: { prompt: ['e'], maxTokens: 2 } },
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    h.service.handle({ type: 'cancel', id: 3 });
    const cancelled = (await h.answer(3)) as { result: { stats: { stopReason: string } } };
    assert.equal(cancelled.result.stats.stopReason, 'cancelled');
    assert.equal(
      h.inbox.some((m) => m.type === 'result' && m.id === 2),
      false,
      'answered while the completion still ran',
    );
    await h.answer(2);

    h.service.handle({
      type: 'request',
      id: 4,
      method: 'complete',
      params: { session: 'completion', request: { prompt: ['a'], maxTokens: 5 } },
    });
    h.service.handle({
      type: 'request',
      id: 5,
      method: 'complete',
      params: { session: 'explain', request: { prompt: ['e'], maxTokens: 2 } },
    });
    await h.answer(4);
    const completionDone = Date.now();
    assert.equal(
      h.inbox.some((m) => m.type === 'stream' && m.id === 5),
      false,
      'explain did not start before the completion ended',
    );
    const explain = (await h.answer(5)) as { result: { text: string } };
    assert.equal(explain.result.text, 'ab');
    assert.ok(Date.now() - completionDone >= EXPLAIN_RESUME_QUIET_MS - 20, 'and not before completions were quiet for a moment');
  });
});

describe('EngineHostService: draft documents', () => {
  const log = (fakeAddon as unknown as { requestLog: { documents?: { id: string; version: number; text?: string }[] }[] }).requestLog;
  const complete = (h: ReturnType<typeof serviceWithInbox>, id: number, documents: object[], session = 'completion') =>
    h.service.handle({ type: 'request', id, method: 'complete', params: { session, request: { prompt: ['p'], maxTokens: 1, documents } } });

  it('fills in text the session lacks, strips text it has, and drops documents no longer listed', async () => {
    const h = serviceWithInbox();
    h.service.handle({ type: 'request', id: 1, method: 'loadModel', params: { path: '/m.gguf' } });
    await h.answer(1);
    log.length = 0;
    complete(h, 2, [{ id: 'a', version: 1, source: 'otherFile', text: 'A1' }]);
    await h.answer(2);
    complete(h, 3, [{ id: 'a', version: 1, source: 'otherFile' }]);
    await h.answer(3);
    assert.deepEqual(
      log.map((r) => r.documents),
      [[{ id: 'a', version: 1, source: 'otherFile', text: 'A1' }], [{ id: 'a', version: 1, source: 'otherFile' }]],
    );
    // the explain session has not seen it: the host gives it the stored text
    complete(h, 4, [{ id: 'a', version: 1, source: 'otherFile' }], 'explain');
    await h.answer(4);
    assert.deepEqual(log[2].documents, [{ id: 'a', version: 1, source: 'otherFile', text: 'A1' }]);
    // a request cancelled while queued still delivers its text to the store
    complete(h, 5, [{ id: 'b', version: 1, source: 'clipboard', text: 'B1' }]);
    h.service.handle({ type: 'cancel', id: 5 });
    complete(h, 6, [{ id: 'b', version: 1, source: 'clipboard' }]);
    await h.answer(6);
    assert.deepEqual(log[log.length - 1].documents, [{ id: 'b', version: 1, source: 'clipboard', text: 'B1' }]);
    // nobody lists 'a' any more (completion dropped it; explain lists nothing next)
    complete(h, 7, [], 'explain');
    await h.answer(7);
    assert.deepEqual(h.service.storedDocuments(), ['b']);
  });
});

describe('EngineHostService: pre-warm (prefill) comes last', () => {
  type Log = { prompt: unknown[]; kvKey?: string; cancelled?: boolean }[];
  const prefillLog = (fakeAddon as unknown as { prefillLog: Log }).prefillLog;
  const long = Array.from({ length: 40 }, (_, i) => `part ${i}`); // 10 ms per part in the fake: 400 ms

  async function loaded() {
    const host = serviceWithInbox();
    host.service.handle({ type: 'request', id: 1, method: 'loadModel', params: { path: '/m.gguf' } });
    assert.equal((await host.answer(1)).type, 'result');
    prefillLog.length = 0;
    return host;
  }
  const resultOf = async (answer: (id: number) => Promise<HostMessage>, id: number) =>
    ((await answer(id)) as { result: { cancelled: boolean; promptTokens: number } }).result;

  it('runs on the completion session; a completion arriving stops it, and a newer pre-warm replaces it', async () => {
    const { service, answer } = await loaded();
    service.handle({ type: 'request', id: 2, method: 'prefill', params: { request: { prompt: long, kvKey: 'file:///a.ts' } } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    service.handle({
      type: 'request',
      id: 3,
      method: 'complete',
      params: { session: 'completion', request: { prompt: [1, 'x', 2, 3], maxTokens: 2 } },
    });
    assert.equal((await resultOf(answer, 2)).cancelled, true);
    assert.equal((await answer(3)).type, 'result');
    assert.equal(service.prewarmsPreempted, 1);
    assert.deepEqual(
      prefillLog.map((p) => [p.kvKey, p.cancelled]),
      [['file:///a.ts', true]],
    );

    service.handle({ type: 'request', id: 4, method: 'prefill', params: { request: { prompt: long } } });
    service.handle({ type: 'request', id: 5, method: 'prefill', params: { request: { prompt: ['short'] } } });
    assert.equal((await resultOf(answer, 4)).cancelled, true);
    const newest = await resultOf(answer, 5);
    assert.deepEqual([newest.cancelled, newest.promptTokens], [false, 1]);
  });

  it('never starts while a completion is queued or running (it is skipped, not queued behind it)', async () => {
    const { service, answer } = await loaded();
    service.handle({
      type: 'request',
      id: 2,
      method: 'complete',
      params: { session: 'completion', request: { prompt: [1, 'x', 2, 3], maxTokens: 10 } },
    });
    service.handle({ type: 'request', id: 3, method: 'prefill', params: { request: { prompt: long } } });
    assert.equal((await resultOf(answer, 3)).cancelled, true);
    assert.equal((await answer(2)).type, 'result');
    assert.equal(prefillLog.length, 0, 'the session never saw it');
  });

  it('a cancel message stops it; bad requests are refused', async () => {
    const { service, answer } = await loaded();
    service.handle({ type: 'request', id: 2, method: 'prefill', params: { request: { prompt: long } } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    service.handle({ type: 'cancel', id: 2 });
    assert.equal((await resultOf(answer, 2)).cancelled, true);
    service.handle({ type: 'request', id: 3, method: 'prefill', params: { request: { prompt: [] } } });
    assert.equal(((await answer(3)) as { error: { code: string } }).error.code, 'BAD_MESSAGE');
    service.handle({ type: 'request', id: 4, method: 'prefill', params: { request: { prompt: ['x'], kvKey: 7 } } });
    assert.equal(((await answer(4)) as { error: { code: string } }).error.code, 'BAD_MESSAGE');
  });
});
