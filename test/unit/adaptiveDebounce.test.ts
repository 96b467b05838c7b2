// The adaptive debounce (adaptiveDebounce.ts): the delay follows the typing rhythm within bounds.
import * as assert from 'node:assert/strict';
import { AdaptiveDebounce, delay } from '../../extension/completion/adaptiveDebounce';

describe('adaptive debounce', () => {
  it('follows the typing rhythm within bounds', () => {
    const d = new AdaptiveDebounce({ minMs: 100, maxMs: 350, initialMs: 150, pauseMs: 1500, window: 8, factor: 1.3 });
    assert.equal(d.delayMs(), 150);
    let t = 0;
    for (let i = 0; i < 10; i++) d.keystroke((t += 90)); // fast typist
    assert.equal(d.delayMs(), 117);
    for (let i = 0; i < 10; i++) d.keystroke((t += 400)); // slow typist
    assert.equal(d.delayMs(), 350);
    for (let i = 0; i < 10; i++) d.keystroke((t += 30));
    assert.equal(d.delayMs(), 100);
    d.keystroke((t += 10_000)); // a pause is not rhythm
    assert.equal(d.delayMs(), 100);
  });

  it('delay() clears its timer when aborted', async () => {
    const abort = new AbortController();
    const waiting = delay(10_000, abort.signal);
    abort.abort();
    assert.equal(await waiting, false);
    assert.equal(await delay(1, new AbortController().signal), true);
  });
});
