// `tandem bench e2e`: the full engine, every mode on the same FIM prompts (workload traces: prefix
// and suffix around a cursor in real code, sibling files as context documents) with the same
// model and threads, in one run. Modes are interleaved prompt by prompt (each mode has its own
// session, so every mode sees the same sequence of requests and the same KV reuse), which spreads
// the noise of a shared machine evenly. Reports generated tokens/s, time to first token, time per
// completion, speed-ups over off and over the best ngram-* mode, and whether every mode produced
// exactly off's text. Random-weight models prove mechanics and overheads, not acceptance.
import * as os from 'node:os';
import { buildFimPrompt, hasFimTokens } from '../context/fimPrompt';
import type {
  CompletionResult,
  ContextDocument,
  ModelInfo,
  NativeAddon,
  NativeSession,
  PromptPart,
  SpeculationMode,
} from '../engine/native';
import { deviceOption } from './cost';
import { findMismatches, OutputMismatch } from './outputComparison';
import { barChartSvg, markdownTable, writeReport } from './report';
import { fmt, mean, median, ratio } from './stats';
import { makeWorkload, Trace } from './workload';

export interface E2eOptions {
  addon: NativeAddon;
  modelPath: string;
  modelOrigin: string;
  sources: string[];
  count: number;
  seed: number;
  maxTokens: number;
  /** off first (the baseline) */
  modes: SpeculationMode[];
  threads?: number;
  device: 'auto' | 'cpu' | 'gpu' | 'npu';
  contextSize?: number;
  outDir: string;
  /** progress lines (stderr of the CLI) */
  log?: (line: string) => void;
}

export interface E2eModeResult {
  completions: number;
  generatedTokens: number;
  /** Σ generated tokens / Σ decode time (prefill excluded) */
  tokensPerSecond: number;
  /** generated tokens per verification step (1 for off) */
  tokensPerStep: number;
  draftedTokens: number;
  acceptedTokens: number;
  acceptedPerDrafted: number | null;
  firstTokenMs: { mean: number; p50: number };
  completionMs: { mean: number; p50: number };
  prefillMs: { mean: number; p50: number };
  /** tokensPerSecond ÷ off's */
  speedupOverOff: number | null;
  /** off's mean completion time ÷ this mode's */
  completionSpeedupOverOff: number | null;
  /** tokensPerSecond ÷ the best ngram-* mode's (null when none ran) */
  speedupOverBestNgram: number | null;
  budgets: [number, number][];
  costOrigin?: string;
  costCurve?: [number, number][];
  errors: string[];
}

/** The prompt an editor would send: the model's FIM format when it has FIM tokens, else the prefix. */
export function promptFor(info: ModelInfo, trace: Trace): PromptPart[] {
  return hasFimTokens(info.fim)
    ? buildFimPrompt(info, { prefix: trace.prefix, suffix: trace.suffix, path: trace.file }, null)
    : [trace.prefix];
}

/** The draft corpus: the file around the cursor (without the lines to be written) and its siblings. */
export function documentsFor(trace: Trace, index: number): ContextDocument[] {
  return [
    { id: `prompt${index}:${trace.file}`, version: 1, source: 'sameFile', text: trace.prefix + trace.suffix },
    ...trace.context.map((c) => ({ id: c.file, version: 1, source: 'otherFile' as const, text: c.text })),
  ];
}

