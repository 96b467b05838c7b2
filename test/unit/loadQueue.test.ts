// Model loads in the engine host: per role one after another, the newest wins; a load abandoned
// halfway frees what it allocated.
import * as assert from 'node:assert/strict';
import { LoadQueues, openModel } from '../../extension/engine/loadQueue';
import type { ModelInfo, NativeAddon, NativeCancelFlag, NativeModel, NativeSession } from '../../extension/engine/native';

class Flag implements NativeCancelFlag {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
  }
}

describe('LoadQueues', () => {
  it('runs the loads of a role one after another; a newer load cancels the one before; roles are independent', async () => {
    const loads = new LoadQueues();
    const events: string[] = [];
    let finishFirst!: () => void;
    const first = new Flag();
    const second = new Flag();
    const other = new Flag();
    const a = loads.run(
      'completion',
      first,
      () =>
        new Promise<string>((resolve) => {
          finishFirst = () => resolve('a');
        }),
    );
    const b = loads.run('completion', second, async () => {
      events.push('b');
      return 'b';
    });
    const e = loads.run('explain', other, async () => {
      events.push('e');
      return 'e';
    });
    assert.equal(await e, 'e', 'the explain role does not wait for completion loads');
    assert.deepEqual([first.cancelled, second.cancelled, other.cancelled], [true, false, false]);
    assert.deepEqual(events, ['e']);
    finishFirst();
    assert.deepEqual([await a, await b], ['a', 'b']);
    assert.deepEqual(events, ['e', 'b']);
  });

  it('cancel(role) cancels the load in flight, and nothing once it finished', async () => {
    const loads = new LoadQueues();
    const flag = new Flag();
    await loads.run('explain', flag, async () => undefined);
    loads.cancel('explain');
    assert.equal(flag.cancelled, false);
    const next = new Flag();
    const pending = loads.run('explain', next, () => new Promise((resolve) => setImmediate(resolve)));
    loads.cancel('explain');
    assert.equal(next.cancelled, true);
    await pending;
  });
});

describe('openModel', () => {
  function fakeAddon(log: string[]) {
    const session = {
      dispose: async () => {
        log.push('session disposed');
      },
    } as NativeSession;
    const model = {
      info: () => ({ path: '/m.gguf', contextLength: 2048 }) as ModelInfo,
      createSession: async (options: unknown) => {
        log.push(`session ${JSON.stringify(options)}`);
        return session;
      },
      dispose: async () => {
        log.push('model disposed');
      },
    } as unknown as NativeModel;
    return {
      loadModel: async (path: string) => {
        log.push(`load ${path}`);
        return model;
      },
    } as unknown as NativeAddon;
  }

  it('loads the model and creates its first session with options from its info', async () => {
    const log: string[] = [];
    const opened = await openModel(
      fakeAddon(log),
      { path: '/m.gguf' },
      {
        cancel: new Flag(),
        abandoned: () => false,
        onProgress: () => undefined,
        sessionOptions: (info) => ({ contextSize: info.contextLength }),
      },
    );
    assert.equal(opened.info.path, '/m.gguf');
    assert.deepEqual(log, ['load /m.gguf', 'session {"contextSize":2048}']);
  });

  it('abandoned after the model loaded: frees it and rejects with ABORTED', async () => {
    const log: string[] = [];
    await assert.rejects(
      openModel(
        fakeAddon(log),
        { path: '/m.gguf' },
        {
          cancel: new Flag(),
          abandoned: () => log.length > 0,
          onProgress: () => undefined,
          sessionOptions: () => ({}),
        },
      ),
      (err: unknown) => (err as { code?: string }).code === 'ABORTED',
    );
    assert.deepEqual(log, ['load /m.gguf', 'model disposed']);
  });

  it('abandoned while the session was created: frees both', async () => {
    const log: string[] = [];
    await assert.rejects(
      openModel(
        fakeAddon(log),
        { path: '/m.gguf' },
        {
          cancel: new Flag(),
          abandoned: () => log.some((l) => l.startsWith('session')),
          onProgress: () => undefined,
          sessionOptions: () => ({}),
        },
      ),
      (err: unknown) => (err as { code?: string }).code === 'ABORTED',
    );
    assert.deepEqual(log, ['load /m.gguf', 'session {}', 'session disposed', 'model disposed']);
  });
});
