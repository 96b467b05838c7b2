// The CLI's commands: their declared options and the typed settings parsed from them. Pure; the
// code that runs each command lives in its own file.
import * as path from 'node:path';
import type { MakeTestModelOptions, SpeculationMode } from '../engine/native';
import { MAX_ALTERNATIVES, SPECULATION_MODES } from '../engine/native';
import { CommandSpec, ParsedOptions, UsageError, parseOptions, unescapeStop } from './args';

export const COMPLETE_SPEC: CommandSpec = {
  name: 'complete',
  summary:
    'One fill-in-the-middle completion at a file position (1-based line and column).\n' +
    'Streams the text to stdout as it is generated and prints stats to stderr;\n' +
    'with --alternatives N, then prints each alternative after a line "--- alternative I ---";\n' +
    'with --json, prints one object { text, alternatives?, stats, model, context } instead.',
  options: [
    { name: 'model', kind: 'string', value: 'FILE', description: 'GGUF model with FIM tokens (or --server)' },
    {
      name: 'server',
      kind: 'string',
      value: 'URL',
      description:
        'complete through this llama-server instead of a local model (https, or http on your own network; API key from $TANDEM_SERVER_API_KEY)',
    },
    { name: 'file', kind: 'string', value: 'FILE', required: true, description: 'source file to complete in' },
    { name: 'line', kind: 'int', min: 1, required: true, description: 'cursor line (1-based)' },
    { name: 'column', kind: 'int', min: 1, required: true, description: 'cursor column (1-based, UTF-16 code units)' },
    { name: 'context', kind: 'list', value: 'FILE', description: 'other open files: the draft corpus of speculative decoding' },
    { name: 'max-tokens', kind: 'int', min: 1, description: 'most tokens to generate', defaultText: '64' },
    {
      name: 'spec',
      kind: 'string',
      value: SPECULATION_MODES.join('|'),
      description: 'speculative decoding mode (output is identical in every mode)',
      defaultText: 'off',
    },
    {
      name: 'device',
      kind: 'string',
      value: 'auto|cpu|gpu|npu|NAME',
      description: 'where both phases run (NAME: a device from `tandem devices`)',
      defaultText: 'auto',
    },
    {
      name: 'prefill-device',
      kind: 'string',
      value: 'auto|cpu|gpu|npu|NAME',
      description: 'where prompt prefill runs (overrides --device)',
    },
    {
      name: 'decode-device',
      kind: 'string',
      value: 'auto|cpu|gpu|npu|NAME',
      description: 'where decoding and verification run (overrides --device)',
    },
    { name: 'threads', kind: 'int', min: 1, description: 'decode threads', defaultText: 'physical cores, at most 8' },
    { name: 'ctx-size', kind: 'int', min: 16, description: 'context size in tokens', defaultText: 'min(4096, training context)' },
    { name: 'stop', kind: 'list', value: 'S', description: 'stop before any of these strings (\\n, \\t, \\\\ are unescaped)' },
    {
      name: 'alternatives',
      kind: 'int',
      min: 0,
      description: `also decode up to N other completions (0–${MAX_ALTERNATIVES}), as a manual trigger in the editor does`,
      defaultText: '0',
    },
  ],
};

export const MAKE_TEST_MODEL_SPEC: CommandSpec = {
  name: 'make-test-model',
  summary: 'Writes a small random-weight GGUF model with a real code tokenizer (for tests; no download).',
  options: [
    { name: 'arch', kind: 'string', choices: ['qwen2', 'llama'], required: true, description: 'architecture' },
    { name: 'layers', kind: 'int', min: 1, required: true, description: 'transformer blocks' },
    { name: 'embd', kind: 'int', min: 8, required: true, description: 'embedding width' },
    { name: 'heads', kind: 'int', min: 1, description: 'attention heads', defaultText: 'max(1, embd / 64)' },
    { name: 'kv-heads', kind: 'int', min: 1, description: 'key/value heads', defaultText: 'heads' },
    { name: 'ffn', kind: 'int', min: 1, description: 'feed-forward width', defaultText: '4 × embd' },
    { name: 'ctx', kind: 'int', min: 16, description: 'training context length', defaultText: '4096' },
    {
      name: 'vocab',
      kind: 'string',
      value: 'qwen2|deepseek-coder|PATH',
      description: 'tokenizer: a llama.cpp vocab name or a GGUF file',
      defaultText: 'qwen2',
    },
    { name: 'type', kind: 'string', choices: ['f32', 'f16', 'q8_0', 'q4_0'], description: 'tensor type', defaultText: 'f32' },
    { name: 'seed', kind: 'int', min: 0, description: 'random seed', defaultText: '1' },
    { name: 'out', kind: 'string', value: 'FILE', required: true, description: 'where to write the model' },
  ],
  notes: [
    'Vocab names are looked up as ggml-vocab-NAME.gguf in $LLAMA_CPP_DIR/models, then in',
    'native/deps/llama.cpp/models of this package.',
  ],
};