function summaryOf(mode: SpeculationMode, results: { result: CompletionResult; wallMs: number }[], errors: string[]): E2eModeResult {
  const stats = results.map((r) => r.result.stats);
  const generated = stats.reduce((n, s) => n + s.generatedTokens, 0);
  const decodeMs = stats.reduce((n, s) => n + s.decodeMs, 0);
  const steps = stats.reduce((n, s) => n + (s.speculation?.steps ?? s.generatedTokens), 0);
  const drafted = stats.reduce((n, s) => n + (s.speculation?.draftedTokens ?? 0), 0);
  const accepted = stats.reduce((n, s) => n + (s.speculation?.acceptedTokens ?? 0), 0);
  const budgets = new Map<number, number>();
  for (const s of stats) for (const [k, c] of s.speculation?.budgets ?? []) budgets.set(k, (budgets.get(k) ?? 0) + c);
  const pair = (values: number[]) => ({ mean: mean(values), p50: median(values) });
  const last = stats.find((s) => s.speculation?.costCurve)?.speculation;
  return {
    completions: results.length,
    generatedTokens: generated,
    tokensPerSecond: decodeMs > 0 ? (generated / decodeMs) * 1000 : NaN,
    tokensPerStep: steps ? generated / steps : NaN,
    draftedTokens: drafted,
    acceptedTokens: accepted,
    acceptedPerDrafted: mode === 'off' ? null : ratio(accepted, drafted),
    firstTokenMs: pair(stats.map((s) => s.firstTokenMs)),
    completionMs: pair(results.map((r) => r.wallMs)),
    prefillMs: pair(stats.map((s) => s.prefillMs)),
    speedupOverOff: null,
    completionSpeedupOverOff: null,
    speedupOverBestNgram: null,
    budgets: [...budgets].sort((a, b) => a[0] - b[0]),
    costOrigin: last?.costOrigin,
    costCurve: last?.costCurve,
    errors,
  };
}

