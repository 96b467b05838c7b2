// Which model explains (tandem.explain.modelPath): the decision per settings, and
// ExplainModelSource against a fake engine — lazy load on the first Explain, one shared load,
// a failure reported once and remembered, freed when the setting is cleared, reloaded when it
// changes, and the completion model untouched throughout. Also: the controller runs the
// explanation and renders its chat template on the model the source picked.
import * as assert from 'node:assert/strict';
import type { CompleteOptions, LoadModelOptions, LoadedModel } from '../../extension/engine/client';
import type { CompletionResult, ModelInfo } from '../../extension/engine/native';
import type { ModelRole } from '../../extension/engine/protocol';
import { ExplainController } from '../../extension/explain/explainController';
import { ExplainModelFailure, ExplainModelSettings, ExplainModelSource, decideExplainModel } from '../../extension/explain/explainModel';

const info = (path: string, chatTemplate: string | null = null) => ({ path, chatTemplate, name: path }) as Partial<ModelInfo> as ModelInfo;
const settings = (path: string, contextSize = 4096, threads = 0): ExplainModelSettings => ({ path, contextSize, threads });
const loaded = (s: ExplainModelSettings): LoadedModel => ({
  params: { path: s.path, role: 'explain', contextSize: s.contextSize || undefined, threads: s.threads || undefined },
  info: info(s.path),
});

/** The parts of EngineClient the source uses: loads resolve or fail when the test says so. */
class FakeEngine {
  loadedExplainModel: LoadedModel | undefined = undefined;
  readonly loads: string[] = [];
  unloads = 0;
  private pending: { path: string; options: LoadModelOptions; resolve: (i: ModelInfo) => void; reject: (e: Error) => void }[] = [];

  loadExplainModel(path: string, options: LoadModelOptions = {}): Promise<ModelInfo> {
    this.loads.push(path);
    this.loadedExplainModel = undefined; // the host frees the old one first
    return new Promise((resolve, reject) => this.pending.push({ path, options, resolve, reject }));
  }

  async unloadExplainModel(): Promise<void> {
    this.unloads++;
    this.loadedExplainModel = undefined;
  }

  /** Finishes the oldest pending load. */
  settle(error?: Error): void {
    const load = this.pending.shift();
    if (!load) throw new Error('no load pending');
    if (error) return load.reject(error);
    this.loadedExplainModel = {
      params: { path: load.path, role: 'explain', contextSize: load.options.contextSize, threads: load.options.threads },
      info: info(load.path, '<|im_start|>'),
    };
    load.resolve(this.loadedExplainModel.info);
  }