export const DEVICES_SPEC: CommandSpec = {
  name: 'devices',
  summary: 'Lists the backends and devices the engine sees.',
  options: [],
};

/** Overview entry only: `tandem bench <suite>` parses with the suites' specs (benchArgs.ts). */
export const BENCH_SPEC: CommandSpec = {
  name: 'bench',
  summary: 'Benchmark suites: drafting, cost, e2e (see tandem bench --help).',
  options: [],
};

export const MODELS_SPEC: CommandSpec = {
  name: 'models',
  summary:
    'Lists the GGUF models found on this machine, with size and quantization.\n' +
    "Searches the Hugging Face cache, LM Studio, Ollama, llama.cpp's cache and the folders given with --dir.",
  options: [{ name: 'dir', kind: 'list', value: 'DIR', description: 'more folders to search (repeatable)' }],
};

export const COMMANDS: readonly CommandSpec[] = [COMPLETE_SPEC, MAKE_TEST_MODEL_SPEC, DEVICES_SPEC, MODELS_SPEC, BENCH_SPEC];

export interface CompleteCommand {
  /** the local model ('' with `server`) */
  model: string;
  /** a llama-server URL: complete there instead (extension/cli/serverCompleteCommand.ts) */
  server?: string;
  file: string;
  line: number;
  column: number;
  contextFiles: string[];
  maxTokens: number;
  spec: SpeculationMode;
  /** auto | cpu | gpu | npu | a device name, per phase (checked by the engine against its devices) */
  device: { prefill: string; decode: string };
  threads?: number;
  contextSize?: number;
  stop: string[];
  /** other completions to decode after the greedy one (0..MAX_ALTERNATIVES) */
  alternatives: number;
  json: boolean;
}

export function parseComplete(argv: readonly string[]): CompleteCommand | 'help' {
  const o = parseOptions(COMPLETE_SPEC, argv);
  if (o.help) return 'help';
  const spec = (o.spec as string | undefined) ?? 'off';
  if (!(SPECULATION_MODES as readonly string[]).includes(spec)) {
    throw new UsageError(`complete: --spec ${JSON.stringify(spec)} is not a speculation mode; use one of ${SPECULATION_MODES.join(', ')}`);
  }
  const alternatives = (o.alternatives as number | undefined) ?? 0;
  if (alternatives > MAX_ALTERNATIVES)
    throw new UsageError(`complete: --alternatives must be from 0 to ${MAX_ALTERNATIVES}, got ${alternatives}`);
  const server = o.server as string | undefined;
  if (!o.model === !server) {
    throw new UsageError('complete: give --model FILE (a local model) or --server URL (a llama-server), one of the two');
  }
  if (server) {
    // the server decides these itself (llama-server's own options)
    const localOnly = ['spec', 'device', 'prefill-device', 'decode-device', 'threads', 'ctx-size', 'alternatives'].filter(
      (k) => o[k] !== undefined,
    );
    if (localOnly.length)
      throw new UsageError(`complete: --${localOnly[0]} is for a local model; with --server, the server's own settings apply`);
  }
  return {
    model: (o.model as string | undefined) ?? '',
    ...(server ? { server } : {}),
    file: o.file as string,
    line: o.line as number,
    column: o.column as number,
    contextFiles: (o.context as string[] | undefined) ?? [],
    maxTokens: (o['max-tokens'] as number | undefined) ?? 64,
    spec: spec as SpeculationMode,
    device: parseDeviceOptions(o),
    threads: o.threads as number | undefined,
    contextSize: o['ctx-size'] as number | undefined,
    stop: ((o.stop as string[] | undefined) ?? []).map(unescapeStop),
    alternatives,
    json: !!o.json,
  };
}