export async function runE2eBench(o: E2eOptions) {
  const log = o.log ?? (() => undefined);
  const traces = makeWorkload({ sources: o.sources, seed: o.seed, count: o.count });
  const model = await o.addon.loadModel(o.modelPath, { device: deviceOption(o.device) });
  const sessions = new Map<SpeculationMode, NativeSession>();
  const skipped: { mode: SpeculationMode; reason: string }[] = [];
  const outputs = new Map<SpeculationMode, { result: CompletionResult; wallMs: number }[]>();
  const texts: Record<string, (string | undefined)[]> = {};
  const errors = new Map<SpeculationMode, string[]>();
  const info = model.info();
  try {
    // A warm-up request per mode: the first speculative request of a session measures or loads
    // T(k) and builds its graphs; none of that belongs in the timings. A mode the addon rejects is
    // skipped here with its reason.
    for (const mode of o.modes) {
      const session = await model.createSession({ threads: o.threads, contextSize: o.contextSize });
      try {
        await session.complete({
          prompt: ['function warmUp(a, b) {\n  return a + b;\n}\nfunction warmUp2(a, b) {\n  return'],
          maxTokens: 4,
          speculation: mode,
        });
        await session.reset();
        sessions.set(mode, session);
        outputs.set(mode, []);
        errors.set(mode, []);
        texts[mode] = [];
      } catch (err) {
        await session.dispose();
        const e = err as Error & { code?: string };
        if (mode === 'off' || e.code !== 'INVALID_ARGUMENT') throw err;
        skipped.push({ mode, reason: e.message });
        log(`bench e2e: skipping ${mode}: ${e.message}`);
      }
    }
    const ran = [...sessions.keys()];
    for (const [i, trace] of traces.entries()) {
      const prompt = promptFor(info, trace);
      const documents = documentsFor(trace, i);
      // rotate the order so no mode always runs first (caches, turbo, other processes)
      const order = ran.map((_, j) => ran[(i + j) % ran.length]);
      for (const mode of order) {
        const started = performance.now();
        try {
          const result = await sessions.get(mode)!.complete({ prompt, documents, maxTokens: o.maxTokens, speculation: mode });
          outputs.get(mode)!.push({ result, wallMs: performance.now() - started });
          texts[mode][i] = result.text;
        } catch (err) {
          errors.get(mode)!.push(`prompt ${i}: ${(err as Error).message}`);
          texts[mode][i] = undefined;
        }
      }
      log(`bench e2e: prompt ${i + 1}/${traces.length} (${trace.file}:${trace.line}) done`);
    }
  } finally {
    for (const s of sessions.values()) await s.dispose();
    await model.dispose();
  }

  const ran = [...sessions.keys()];
  const modes: Record<string, E2eModeResult> = {};
  for (const mode of ran) modes[mode] = summaryOf(mode, outputs.get(mode)!, errors.get(mode)!);
  const ngramModes = ran.filter((m) => m.startsWith('ngram-'));
  const bestNgram = ngramModes.sort((a, b) => modes[b].tokensPerSecond - modes[a].tokensPerSecond)[0];
  for (const mode of ran) {
    modes[mode].speedupOverOff = ratio(modes[mode].tokensPerSecond, modes.off.tokensPerSecond);
    modes[mode].completionSpeedupOverOff = ratio(modes.off.completionMs.mean, modes[mode].completionMs.mean);
    modes[mode].speedupOverBestNgram = bestNgram ? ratio(modes[mode].tokensPerSecond, modes[bestNgram].tokensPerSecond) : null;
  }
  const mismatches: OutputMismatch[] = findMismatches(texts, 'off');
  const identical = mismatches.length === 0;

  const rows = ran.map((mode) => {
    const m = modes[mode];
    return [
      mode,
      m.completions,
      m.generatedTokens,
      fmt(m.tokensPerSecond, 1),
      fmt(m.tokensPerStep),
      fmt(m.acceptedPerDrafted === null ? null : m.acceptedPerDrafted * 100, 0, '%'),
      fmt(m.firstTokenMs.mean, 0),
      fmt(m.firstTokenMs.p50, 0),
      fmt(m.completionMs.mean, 0),
      fmt(m.completionMs.p50, 0),
      fmt(m.speedupOverOff, 2, '×'),
      fmt(m.speedupOverBestNgram, 2, '×'),
      texts[mode].every((t, i) => t !== undefined && t === texts.off[i]) ? 'yes' : 'NO',
    ];
  });
  const table = markdownTable(
    [
      'mode',
      'completions',
      'tokens',
      'tokens/s',
      'tokens/step',
      'accepted/drafted',
      'first token ms (mean)',
      'first token ms (p50)',
      'completion ms (mean)',
      'completion ms (p50)',
      'speed-up vs off',
      'vs best ngram',
      'text = off',
    ],
    rows,
  );
  const svg = barChartSvg(
    'e2e: generated tokens/s (decode) per mode',
    ran.map((m) => ({ label: m, value: modes[m].tokensPerSecond })),
  );
  const note =
    'Random-weight models prove mechanics and overheads (lossless output, the cost of drafting and verification), not acceptance: ' +
    'their greedy output rarely matches the context, so drafts are mostly rejected. Timings on a shared machine are noisy.';
  const json = {
    suite: 'e2e',
    model: {
      path: info.path,
      origin: o.modelOrigin,
      description: info.description,
      quantization: info.quantization,
      parameters: info.parameters,
      fim: hasFimTokens(info.fim),
      placement: info.placement,
    },
    prompts: traces.length,
    seed: o.seed,
    sources: o.sources,
    maxTokens: o.maxTokens,
    device: o.device,
    threads: o.threads ?? `engine default (hardware threads, at most 8; this machine has ${os.cpus().length})`,
    modes,
    skipped,
    bestNgram: bestNgram ?? null,
    identical,
    mismatches,
    note,
  };
  const mismatchText = identical
    ? '\nEvery mode produced exactly the text of off.\n'
    : `\n**${mismatches.length} outputs differ from off:**\n\n${markdownTable(
        ['prompt', 'mode', 'offset', 'off', "mode's"],
        mismatches.map((m) => [m.prompt, m.mode, m.offset, JSON.stringify(m.expected), JSON.stringify(m.actual)]),
      )}\n`;
  const skippedText = skipped.length
    ? `\nSkipped modes (the addon rejects them):\n${skipped.map((s) => `- ${s.mode}: ${s.reason}`).join('\n')}\n`
    : '';
  const markdown =
    `# End-to-end benchmark\n\n${traces.length} prompts (seed ${o.seed}), at most ${o.maxTokens} tokens each; model ${info.description} ` +
    `(${info.quantization}, ${o.modelOrigin}); threads ${json.threads}; device ${o.device}\n\n${table}\n${mismatchText}${skippedText}\n${note}\n`;
  const files = writeReport(o.outDir, 'e2e', json, markdown, svg);
  return { json, table, files, identical };
}
