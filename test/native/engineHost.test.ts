// The real engine host process with the real addon and a generated model, driven through
// EngineClient: loading, streaming, cancellation, crash recovery and cleanup.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildFimPrompt } from '../../extension/context/fimPrompt';
import { EngineClient } from '../../extension/engine/client';
import { EngineCrashedError, EngineError } from '../../extension/engine/errors';
import type { ModelInfo, PromptPart } from '../../extension/engine/native';
import { repoRoot, scratchDir, testModel } from './fixtures';
import { isAlive } from '../support/processes';

const hostScript = path.join(repoRoot, 'out', 'test-build', 'extension', 'engine', 'host.js');

const PREFIX = 'function add(a, b) {\n  return a + b;\n}\n\nfunction mul(a, b) {\n  return ';
const SUFFIX = ';\n}\n';


async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('engine host process (real addon)', function () {
  this.timeout(120_000);
  let modelPath: string;
  let client: EngineClient;
  let info: ModelInfo;
  let prompt: PromptPart[];
  const log: string[] = [];

  before(async function () {
    modelPath = await testModel();
    client = new EngineClient({ hostScript, backoff: { initialMs: 100 }, log: (line) => log.push(line), logLevel: 'error' });
  });
  after(async () => {
    await client?.disposeAsync();
  });

  it('loads the model with progress and reports its info', async () => {
    const progress: number[] = [];
    info = await client.loadModel(modelPath, { contextSize: 1024, onProgress: (f) => progress.push(f) });
    assert.equal(info.path, modelPath);
    assert.ok(progress.length > 0, 'no progress reported');
    assert.equal(client.state.kind, 'ready');
    prompt = buildFimPrompt(info, { prefix: PREFIX, suffix: SUFFIX });
  });

  it('streams completion text that adds up to the final text', async () => {
    const pieces: string[] = [];
    const result = await client.complete({ prompt, maxTokens: 16 }, { onText: (t) => pieces.push(t) });
    assert.equal(pieces.join(''), result.text);
    assert.ok(result.stats.generatedTokens > 0);
    assert.ok(result.stats.promptTokens > 0);
    // the same prompt again reuses the cached prefix
    const again = await client.complete({ prompt, maxTokens: 16 });
    assert.equal(again.text, result.text, 'greedy decoding is deterministic');
    assert.ok(again.stats.reusedTokens > 0, JSON.stringify(again.stats));
  });

  it('runs the explain session beside the completion session, each with its own KV cache', async () => {
    const completion = await client.complete({ prompt, maxTokens: 8 });
    const [explain, again] = await Promise.all([
      client.complete({ prompt, maxTokens: 8 }, { session: 'explain' }),
      client.complete({ prompt, maxTokens: 8 }),
    ]);
    assert.equal(explain.text, completion.text, 'same model, same prompt, same greedy text');
    assert.equal(explain.stats.reusedTokens, 0, 'a new session starts cold');
    assert.ok(again.stats.reusedTokens > 0, 'the completion session kept its cache');
  });

  it('a lone surrogate in a draft document or the prompt costs a character, not every request (INVALID_UTF8)', async () => {
    const broken = { id: 'tandem:clipboard', version: 1, source: 'clipboard' as const, text: 'const s = "\uD83D"; // half an emoji\n' };
    const result = await client.complete({ prompt: [...prompt.slice(0, -1), 'x = "\uDE00"', prompt[prompt.length - 1]], maxTokens: 4, documents: [broken] });
    assert.ok(result.stats.promptTokens > 0);
    const next = await client.complete({ prompt, maxTokens: 4, documents: [broken] });
    assert.ok(next.stats.generatedTokens > 0, 'and the next one too');
  });

  it('a 50 MB draft document costs the host only what the engine reads of it (1 MiB)', async function () {
    if (process.platform !== 'linux') this.skip(); // reads /proc
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${client.pid}/status`, 'utf8'))![1]) * 1024;
    await client.complete({ prompt, maxTokens: 1, documents: [] });
    const before = rss();
    const huge = { id: 'huge.txt', version: 1, source: 'otherFile' as const, text: 'const x = 1;\n'.repeat(4_000_000) }; // 52 MB
    const sent = client.documentBytesSent;
    await client.complete({ prompt, maxTokens: 1, documents: [huge] });
    assert.ok(client.documentBytesSent - sent <= 1 << 20, `${client.documentBytesSent - sent} characters crossed to the host`);
    await client.complete({ prompt, maxTokens: 1, documents: [] });
    const grown = rss() - before;
    assert.ok(grown < 48 * 1024 * 1024, `the host grew by ${(grown / 1048576).toFixed(0)} MB`);
  });

  it('tokenizes and lists devices through the host', async () => {
    assert.ok((await client.tokenize('function add')).length > 0);
    assert.ok((await client.devices()).some((d) => d.type === 'cpu'));
  });

  it('an AbortSignal ends a long request quickly with stopReason cancelled', async () => {
    const controller = new AbortController();
    let pieces = 0;
    let abortedAt = 0;
    const result = await client.complete({ prompt, maxTokens: 900 }, {
      signal: controller.signal,
      onText: () => {
        if (++pieces === 3) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    assert.equal(result.stats.stopReason, 'cancelled', `stopped by ${result.stats.stopReason} after ${result.stats.generatedTokens} tokens`);
    assert.ok(result.stats.generatedTokens < 900, `${result.stats.generatedTokens} tokens, ${Date.now() - abortedAt} ms after abort`);
  });

  it('rejects bad model files with the addon code and keeps the loaded model', async () => {
    await assert.rejects(client.loadModel(path.join(scratchDir('engine-host'), 'missing.gguf')), (err: unknown) =>
      err instanceof EngineError && err.code === 'MODEL_NOT_FOUND');
    const notGguf = path.join(scratchDir('engine-host'), 'not-a-model.gguf');
    fs.writeFileSync(notGguf, 'this is not a GGUF file, just text that is long enough to have a header\n'.repeat(4));
    await assert.rejects(client.loadModel(notGguf), (err: unknown) => err instanceof EngineError && err.code === 'MODEL_NOT_GGUF');
    // the host kept the previous model
    assert.equal((await client.modelInfo())?.path, modelPath);
    assert.ok((await client.complete({ prompt, maxTokens: 2 })).stats.generatedTokens > 0);
  });

  it('kill -9 mid-request: the request rejects quickly, the host restarts, the next request succeeds', async () => {
    // bring back the model as "wanted" (the failed loads above left the client in error state)
    await client.loadModel(modelPath, { contextSize: 1024 });
    const firstPid = client.pid!;
    let killedAt = 0;
    const doomed = client.complete({ prompt, maxTokens: 900 }, {
      onText: () => {
        if (!killedAt) {
          killedAt = Date.now();
          process.kill(firstPid, 'SIGKILL');
        }
      },
    });
    await assert.rejects(doomed, (err: unknown) => {
      assert.ok(err instanceof EngineCrashedError, String(err));
      assert.match(err.message, /exited with signal SIGKILL; it is restarting/);
      return true;
    });
    assert.ok(Date.now() - killedAt < 2000, `rejected ${Date.now() - killedAt} ms after the kill`);
    const next = await client.complete({ prompt, maxTokens: 4 });
    assert.ok(next.stats.generatedTokens > 0);
    assert.notEqual(client.pid, firstPid);
    assert.equal((await client.modelInfo())?.path, modelPath, 'the model was reloaded');
    assert.equal(isAlive(firstPid), false);
  });

  it('dispose ends the host process (no orphan)', async () => {
    const pid = client.pid!;
    assert.ok(isAlive(pid));
    await client.disposeAsync();
    await waitUntil(() => !isAlive(pid), 5000);
    assert.equal(client.state.kind, 'disposed');
  });
});
