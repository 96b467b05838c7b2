import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { COMMON_OPTIONS, UsageError, formatHelp, parseOptions, unescapeStop } from '../../extension/cli/args';
import { COMMANDS, COMPLETE_SPEC, parseComplete, parseMakeTestModel, vocabCandidates } from '../../extension/cli/commands';
import { exitCodeFor } from '../../extension/cli/main';
import { CursorPositionError } from '../../extension/context/cursorSplit';

const usage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.match(err.message, message);
    return true;
  });

describe('CLI arguments', () => {
  const base = ['--model', 'm.gguf', '--file', 'a.py', '--line', '3', '--column', '5'];

  it('parses complete with defaults', () => {
    assert.deepEqual(parseComplete(base), {
      model: 'm.gguf',
      file: 'a.py',
      line: 3,
      column: 5,
      contextFiles: [],
      maxTokens: 64,
      spec: 'off',
      device: { prefill: 'auto', decode: 'auto' },
      threads: undefined,
      contextSize: undefined,
      stop: [],
      alternatives: 0,
      json: false,
    });
  });

  it('parses lists (space-separated and repeated), --name=value and escapes in --stop', () => {
    const cmd = parseComplete([
      ...base,
      '--context',
      'b.py',
      'c.py',
      '--json',
      '--context=d.py',
      '--stop',
      '\\n',
      'END',
      '--max-tokens=8',
      '--device',
      'cpu',
      '--threads',
      '2',
      '--ctx-size',
      '512',
    ]);
    assert.ok(cmd !== 'help');
    assert.deepEqual(cmd.contextFiles, ['b.py', 'c.py', 'd.py']);
    assert.deepEqual(cmd.stop, ['\n', 'END']);
    assert.equal(cmd.maxTokens, 8);
    assert.deepEqual(cmd.device, { prefill: 'cpu', decode: 'cpu' });
    assert.equal(cmd.threads, 2);
    assert.equal(cmd.contextSize, 512);
    assert.equal(cmd.json, true);
    assert.equal(cmd.alternatives, 0);
    assert.equal((parseComplete([...base, '--alternatives', '2']) as { alternatives: number }).alternatives, 2);
  });

  it('parses device choices per phase (names are checked by the engine, which knows the devices)', () => {
    const both = parseComplete([...base, '--device', 'npu']);
    assert.ok(both !== 'help');
    assert.deepEqual(both.device, { prefill: 'npu', decode: 'npu' });
    const split = parseComplete([...base, '--device', 'gpu', '--decode-device', 'cpu']);
    assert.ok(split !== 'help');
    assert.deepEqual(split.device, { prefill: 'gpu', decode: 'cpu' });
    const named = parseComplete([...base, '--prefill-device', 'CUDA0']);
    assert.ok(named !== 'help');
    assert.deepEqual(named.device, { prefill: 'CUDA0', decode: 'auto' });
  });

  it('reports usage errors clearly', () => {
    usage(() => parseComplete(['--model', 'm']), /--file is required/);
    usage(() => parseComplete([...base, '--line', '4']), /--line was given twice/);
    usage(() => parseComplete([...base.slice(0, 6), '--column', 'x']), /--column must be an integer, got "x"/);
    usage(() => parseComplete([...base.slice(0, 4), '--line', '0', '--column', '1']), /--line must be ≥ 1, got 0/);
    usage(() => parseComplete([...base, '--bogus']), /unknown option --bogus/);
    usage(() => parseComplete([...base, 'stray']), /unexpected argument "stray"/);
    usage(() => parseComplete([...base, '--device', ' ']), /--device needs a value: auto, cpu, gpu, npu or a device name/);
    usage(() => parseComplete([...base, '--max-tokens']), /--max-tokens needs a value/);
    usage(() => parseComplete([...base, '--context']), /--context needs at least one FILE/);
    usage(() => parseComplete([...base, '--json=1']), /--json takes no value/);
    usage(() => parseComplete([...base, '--alternatives', '3']), /--alternatives must be from 0 to 2, got 3/);
    usage(() => parseComplete([...base, '--alternatives', '-1']), /--alternatives must be ≥ 0, got -1/);
  });

  it("accepts every speculation mode, llama.cpp's ngram-* included, and names them when another is asked for", () => {
    for (const mode of ['off', 'pld', 'sam', 'ngram-simple', 'ngram-map-k', 'ngram-mod', 'ngram-cache', 'auto']) {
      const cmd = parseComplete([...base, '--spec', mode]);
      assert.ok(cmd !== 'help' && cmd.spec === mode);
    }
    usage(
      () => parseComplete([...base, '--spec', 'ngram-map-k4v']),
      /--spec "ngram-map-k4v" is not a speculation mode; use one of off, pld, sam, ngram-simple, ngram-map-k, ngram-mod, ngram-cache, auto/,
    );
  });

  it('--help needs no required options', () => {
    assert.equal(parseComplete(['--help']), 'help');
    assert.equal(parseMakeTestModel(['-h']), 'help');
  });

  it('derives make-test-model defaults from embd', () => {
    const cmd = parseMakeTestModel(['--arch', 'qwen2', '--layers', '2', '--embd', '256', '--out', 'x.gguf']);
    assert.ok(cmd !== 'help');
    assert.deepEqual(cmd.options, {
      arch: 'qwen2',
      layers: 2,
      embd: 256,
      heads: 4,
      kvHeads: 4,
      ffn: 1024,
      contextLength: 4096,
      out: 'x.gguf',
      seed: 1,
      type: 'f32',
    });
    assert.equal(cmd.vocab, 'qwen2');
    const small = parseMakeTestModel([
      '--arch',
      'llama',
      '--layers',
      '1',
      '--embd',
      '32',
      '--out',
      'y',
      '--kv-heads',
      '1',
      '--type',
      'q8_0',
      '--vocab',
      'deepseek-coder',
    ]);
    assert.ok(small !== 'help');
    assert.equal(small.options.heads, 1);
    assert.equal(small.options.type, 'q8_0');
    usage(
      () => parseMakeTestModel(['--arch', 'qwen2', '--layers', '1', '--embd', '100', '--heads', '3', '--out', 'z']),
      /multiple of --heads 3/,
    );
    usage(
      () => parseMakeTestModel(['--arch', 'qwen2', '--layers', '1', '--embd', '128', '--heads', '4', '--kv-heads', '3', '--out', 'z']),
      /multiple of --kv-heads/,
    );
    usage(
      () => parseMakeTestModel(['--arch', 'gpt2', '--layers', '1', '--embd', '64', '--out', 'z']),
      /--arch must be one of qwen2, llama/,
    );
  });

  it('looks vocab names up in $LLAMA_CPP_DIR/models, then native/deps/llama.cpp/models', () => {
    const env = { llamaCppDir: '/opt/llama', packageRoot: '/pkg', cwd: '/work' };
    assert.deepEqual(vocabCandidates('qwen2', env), [
      path.join('/opt/llama', 'models', 'ggml-vocab-qwen2.gguf'),
      path.join('/pkg', 'native', 'deps', 'llama.cpp', 'models', 'ggml-vocab-qwen2.gguf'),
    ]);
    assert.deepEqual(vocabCandidates('vocabs/my.gguf', env), [path.resolve('/work', 'vocabs/my.gguf')]);
  });

  it('help lists every option of every command', () => {
    for (const spec of COMMANDS) {
      const help = formatHelp(spec);
      for (const option of [...spec.options, ...COMMON_OPTIONS])
        assert.ok(help.includes(`--${option.name}`), `${spec.name} help lacks --${option.name}`);
    }
    assert.match(
      formatHelp(COMPLETE_SPEC),
      /^Usage: tandem complete \[--model FILE\] \[--server URL\] --file FILE --line N --column N \[--context FILE…\]/,
    );
  });

  it('maps errors to exit codes: usage 2, runtime 1', () => {
    assert.equal(exitCodeFor(new UsageError('x')), 2);
    assert.equal(exitCodeFor(new CursorPositionError('x')), 2);
    assert.equal(exitCodeFor(Object.assign(new Error('x'), { code: 'MODEL_NOT_FOUND' })), 1);
  });

  it('unescapes \\n \\t \\r \\\\ only', () => {
    assert.equal(unescapeStop('a\\nb\\tc\\\\d\\x'), 'a\nb\tc\\d\\x');
    assert.deepEqual(parseOptions({ name: 't', summary: '', options: [] }, ['--json']), { json: true });
  });
});
