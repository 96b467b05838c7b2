import * as assert from 'node:assert/strict';
import { CrashStreak, MAX_MODEL_CRASHES, RestartBackoff } from '../../extension/engine/restartBackoff';

describe('RestartBackoff', () => {
  it('doubles from 250 ms to a 10 s ceiling while the process keeps dying young', () => {
    const backoff = new RestartBackoff();
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 8; i++) {
      backoff.started(now);
      now += 100;
      const delay = backoff.crashed(now);
      delays.push(delay);
      now += delay;
    }
    assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('starts over after a healthy period', () => {
    const backoff = new RestartBackoff({ initialMs: 100, maxMs: 1000, healthyAfterMs: 5000 });
    backoff.started(0);
    assert.equal(backoff.crashed(10), 100);
    backoff.started(110);
    assert.equal(backoff.crashed(120), 200);
    backoff.started(320);
    assert.equal(backoff.crashed(320 + 5000), 100); // lived 5 s: healthy
    assert.equal(backoff.crashes, 1);
  });

  it('reset() forgets past crashes', () => {
    const backoff = new RestartBackoff({ initialMs: 10 });
    backoff.crashed(0);
    backoff.crashed(0);
    backoff.reset();
    assert.equal(backoff.crashed(0), 10);
  });
});

describe('CrashStreak', () => {
  it(`gives a model up after ${MAX_MODEL_CRASHES} crashes in a row with it, then starts over`, () => {
    const streak = new CrashStreak();
    const verdicts = Array.from({ length: MAX_MODEL_CRASHES }, () => streak.crashed('/a.gguf', false));
    assert.deepEqual(
      verdicts.map((v) => [v.giveUp, v.streak]),
      [
        [false, 1],
        [false, 2],
        [true, 3],
      ],
    );
    assert.deepEqual(streak.crashed('/a.gguf', false), { giveUp: false, streak: 1 });
  });

  it('a completion finishing, another model, or reset() breaks the streak', () => {
    const streak = new CrashStreak();
    streak.crashed('/a.gguf', false);
    streak.crashed('/a.gguf', false);
    streak.modelWorked();
    assert.equal(streak.crashed('/a.gguf', false).streak, 1);
    assert.equal(streak.crashed('/b.gguf', false).streak, 1);
    streak.reset();
    assert.equal(streak.crashed('/b.gguf', false).streak, 1);
  });

  it('a crash while loading gives up at once', () => {
    const streak = new CrashStreak();
    streak.crashed('/a.gguf', false);
    assert.deepEqual(streak.crashed('/a.gguf', true), { giveUp: true, streak: 0 });
    assert.equal(streak.crashed('/a.gguf', false).streak, 1, 'and starts over');
  });
});
