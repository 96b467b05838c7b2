// Which engine serves the pipeline (engine/server/engineSelection.ts): `local` hands every call to
// the local engine exactly as before (same objects, same answers), `server` to the server engine,
// decided per call so a settings change applies to the next keystroke; the prompt budgets fit the
// server's slot.
import * as assert from 'node:assert/strict';
import type { CompletionEngine } from '../../extension/engine/completionEngine';
import type { CompletionResult, ModelInfo, PrefillResult } from '../../extension/engine/native';
import { EngineSelection } from '../../extension/engine/server/engineSelection';
import { ServerConnection } from '../../extension/engine/server/serverConnection';
import { ServerError } from '../../extension/engine/server/serverErrors';

const localModel = { path: '/models/local.gguf', name: 'local' } as ModelInfo;
const localResult: CompletionResult = {
  text: 'local',
  tokens: [],
  stats: { promptTokens: 1, reusedTokens: 0, prefillMs: 0, generatedTokens: 1, decodeMs: 1, firstTokenMs: 1, stopReason: 'eog' },
};

function localEngines() {
  const calls: { method: string; args: unknown[] }[] = [];
  const engine: CompletionEngine = {
    complete: (...args) => {
      calls.push({ method: 'complete', args });
      return Promise.resolve(localResult);
    },
    prefill: (...args) => {
      calls.push({ method: 'prefill', args });
      return Promise.resolve({ cancelled: false } as PrefillResult);
    },
    applyChatTemplate: (...args) => {
      calls.push({ method: 'applyChatTemplate', args });
      return Promise.resolve('rendered');
    },
  };
  const model = { ensureLoaded: () => Promise.resolve(localModel), loadedInfo: localModel };
  const explainModel = { ensureLoaded: () => Promise.resolve({ ...localModel, role: 'explain' as const }) };
  return { calls, engines: { engine, model, explainModel } };
}

describe('engine selection (tandem.engine.kind)', () => {
  let kind: 'local' | 'server' = 'local';
  let serverUrl = 'http://127.0.0.1:9';
  let connection: ServerConnection;
  beforeEach(() => {
    kind = 'local';
    serverUrl = 'http://127.0.0.1:9';
    connection = new ServerConnection({
      settings: () => ({ kind, serverUrl }),
      apiKey: () => Promise.resolve(undefined),
      consent: () => Promise.resolve(false),
    });
    connection.settingsChanged();
  });
  afterEach(() => connection.dispose());

  it('local: every call goes to the local engine with the very same request and options, and its answer comes back', async () => {
    const { calls, engines } = localEngines();
    const selection = new EngineSelection(engines, connection);
    const request = { prompt: [1, 'x'], maxTokens: 4, kvKey: 'doc' };
    const options = { signal: new AbortController().signal, onText: () => undefined };
    assert.equal(await selection.complete(request, options), localResult);
    assert.equal(calls[0].args[0], request);
    assert.equal(calls[0].args[1], options);
    await selection.prefill({ prompt: [1] });
    assert.equal(await selection.applyChatTemplate([{ role: 'user', content: 'q' }], { role: 'explain' }), 'rendered');
    assert.deepEqual(calls[2].args[1], { role: 'explain' });
    assert.equal(await selection.completionModel.ensureLoaded(), localModel);
    assert.equal(selection.completionModel.loadedInfo, localModel);
    assert.equal((await selection.explainModel.ensureLoaded()).role, 'explain');
    const settings = { model: { path: '/models/local.gguf', contextSize: 4096 }, enable: true };
    assert.equal(selection.pipelineSettings(settings), settings, 'the settings object itself, untouched');
  });

  it('server: the server engine answers (here: the user declined), the local engine is never called; back to local on the next call', async () => {
    const { calls, engines } = localEngines();
    const selection = new EngineSelection(engines, connection);
    kind = 'server';
    connection.settingsChanged();
    assert.equal(selection.kind, 'server');
    await assert.rejects(
      selection.complete({ prompt: [1], maxTokens: 1 }),
      (e: unknown) => e instanceof ServerError && e.kind === 'declined',
    );
    await assert.rejects(selection.completionModel.ensureLoaded(), /declined/);
    assert.equal(selection.completionModel.loadedInfo, undefined);
    const settings = selection.pipelineSettings({ model: { path: '', contextSize: 4096 } });
    assert.equal(settings.model.path, 'http://127.0.0.1:9', 'a configured "model" while a server is set');
    assert.equal(calls.length, 0);
    kind = 'local';
    connection.settingsChanged();
    assert.equal((await selection.complete({ prompt: [1], maxTokens: 1 })).text, 'local');
  });

  it('server with a URL it must not use: a config error for every call, without a network call', async () => {
    const { engines } = localEngines();
    const selection = new EngineSelection(engines, connection);
    kind = 'server';
    serverUrl = 'http://203.0.113.1:8012';
    connection.settingsChanged();
    await assert.rejects(
      selection.complete({ prompt: [1], maxTokens: 1 }),
      (e: unknown) => e instanceof ServerError && e.kind === 'config',
    );
    assert.equal(connection.status()?.state, 'config');
  });
});
