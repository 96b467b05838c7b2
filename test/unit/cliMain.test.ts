// The CLI's commands end to end in-process, over the fake addon (the real one: test/native/cli.test.ts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../extension/cli/main';
import type { NativeAddon } from '../../extension/engine/native';
import { captureCliIo } from '../support/cliIo';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fakeAddon = require('./fixtures/fakeAddon') as NativeAddon;

function captureIo(cwd: string, env: NodeJS.ProcessEnv = {}) {
  return captureCliIo({ cwd, env, loadAddon: () => fakeAddon });
}

describe('tandem CLI (fake addon)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-cli-'));
    fs.writeFileSync(path.join(dir, 'a.py'), 'def f(x):\n    return x\n');
    fs.writeFileSync(path.join(dir, 'b.py'), 'print(1)\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('complete --json prints one object with text, stats, model and counted context', async () => {
    const c = captureIo(dir);
    const code = await runCli(
      [
        'complete',
        '--model',
        'm.gguf',
        '--file',
        'a.py',
        '--line',
        '2',
        '--column',
        '5',
        '--max-tokens',
        '5',
        '--context',
        'b.py',
        '--json',
      ],
      c.io,
    );
    assert.equal(code, 0, c.stderr());
    const result = JSON.parse(c.stdout());
    assert.equal(result.text, 'abcde');
    assert.equal(result.stats.generatedTokens, 5);
    assert.equal(result.model.name, 'fake model');
    assert.deepEqual(result.context, { documents: 1, chars: 9 });
    assert.equal(c.stdout().trim().split('\n').length, 1);
  });

  it('complete streams the text to stdout and stats to stderr', async () => {
    const c = captureIo(dir);
    const code = await runCli(
      ['complete', '--model', 'm.gguf', '--file', 'a.py', '--line', '1', '--column', '1', '--max-tokens', '3', '--stop', 'c'],
      c.io,
    );
    assert.equal(code, 0);
    assert.equal(c.stdout(), 'ab');
    assert.match(c.stderr(), /prompt tokens .* stop: stop/);
  });

  it('exits 2 with a clear message for a line past the end, before loading the model', async () => {
    const c = captureIo(dir);
    const code = await runCli(['complete', '--model', 'missing.gguf', '--file', 'a.py', '--line', '9', '--column', '1'], c.io);
    assert.equal(code, 2);
    assert.match(c.stderr(), /\[INVALID_POSITION\]: Line 9 is past the end of the document, which has 3 lines/);
  });

  it('exits 1 with the addon code for a missing model, as JSON on stderr with --json', async () => {
    const c = captureIo(dir);
    const code = await runCli(['complete', '--model', 'missing.gguf', '--file', 'a.py', '--line', '1', '--column', '1', '--json'], c.io);
    assert.equal(code, 1);
    assert.equal(c.stdout(), '');
    assert.equal(JSON.parse(c.stderr()).error.code, 'MODEL_NOT_FOUND');
  });

  it('exits 1 for a model without FIM tokens and for a missing source file', async () => {
    let c = captureIo(dir);
    assert.equal(await runCli(['complete', '--model', 'nofim.gguf', '--file', 'a.py', '--line', '1', '--column', '1'], c.io), 1);
    assert.match(c.stderr(), /\[MODEL_NO_FIM\]: The model fake model has no fill-in-the-middle tokens/);
    c = captureIo(dir);
    assert.equal(await runCli(['complete', '--model', 'm.gguf', '--file', 'nope.py', '--line', '1', '--column', '1'], c.io), 1);
    assert.match(c.stderr(), /\[FILE_NOT_FOUND\]: file not found: .*nope\.py/);
  });

  it('make-test-model says where it looked when the vocab is missing', async () => {
    const c = captureIo(dir, { LLAMA_CPP_DIR: path.join(dir, 'llama') });
    const code = await runCli(['make-test-model', '--arch', 'qwen2', '--layers', '1', '--embd', '64', '--out', 'x.gguf'], c.io);
    assert.equal(code, 1);
    assert.match(c.stderr(), /\[VOCAB_NOT_FOUND\]: vocab "qwen2" not found; looked for:/);
    assert.ok(c.stderr().includes(path.join(dir, 'llama', 'models', 'ggml-vocab-qwen2.gguf')));
  });

  it('devices --json, help, and unknown commands', async () => {
    let c = captureIo(dir);
    assert.equal(await runCli(['devices', '--json'], c.io), 0);
    assert.equal(JSON.parse(c.stdout()).devices[0].type, 'cpu');
    c = captureIo(dir);
    assert.equal(await runCli(['complete', '--help'], c.io), 0);
    assert.match(c.stdout(), /Usage: tandem complete/);
    c = captureIo(dir);
    assert.equal(await runCli(['frobnicate'], c.io), 2);
    assert.match(c.stderr(), /unknown command "frobnicate"; commands: complete, make-test-model, devices/);
    c = captureIo(dir);
    assert.equal(await runCli([], c.io), 2);
  });
});
