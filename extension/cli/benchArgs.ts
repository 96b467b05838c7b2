// `tandem bench <suite>`: the suites' declared options and the typed settings parsed from them.
// Pure; the suites themselves live in extension/bench (drafting.ts, cost.ts, e2e.ts, typing.ts).
import { MODEL_SHAPES, MODEL_TYPES, ModelShape, ModelType } from '../bench/benchModels';
import type { SpeculationMode } from '../engine/native';
import { MAX_ALTERNATIVES, SPECULATION_MODES } from '../engine/native';
import { CommandSpec, UsageError, parseOptions } from './args';

/** Every mode of the engine contract, in report order; a suite skips (with a note) the ones the
 *  loaded addon rejects. */
export const ALL_SPECULATION_MODES: readonly SpeculationMode[] = SPECULATION_MODES;

export const BENCH_SUITES = ['drafting', 'cost', 'e2e', 'typing', 'server'] as const;
export type BenchSuite = (typeof BENCH_SUITES)[number];

/** The batch sizes the engine's own calibration measures, up to 128. */
export const DEFAULT_COST_KS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 48, 64, 96, 128];
export const MAX_COST_K = 128;

const MODES_TEXT = 'a,b,…';
const outOption = {
  name: 'out',
  kind: 'string',
  value: 'DIR',
  description: 'where NAME.json, NAME.md and NAME.svg are written',
  defaultText: 'test-artifacts/bench',
} as const;
const sourceOption = {
  name: 'source',
  kind: 'list',
  value: 'DIR',
  description: 'folders of real code the traces are cut from (repeatable)',
  defaultText: 'mocha, typescript, esbuild, cmake-js, node-addon-api, @vscode/test-electron in node_modules',
} as const;
const modelOptions = (defaultShape: ModelShape, defaultType: ModelType) =>
  [
    {
      name: 'model',
      kind: 'string',
      value: 'FILE',
      description: 'GGUF model to measure',
      defaultText: 'a generated random-weight model (--shape, --type)',
    },
    {
      name: 'shape',
      kind: 'string',
      choices: MODEL_SHAPES,
      description: "generated model: 0.5b = Qwen2.5-Coder-0.5B's shape (24×896), small = 4×256, tiny = 2×64",
      defaultText: defaultShape,
    },
    { name: 'type', kind: 'string', choices: MODEL_TYPES, description: "generated model's tensor type", defaultText: defaultType },
    { name: 'threads', kind: 'int', min: 1, description: 'decode threads', defaultText: 'physical cores, at most 8' },
    {
      name: 'device',
      kind: 'string',
      choices: ['auto', 'cpu', 'gpu', 'npu'],
      description: 'where the model runs (as complete --device)',
      defaultText: 'auto',
    },
  ] as const;

export const BENCH_DRAFTING_SPEC: CommandSpec = {
  name: 'bench drafting',
  summary:
    'Model-free, trace-driven comparison of the drafters: the real next lines of real code stand in\n' +
    "for the model's greedy output (tokenized with the Qwen2 vocab). Per mode and trace kind (related,\n" +
    'partial, novel): tokens per verification step, draft hit rate, drafter µs per step, and the\n' +
    'simulated decode speed-up Σ tokens / Σ T(k+1)/T(1) under a CPU T(k) curve and a flat GPU-like one.',
  options: [
    { name: 'count', kind: 'int', min: 1, description: 'traces', defaultText: '150' },
    { name: 'seed', kind: 'int', min: 0, description: 'workload seed (same seed, same traces, same numbers)', defaultText: '1' },
    sourceOption,
    {
      name: 'modes',
      kind: 'string',
      value: MODES_TEXT,
      description: `modes to compare (${ALL_SPECULATION_MODES.join(', ')})`,
      defaultText: 'all; modes the addon rejects are skipped with a note',
    },
    {
      name: 'cost-curve',
      kind: 'string',
      value: 'FILE|cpu-facts|measured',
      description:
        'CPU T(k) curve: a `bench cost` JSON, the facts curve (0.5B Q4_0, 2 threads), or measured now on a generated 0.5B-shape model',
      defaultText: 'cpu-facts',
    },
    { name: 'vocab', kind: 'string', value: 'qwen2|deepseek-coder|PATH', description: 'tokenizer of the traces', defaultText: 'qwen2' },
    outOption,
  ],
};

