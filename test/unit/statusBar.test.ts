// The status bar: tooltip with the last request's stats (speculation, device per phase), the
// explain state, and the click menu's actions, through a mocked vscode.
import * as assert from 'node:assert/strict';
import type { EngineState } from '../../extension/engine/client';
import type { CompletionStats, ModelInfo, SpeculationStats } from '../../extension/engine/native';
import type * as StatusBarModule from '../../extension/ui/statusBar';
import type * as StatusMenuModule from '../../extension/ui/statusMenu';
import { describeStats, describeStatus } from '../../extension/ui/statusView';
import { Emitter } from '../../extension/common/emitter';
import { Position, Selection, TextDocument, createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

const spec: SpeculationStats = {
  mode: 'auto', steps: 10, draftedTokens: 40, acceptedTokens: 30, acceptedHistogram: [], meanTreeSize: 4, draftMs: 1, verifyMs: 20,
  sampleMs: 1, budgets: [], corpusDocuments: 3, corpusTokens: 900, corpusBytes: 3000, missingDocuments: [],
};
const stats: CompletionStats = { promptTokens: 120, reusedTokens: 100, prefillMs: 12.4, generatedTokens: 40, decodeMs: 400, firstTokenMs: 30, stopReason: 'stop' };
const model = { name: 'coder', description: 'qwen2 0.5B' } as ModelInfo;
const base = { enabled: true, modelConfigured: true, generating: false, engine: { kind: 'ready', model } as EngineState };

describe('status: tooltip stats', () => {
  it('shows prompt/reused tokens, first token, tokens/s, speculation and devices', () => {
    const text = describeStats('Last completion', { ...stats, speculation: spec });
    assert.match(text, /^Last completion: 120 prompt tokens \(100 reused\), prefill 12 ms, 40 tokens at 100\.0 tokens\/s, first token 30 ms/);
    assert.match(text, /\nSpeculation auto: 40 drafted, 30 accepted \(75%\), 4\.00 tokens\/step/);
    assert.match(text, /\nDevices: prefill CPU, decode CPU$/);
  });

  it('without speculation stats: no speculation line; devices from the stats when present', () => {
    const text = describeStats('Last completion', { ...stats, prefillDevice: 'HTP0', decodeDevice: 'CPU', placement: 'handover',
      handoverMs: 41.6, handoverBytes: 5 * 1048576 });
    assert.doesNotMatch(text, /Speculation/);
    assert.match(text, /Devices: prefill HTP0, decode CPU; KV hand-over 42 ms, 5\.0 MiB$/);
    const none = describeStats('x', { ...stats, speculation: { ...spec, draftedTokens: 0, acceptedTokens: 0, steps: 0 } });
    assert.match(none, /Speculation auto: 0 drafted, 0 accepted\n/);
  });

  it('shows the per-document KV the engine keeps, and what this request restored from it', () => {
    const text = describeStats('Last completion', { ...stats, restoredTokens: 900, documentKv: { documents: 2, bytes: 37 * 1048576, limitBytes: 256 * 1048576, maxDocuments: 3 } });
    assert.match(text, /\nDocument KV: 2 of 3 recent documents kept, 37 of 256 MiB; 900 prompt tokens restored from it$/);
    const off = describeStats('x', { ...stats, documentKv: { documents: 0, bytes: 0, limitBytes: 0, maxDocuments: 3 } });
    assert.doesNotMatch(off, /Document KV/, 'not shown when it is turned off');
  });

  it('the ready tooltip says where the loaded model runs each phase', () => {
    const phase = (device: string, kind: 'cpu' | 'gpu') => ({ device, kind, backend: device === 'CPU' ? 'CPU' : 'CUDA', reason: 'requested' });
    const placed = { ...model, placement: { prefill: phase('CUDA0', 'gpu'), decode: phase('CPU', 'cpu'), strategy: 'op-offload', warnings: [], staticPrefillChunk: 0 } } as ModelInfo;
    const view = describeStatus({ ...base, engine: { kind: 'ready', model: placed } as EngineState });
    assert.match(view.tooltip, /Tandem is ready \(coder; prefill on CUDA0, decode on CPU \(op-offload\)\)/);
    const cpu = { name: 'CPU', description: 'Intel Xeon', type: 'cpu', backend: 'CPU', memoryFreeBytes: 0, memoryTotalBytes: 24 * 1024 ** 3 } as const;
    assert.match(describeStatus({ ...base, devices: [cpu] }).tooltip, /\nDevices: CPU \(Intel Xeon, 24\.0 GiB\)/);
    const single = { ...placed, placement: { ...placed.placement!, prefill: phase('CPU', 'cpu'), strategy: 'single' } } as ModelInfo;
    assert.match(describeStatus({ ...base, engine: { kind: 'ready', model: single } as EngineState }).tooltip, /prefill and decode on CPU \(single\)/);
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

describe('status: bar and menu (mocked vscode)', () => {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let bar: typeof StatusBarModule;
  let menu: typeof StatusMenuModule;

  before(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    bar = requireFresh(require.resolve('../../extension/ui/statusBar'));
    menu = requireFresh(require.resolve('../../extension/ui/statusMenu'));
  });
  after(() => {
    forgetModules(require.resolve('../../extension/ui/statusBar'), require.resolve('../../extension/ui/statusMenu'));
    uninstall();
  });

  it('clicking runs the menu command; completions and explanations update text and tooltip', () => {
    const states = new Emitter<EngineState>();
    const engine = { state: { kind: 'ready', model } as EngineState, onDidChangeState: states.event };
    const settings = { enable: true, model: { path: '/m.gguf', contextSize: 0, threads: 0, device: { prefill: 'auto', decode: 'auto' }, documentCacheMB: 256 } };
    const status = new bar.StatusBar(engine, () => settings, menu.COMMAND_STATUS_MENU);
    const item = mock.statusItems[mock.statusItems.length - 1];
    assert.equal(item.command, 'tandem.showMenu');
    assert.equal(item.text, '$(check) Tandem');
    status.started();
    assert.equal(item.text, '$(sync~spin) Tandem');
    status.finished({ ...stats, speculation: spec });
    assert.match(item.tooltip, /Speculation auto: 40 drafted, 30 accepted \(75%\), 4\.00 tokens\/step\nDevices: prefill CPU, decode CPU/);
    status.explainActivity.started();
    assert.equal(item.text, '$(sync~spin) Tandem');
    status.explainActivity.finished({ ...stats, promptTokens: 77 });
    assert.equal(item.text, '$(check) Tandem');
    assert.match(item.tooltip, /Last explanation: 77 prompt tokens/);
    // a cancelled completion keeps the previous stats
    status.started();
    status.finished({ ...stats, promptTokens: 5, stopReason: 'cancelled' });
    assert.match(item.tooltip, /Last completion: 120 prompt tokens/);
    settings.enable = false;
    states.fire(engine.state);
    assert.equal(item.text, '$(circle-slash) Tandem');
    status.dispose();
  });

  it('the menu offers enable/disable, select model, explain selection, show log', () => {
    const on = menu.statusMenuItems({ enabled: true, hasSelection: false });
    assert.deepEqual(on.map((i) => i.command), ['tandem.toggle', 'tandem.selectModel', 'tandem.explainSelection', 'tandem.showLog']);
    assert.match(on[0].label, /Disable/);
    assert.match(on[2].description ?? '', /select some code/);
    const off = menu.statusMenuItems({ enabled: false, hasSelection: true });
    assert.match(off[0].label, /Enable/);
    assert.equal(off[2].description, undefined);
  });

  it('picking an entry runs its command; dismissing runs nothing', async () => {
    const ran: string[] = [];
    for (const id of ['tandem.toggle', 'tandem.selectModel', 'tandem.showLog', 'tandem.explainSelection']) {
      mock.vscode.commands.registerCommand(id, () => ran.push(id));
    }
    const registration = menu.registerStatusMenu(() => ({ enable: true }));
    const doc = new TextDocument('a\nb\n', 'python', '/w/a.py');
    mock.vscode.window.activeTextEditor = { document: doc, selection: new Selection(new Position(0, 0), new Position(1, 0)) };
    for (const [pattern, expected] of [[/Disable/, 'tandem.toggle'], [/Select Model/, 'tandem.selectModel'], [/Show Log/, 'tandem.showLog'], [/Explain/, 'tandem.explainSelection']] as const) {
      let offered: { label: string; description?: string }[] = [];
      mock.answers.quickPick = (items) => {
        offered = items;
        return items.find((i: { label: string }) => pattern.test(i.label));
      };
      assert.equal(await mock.vscode.commands.executeCommand(menu.COMMAND_STATUS_MENU), expected);
      assert.equal(offered.length, 4);
      assert.equal(offered[2].description, undefined, 'a selection exists');
    }
    assert.deepEqual(ran, ['tandem.toggle', 'tandem.selectModel', 'tandem.showLog', 'tandem.explainSelection']);
    mock.answers.quickPick = () => undefined;
    assert.equal(await mock.vscode.commands.executeCommand(menu.COMMAND_STATUS_MENU), undefined);
    assert.equal(ran.length, 4);
    registration.dispose();
  });
});
