// The device setting through the real engine host (EngineClient → host → addon): a GPU asked for
// on a machine without one falls back to the CPU with a warning, a device name that does not exist
// is a clear load error, and the stats say where each phase ran.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildFimPrompt } from '../../extension/context/fimPrompt';
import { EngineClient } from '../../extension/engine/client';
import { repoRoot, testModel } from './fixtures';

const hostScript = path.join(repoRoot, 'out', 'test-build', 'extension', 'engine', 'host.js');

describe('engine host: device placement (real addon)', function () {
  this.timeout(120_000);
  let modelPath: string;
  let client: EngineClient;

  before(async () => {
    modelPath = await testModel();
    client = new EngineClient({ hostScript, backoff: { initialMs: 100 }, logLevel: 'error' });
  });
  after(async () => {
    await client?.disposeAsync();
  });

  it('a missing gpu falls back to the CPU with a warning; completions report the devices', async function () {
    const devices = await client.devices();
    if (devices.some((d) => d.kind === 'gpu' || d.type === 'gpu')) this.skip(); // the fallback needs a machine without a GPU
    const info = await client.loadModel(modelPath, { contextSize: 512, device: { prefill: 'gpu', decode: 'cpu' } });
    assert.ok(info.placement, 'ModelInfo.placement is missing');
    assert.equal(info.placement.prefill.device, 'CPU');
    assert.equal(info.placement.decode.device, 'CPU');
    assert.equal(info.placement.warnings.length, 1, info.placement.warnings.join('\n'));
    assert.match(info.placement.warnings[0], /gpu/i);
    const result = await client.complete({ prompt: buildFimPrompt(info, { prefix: 'let x = ', suffix: ';\n' }), maxTokens: 4 });
    assert.equal(result.stats.prefillDevice, 'CPU');
    assert.equal(result.stats.decodeDevice, 'CPU');
  });

  it('an unknown device name rejects the load with the devices there are, and the engine stays usable', async () => {
    await assert.rejects(client.loadModel(modelPath, { contextSize: 512, device: 'NOSUCH0' }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.match(err.message, /NOSUCH0/);
        assert.match(err.message, /CPU/);
        return true;
      });
    const info = await client.loadModel(modelPath, { contextSize: 512, device: 'cpu' });
    assert.deepEqual(info.placement?.warnings, []);
  });
});
