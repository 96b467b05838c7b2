// Disposal frees what it should: RSS stays flat over many load/complete/dispose cycles.
import * as assert from 'node:assert/strict';
import { addon, testModel } from './fixtures';

describe('native addon: resources', function () {
  this.timeout(300_000);

  it('RSS does not grow over 200 load/session/complete/dispose cycles', async () => {
    const file = await testModel();
    const cycle = async () => {
      const model = await addon().loadModel(file);
      const session = await model.createSession({ contextSize: 256, threads: 1 });
      const pieces: string[] = [];
      const r = await session.complete({ prompt: ['function f() {'], maxTokens: 8, onText: (p) => pieces.push(p) });
      assert.equal(pieces.join(''), r.text);
      await session.dispose();
      await model.dispose();
    };
    const gc = (globalThis as any).gc as (() => void) | undefined;
    const settle = async () => {
      for (let i = 0; i < 3; i++) { gc?.(); await new Promise((r) => setTimeout(r, 20)); }
    };
    for (let i = 0; i < 20; i++) await cycle(); // warm-up: allocator pools, thread stacks, JIT
    await settle();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) await cycle();
    await settle();
    const grownMb = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(`      RSS growth over 200 cycles: ${grownMb.toFixed(1)} MB`);
    // A leaked context or weights would be ≥ several MB per cycle (≥ 1 GB in total).
    assert.ok(grownMb < 40, `RSS grew by ${grownMb.toFixed(1)} MB over 200 cycles`);
  });
});
