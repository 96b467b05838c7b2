// Request/reply with the engine host over a fake channel: answers reach their request, streams and
// progress go to its callbacks, aborting sends a cancel, and a host that goes away fails the rest.
import * as assert from 'node:assert/strict';
import { EngineRpc } from '../../extension/engine/engineRpc';
import { EngineError } from '../../extension/engine/errors';
import type { ClientMessage, HelloMessage, MethodName } from '../../extension/engine/protocol';

function setup() {
  const sent: ClientMessage[] = [];
  const answered: MethodName[] = [];
  const hellos: HelloMessage[] = [];
  const logged: string[] = [];
  const rpc = new EngineRpc({ hello: (m) => hellos.push(m), answered: (m) => answered.push(m), log: (l) => logged.push(l) });
  const channel = { send: (m: ClientMessage) => sent.push(m) };
  return { rpc, channel, sent, answered, hellos, logged };
}

describe('EngineRpc', () => {
  it('numbers requests and settles each with its own answer; streamed text and progress reach its callbacks', async () => {
    const t = setup();
    const pieces: string[] = [];
    const progress: number[] = [];
    const tokens = t.rpc.call(t.channel, 'tokenize', { text: 'ab' });
    const load = t.rpc.call(t.channel, 'loadModel', { path: '/m.gguf' }, { onProgress: (f) => progress.push(f) });
    const complete = t.rpc.call(
      t.channel,
      'complete',
      { session: 'completion', request: { prompt: ['x'], maxTokens: 2 } },
      { onText: (p) => pieces.push(p) },
    );
    assert.deepEqual(
      t.sent.map((m) => [m.type, m.id]),
      [
        ['request', 1],
        ['request', 2],
        ['request', 3],
      ],
    );
    assert.equal(t.rpc.loading('completion'), true);
    assert.equal(t.rpc.loading('explain'), false);
    t.rpc.receive({ type: 'progress', id: 2, fraction: 0.5 });
    t.rpc.receive({ type: 'stream', id: 3, text: 'a' });
    t.rpc.receive({ type: 'result', id: 1, result: [97, 98] });
    t.rpc.receive({ type: 'error', id: 2, error: { message: 'no such file', code: 'MODEL_NOT_FOUND' } });
    assert.deepEqual(await tokens, [97, 98]);
    await assert.rejects(load, (err: unknown) => err instanceof EngineError && err.code === 'MODEL_NOT_FOUND');
    assert.equal(t.rpc.loading('completion'), false);
    t.rpc.receive({ type: 'result', id: 3, result: { text: 'a' } });
    await complete;
    assert.deepEqual([pieces, progress, t.answered], [['a'], [0.5], ['tokenize', 'complete']]);
  });

  it('an abort sends a cancel for the request (at once when already aborted)', () => {
    const t = setup();
    const controller = new AbortController();
    void t.rpc.call(t.channel, 'devices', {}, { signal: controller.signal });
    controller.abort();
    void t.rpc.call(t.channel, 'devices', {}, { signal: AbortSignal.abort() });
    assert.deepEqual(
      t.sent.map((m) => [m.type, m.id]),
      [
        ['request', 1],
        ['cancel', 1],
        ['request', 2],
        ['cancel', 2],
      ],
    );
  });

  it('rejectAll fails everything pending; later answers for them are ignored', async () => {
    const t = setup();
    const pending = t.rpc.call(t.channel, 'devices', {});
    t.rpc.rejectAll(new EngineError('gone', 'ENGINE_CRASHED'));
    await assert.rejects(pending, /gone/);
    t.rpc.receive({ type: 'result', id: 1, result: [] });
    assert.deepEqual(t.answered, []);
  });

  it('passes hello on and logs a bad message instead of throwing', () => {
    const t = setup();
    t.rpc.receive({ type: 'hello', protocol: 1, pid: 7, addon: { tandem: '1', llamaCpp: 'b1' }, addonError: null });
    assert.equal(t.hellos[0].pid, 7);
    assert.doesNotThrow(() => t.rpc.receive({ type: 'nonsense' }));
    assert.equal(t.logged.length, 1);
  });
});