  get pendingLoads(): number {
    return this.pending.length;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

function setup(initial = '') {
  const engine = new FakeEngine();
  let current = settings(initial);
  let completionLoads = 0;
  const completion = {
    ensureLoaded: async () => {
      completionLoads++;
      return info('/completion.gguf');
    },
  };
  const source = new ExplainModelSource(engine, completion, () => current);
  const failures: ExplainModelFailure[] = [];
  source.onLoadFailed((f) => failures.push(f));
  return {
    engine,
    source,
    failures,
    set: (s: ExplainModelSettings) => {
      current = s;
    },
    /** Asks for the explain model and lets the engine finish loading it. */
    async loadNow() {
      const loading = source.ensureLoaded();
      await tick();
      engine.settle();
      return loading;
    },
    completionLoads: () => completionLoads,
  };
}

describe('explain model: the decision', () => {
  const wanted = settings('/instruct.gguf');
  const cases: [string, ExplainModelSettings, Parameters<typeof decideExplainModel>[1], string][] = [
    ['no path: the completion model', settings(''), { loaded: loaded(wanted) }, 'useCompletionModel'],
    ['the wanted model is loaded', wanted, { loaded: loaded(wanted) }, 'useLoaded'],
    ['another model is loaded', wanted, { loaded: loaded(settings('/other.gguf')) }, 'load'],
    ['loaded with another context size', wanted, { loaded: loaded(settings('/instruct.gguf', 2048)) }, 'load'],
    ['it failed with these settings', wanted, { failure: { settings: wanted, error: new Error('bad') } }, 'reportFailure'],
    ['it failed with other settings', wanted, { failure: { settings: settings('/old.gguf'), error: new Error('bad') } }, 'load'],
    ['it is loading', wanted, { loading: wanted }, 'awaitLoading'],
    ['another one is loading', wanted, { loading: settings('/other.gguf') }, 'load'],
    ['nothing yet', wanted, {}, 'load'],
  ];
  for (const [name, want, state, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(decideExplainModel(want, state).kind, expected));
  }
});

describe('explain model: ExplainModelSource (fake engine)', () => {
  it('without tandem.explain.modelPath the completion model explains, and no second model is loaded', async () => {
    const t = setup('');
    const choice = await t.source.ensureLoaded();
    assert.equal(choice.path, '/completion.gguf');
    assert.equal(choice.role, 'completion');
    assert.deepEqual(t.engine.loads, []);
  });

  it('a set path loads on the first Explain (not before), once, shared by concurrent calls', async () => {
    const t = setup('/instruct.gguf');
    t.source.settingsChanged(); // a settings event before any Explain loads nothing
    assert.deepEqual(t.engine.loads, []);
    const a = t.source.ensureLoaded();
    const b = t.source.ensureLoaded();
    await tick();
    assert.deepEqual(t.engine.loads, ['/instruct.gguf']);
    t.engine.settle();
    const [ca, cb] = await Promise.all([a, b]);
    assert.equal(ca.role, 'explain');
    assert.equal(ca.path, '/instruct.gguf');
    assert.equal(cb.path, '/instruct.gguf');
    assert.equal((await t.source.ensureLoaded()).chatTemplate, '<|im_start|>', "the explain model's own chat template");
    assert.deepEqual(t.engine.loads, ['/instruct.gguf'], 'loaded once');
    assert.equal(t.completionLoads(), 0, 'the completion model is not involved');
  });

  it('a failed load is reported once and remembered; another path gets a fresh try', async () => {
    const t = setup('/broken.gguf');
    const first = t.source.ensureLoaded();
    await tick();
    t.engine.settle(Object.assign(new Error('not a GGUF file'), { code: 'MODEL_NOT_GGUF' }));
    await assert.rejects(first, /not a GGUF/);
    await assert.rejects(t.source.ensureLoaded(), /not a GGUF/);
    assert.equal(t.failures.length, 1, 'one notification');
    assert.equal(t.failures[0].settings.path, '/broken.gguf');
    assert.deepEqual(t.engine.loads, ['/broken.gguf'], 'not retried on every Explain');
    t.set(settings('/fixed.gguf'));
    t.source.settingsChanged();
    const next = t.source.ensureLoaded();
    await tick();
    t.engine.settle();
    assert.equal((await next).path, '/fixed.gguf');
    assert.equal(t.completionLoads(), 0);
  });

  it('a cancelled or superseded load is not reported as a failure', async () => {
    const t = setup('/a.gguf');
    const a = t.source.ensureLoaded();
    await tick();
    t.set(settings('/b.gguf'));
    const b = t.source.ensureLoaded(); // the newer setting wins
    await tick();
    t.engine.settle(Object.assign(new Error('Model load was cancelled.'), { code: 'ABORTED' }));
    t.engine.settle();
    await assert.rejects(a, /cancelled/);
    assert.equal((await b).path, '/b.gguf');
    assert.deepEqual(t.failures, []);
  });

  it('clearing the setting frees the explain model; the completion model explains again', async () => {
    const t = setup('/instruct.gguf');
    await t.loadNow();
    t.set(settings(''));
    t.source.settingsChanged();
    assert.equal(t.engine.unloads, 1);
    assert.equal(t.engine.loadedExplainModel, undefined);
    assert.equal((await t.source.ensureLoaded()).role, 'completion');
  });

  it('changing the path (or the context size) while one is loaded reloads at once; no change does nothing', async () => {
    const t = setup('/instruct.gguf');
    await t.loadNow();
    t.source.settingsChanged();
    assert.deepEqual(t.engine.loads, ['/instruct.gguf'], 'same settings: nothing');
    t.set(settings('/bigger.gguf'));
    t.source.settingsChanged();
    assert.deepEqual(t.engine.loads, ['/instruct.gguf', '/bigger.gguf']);
    t.engine.settle();
    await tick();
    assert.equal(t.engine.loadedExplainModel?.params.path, '/bigger.gguf');
    t.set(settings('/bigger.gguf', 2048));
    t.source.settingsChanged();
    assert.equal(t.engine.pendingLoads, 1, 'a new context size reloads too');
    t.engine.settle();
    assert.equal((await t.source.ensureLoaded()).path, '/bigger.gguf');
    assert.equal(t.engine.loadedExplainModel?.params.contextSize, 2048);
  });
});

describe('explain model: the controller uses the model it was given', () => {
  const input = { code: 'a + b', languageId: 'typescript', fileName: 'a.ts', before: '', after: '' };

  for (const role of ['explain', 'completion'] as ModelRole[]) {
    it(`runs on the ${role} model's session and renders that model's chat template`, async () => {
      const completes: CompleteOptions[] = [];
      const rendered: ModelRole[] = [];
      const engine = {
        complete: async (_request: unknown, options: CompleteOptions = {}): Promise<CompletionResult> => {
          completes.push(options);
          return {
            text: 'Adds.',
            tokens: [],
            stats: { promptTokens: 1, reusedTokens: 0, prefillMs: 0, generatedTokens: 1, decodeMs: 0, firstTokenMs: 0, stopReason: 'eog' },
          };
        },
      };
      const controller = new ExplainController(
        {
          engine,
          model: { ensureLoaded: async () => ({ ...info(`/${role}.gguf`, '<|im_start|>'), role }) },
          applyChatTemplate: (messages, r) => {
            rendered.push(r);
            return messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + '<|im_start|>assistant\n';
          },
          renderIntervalMs: 0,
        },
        () => undefined,
      );
      const final = await controller.explain(input, 't');
      assert.equal(final.status, 'done');
      assert.equal(completes[0].session, 'explain');
      assert.equal(completes[0].role, role);
      assert.ok(rendered.length > 0 && rendered.every((r) => r === role), JSON.stringify(rendered));
    });
  }
});
