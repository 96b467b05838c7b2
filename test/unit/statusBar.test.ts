// The status bar (statusBar.ts) through a mocked vscode: its item's text and tooltip follow the
// engine, completions and explanations; clicking it runs the menu command.
import * as assert from 'node:assert/strict';
import type { EngineState } from '../../extension/engine/client';
import { model, spec, stats } from './support/statusFixtures';
import type * as StatusBarModule from '../../extension/ui/statusBar';
import { Emitter } from '../../extension/common/emitter';
import { createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

describe('status bar (mocked vscode)', () => {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let bar: typeof StatusBarModule;

  before(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    bar = requireFresh(require.resolve('../../extension/ui/statusBar'));
  });
  after(() => {
    forgetModules(require.resolve('../../extension/ui/statusBar'));
    uninstall();
  });

  it('clicking runs the menu command; completions and explanations update text and tooltip', () => {
    const states = new Emitter<EngineState>();
    const engine = { state: { kind: 'ready', model } as EngineState, onDidChangeState: states.event };
    const settings = {
      enable: true,
      model: { path: '/m.gguf', contextSize: 0, threads: 0, device: { prefill: 'auto', decode: 'auto' }, documentCacheMB: 256 },
    };
    const status = new bar.StatusBar(engine, () => settings, 'tandem.showMenu');
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
});
