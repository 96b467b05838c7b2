import * as assert from 'node:assert/strict';
import {
  ClientMessage,
  HostMessage,
  ProtocolError,
  cancelledResult,
  isErrorCode,
  parseClientMessage,
  parseHostMessage,
  toWireError,
} from '../../extension/engine/protocol';

/** What crosses the IPC channel: JSON. */
const overTheWire = <T>(message: T): unknown => JSON.parse(JSON.stringify(message));

describe('engine protocol', () => {
  it('round-trips every client message', () => {
    const messages: ClientMessage[] = [
      { type: 'request', id: 1, method: 'loadModel', params: { path: '/m.gguf', contextSize: 2048, threads: 4, gpuLayers: 0 } },
      { type: 'request', id: 2, method: 'modelInfo', params: {} },
      { type: 'request', id: 3, method: 'tokenize', params: { text: 'def f():', addSpecial: false, parseSpecial: false } },
      {
        type: 'request',
        id: 4,
        method: 'complete',
        params: {
          session: 'completion',
          request: { prompt: [1, 'a', 2, { text: '<|x|>', parseSpecial: true }, 3], maxTokens: 16, stop: ['\n'], timeBudgetMs: 500 },
        },
      },
      {
        type: 'request',
        id: 7,
        method: 'complete',
        params: { session: 'completion', request: { prompt: ['x'], maxTokens: 8, alternatives: 2 } },
      },
      { type: 'request', id: 5, method: 'devices', params: {} },
      { type: 'request', id: 6, method: 'unloadModel', params: {} },
      { type: 'cancel', id: 4 },
    ];
    for (const message of messages) assert.deepEqual(parseClientMessage(overTheWire(message)), message);
  });

  it('round-trips every host message', () => {
    const messages: HostMessage[] = [
      { type: 'hello', protocol: 1, pid: 42, addon: { tandem: '0.1.0', llamaCpp: 'b1' }, addonError: null },
      { type: 'result', id: 1, result: cancelledResult() },
      { type: 'result', id: 2, result: null },
      { type: 'error', id: 3, error: { message: 'no such file', code: 'MODEL_NOT_FOUND' } },
      { type: 'stream', id: 4, text: 'piece ✓' },
      { type: 'progress', id: 5, fraction: 0.5 },
    ];
    for (const message of messages) assert.deepEqual(parseHostMessage(overTheWire(message)), message);
  });

  it('rejects malformed requests with BAD_MESSAGE and the request id when there is one', () => {
    const bad = (raw: unknown, message: RegExp, id?: number, code = 'BAD_MESSAGE') =>
      assert.throws(
        () => parseClientMessage(raw),
        (err: unknown) => {
          assert.ok(err instanceof ProtocolError);
          assert.equal(err.id, id);
          assert.equal(err.code, code);
          assert.match(err.message, message);
          return true;
        },
      );
    bad(null, /must be an object/);
    bad({ type: 'request', method: 'devices' }, /id must be a non-negative integer/);
    bad({ type: 'nope', id: 1 }, /unknown message type/, 1);
    bad({ type: 'request', id: 2, method: 'explode' }, /unknown method "explode"/, 2, 'UNKNOWN_METHOD');
    bad({ type: 'request', id: 3, method: 'loadModel', params: {} }, /path must be a non-empty string/, 3);
    bad({ type: 'request', id: 4, method: 'loadModel', params: { path: 'x', threads: -1 } }, /threads must be an integer ≥ 0/, 4);
    bad(
      { type: 'request', id: 5, method: 'complete', params: { session: 'completion', request: { prompt: [], maxTokens: 1 } } },
      /prompt must be a non-empty array/,
      5,
    );
    bad(
      { type: 'request', id: 6, method: 'complete', params: { session: 'completion', request: { prompt: [{ text: 'x' }], maxTokens: 1 } } },
      /prompt\[0\]/,
      6,
    );
    bad(
      { type: 'request', id: 7, method: 'complete', params: { session: 'completion', request: { prompt: ['x'], maxTokens: 0 } } },
      /maxTokens must be an integer ≥ 1/,
      7,
    );
    bad(
      { type: 'request', id: 8, method: 'complete', params: { session: 'chat', request: { prompt: ['x'], maxTokens: 1 } } },
      /unknown session/,
      8,
    );
    bad({ type: 'request', id: 9, method: 'tokenize', params: { text: 5 } }, /text must be a string/, 9);
    bad({ type: 'request', id: 11, method: 'loadModel', params: { path: 'x', device: '' } }, /device must be a non-empty string/, 11);
    bad(
      { type: 'request', id: 12, method: 'loadModel', params: { path: 'x', device: { prefill: 'npu', verify: 'cpu' } } },
      /device must be/,
      12,
    );
    bad({ type: 'request', id: 13, method: 'loadModel', params: { path: 'x', device: { decode: 3 } } }, /device must be/, 13);
    assert.doesNotThrow(() =>
      parseClientMessage({
        type: 'request',
        id: 14,
        method: 'loadModel',
        params: { path: 'x', device: { prefill: 'npu', decode: 'cpu' } },
      }),
    );
    assert.doesNotThrow(() => parseClientMessage({ type: 'request', id: 15, method: 'loadModel', params: { path: 'x', device: 'CUDA0' } }));
    bad(
      {
        type: 'request',
        id: 10,
        method: 'complete',
        params: { session: 'completion', request: { prompt: ['x'], maxTokens: 1, stop: [''] } },
      },
      /stop must be/,
      10,
    );
    for (const [i, alternatives] of [-1, 3, 1.5, '2', null, Number.NaN].entries()) {
      bad(
        {
          type: 'request',
          id: 20 + i,
          method: 'complete',
          params: { session: 'completion', request: { prompt: ['x'], maxTokens: 1, alternatives } },
        },
        /alternatives must be a whole number from 0 to 2/,
        20 + i,
      );
    }
    bad(
      {
        type: 'request',
        id: 30,
        method: 'complete',
        params: { session: 'explain', request: { prompt: ['x'], maxTokens: 1, alternatives: 1 } },
      },
      /alternatives are for the completion session only/,
      30,
    );
    for (const alternatives of [0, 1, 2]) {
      assert.doesNotThrow(() =>
        parseClientMessage({
          type: 'request',
          id: 31,
          method: 'complete',
          params: { session: 'completion', request: { prompt: ['x'], maxTokens: 1, alternatives } },
        }),
      );
    }
  });

  it('rejects malformed host messages', () => {
    assert.throws(() => parseHostMessage({ type: 'result' }), ProtocolError);
    assert.throws(() => parseHostMessage({ type: 'stream', id: 1, text: 3 }), ProtocolError);
    assert.throws(() => parseHostMessage({ type: 'weird' }), /unknown host message type/);
  });

  it('turns any thrown value into a message and a known code', () => {
    assert.deepEqual(toWireError(Object.assign(new Error('gone'), { code: 'MODEL_NOT_FOUND' })), {
      message: 'gone',
      code: 'MODEL_NOT_FOUND',
    });
    assert.deepEqual(toWireError(Object.assign(new Error('odd'), { code: 'EWHATEVER' })), { message: 'odd', code: 'INTERNAL' });
    assert.deepEqual(toWireError('boom'), { message: 'boom', code: 'INTERNAL' });
    assert.equal(parseHostMessage({ type: 'error', id: 1, error: { message: 'x', code: 'NOPE' } }).type, 'error');
    assert.ok(isErrorCode('ENGINE_CRASHED'));
    assert.ok(!isErrorCode('nope'));
  });
});
