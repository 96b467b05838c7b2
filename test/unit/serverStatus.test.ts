// The status bar while completions go to a llama-server (ui/statusView.ts): the engine kind and
// host in the text, one clear state per failure, the server's stats in the tooltip — and the local
// engine's states (no model path, a model error) do not apply.
import * as assert from 'node:assert/strict';
import type { EngineState } from '../../extension/engine/client';
import { statsFromFinal } from '../../extension/engine/server/serverStats';
import { describeStatus } from '../../extension/ui/statusView';

const local = { enabled: true, modelConfigured: false, generating: false, engine: { kind: 'stopped' } as EngineState };
const host = 'gpu-box.local:8012';

describe('status: server engine kind', () => {
  it('shows the host and that it is a server, whatever the local model setting says', () => {
    const idle = describeStatus({ ...local, server: { host, state: 'idle' } });
    assert.deepEqual([idle.kind, idle.text], ['ready', `$(cloud) Tandem: ${host}`]);
    assert.match(idle.tooltip, /llama-server at gpu-box\.local:8012; it connects on the first completion/);
    const ready = describeStatus({
      ...local,
      modelError: 'a local model error',
      server: { host, state: 'ready', model: 'qwen.gguf', slots: 4 },
    });
    assert.equal(ready.kind, 'ready');
    assert.match(ready.tooltip, /Tandem completes through llama-server at gpu-box\.local:8012 \(qwen\.gguf, 4 slots\)/);
    assert.equal(describeStatus({ ...local, server: { host, state: 'connecting' } }).text, `$(loading~spin) Tandem: ${host}`);
    assert.equal(describeStatus({ ...local, generating: true, server: { host, state: 'ready' } }).text, `$(sync~spin) Tandem: ${host}`);
  });

  it('one clear state for each failure: down, declined, a URL it must not use', () => {
    const down = describeStatus({
      ...local,
      server: { host, state: 'error', error: `Cannot reach the server at ${host}: connection refused` },
    });
    assert.deepEqual([down.kind, down.text], ['error', `$(error) Tandem: ${host}`]);
    assert.match(down.tooltip, /fails: Cannot reach the server at gpu-box\.local:8012: connection refused/);
    const declined = describeStatus({ ...local, server: { host, state: 'declined' } });
    assert.equal(declined.kind, 'disabled');
    assert.match(declined.tooltip, /Sending code to gpu-box\.local:8012 was declined.*Restart Engine/);
    const config = describeStatus({ ...local, server: { host: 'http://8.8.8.8', state: 'config', error: 'use https://8.8.8.8' } });
    assert.deepEqual([config.kind, config.text], ['error', '$(error) Tandem (server)']);
    assert.match(config.tooltip, /cannot use the server: use https/);
    assert.equal(describeStatus({ ...local, enabled: false, server: { host, state: 'ready' } }).kind, 'disabled');
  });

  it("puts the server's figures in the tooltip: prompt, cached, timings, drafted/accepted", () => {
    const stats = statsFromFinal(
      {
        stop: true,
        stop_type: 'eos',
        tokens_evaluated: 1200,
        timings: { cache_n: 1180, prompt_n: 20, prompt_ms: 15.2, predicted_n: 30, predicted_ms: 150, draft_n: 24, draft_n_accepted: 18 },
      },
      { promptTokens: 1200, maxTokens: 64, firstTokenMs: 41, where: `llama-server at ${host}`, speculation: 'ngram-mod' },
    );
    const view = describeStatus({ ...local, lastStats: stats, server: { host, state: 'ready' } });
    assert.match(
      view.tooltip,
      /Last completion: 1200 prompt tokens \(1180 reused\), prefill 15 ms, 30 tokens at 200\.0 tokens\/s, first token 41 ms, stop: eog/,
    );
    assert.match(view.tooltip, /Speculation ngram-mod: 24 drafted, 18 accepted \(75%\)/);
    assert.match(view.tooltip, /Devices: prefill llama-server at gpu-box\.local:8012, decode llama-server at gpu-box\.local:8012/);
  });
});
