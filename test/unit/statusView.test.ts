// The status view (statusView.ts, no vscode): what the status bar shows in each state, and the
// tooltip with the last request's stats (speculation, device per phase, document KV).
import * as assert from 'node:assert/strict';
import type { EngineState } from '../../extension/engine/client';
import { EngineError } from '../../extension/engine/errors';
import type { CompletionStats, ModelInfo } from '../../extension/engine/native';
import { model, spec, stats } from './support/statusFixtures';
import { describeStats, describeStatus } from '../../extension/ui/statusView';

const base = { enabled: true, modelConfigured: true, generating: false, engine: { kind: 'ready', model } as EngineState };

describe('status: states', () => {
  const state = { enabled: true, modelConfigured: true, generating: false };
  const stats20: CompletionStats = { ...stats, generatedTokens: 20 };

  it('shows each state', () => {
    assert.equal(describeStatus({ ...state, enabled: false, engine: { kind: 'ready', model } }).kind, 'disabled');
    assert.equal(describeStatus({ ...state, modelConfigured: false, engine: { kind: 'stopped' } }).kind, 'noModel');
    const loading = describeStatus({ ...state, engine: { kind: 'loading', modelPath: '/m.gguf', progress: 0.42 } });
    assert.deepEqual([loading.kind, loading.text], ['loading', '$(loading~spin) Tandem 42%']);
    assert.equal(describeStatus({ ...state, engine: { kind: 'stopped' } }).kind, 'ready');
    assert.equal(describeStatus({ ...state, generating: true, engine: { kind: 'ready', model } }).kind, 'generating');
    const error = describeStatus({ ...state, engine: { kind: 'error', error: new EngineError('file not found', 'MODEL_NOT_FOUND') } });
    assert.equal(error.kind, 'error');
    assert.match(error.tooltip, /file not found/);
  });

  it('says when a battery mode is in effect, and that Alt+\\ still completes when paused', () => {
    assert.equal(describeStatus({ ...base, battery: 'normal' }).text, '$(check) Tandem');
    const reduced = describeStatus({ ...base, battery: 'reduced' });
    assert.equal(reduced.text, '$(check) Tandem (battery)');
    assert.match(reduced.tooltip, /saving power .*onBattery = reduced/);
    const paused = describeStatus({ ...base, battery: 'paused' });
    assert.equal(paused.text, '$(debug-pause) Tandem (battery)');
    assert.match(paused.tooltip, /paused .*Alt\+\\ completes on request/);
    assert.match(describeStatus({ ...base, generating: true, battery: 'reduced' }).text, /sync~spin\) Tandem \(battery\)/);
    assert.match(describeStatus({ ...base, enabled: false }).tooltip, /Alt\+\\ .*still completes on request/);
  });

  it('a failed model load wins over a ready engine (which may still hold an older model)', () => {
    const view = describeStatus({ ...state, engine: { kind: 'ready', model }, modelError: 'not a GGUF file' });
    assert.equal(view.kind, 'error');
    assert.match(view.tooltip, /could not load the model: not a GGUF file/);
  });

  it('puts the last stats in the tooltip', () => {
    const view = describeStatus({ ...state, engine: { kind: 'ready', model }, lastStats: stats20 });
    assert.match(view.tooltip, /120 prompt tokens \(100 reused\), prefill 12 ms, 20 tokens at 50\.0 tokens\/s/);
  });
});

describe('status: tooltip stats', () => {
  it('shows prompt/reused tokens, first token, tokens/s, speculation and devices', () => {
    const text = describeStats('Last completion', { ...stats, speculation: spec });
    assert.match(
      text,
      /^Last completion: 120 prompt tokens \(100 reused\), prefill 12 ms, 40 tokens at 100\.0 tokens\/s, first token 30 ms/,
    );
    assert.match(text, /\nSpeculation auto: 40 drafted, 30 accepted \(75%\), 4\.00 tokens\/step/);
    assert.match(text, /\nDevices: prefill CPU, decode CPU$/);
  });

  it('without speculation stats: no speculation line; devices from the stats when present', () => {
    const text = describeStats('Last completion', {
      ...stats,
      prefillDevice: 'HTP0',
      decodeDevice: 'CPU',
      placement: 'handover',
      handoverMs: 41.6,
      handoverBytes: 5 * 1048576,
    });
    assert.doesNotMatch(text, /Speculation/);
    assert.match(text, /Devices: prefill HTP0, decode CPU; KV hand-over 42 ms, 5\.0 MiB$/);
    const none = describeStats('x', { ...stats, speculation: { ...spec, draftedTokens: 0, acceptedTokens: 0, steps: 0 } });
    assert.match(none, /Speculation auto: 0 drafted, 0 accepted\n/);
  });

  it('shows the per-document KV the engine keeps, and what this request restored from it', () => {
    const text = describeStats('Last completion', {
      ...stats,
      restoredTokens: 900,
      documentKv: { documents: 2, bytes: 37 * 1048576, limitBytes: 256 * 1048576, maxDocuments: 3 },
    });
    assert.match(text, /\nDocument KV: 2 of 3 recent documents kept, 37 of 256 MiB; 900 prompt tokens restored from it$/);
    const off = describeStats('x', { ...stats, documentKv: { documents: 0, bytes: 0, limitBytes: 0, maxDocuments: 3 } });
    assert.doesNotMatch(off, /Document KV/, 'not shown when it is turned off');
  });

  it('the ready tooltip says where the loaded model runs each phase', () => {
    const phase = (device: string, kind: 'cpu' | 'gpu') => ({
      device,
      kind,
      backend: device === 'CPU' ? 'CPU' : 'CUDA',
      reason: 'requested',
    });
    const placed = {
      ...model,
      placement: {
        prefill: phase('CUDA0', 'gpu'),
        decode: phase('CPU', 'cpu'),
        strategy: 'op-offload',
        warnings: [],
        staticPrefillChunk: 0,
      },
    } as ModelInfo;
    const view = describeStatus({ ...base, engine: { kind: 'ready', model: placed } });
    assert.match(view.tooltip, /Tandem is ready \(coder; prefill on CUDA0, decode on CPU \(op-offload\)\)/);
    const cpu = {
      name: 'CPU',
      description: 'Intel Xeon',
      type: 'cpu',
      backend: 'CPU',
      memoryFreeBytes: 0,
      memoryTotalBytes: 24 * 1024 ** 3,
    } as const;
    assert.match(describeStatus({ ...base, devices: [cpu] }).tooltip, /\nDevices: CPU \(Intel Xeon, 24\.0 GiB\)/);
    const single = { ...placed, placement: { ...placed.placement!, prefill: phase('CPU', 'cpu'), strategy: 'single' } } as ModelInfo;
    assert.match(describeStatus({ ...base, engine: { kind: 'ready', model: single } }).tooltip, /prefill and decode on CPU \(single\)/);
  });

  it('the status tooltip carries both the last completion and the last explanation', () => {
    const view = describeStatus({ ...base, lastStats: { ...stats, speculation: spec }, lastExplainStats: stats });
    assert.equal(view.kind, 'ready');
    assert.match(view.tooltip, /Last completion: .*\nSpeculation auto: 40 drafted, 30 accepted \(75%\)/);
    assert.match(view.tooltip, /Last explanation: 120 prompt tokens/);
    const explaining = describeStatus({ ...base, explaining: true });
    assert.deepEqual([explaining.kind, explaining.text], ['generating', '$(sync~spin) Tandem']);
    assert.match(explaining.tooltip, /Explaining/);
  });
});