export const BENCH_COST_SPEC: CommandSpec = {
  name: 'bench cost',
  summary:
    'T(k): the time of one forward pass of k tokens with logits for all of them (a verification\n' +
    'batch) at a fixed depth, for each k — the curve the engine sizes its drafts with.',
  options: [
    ...modelOptions('0.5b', 'q4_0'),
    {
      name: 'k',
      kind: 'string',
      value: '1,2,4,8-16,…',
      description: 'batch sizes (1–128; a-b is a range)',
      defaultText: DEFAULT_COST_KS.join(','),
    },
    { name: 'depth', kind: 'int', min: 0, description: 'tokens already in the context when timing', defaultText: '1000' },
    { name: 'reps', kind: 'int', min: 1, description: 'timed runs per k (after one warm-up); the median is reported', defaultText: '3' },
    outOption,
  ],
};

export const BENCH_E2E_SPEC: CommandSpec = {
  name: 'bench e2e',
  summary:
    'Full engine: every mode completes the same FIM prompts (workload traces, their sibling files as\n' +
    'context documents) with the same model and threads, interleaved in one run: generated tokens/s,\n' +
    'time to first token, time per completion, speed-up over off and over the best ngram-* mode, and a\n' +
    'check that every mode produced exactly the text of off (a difference exits 1).',
  options: [
    ...modelOptions('small', 'q8_0'),
    { name: 'count', kind: 'int', min: 1, description: 'prompts', defaultText: '8' },
    { name: 'seed', kind: 'int', min: 0, description: 'workload seed', defaultText: '1' },
    sourceOption,
    { name: 'max-tokens', kind: 'int', min: 1, description: 'most tokens per completion', defaultText: '48' },
    {
      name: 'modes',
      kind: 'string',
      value: MODES_TEXT,
      description: 'modes to compare (off is always run: it is the baseline)',
      defaultText: 'all; modes the addon rejects are skipped with a note',
    },
    { name: 'ctx-size', kind: 'int', min: 64, description: 'context size in tokens', defaultText: 'min(4096, training context)' },
    outOption,
  ],
  notes: ['Random-weight models prove mechanics and overheads (lossless output, cost of drafting), not acceptance.'],
};

/** Pipeline variants of `bench typing` (extension/bench/typing.ts says what each one is). */
export const TYPING_LAYOUTS = ['classic', 'anchored'] as const;
export type TypingLayoutName = (typeof TYPING_LAYOUTS)[number];