function parseDeviceOptions(o: ParsedOptions): { prefill: string; decode: string } {
  const pick = (name: string, fallback: string): string => {
    const value = o[name] as string | undefined;
    if (value === undefined) return fallback;
    if (!value.trim())
      throw new UsageError(`complete: --${name} needs a value: auto, cpu, gpu, npu or a device name from \`tandem devices\``);
    return value;
  };
  const both = pick('device', 'auto');
  return { prefill: pick('prefill-device', both), decode: pick('decode-device', both) };
}

export interface MakeTestModelCommand {
  options: Omit<MakeTestModelOptions, 'vocabPath'>;
  vocab: string;
  json: boolean;
}

export function parseMakeTestModel(argv: readonly string[]): MakeTestModelCommand | 'help' {
  const o = parseOptions(MAKE_TEST_MODEL_SPEC, argv);
  if (o.help) return 'help';
  const embd = o.embd as number;
  const heads = (o.heads as number | undefined) ?? Math.max(1, Math.floor(embd / 64));
  const kvHeads = (o['kv-heads'] as number | undefined) ?? heads;
  if (embd % heads !== 0) throw new UsageError(`make-test-model: --embd ${embd} must be a multiple of --heads ${heads}`);
  if (heads % kvHeads !== 0) throw new UsageError(`make-test-model: --heads ${heads} must be a multiple of --kv-heads ${kvHeads}`);
  if ((embd / heads) % 2 !== 0)
    throw new UsageError(`make-test-model: the head size embd/heads = ${embd / heads} must be even (rotary embeddings)`);
  return {
    options: {
      arch: o.arch as 'qwen2' | 'llama',
      layers: o.layers as number,
      embd,
      heads,
      kvHeads,
      ffn: (o.ffn as number | undefined) ?? 4 * embd,
      contextLength: (o.ctx as number | undefined) ?? 4096,
      out: o.out as string,
      seed: (o.seed as number | undefined) ?? 1,
      type: ((o.type as string | undefined) ?? 'f32') as MakeTestModelOptions['type'],
    },
    vocab: (o.vocab as string | undefined) ?? 'qwen2',
    json: !!o.json,
  };
}

export function parseDevices(argv: readonly string[]): { json: boolean } | 'help' {
  const o: ParsedOptions = parseOptions(DEVICES_SPEC, argv);
  return o.help ? 'help' : { json: !!o.json };
}

export function parseModels(argv: readonly string[]): { dirs: string[]; json: boolean } | 'help' {
  const o: ParsedOptions = parseOptions(MODELS_SPEC, argv);
  return o.help ? 'help' : { dirs: (o.dir as string[] | undefined) ?? [], json: !!o.json };
}

export const VOCAB_NAMES = ['qwen2', 'deepseek-coder'] as const;

/** Where a --vocab value may live, in lookup order. A value with a path separator or a .gguf
 *  ending is a file path. */
export function vocabCandidates(vocab: string, env: { llamaCppDir?: string; packageRoot: string; cwd: string }): string[] {
  if (vocab.includes('/') || vocab.includes('\\') || vocab.endsWith('.gguf')) return [path.resolve(env.cwd, vocab)];
  const file = `ggml-vocab-${vocab}.gguf`;
  const dirs = [
    env.llamaCppDir ? path.join(env.llamaCppDir, 'models') : undefined,
    path.join(env.packageRoot, 'native', 'deps', 'llama.cpp', 'models'),
  ].filter((d): d is string => !!d);
  return dirs.map((d) => path.join(d, file));
}

/** `tandem --help` */
export function formatOverview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: tandem <command> [options] [--json]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary.split('\n')[0]}`),
    '',
    'Run `tandem <command> --help` for its options. Exit codes: 0 ok, 1 runtime error, 2 usage error.',
    '',
  ].join('\n');
}
