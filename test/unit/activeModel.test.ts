import * as assert from 'node:assert/strict';
import type { LoadedModel, LoadModelOptions } from '../../extension/engine/client';
import { Emitter } from '../../extension/common/emitter';
import { EngineError } from '../../extension/engine/errors';
import type { ModelInfo } from '../../extension/engine/native';
import { ActiveModel, ModelSettings, NoModelConfiguredError } from '../../extension/models/activeModel';

/** Just enough of EngineClient: loads succeed unless the path contains "bad". */
class FakeEngine {
  loads: string[] = [];
  devices: unknown[] = [];
  loadedModel: LoadedModel | undefined;
  state: { kind: 'stopped' | 'ready' } = { kind: 'stopped' };
  readonly gaveUp = new Emitter<{ path: string; error: EngineError }>();
  readonly onModelGaveUp = this.gaveUp.event;
  async loadModel(path: string, options: LoadModelOptions = {}): Promise<ModelInfo> {
    this.loads.push(path);
    this.state = { kind: 'ready' };
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (path.includes('bad')) throw new EngineError(`cannot open ${path}`, 'MODEL_NOT_FOUND');
    const info = { path } as ModelInfo;
    this.devices.push(options.device);
    this.loadedModel = { params: { path, contextSize: options.contextSize, threads: options.threads, device: options.device }, info };
    return info;
  }
}

describe('ActiveModel', () => {
  let settings: ModelSettings;
  let engine: FakeEngine;
  let model: ActiveModel;
  let failures: string[];

  beforeEach(() => {
    settings = { path: '/a.gguf', contextSize: 2048, threads: 0, device: { prefill: 'auto', decode: 'auto' }, documentCacheMB: 256 };
    engine = new FakeEngine();
    model = new ActiveModel(engine as never, () => settings);
    failures = [];
    model.onLoadFailed((f) => failures.push(f.settings.path));
  });

  it('loads once, on first need, and shares a load in flight', async () => {
    assert.deepEqual(engine.loads, []);
    const [a, b] = await Promise.all([model.ensureLoaded(), model.ensureLoaded()]);
    assert.equal(a.path, '/a.gguf');
    assert.equal(b, a);
    await model.ensureLoaded();
    assert.deepEqual(engine.loads, ['/a.gguf']);
  });

  it('rejects with NoModelConfiguredError when no path is set', async () => {
    settings.path = '';
    await assert.rejects(model.ensureLoaded(), NoModelConfiguredError);
  });

  it('remembers a failure for the same settings (one notification), retries after a change', async () => {
    settings.path = '/bad.gguf';
    await assert.rejects(model.ensureLoaded(), /cannot open/);
    await assert.rejects(model.ensureLoaded(), /cannot open/);
    assert.deepEqual(engine.loads, ['/bad.gguf']);
    assert.deepEqual(failures, ['/bad.gguf']);
    settings.path = '/good.gguf';
    model.settingsChanged(); // engine already started: loads right away
    assert.equal((await model.ensureLoaded()).path, '/good.gguf');
    assert.deepEqual(engine.loads, ['/bad.gguf', '/good.gguf']);
  });

  it('sends the device setting (one string when both phases agree) and reloads when it changes', async () => {
    const loaded: string[] = [];
    model.onLoaded(({ settings: s }) => loaded.push(`${s.device.prefill}/${s.device.decode}`));
    await model.ensureLoaded();
    settings.device = { prefill: 'npu', decode: 'cpu' };
    model.settingsChanged();
    await model.ensureLoaded();
    await model.ensureLoaded(); // same settings: no third load
    settings.device = { prefill: 'gpu', decode: 'gpu' };
    await model.ensureLoaded();
    assert.deepEqual(engine.devices, ['auto', { prefill: 'npu', decode: 'cpu' }, 'gpu']);
    assert.deepEqual(loaded, ['auto/auto', 'npu/cpu', 'gpu/gpu']);
  });

  it('does not start the engine when settings change before first use', () => {
    settings.path = '/other.gguf';
    model.settingsChanged();
    assert.deepEqual(engine.loads, []);
  });

  it('a model the engine gave up on (it kept crashing) is remembered as failed: no keystroke loads it again', async () => {
    await model.ensureLoaded();
    engine.gaveUp.fire({ path: '/elsewhere.gguf', error: new EngineError('not ours', 'MODEL_CRASHED') });
    assert.deepEqual(failures, [], 'another model: nothing to do');
    engine.gaveUp.fire({ path: '/a.gguf', error: new EngineError('crashed 3 times', 'MODEL_CRASHED') });
    assert.deepEqual(failures, ['/a.gguf']);
    engine.loadedModel = undefined;
    await assert.rejects(model.ensureLoaded(), /crashed 3 times/);
    assert.deepEqual(engine.loads, ['/a.gguf'], 'not loaded again');
    model.retry(); // Restart Engine
    await model.ensureLoaded();
    assert.deepEqual(engine.loads, ['/a.gguf', '/a.gguf']);
  });

  it('a validation failure (no FIM) counts as a failed load', async () => {
    const strict = new ActiveModel(
      engine as never,
      () => settings,
      () => {
        throw Object.assign(new Error('no FIM'), { code: 'MODEL_NO_FIM' });
      },
    );
    await assert.rejects(strict.ensureLoaded(), /no FIM/);
    await assert.rejects(strict.ensureLoaded(), /no FIM/);
    assert.deepEqual(engine.loads, ['/a.gguf']);
  });
});
