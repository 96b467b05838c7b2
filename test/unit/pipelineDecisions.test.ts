// Pure decisions of the completion and UI stages.
import * as assert from 'node:assert/strict';
import { SINGLE_LINE_MAX_TOKENS, ghostTextFrom, planCompletion } from '../../extension/completion/completionPlan';
import { EngineError } from '../../extension/engine/errors';
import type { CompletionStats, ModelInfo } from '../../extension/engine/native';
import { describeStatus } from '../../extension/ui/statusView';

const stats: CompletionStats = { promptTokens: 120, reusedTokens: 100, prefillMs: 12.4, generatedTokens: 20, decodeMs: 400, firstTokenMs: 30, stopReason: 'stop' };

describe('completion plan', () => {
  it('mid-line: single line, stop at the newline', () => {
    const plan = planCompletion({ lineSuffix: ')', maxTokens: 256 });
    assert.deepEqual([plan.multiline, plan.stop, plan.maxTokens], [false, ['\n'], SINGLE_LINE_MAX_TOKENS]);
  });
  it('end of line (only whitespace after the cursor): multi-line, bounded by maxTokens', () => {
    const plan = planCompletion({ lineSuffix: '   ', maxTokens: 64 });
    assert.deepEqual([plan.multiline, plan.stop, plan.maxTokens], [true, [], 64]);
    assert.ok(plan.timeBudgetMs > 0);
  });
  it('ghost text drops trailing whitespace and keeps one line for single-line plans', () => {
    assert.equal(ghostTextFrom('foo(bar)\n  \n', planCompletion({ lineSuffix: '', maxTokens: 8 })), 'foo(bar)');
    assert.equal(ghostTextFrom('a\nb', planCompletion({ lineSuffix: 'x', maxTokens: 8 })), 'a');
    assert.equal(ghostTextFrom('  \n', planCompletion({ lineSuffix: '', maxTokens: 8 })), '');
  });
});

describe('status bar view', () => {
  const model = { name: 'coder', description: 'qwen2 0.5B' } as ModelInfo;
  const base = { enabled: true, modelConfigured: true, generating: false };

  it('shows each state', () => {
    assert.equal(describeStatus({ ...base, enabled: false, engine: { kind: 'ready', model } }).kind, 'disabled');
    assert.equal(describeStatus({ ...base, modelConfigured: false, engine: { kind: 'stopped' } }).kind, 'noModel');
    const loading = describeStatus({ ...base, engine: { kind: 'loading', modelPath: '/m.gguf', progress: 0.42 } });
    assert.deepEqual([loading.kind, loading.text], ['loading', '$(loading~spin) Tandem 42%']);
    assert.equal(describeStatus({ ...base, engine: { kind: 'stopped' } }).kind, 'ready');
    assert.equal(describeStatus({ ...base, generating: true, engine: { kind: 'ready', model } }).kind, 'generating');
    const error = describeStatus({ ...base, engine: { kind: 'error', error: new EngineError('file not found', 'MODEL_NOT_FOUND') } });
    assert.equal(error.kind, 'error');
    assert.match(error.tooltip, /file not found/);
  });

  it('a failed model load wins over a ready engine (which may still hold an older model)', () => {
    const view = describeStatus({ ...base, engine: { kind: 'ready', model }, modelError: 'not a GGUF file' });
    assert.equal(view.kind, 'error');
    assert.match(view.tooltip, /could not load the model: not a GGUF file/);
  });

  it('puts the last stats in the tooltip', () => {
    const view = describeStatus({ ...base, engine: { kind: 'ready', model }, lastStats: stats });
    assert.match(view.tooltip, /120 prompt tokens \(100 reused\), prefill 12 ms, 20 tokens at 50\.0 tokens\/s/);
  });
});
