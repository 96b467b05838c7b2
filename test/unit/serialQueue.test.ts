import * as assert from 'node:assert/strict';
import { SerialQueue } from '../../extension/engine/serialQueue';

describe('SerialQueue', () => {
  it('runs tasks one at a time in the order queued; a failure does not block the queue', async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const a = queue.run(task('a'));
    const b = queue.run(task('b', true));
    const c = queue.run(task('c'));
    assert.equal(await a, 'a');
    await assert.rejects(b, /b/);
    assert.equal(await c, 'c');
    assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('the first task waits for `after`, whatever its outcome', async () => {
    let fail!: (err: Error) => void;
    const after = new Promise((_resolve, reject) => {
      fail = reject;
    });
    const queue = new SerialQueue(after);
    let ran = false;
    const result = queue.run(async () => {
      ran = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ran, false);
    fail(new Error('session creation failed'));
    await result;
    assert.equal(ran, true);
  });

  it('settled() waits for everything queued so far, failures included', async () => {
    const queue = new SerialQueue();
    let release!: () => void;
    void queue.run(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    void queue
      .run(async () => {
        throw new Error('x');
      })
      .catch(() => undefined);
    let settled = false;
    const done = queue.settled().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    release();
    await done;
    assert.equal(settled, true);
  });
});