export const BENCH_TYPING_SPEC: CommandSpec = {
  name: 'bench typing',
  summary:
    'What a user feels while typing: real editing of three sibling files of real code (lines inside\n' +
    'function bodies typed character by character, Enter, typos fixed with Backspace, jumps, switches\n' +
    'between the files) replayed through the real pipeline (debounce, type-through cache, context\n' +
    'chunks, engine host, addon), once per layout, interleaved in one run. Per engine request: time to\n' +
    'first token, re-prefilled tokens, time to ghost text; p50/p95/max per layout and per event.\n' +
    'Layouts: classic = the prompt split at the cursor, fixed budgets, no per-document KV or pre-warm;\n' +
    'anchored = anchored prompts, per-document KV, pre-warm, cold windows sized to a time target.',
  options: [
    ...modelOptions('0.5b', 'q4_0'),
    {
      name: 'layouts',
      kind: 'string',
      value: 'a,b',
      description: `pipeline variants to compare (${TYPING_LAYOUTS.join(', ')})`,
      defaultText: TYPING_LAYOUTS.join(','),
    },
    {
      name: 'bursts',
      kind: 'int',
      min: 1,
      description: 'edit bursts (each begins with opening a file, a jump or a switch)',
      defaultText: '16',
    },
    { name: 'seed', kind: 'int', min: 0, description: 'workload seed (the files, places, typos and pauses)', defaultText: '1' },
    sourceOption,
    { name: 'max-tokens', kind: 'int', min: 1, description: 'most tokens per completion', defaultText: '16' },
    { name: 'ctx-size', kind: 'int', min: 256, description: 'engine context size in tokens', defaultText: '4096' },
    { name: 'spec', kind: 'string', choices: ALL_SPECULATION_MODES, description: 'speculative decoding mode', defaultText: 'auto' },
    {
      name: 'rest-ms',
      kind: 'int',
      min: 0,
      description: 'real time the user rests after a jump or switch (anchored pre-warms then)',
      defaultText: '1000',
    },
    {
      name: 'cold-start-ms',
      kind: 'int',
      min: 0,
      description: 'anchored: cold-prefill time target (tandem.completion.coldStartMs)',
      defaultText: '1000',
    },
    {
      name: 'alternatives',
      kind: 'int',
      min: 0,
      description: `ask every typing-forward request for N alternatives too (0–${MAX_ALTERNATIVES}, as a manual trigger does): their extra time is reported apart`,
      defaultText: '0',
    },
    outOption,
  ],
  notes: [
    'Random-weight models prove latency and re-use, not suggestion quality. Timings on a shared machine are noisy: compare layouts within one run.',
  ],
};

/** Editors typing at once against one llama-server, by default (`bench server --editors`). */
export const DEFAULT_SERVER_EDITORS = [1, 2, 4, 8];
const MAX_SERVER_EDITORS = 64;

export const BENCH_SERVER_SPEC: CommandSpec = {
  name: 'bench server',
  summary:
    'Tandem on a shared llama-server under load: N simulated editors (real typing in real files, replayed\n' +
    'in real time through the real pipeline, each cancelling superseded requests as VS Code does) type at\n' +
    'once against one llama-server with S slots, for each N; a fresh server per N. Per N: requests,\n' +
    "aborted, errors, time to first token and completion time p50/p95, and the server's own counts of\n" +
    'prompt tokens evaluated and tokens generated that no editor received. Baseline: one editor on the\n' +
    'local engine (engine host and addon), same model file, same typing as editor 0.',
  options: [
    ...modelOptions('small', 'q8_0').filter((o) => o.name !== 'device'),
    {
      name: 'editors',
      kind: 'string',
      value: '1,2,4,8',
      description: 'editor counts to run (each typing its own files)',
      defaultText: DEFAULT_SERVER_EDITORS.join(','),
    },
    { name: 'slots', kind: 'int', min: 1, description: "llama-server's parallel slots (-np)", defaultText: '4' },
    {
      name: 'ctx-size',
      kind: 'int',
      min: 256,
      description: 'context of each slot (and of the local engine) in tokens',
      defaultText: '4096',
    },
    { name: 'bursts', kind: 'int', min: 1, description: 'edit bursts per editor (as bench typing)', defaultText: '4' },
    { name: 'seed', kind: 'int', min: 0, description: 'workload seed (editor i types seed + i)', defaultText: '1' },
    sourceOption,
    { name: 'max-tokens', kind: 'int', min: 1, description: 'most tokens per completion', defaultText: '16' },
    { name: 'rest-ms', kind: 'int', min: 0, description: 'real time the user rests after a jump or switch', defaultText: '1000' },
    { name: 'speed', kind: 'int', min: 1, description: 'keystroke gaps are divided by this (1 = as typed)', defaultText: '1' },
    {
      name: 'server',
      kind: 'string',
      value: 'URL',
      description: 'use this running llama-server (with --metrics) for every N instead of starting one (its caches carry over)',
    },
    {
      name: 'llama-server',
      kind: 'string',
      value: 'PATH',
      description: 'the llama-server binary to start',
      defaultText: '$TANDEM_LLAMA_SERVER, else native/build-server/bin/llama-server (node native/scripts/build-llama-server.js)',
    },
    { name: 'no-local', kind: 'flag', description: 'skip the local-engine baseline' },
    outOption,
  ],
  notes: [
    'Real time: each N takes as long as its typing (about 1 minute per 4 bursts). Random-weight models prove latency and load, not suggestion quality.',
  ],
};

