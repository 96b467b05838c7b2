// The engine host's request handling in-process, over the fake addon: bad input gets an error
// answer (never a throw), and every request gets exactly one answer.
import * as assert from 'node:assert/strict';
import { EngineHostService } from '../../extension/engine/hostService';
import type { NativeAddon } from '../../extension/engine/native';
import type { HostMessage } from '../../extension/engine/protocol';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeAddon = require('./fixtures/fakeAddon') as NativeAddon;

function serviceWithInbox(addon: NativeAddon | { message: string; code: 'ADDON_UNAVAILABLE' } = fakeAddon) {
  const inbox: HostMessage[] = [];
  const logged: string[] = [];
  const service = new EngineHostService(addon, (m) => inbox.push(m), (line) => logged.push(line));
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
    service.handle({ type: 'request', id: 7, method: 'complete', params: { session: 'completion', request: { prompt: 'nope', maxTokens: 1 } } });
    assert.deepEqual(await answer(7), { type: 'error', id: 7, error: { code: 'BAD_MESSAGE', message: 'complete: prompt must be a non-empty array' } });
    service.handle({ type: 'request', id: 8, method: 'frobnicate' });
    assert.equal(((await answer(8)) as { error: { code: string } }).error.code, 'UNKNOWN_METHOD');
    service.handle({ type: 'cancel', id: 12345 }); // unknown ids are ignored
  });

  it('needs a model for tokenize and complete (NO_MODEL)', async () => {
    const { service, answer } = serviceWithInbox();
    service.handle({ type: 'request', id: 1, method: 'tokenize', params: { text: 'x' } });
    service.handle({ type: 'request', id: 2, method: 'complete', params: { session: 'completion', request: { prompt: ['x'], maxTokens: 1 } } });
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
      service.handle({ type: 'request', id, method: 'complete', params: { session: 'completion', request: { prompt: [1, 'x', 2, 3], maxTokens } } });
    complete(2, 4);
    complete(3, 4);
    service.handle({ type: 'cancel', id: 3 });
    const first = (await answer(2)) as { result: { text: string } };
    const streamed = inbox.filter((m) => m.type === 'stream' && m.id === 2).map((m) => (m as { text: string }).text).join('');
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
