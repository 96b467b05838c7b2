// A separate explain model (tandem.explain.modelPath) through the real engine host process and
// addon, with two generated models that differ in tokenizer and chat template: a llama model with
// the deepseek-coder vocab (FIM, no chat template) completes, a qwen2 model (ChatML template)
// explains. The explain session is shown to run on the second model by its prompt token count
// (each model's own tokenizer) and by its chat template; a bad explain model path gives one clear
// error while completions go on.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineClient } from '../../extension/engine/client';
import { EngineError } from '../../extension/engine/errors';
import { ExplainController } from '../../extension/explain/explainController';
import { ExplainModelFailure, ExplainModelSource } from '../../extension/explain/explainModel';
import { repoRoot, scratchDir, testModel, vocabPath } from './fixtures';

const hostScript = path.join(repoRoot, 'out', 'test-build', 'extension', 'engine', 'host.js');
const TEXT = 'def add(a, b):\n    return a + b\n\n# Explanation of the code above:\n#';

describe('engine host: a separate explain model (real addon, two models)', function () {
  this.timeout(120_000);
  let completionPath: string;
  let explainPath: string;
  let client: EngineClient;

  before(async function () {
    completionPath = await testModel();
    explainPath = await testModel({ arch: 'qwen2', vocabPath: vocabPath('qwen2'), type: 'q8_0' });
    client = new EngineClient({ hostScript, backoff: { initialMs: 100 }, logLevel: 'error' });
    await client.loadModel(completionPath, { contextSize: 512 });
  });
  after(async () => {
    await client?.disposeAsync();
  });

  it('loads beside the completion model; the explain session runs on it', async () => {
    const completionTokens = (await client.tokenize(TEXT)).length;
    const explainInfo = await client.loadExplainModel(explainPath, { contextSize: 512 });
    assert.equal(explainInfo.path, explainPath);
    assert.equal((await client.modelInfo('explain'))?.path, explainPath);
    assert.equal((await client.modelInfo())?.path, completionPath, 'the completion model stays');
    assert.equal(client.state.kind, 'ready');
    const explainTokens = (await client.tokenize(TEXT, { role: 'explain' })).length;
    assert.notEqual(explainTokens, completionTokens, 'the two tokenizers differ on this text (else the test proves nothing)');

    const onExplain = await client.complete({ prompt: [TEXT], maxTokens: 4 }, { session: 'explain', role: 'explain' });
    assert.equal(onExplain.stats.promptTokens, explainTokens, 'prompt tokenized by the explain model');
    assert.ok(onExplain.stats.generatedTokens > 0);
    const onCompletion = await client.complete({ prompt: [TEXT], maxTokens: 4 });
    assert.equal(onCompletion.stats.promptTokens, completionTokens, 'completions still run on the completion model');
  });

  it('an unload asked for while a load is under way wins: the load\'s reply does not mark the model loaded', async () => {
    const loading = client.loadExplainModel(explainPath, { contextSize: 512 });
    await new Promise((resolve) => setImmediate(resolve)); // the load request is on its way to the host
    // Hold this event loop while the host loads (a small model: milliseconds) and replies, so the
    // reply is still unread when the unload is sent: the order in which the bug showed.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
    const unloading = client.unloadExplainModel();
    await loading.catch(() => undefined); // (had the load been slower, the unload cancelled it)
    await unloading;
    assert.equal(client.loadedExplainModel, undefined);
    assert.equal(await client.modelInfo('explain'), null, 'the host freed it');
    await client.loadExplainModel(explainPath, { contextSize: 512 }); // the next test's state
  });

  it('renders the explain model\'s chat template; the completion model has none', async () => {
    const rendered = await client.applyChatTemplate([{ role: 'user', content: 'hi' }], { role: 'explain' });
    assert.match(rendered, /<\|im_start\|>user\nhi<\|im_end\|>/);
    await assert.rejects(client.applyChatTemplate([{ role: 'user', content: 'hi' }]),
      (err: unknown) => err instanceof EngineError && err.code === 'INVALID_ARGUMENT');
  });

  it('Explain Selection end to end: ExplainModelSource picks the explain model and a chat prompt runs on it', async () => {
    let setting = explainPath;
    const source = new ExplainModelSource(client, { ensureLoaded: () => client.modelInfo().then((i) => i!) },
      () => ({ path: setting, contextSize: 512, threads: 0 }));
    const controller = new ExplainController({
      engine: client,
      model: source,
      applyChatTemplate: (messages, role) => client.applyChatTemplate(messages, { role }),
      settings: () => ({ maxTokens: 8 }),
      renderIntervalMs: 0,
    }, () => undefined);
    const input = { code: 'return a + b', languageId: 'python', fileName: 'add.py', before: 'def add(a, b):\n    ', after: '\n' };
    const onExplainModel = await controller.explain(input, 'add.py');
    assert.equal(onExplainModel.status, 'done', onExplainModel.message);
    assert.equal(onExplainModel.message, undefined, 'a chat prompt (no plain-prompt note)');
    assert.ok(onExplainModel.stats!.generatedTokens > 0);

    // cleared: the explain model is freed and the completion model explains with the plain prompt
    setting = '';
    source.settingsChanged();
    await waitFor(async () => (await client.modelInfo('explain')) === null);
    assert.equal(client.loadedExplainModel, undefined);
    const onCompletionModel = await controller.explain(input, 'add.py');
    assert.equal(onCompletionModel.status, 'done', onCompletionModel.message);
    assert.match(onCompletionModel.message ?? '', /plain prompt/);
    source.dispose();
    controller.dispose();
  });

  it('a bad explain model path: one clear error, and completions keep working', async () => {
    const missing = path.join(scratchDir('explain-model'), 'no-such-instruct.gguf');
    const source = new ExplainModelSource(client, { ensureLoaded: () => client.modelInfo().then((i) => i!) },
      () => ({ path: missing, contextSize: 512, threads: 0 }));
    const failures: ExplainModelFailure[] = [];
    source.onLoadFailed((f) => failures.push(f));
    await assert.rejects(source.ensureLoaded(), (err: unknown) => err instanceof EngineError && err.code === 'MODEL_NOT_FOUND' &&
      err.message.includes('no-such-instruct.gguf'));
    await assert.rejects(source.ensureLoaded(), /no-such-instruct/);
    assert.equal(failures.length, 1, 'reported once');
    assert.equal(client.state.kind, 'ready', 'the engine still serves the completion model');
    assert.equal((await client.modelInfo())?.path, completionPath);
    const completion = await client.complete({ prompt: [TEXT], maxTokens: 4 });
    assert.ok(completion.stats.generatedTokens > 0);
    await assert.rejects(client.complete({ prompt: [TEXT], maxTokens: 4 }, { session: 'explain', role: 'explain' }),
      (err: unknown) => err instanceof EngineError && err.code === 'NO_MODEL');
    source.dispose();
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