export const BENCH_SPECS: Record<BenchSuite, CommandSpec> = {
  drafting: BENCH_DRAFTING_SPEC,
  cost: BENCH_COST_SPEC,
  e2e: BENCH_E2E_SPEC,
  typing: BENCH_TYPING_SPEC,
  server: BENCH_SERVER_SPEC,
};

export interface ModelChoice {
  /** a file given with --model, or undefined: generate one of `shape`/`type` */
  file?: string;
  shape: ModelShape;
  type: ModelType;
}

export type Device = 'auto' | 'cpu' | 'gpu' | 'npu';

export interface BenchDraftingCommand {
  suite: 'drafting';
  count: number;
  seed: number;
  sources?: string[];
  modes?: SpeculationMode[];
  costCurve: string;
  vocab: string;
  out?: string;
  json: boolean;
}

export interface BenchCostCommand {
  suite: 'cost';
  model: ModelChoice;
  ks: number[];
  threads?: number;
  device: Device;
  depth: number;
  reps: number;
  out?: string;
  json: boolean;
}

export interface BenchE2eCommand {
  suite: 'e2e';
  model: ModelChoice;
  count: number;
  seed: number;
  sources?: string[];
  maxTokens: number;
  modes?: SpeculationMode[];
  threads?: number;
  device: Device;
  contextSize?: number;
  out?: string;
  json: boolean;
}

export interface BenchTypingCommand {
  suite: 'typing';
  model: ModelChoice;
  layouts: TypingLayoutName[];
  bursts: number;
  seed: number;
  sources?: string[];
  maxTokens: number;
  contextSize: number;
  speculation: SpeculationMode;
  restMs: number;
  coldStartMs: number;
  /** alternatives asked for on each typing-forward request (0: none) */
  alternatives: number;
  threads?: number;
  device: Device;
  out?: string;
  json: boolean;
}

export interface BenchServerCommand {
  suite: 'server';
  model: ModelChoice;
  editors: number[];
  slots: number;
  contextSize: number;
  bursts: number;
  seed: number;
  sources?: string[];
  maxTokens: number;
  restMs: number;
  speed: number;
  serverUrl?: string;
  serverBinary?: string;
  local: boolean;
  threads?: number;
  out?: string;
  json: boolean;
}

export type BenchCommand = BenchDraftingCommand | BenchCostCommand | BenchE2eCommand | BenchTypingCommand | BenchServerCommand;

/** `1,2,4,8` → editor counts, checked; duplicates dropped, order kept. */
export function parseEditorCounts(command: string, text: string): number[] {
  const counts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (counts.length === 0 || counts.some((n) => !(n >= 1 && n <= MAX_SERVER_EDITORS)))
    throw new UsageError(`${command}: --editors takes counts from 1 to ${MAX_SERVER_EDITORS} like 1,2,4,8; got ${JSON.stringify(text)}`);
  return [...new Set(counts)];
}

/** `a,b` → typing layouts, checked; duplicates dropped, order kept. */
export function parseLayouts(command: string, text: string): TypingLayoutName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`${command}: --layouts needs at least one layout`);
  for (const n of names) {
    if (!(TYPING_LAYOUTS as readonly string[]).includes(n))
      throw new UsageError(`${command}: unknown layout ${JSON.stringify(n)}; layouts: ${TYPING_LAYOUTS.join(', ')}`);
  }
  return [...new Set(names)] as TypingLayoutName[];
}

