// The completion plan (completionPlan.ts): which plan a cursor gets — single line or multi-line,
// how many tokens, where it stops. `█` marks the cursor.
import * as assert from 'node:assert/strict';
import { SINGLE_LINE_MAX_TOKENS, endsWithBlockOpener, planCompletion } from '../../extension/completion/completionPlan';

import { at } from './support/cursorMarker';

describe('completion plan: single line or multi-line', () => {
  const cases: [string, string, boolean][] = [
    ['mid-line', 'foo(█)', false],
    ['mid-line with spaces after', 'x = █  y', false],
    ['empty line in a block', 'def f():\n    █\n', true],
    ['empty line at top level', '█', true],
    ['end of a line that opens a block ({)', 'function f() {█', true],
    ['end of a line that opens a block (:)', 'if x:█', true],
    ['end of an arrow', 'const f = () =>█', true],
    ['end of a plain statement', 'const x = 1█', false],
    ['end of a call', 'print(x)█', false],
  ];
  for (const [name, doc, multiline] of cases) {
    it(`${name}: ${multiline ? 'multi-line' : 'single line'}`, () => {
      const c = at(doc);
      const plan = planCompletion({ linePrefix: c.linePrefix, lineSuffix: c.lineSuffix, maxTokens: 64 });
      assert.equal(plan.multiline, multiline);
      assert.deepEqual(plan.stop, multiline ? [] : ['\n']);
    });
  }
});

describe('completion plan: limits', () => {
  it('mid-line: single line, stop at the newline', () => {
    const plan = planCompletion({ lineSuffix: ')', maxTokens: 256 });
    assert.deepEqual([plan.multiline, plan.stop, plan.maxTokens], [false, ['\n'], SINGLE_LINE_MAX_TOKENS]);
  });
  it('end of line (only whitespace after the cursor): multi-line, bounded by maxTokens', () => {
    const plan = planCompletion({ lineSuffix: '   ', maxTokens: 64 });
    assert.deepEqual([plan.multiline, plan.stop, plan.maxTokens], [true, [], 64]);
    assert.ok(plan.timeBudgetMs > 0);
  });
});

describe('completion plan: block openers', () => {
  it('a line ending in a bracket, colon, arrow or block keyword opens a block', () => {
    for (const line of ['f() {', 'if x:', 'xs = [', 'const f = () =>', 'fn f() ->', 'if a then', 'while x do', 'begin', 'else']) {
      assert.equal(endsWithBlockOpener(line), true, line);
    }
    for (const line of ['f()', 'x = 1', 'done', 'return x', '']) assert.equal(endsWithBlockOpener(line), false, line);
  });
});
