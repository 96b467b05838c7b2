// Prompt budgets (promptBudget.ts): the settings' budgets fitted to the engine's context, and a cold
// prompt's budgets cut to what the measured prefill speed reads within the time target.
import * as assert from 'node:assert/strict';
import { ASSUMED_TOKENS_PER_MS, PrefillRate, coldBudgets, fitToContext } from '../../extension/context/promptBudget';
import { middleTokensFor } from '../../extension/context/promptAnchor';

describe('prompt budgets fitted to the context', () => {
  const budgets = { prefixTokens: 1024, suffixTokens: 256, contextTokens: 512, promptLayout: 'classic' as const, other: 'kept' };

  it('leaves budgets that fit alone, and an unknown context size', () => {
    assert.equal(fitToContext(budgets, 4096, 64), budgets);
    assert.equal(fitToContext(budgets, 0, 64), budgets);
  });

  it('scales them down in proportion so prompt + generated tokens fit, with a margin', () => {
    const fitted = fitToContext(budgets, 1024, 64);
    const available = Math.floor(1024 * 0.9) - 64 - 16;
    assert.ok(fitted.prefixTokens + fitted.suffixTokens + fitted.contextTokens <= available);
    assert.ok(fitted.prefixTokens > fitted.contextTokens && fitted.contextTokens > fitted.suffixTokens, 'in proportion');
    assert.equal(fitted.other, 'kept', 'other settings pass through');
    // the anchored layout also leaves room for the written middle
    const anchored = fitToContext({ ...budgets, promptLayout: 'anchored' as const }, 1024, 64);
    assert.ok(anchored.prefixTokens + anchored.suffixTokens + anchored.contextTokens <= available - middleTokensFor(budgets.prefixTokens));
    assert.ok(anchored.prefixTokens < fitted.prefixTokens);
  });

  it('keeps at least 32 tokens of prefix', () => {
    const squeezed = fitToContext({ ...budgets, prefixTokens: 64, suffixTokens: 16384, contextTokens: 16384 }, 256, 200);
    assert.equal(squeezed.prefixTokens, 32);
    assert.ok(squeezed.suffixTokens + squeezed.contextTokens <= 128);
  });
});

describe('cold prompt budgets', () => {
  const full = { prefixTokens: 1024, suffixTokens: 256, contextTokens: 512, middleTokens: 256 };

  it('scales the budgets down to what the measured speed prefills within the target', () => {
    const cut = coldBudgets(full, 0.2, 1000); // 200 tokens in a second
    assert.ok(cut.prefixTokens + cut.suffixTokens + cut.contextTokens <= 200);
    assert.ok(cut.prefixTokens > cut.suffixTokens && cut.suffixTokens > 0, 'in proportion');
    assert.equal(cut.middleTokens, full.middleTokens);
    assert.deepEqual(coldBudgets(full, 10, 1000), full, 'a fast device gets the full budgets');
    assert.deepEqual(coldBudgets(full, 0.01, 0), full, 'target 0: no cut');
    const assumed = coldBudgets(full, undefined, 1000);
    assert.ok(assumed.prefixTokens + assumed.suffixTokens + assumed.contextTokens <= ASSUMED_TOKENS_PER_MS * 1000);
  });

  it('measures the prefill speed from big enough samples, fading old ones, per model', () => {
    const rate = new PrefillRate();
    assert.equal(rate.tokensPerMs(), undefined);
    rate.observe('a', 8, 100); // too few tokens to say anything
    assert.equal(rate.tokensPerMs(), undefined);
    rate.observe('a', 100, 1000);
    assert.equal(rate.tokensPerMs(), 0.1);
    rate.observe('a', 1000, 1000);
    assert.ok(rate.tokensPerMs()! > 0.5, 'recent samples weigh more');
    rate.observe('b', 50, 1000);
    assert.equal(rate.tokensPerMs(), 0.05, 'a new model starts over');
  });
});