/** `a,b,c` → modes, checked against the contract's names; duplicates dropped, order kept. */
export function parseModes(command: string, text: string): SpeculationMode[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`${command}: --modes needs at least one mode`);
  for (const n of names) {
    if (!(ALL_SPECULATION_MODES as readonly string[]).includes(n)) {
      throw new UsageError(`${command}: unknown mode ${JSON.stringify(n)}; modes: ${ALL_SPECULATION_MODES.join(', ')}`);
    }
  }
  return [...new Set(names)] as SpeculationMode[];
}

/** `1,2,4,8-16` → sorted distinct batch sizes in 1..128. */
export function parseKs(command: string, text: string): number[] {
  const ks = new Set<number>();
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) throw new UsageError(`${command}: --k takes numbers and ranges like 1,2,4,8-16; got ${JSON.stringify(item)}`);
    const a = Number(m[1]),
      b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b > MAX_COST_K || a > b)
      throw new UsageError(`${command}: --k values must be from 1 to ${MAX_COST_K} (ranges low-high); got ${item}`);
    for (let k = a; k <= b; k++) ks.add(k);
  }
  if (ks.size === 0) throw new UsageError(`${command}: --k needs at least one batch size`);
  return [...ks].sort((x, y) => x - y);
}

function modelChoice(o: Record<string, unknown>, defaultShape: ModelShape, defaultType: ModelType, command: string): ModelChoice {
  if (o.model !== undefined && (o.shape !== undefined || o.type !== undefined)) {
    throw new UsageError(`${command}: --shape and --type describe a generated model; they cannot go with --model`);
  }
  return {
    file: o.model as string | undefined,
    shape: (o.shape as ModelShape | undefined) ?? defaultShape,
    type: (o.type as ModelType | undefined) ?? defaultType,
  };
}

/** argv after `bench`: the suite name, then its options. 'help' = the suite's --help;
 *  'overview' = `tandem bench` or `tandem bench --help`. */
