// The load-and-remember-failure logic ActiveModel and ExplainModelSource share, over a fake
// engine whose loads settle when the test says so.
import * as assert from 'node:assert/strict';
import type { ModelInfo } from '../../extension/engine/native';
import { LoadFailure, ModelSource, decideModelLoad, loadFailureError } from '../../extension/models/modelSource';

interface Settings {
  path: string;
}
const same = (a: Settings, b: Settings) => a.path === b.path;
const info = (path: string) => ({ path }) as ModelInfo;
const tick = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  let loaded: { settings: Settings; info: ModelInfo } | undefined;
  const pending: { settings: Settings; resolve(info: ModelInfo): void; reject(err: Error): void }[] = [];
  const source = new ModelSource<Settings>({
    same,
    loaded: () => loaded,
    load: (settings) => new Promise((resolve, reject) => pending.push({ settings, resolve, reject })),
  });
  const failures: LoadFailure<Settings>[] = [];
  const successes: string[] = [];
  source.onLoadFailed((f) => failures.push(f));
  source.onLoaded((l) => successes.push(l.settings.path));
  const settle = (error?: Error) => {
    const load = pending.shift()!;
    if (error) return load.reject(error);
    loaded = { settings: load.settings, info: info(load.settings.path) };
    load.resolve(loaded.info);
  };
  return {
    source,
    pending,
    failures,
    successes,
    settle,
    setLoaded: (s?: Settings) => {
      loaded = s && { settings: s, info: info(s.path) };
    },
  };
}

describe('model source: the decision', () => {
  const wanted = { path: '/a' };
  const failure = { settings: wanted, error: new Error('bad') };
  const cases: [string, Parameters<typeof decideModelLoad<Settings>>[1], string][] = [
    ['nothing yet', {}, 'load'],
    ['loaded', { loaded: { settings: wanted, info: info('/a') } }, 'useLoaded'],
    ['another one loaded', { loaded: { settings: { path: '/b' }, info: info('/b') } }, 'load'],
    ['failed with these settings', { failure }, 'reportFailure'],
    ['loaded, but failed its check', { loaded: { settings: wanted, info: info('/a') }, failure }, 'reportFailure'],
    [
      'another one failed; this one is loaded',
      { loaded: { settings: wanted, info: info('/a') }, failure: { settings: { path: '/b' }, error: new Error('x') } },
      'useLoaded',
    ],
    ['loading', { loading: wanted }, 'awaitLoading'],
    ['another one loading', { loading: { path: '/b' } }, 'load'],
  ];
  for (const [name, state, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(decideModelLoad(wanted, state, same).kind, expected));
  }
});

describe('ModelSource', () => {
  it('shares a load in flight and uses the loaded model afterwards; each success is reported', async () => {
    const t = setup();
    const a = t.source.ensure({ path: '/a' });
    const b = t.source.ensure({ path: '/a' });
    assert.equal(t.pending.length, 1);
    t.settle();
    assert.equal(await a, await b);
    assert.equal((await t.source.ensure({ path: '/a' })).path, '/a');
    assert.equal(t.source.current({ path: '/a' })?.path, '/a');
    assert.equal(t.source.current({ path: '/b' }), undefined);
    assert.equal(t.pending.length, 0);
    assert.deepEqual(t.successes, ['/a']);
  });

  it('a failure is reported once and remembered for its settings; other settings or retry() load again', async () => {
    const t = setup();
    const first = t.source.ensure({ path: '/bad' });
    t.settle(new Error('not a GGUF file'));
    await assert.rejects(first, /not a GGUF/);
    await assert.rejects(t.source.ensure({ path: '/bad' }), /not a GGUF/);
    assert.equal(t.failures.length, 1);
    assert.equal(t.pending.length, 0);
    t.source.settingsChanged({ path: '/bad' });
    await assert.rejects(t.source.ensure({ path: '/bad' }), /not a GGUF/, 'same settings: still failed');
    t.source.retry();
    void t.source.ensure({ path: '/bad' }).catch(() => undefined);
    assert.equal(t.pending.length, 1);
    t.settle(new Error('still bad'));
    await tick();
    t.source.settingsChanged({ path: '/good' });
    void t.source.ensure({ path: '/good' });
    assert.deepEqual(
      t.pending.map((p) => p.settings.path),
      ['/good'],
    );
  });

  it('a cancelled or superseded load is not a failure', async () => {
    const t = setup();
    const a = t.source.ensure({ path: '/a' });
    const b = t.source.ensure({ path: '/b' });
    t.settle(new Error('real failure, but superseded'));
    t.settle();
    await assert.rejects(a);
    assert.equal((await b).path, '/b');
    const c = t.source.ensure({ path: '/c' });
    t.settle(Object.assign(new Error('Model load was cancelled.'), { code: 'ABORTED' }));
    await assert.rejects(c);
    const d = t.source.ensure({ path: '/d' });
    t.source.abandonLoading();
    t.settle(new Error('freed'));
    await assert.rejects(d);
    assert.deepEqual(t.failures, []);
  });

  it('fail() remembers a failure from elsewhere (the engine gave up on the model)', async () => {
    const t = setup();
    t.setLoaded({ path: '/a' });
    t.source.fail({ path: '/a' }, new Error('crashed 3 times'));
    await assert.rejects(t.source.ensure({ path: '/a' }), /crashed 3 times/);
    assert.equal(t.source.current({ path: '/a' }), undefined);
    assert.equal(t.failures.length, 1);
  });

  it('loads a snapshot of the settings (the caller may change its object later)', () => {
    const t = setup();
    const wanted = { path: '/a' };
    void t.source.ensure(wanted);
    wanted.path = '/changed';
    assert.equal(t.source.loadingSettings?.path, '/a');
  });

  it("loadFailureError: cancellations and a shut-down engine are nobody's failure", () => {
    assert.equal(loadFailureError(Object.assign(new Error('x'), { code: 'ABORTED' })), undefined);
    assert.equal(loadFailureError(Object.assign(new Error('x'), { code: 'ENGINE_STOPPED' })), undefined);
    assert.equal(loadFailureError(Object.assign(new Error('crash'), { code: 'ENGINE_CRASHED' }))?.message, 'crash');
    assert.equal(loadFailureError('text')?.message, 'text');
  });
});