export function parseBench(argv: readonly string[]): BenchCommand | { help: BenchSuite } | 'overview' {
  const [suite, ...rest] = argv;
  if (suite === undefined || suite === '--help' || suite === '-h' || suite === 'help') return 'overview';
  if (!(BENCH_SUITES as readonly string[]).includes(suite)) {
    throw new UsageError(`bench: unknown suite ${JSON.stringify(suite)}; suites: ${BENCH_SUITES.join(', ')}`);
  }
  const spec = BENCH_SPECS[suite as BenchSuite];
  const o = parseOptions(spec, rest);
  if (o.help) return { help: suite as BenchSuite };
  const json = !!o.json;
  const out = o.out as string | undefined;
  const modes = o.modes === undefined ? undefined : parseModes(spec.name, o.modes as string);
  switch (suite as BenchSuite) {
    case 'drafting':
      return {
        suite: 'drafting',
        count: (o.count as number | undefined) ?? 150,
        seed: (o.seed as number | undefined) ?? 1,
        sources: o.source as string[] | undefined,
        modes,
        costCurve: (o['cost-curve'] as string | undefined) ?? 'cpu-facts',
        vocab: (o.vocab as string | undefined) ?? 'qwen2',
        out,
        json,
      };
    case 'cost':
      return {
        suite: 'cost',
        model: modelChoice(o, '0.5b', 'q4_0', spec.name),
        ks: o.k === undefined ? [...DEFAULT_COST_KS] : parseKs(spec.name, o.k as string),
        threads: o.threads as number | undefined,
        device: ((o.device as string | undefined) ?? 'auto') as Device,
        depth: (o.depth as number | undefined) ?? 1000,
        reps: (o.reps as number | undefined) ?? 3,
        out,
        json,
      };
    case 'e2e':
      return {
        suite: 'e2e',
        model: modelChoice(o, 'small', 'q8_0', spec.name),
        count: (o.count as number | undefined) ?? 8,
        seed: (o.seed as number | undefined) ?? 1,
        sources: o.source as string[] | undefined,
        maxTokens: (o['max-tokens'] as number | undefined) ?? 48,
        modes: modes && (modes.includes('off') ? modes : ['off', ...modes]),
        threads: o.threads as number | undefined,
        device: ((o.device as string | undefined) ?? 'auto') as Device,
        contextSize: o['ctx-size'] as number | undefined,
        out,
        json,
      };
    case 'typing': {
      const alternatives = (o.alternatives as number | undefined) ?? 0;
      if (alternatives > MAX_ALTERNATIVES)
        throw new UsageError(`${spec.name}: --alternatives must be from 0 to ${MAX_ALTERNATIVES}, got ${alternatives}`);
      return {
        suite: 'typing',
        model: modelChoice(o, '0.5b', 'q4_0', spec.name),
        layouts: o.layouts === undefined ? [...TYPING_LAYOUTS] : parseLayouts(spec.name, o.layouts as string),
        bursts: (o.bursts as number | undefined) ?? 16,
        seed: (o.seed as number | undefined) ?? 1,
        sources: o.source as string[] | undefined,
        maxTokens: (o['max-tokens'] as number | undefined) ?? 16,
        contextSize: (o['ctx-size'] as number | undefined) ?? 4096,
        speculation: ((o.spec as string | undefined) ?? 'auto') as SpeculationMode,
        restMs: (o['rest-ms'] as number | undefined) ?? 1000,
        coldStartMs: (o['cold-start-ms'] as number | undefined) ?? 1000,
        alternatives,
        threads: o.threads as number | undefined,
        device: ((o.device as string | undefined) ?? 'auto') as Device,
        out,
        json,
      };
    }
    case 'server':
      return {
        suite: 'server',
        model: modelChoice(o, 'small', 'q8_0', spec.name),
        editors: o.editors === undefined ? [...DEFAULT_SERVER_EDITORS] : parseEditorCounts(spec.name, o.editors as string),
        slots: (o.slots as number | undefined) ?? 4,
        contextSize: (o['ctx-size'] as number | undefined) ?? 4096,
        bursts: (o.bursts as number | undefined) ?? 4,
        seed: (o.seed as number | undefined) ?? 1,
        sources: o.source as string[] | undefined,
        maxTokens: (o['max-tokens'] as number | undefined) ?? 16,
        restMs: (o['rest-ms'] as number | undefined) ?? 1000,
        speed: (o.speed as number | undefined) ?? 1,
        serverUrl: o.server as string | undefined,
        serverBinary: o['llama-server'] as string | undefined,
        local: !o['no-local'],
        threads: o.threads as number | undefined,
        out,
        json,
      };
  }
}

const SUITE_LINES: Record<BenchSuite, string> = {
  drafting: 'model-free: tokens per verification step of each drafter on traces cut from real code',
  cost: 'T(k), the time of one forward pass of k tokens, for a model, device and thread count',
  e2e: 'full engine: tokens/s, first token, completion time per mode, and identical text to off',
  typing: 'what typing feels like: first token and ghost text per keystroke request, per prompt layout',
  server: 'N editors typing at once against one llama-server: first token, completion time, aborts, server work',
};

/** `tandem bench --help` */
export function formatBenchOverview(): string {
  const width = Math.max(...BENCH_SUITES.map((s) => s.length));
  return [
    'Usage: tandem bench <suite> [options] [--json]',
    '',
    'Benchmark suites; each writes SUITE.json, SUITE.md and SUITE.svg (default folder test-artifacts/bench)',
    'and, with --json, prints one object on stdout: { suite, modes: { <mode>: { … } }, … } for suites',
    'that compare modes, { suite: "typing", defaultLayout, layouts: { <layout>: { … } } } for typing.',
    '',
    'Suites:',
    ...BENCH_SUITES.map((s) => `  ${s.padEnd(width)}  ${SUITE_LINES[s]}`),
    '',
    'Run `tandem bench <suite> --help` for its options.',
    '',
  ].join('\n');
}
