// `tandem bench typing`: what a user feels while typing. Real editing (typingWorkload.ts) is
// replayed keystroke by keystroke through the real pipeline — the CompletionController with its
// adaptive debounce, type-through cache and in-flight reuse, the CursorContextReader with the
// extension's context-chunk selection, the EngineClient, the engine host process and the addon —
// once per pipeline variant ("layout"), interleaved burst by burst in one run so the noise of a
// shared machine spreads evenly. Keystroke gaps and the debounce run on a virtual clock; engine work,
// and the rest after a jump (when the anchored pipeline pre-warms), take real time.
//
// Per engine request: prompt tokens, re-prefilled tokens (prompt − reused), time to first token
// (engine.complete() to its first streamed piece, over the IPC), time to ghost text (debounce + the
// real time until the provider answered), completion time. A request is labelled by what led to it:
// typing forward (char, enter, backspace) or the start of a burst (open, jump, switch).
// With `alternatives` (what a manual trigger asks for), every typing-forward request asks for that
// many completion alternatives too; their time (CompletionStats.alternativesMs, spent after the
// greedy result) is reported apart, beside the whole request's.
import * as os from 'node:os';
import { CompletionController, CompletionSettings } from '../completion/completionController';
import { CursorContextReader, ReaderSettings } from '../completion/cursorContextReader';
import { ChunkIndex } from '../context/contextChunks';
import { PromptLayout } from '../context/promptAnchor';
import { fitToContext } from '../context/promptBudget';
import { ClientCompletionRequest, ClientPrefillRequest, CompleteOptions, EngineClient } from '../engine/client';
import type { CompletionResult, ModelInfo, PrefillResult, SpeculationMode } from '../engine/native';
import { lineChartSvg, markdownTable, writeReport } from './report';
import { BenchDocument, benchSources } from './benchDocument';
import { fmt, percentile } from './stats';
import { BurstStart, TypingStep, TypingWorkload, makeTypingWorkload } from './typingWorkload';

/** The pipeline variants compared. `classic`: the pipeline before anchored prompts — the prompt
 *  split at the cursor, fixed budgets, no per-document KV, no pre-warm. `anchored`: today's
 *  default — anchored prompts, per-document KV, pre-warm where the cursor rests, cold windows
 *  sized to the time target. */
export const TYPING_LAYOUTS = ['classic', 'anchored'] as const;
export type TypingLayout = (typeof TYPING_LAYOUTS)[number];
export const DEFAULT_TYPING_LAYOUT: TypingLayout = 'anchored';

const PIPELINES: Record<TypingLayout, { promptLayout: PromptLayout; kvKeys: boolean; prewarm: boolean; coldStartMs: number }> = {
  classic: { promptLayout: 'classic', kvKeys: false, prewarm: false, coldStartMs: 0 },
  anchored: { promptLayout: 'anchored', kvKeys: true, prewarm: true, coldStartMs: 1000 },
};

/** Typing forward; the rest start a burst. */
export const FORWARD_EVENTS = ['char', 'enter', 'backspace'] as const;
export type TypingEvent = (typeof FORWARD_EVENTS)[number] | BurstStart;

export interface TypingOptions {
  /** out/engineHost.js (or the test build's host.js) */
  hostScript: string;
  addonPath?: string;
  modelPath: string;
  modelOrigin: string;
  sources: string[];
  seed: number;
  bursts: number;
  layouts: TypingLayout[];
  threads?: number;
  device?: 'auto' | 'cpu' | 'gpu' | 'npu';
  contextSize: number;
  maxTokens: number;
  speculation: SpeculationMode;
  /** Real time the user rests after a jump or switch before typing (the anchored pipeline pre-warms). */
  restMs: number;
  /** The anchored pipeline's cold-prefill target (tandem.completion.coldStartMs). */
  coldStartMs?: number;
  /** Alternatives each typing-forward request asks for (0/absent: none). */
  alternatives?: number;
  outDir: string;
  log?: (line: string) => void;
}

export interface RequestRecord {
  index: number;
  event: TypingEvent;
  promptTokens: number;
  reusedTokens: number;
  restoredTokens: number;
  /** prompt tokens evaluated for this request (promptTokens − reusedTokens) */
  reprefillTokens: number;
  prefillMs: number;
  /** saving and restoring per-document KV */
  kvSwitchMs: number;
  /** engine.complete() → first streamed piece (undefined: cancelled before one) */
  ttftMs?: number;
  /** debounce + real time until the provider answered (undefined: no ghost text) */
  ghostMs?: number;
  /** engine.complete() → result (undefined: cancelled) */
  completionMs?: number;
  stopReason: string;
  /** asked for alternatives: the engine's figures for them, and whether a cancel (a keystroke)
   *  came while the request ran, so they may have been cut short */
  alternatives?: { offered: number; ms: number; tokens: number; cut: boolean };
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  max: number | null;
}
export interface FigureSet {
  requests: number;
  ttftMs: Percentiles;
  reprefillTokens: Percentiles;
  ghostMs: Percentiles;
  completionMs: Percentiles;
  promptTokens: Percentiles;
}
/** Typing-forward requests that asked for alternatives and were not cancelled while they ran. */
export interface AlternativesFigures {
  requests: number;
  /** asked, but a cancel came while the request ran (their figures are left out) */
  cut: number;
  offered: Percentiles;
  /** CompletionStats.alternativesMs: decoding the alternatives, after the greedy result */
  alternativesMs: Percentiles;
  alternativeTokens: Percentiles;
  /** engine.complete() → result of the same requests: the greedy completion and the alternatives */
  completionMs: Percentiles;
  /** completionMs − alternativesMs: what the same requests took without the alternatives */
  greedyMs: Percentiles;
}
export interface LayoutResult extends FigureSet {
  byEvent: Partial<Record<TypingEvent, FigureSet>>;
  /** present when the run asked for alternatives */
  alternatives?: AlternativesFigures;
  prewarms: { sent: number; completed: number; prefilledTokens: number };
  /** engine requests the controller avoided: answers from the type-through cache / a running generation */
  cacheHits: number;
  inflightHits: number;
  errors: string[];
}

/** Debounce timers on virtual time: they fire only when the replay moves the clock past them. */
class VirtualClock {
  t = 0;
  private timers: { at: number; fire: (ok: boolean) => void }[] = [];
  readonly now = () => this.t;
  readonly wait = (ms: number, signal: AbortSignal): Promise<boolean> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const timer = { at: this.t + ms, fire: resolve };
      this.timers.push(timer);
      signal.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((x) => x !== timer);
          resolve(false);
        },
        { once: true },
      );
    });
  /** The earliest timer due by `t`, fired (the clock moves to it), or undefined. */
  fireNext(t: number): number | undefined {
    this.timers.sort((a, b) => a.at - b.at);
    const next = this.timers[0];
    if (!next || next.at > t) return undefined;
    this.timers.shift();
    this.t = Math.max(this.t, next.at);
    next.fire(true);
    return next.at;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One pipeline variant: its own engine host process, controller, reader and documents. */
class Lane {
  readonly records: RequestRecord[] = [];
  readonly errors: string[] = [];
  readonly prewarms = { sent: 0, completed: 0, prefilledTokens: 0 };
  readonly clock = new VirtualClock();
  private readonly reader: CursorContextReader;
  readonly controller: CompletionController;
  private readonly chunkIndex = new ChunkIndex();
  private documents: BenchDocument[] = [];
  private current = 0;
  /** how the current burst began, until its first engine request */
  private burstLabel?: BurstStart;
  private pending?: { abort: AbortController; promise: Promise<{ text: string } | undefined>; keystrokeAt: number; kind: TypingEvent };
  /** the keystroke whose debounce fires now (its request is labelled with it) */
  private firingEvent?: TypingEvent;
  private readonly settings: ReaderSettings;
  private readonly pipeline: (typeof PIPELINES)[TypingLayout];
  private readonly alternatives: number;

  constructor(
    readonly layout: TypingLayout,
    readonly client: EngineClient,
    readonly model: ModelInfo,
    o: TypingOptions,
    workload: TypingWorkload,
  ) {
    this.pipeline = { ...PIPELINES[layout], coldStartMs: layout === 'anchored' ? (o.coldStartMs ?? PIPELINES.anchored.coldStartMs) : 0 };
    this.alternatives = o.alternatives ?? 0;
    this.settings = fitToContext(
      {
        promptLayout: this.pipeline.promptLayout,
        prefixTokens: 1024,
        suffixTokens: 256,
        contextTokens: 512,
        coldStartMs: this.pipeline.coldStartMs,
      },
      o.contextSize,
      o.maxTokens,
    );
    const completionSettings: CompletionSettings = {
      maxTokens: o.maxTokens,
      prefixTokens: this.settings.prefixTokens,
      streamFirstLine: true,
      prefetch: false,
      speculation: o.speculation,
    };
    this.controller = new CompletionController({
      engine: this.instrumentedEngine(),
      model: () => Promise.resolve(model),
      loadedModel: () => model,
      settings: () => completionSettings,
      now: this.clock.now,
      wait: this.clock.wait,
    });
    this.reader = new CursorContextReader({
      kvKeys: this.pipeline.kvKeys,
      prefillTokensPerMs: () => this.controller.prefillRate.tokensPerMs(),
    });
    this.documents = workload.files.map(
      (f, i) =>
        new BenchDocument(`file:///bench/${i}/${f.path}`, f.path, f.path.endsWith('.ts') ? 'typescript' : 'javascript', f.text.split('\n')),
    );
  }

  /** The real EngineClient, recording each request's timings. */
  private instrumentedEngine() {
    return {
      complete: async (request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> => {
        const event: TypingEvent = this.burstLabel ?? this.firingEvent ?? 'char';
        this.burstLabel = undefined;
        const started = performance.now();
        let firstAt: number | undefined;
        const record: RequestRecord = {
          index: this.records.length,
          event,
          promptTokens: 0,
          reusedTokens: 0,
          restoredTokens: 0,
          reprefillTokens: 0,
          prefillMs: 0,
          kvSwitchMs: 0,
          stopReason: 'pending',
        };
        this.records.push(record);
        const askAlternatives = this.alternatives > 0 && (FORWARD_EVENTS as readonly string[]).includes(event);
        try {
          const result = await this.client.complete(askAlternatives ? { ...request, alternatives: this.alternatives } : request, {
            ...options,
            onText: (piece) => {
              firstAt ??= performance.now();
              options.onText?.(piece);
            },
          });
          const s = result.stats;
          const cancelled = s.stopReason === 'cancelled';
          Object.assign(record, {
            promptTokens: s.promptTokens,
            reusedTokens: s.reusedTokens,
            restoredTokens: s.restoredTokens ?? 0,
            reprefillTokens: s.promptTokens - s.reusedTokens,
            prefillMs: s.prefillMs,
            kvSwitchMs: s.kvSwitchMs ?? 0,
            stopReason: s.stopReason,
            ttftMs: firstAt !== undefined ? firstAt - started : cancelled ? undefined : performance.now() - started,
            completionMs: cancelled ? undefined : performance.now() - started,
          });
          if (askAlternatives) {
            record.alternatives = {
              offered: result.alternatives?.length ?? 0,
              ms: s.alternativesMs ?? 0,
              tokens: s.alternativeTokens ?? 0,
              cut: cancelled || options.signal?.aborted === true,
            };
          }
          return result;
        } catch (err) {
          record.stopReason = 'error';
          this.errors.push((err as Error).message);
          throw err;
        }
      },
      prefill: async (request: ClientPrefillRequest, options: { signal?: AbortSignal } = {}): Promise<PrefillResult> => {
        this.prewarms.sent++;
        const result = await this.client.prefill(request, options);
        if (!result.cancelled) {
          this.prewarms.completed++;
          this.prewarms.prefilledTokens += result.promptTokens - result.reusedTokens;
        }
        return result;
      },
    };
  }

  private get document(): BenchDocument {
    return this.documents[this.current];
  }

  private read(document: BenchDocument) {
    return {
      document,
      line: document.line,
      character: document.character,
      settings: this.settings,
      sources: benchSources(document, this.documents, this.chunkIndex),
      indentUnit: () => '  ',
    };
  }

  /** Replays one burst: a 'place' step, then keystrokes. Returns with nothing running. */
  async runBurst(steps: TypingStep[], restMs: number): Promise<void> {
    for (const step of steps) {
      if (step.kind === 'place') await this.place(step, restMs);
      else await this.keystroke(step);
    }
    await this.advanceTo(this.clock.t + 5_000); // the user stops: the last debounce fires
    while (this.controller.runningCount > 0 || this.controller.prewarmRunning) await sleep(5);
  }

  private async place(step: Extract<TypingStep, { kind: 'place' }>, restMs: number): Promise<void> {
    this.pending?.abort.abort(); // VS Code cancels its pending call when the cursor moves away
    this.pending = undefined;
    this.current = step.file;
    const document = this.document;
    document.apply(step);
    document.snapshot = { version: document.version, text: document.text() };
    this.burstLabel = step.start;
    const window = this.reader.window(document, document.line, document.character, this.settings);
    this.controller.cursorMoved({
      documentId: document.id,
      prefix: window.prefix,
      suffix: window.suffix,
      prefixAtDocumentStart: window.prefixAtDocumentStart,
    });
    this.clock.t += restMs;
    if (!this.pipeline.prewarm) return;
    const { context, deferred, commit } = this.reader.readForPrewarm(this.read(document));
    const prewarm = this.controller.prewarm(context, { keepCached: deferred }).then(
      (result) => {
        if (result && !result.cancelled) commit();
      },
      (err: unknown) => {
        this.errors.push(`pre-warm: ${(err as Error).message}`);
      },
    );
    await Promise.race([prewarm, sleep(restMs)]); // the first keystroke after the rest stops it
  }

  private async keystroke(step: Exclude<TypingStep, { kind: 'place' }>): Promise<void> {
    await this.advanceTo(this.clock.t + step.gapMs);
    const document = this.document;
    document.apply(step);
    this.pending?.abort.abort(); // a new keystroke: VS Code cancels the previous call
    const abort = new AbortController();
    const keystrokeAt = this.clock.t;
    const promise = this.controller.provide(this.reader.read(this.read(document)), abort.signal).catch((err: unknown) => {
      this.errors.push((err as Error).message);
      return undefined;
    });
    this.pending = { abort, promise, keystrokeAt, kind: step.kind };
  }

  /** Moves virtual time to `t`; a debounce due before then fires, and its request runs (real time). */
  private async advanceTo(t: number): Promise<void> {
    for (;;) {
      const pending = this.pending;
      this.firingEvent = pending?.kind;
      const dueAt = this.clock.fireNext(t);
      if (dueAt === undefined || !pending) break;
      this.pending = undefined;
      const recordsBefore = this.records.length;
      const firedAt = performance.now();
      const answer = await pending.promise;
      // the ghost text of this keystroke: the debounce (virtual) plus the real time to the answer
      const record = this.records[recordsBefore] as RequestRecord | undefined;
      if (record && answer?.text) record.ghostMs = dueAt - pending.keystrokeAt + (performance.now() - firedAt);
    }
    this.firingEvent = undefined;
    this.clock.t = Math.max(this.clock.t, t);
  }
}

/** Percentiles of the defined values (nearest rank), null when there are none. */
function percentilesOf(values: (number | undefined)[]): Percentiles {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return { p50: percentile(v, 50), p95: percentile(v, 95), max: v.length ? Math.max(...v) : null };
}

function alternativesFiguresOf(records: RequestRecord[]): AlternativesFigures {
  const asked = records.filter((r) => r.alternatives);
  const whole = asked.filter((r) => !r.alternatives?.cut && r.completionMs !== undefined);
  return {
    requests: whole.length,
    cut: asked.length - whole.length,
    offered: percentilesOf(whole.map((r) => r.alternatives?.offered)),
    alternativesMs: percentilesOf(whole.map((r) => r.alternatives?.ms)),
    alternativeTokens: percentilesOf(whole.map((r) => r.alternatives?.tokens)),
    completionMs: percentilesOf(whole.map((r) => r.completionMs)),
    greedyMs: percentilesOf(whole.map((r) => (r.completionMs ?? 0) - (r.alternatives?.ms ?? 0))),
  };
}

function figuresOf(records: RequestRecord[]): FigureSet {
  return {
    requests: records.length,
    ttftMs: percentilesOf(records.map((r) => r.ttftMs)),
    reprefillTokens: percentilesOf(records.map((r) => r.reprefillTokens)),
    ghostMs: percentilesOf(records.map((r) => r.ghostMs)),
    completionMs: percentilesOf(records.map((r) => r.completionMs)),
    promptTokens: percentilesOf(records.map((r) => r.promptTokens)),
  };
}

export async function runTypingBench(o: TypingOptions) {
  const log = o.log ?? (() => undefined);
  const workload = makeTypingWorkload({ sources: o.sources, seed: o.seed, bursts: o.bursts });
  log(`bench typing: ${workload.files.map((f) => f.path).join(', ')}; ${workload.bursts} bursts, ${workload.keystrokes} keystrokes`);
  // bursts: a 'place' step and the keystrokes after it
  const bursts: TypingStep[][] = [];
  for (const step of workload.steps) {
    if (step.kind === 'place') bursts.push([step]);
    else bursts[bursts.length - 1].push(step);
  }

  const lanes: Lane[] = [];
  try {
    let info: ModelInfo | undefined;
    for (const layout of o.layouts) {
      const client = new EngineClient({
        hostScript: o.hostScript,
        addonPath: o.addonPath,
        logLevel: 'error',
        log: (line) => log(`[${layout} engine] ${line}`),
      });
      lanes.push(new Lane(layout, client, await loadModel(client, o), o, workload));
      info ??= lanes[lanes.length - 1].model;
      // warm-up outside the timings: graphs, and the auto drafter's T(k) (measured once, cached)
      await client.complete({ prompt: ['function warmUp(a, b) {\n  return a + b;\n}\n'], maxTokens: 2, speculation: o.speculation });
    }
    for (const [i, burst] of bursts.entries()) {
      // rotate the order so no layout always goes first
      for (let j = 0; j < lanes.length; j++) await lanes[(i + j) % lanes.length].runBurst(burst, o.restMs);
      const first = burst[0] as Extract<TypingStep, { kind: 'place' }>;
      log(`bench typing: burst ${i + 1}/${bursts.length} (${first.start}, ${workload.files[first.file].path}:${first.line + 1}) done`);
    }
    return report(o, workload, lanes, info!);
  } finally {
    for (const lane of lanes) {
      lane.controller.dispose();
      await lane.client.disposeAsync();
    }
  }
}

async function loadModel(client: EngineClient, o: TypingOptions): Promise<ModelInfo> {
  return client.loadModel(o.modelPath, { contextSize: o.contextSize, threads: o.threads, device: o.device });
}

function report(o: TypingOptions, workload: TypingWorkload, lanes: Lane[], info: ModelInfo) {
  const layouts: Record<string, LayoutResult> = {};
  for (const lane of lanes) {
    // requests cancelled before the engine started them prefilled nothing and sent no text
    const ran = lane.records.filter((r) => r.promptTokens > 0);
    const forward = ran.filter((r) => (FORWARD_EVENTS as readonly string[]).includes(r.event));
    const byEvent: LayoutResult['byEvent'] = {};
    for (const event of [...FORWARD_EVENTS, 'open', 'jump', 'switch'] as TypingEvent[]) {
      const records = ran.filter((r) => r.event === event);
      if (records.length) byEvent[event] = figuresOf(records);
    }
    layouts[lane.layout] = {
      ...figuresOf(forward),
      byEvent,
      prewarms: lane.prewarms,
      cacheHits: lane.controller.counters.cacheHits,
      inflightHits: lane.controller.counters.inflightHits,
      errors: lane.errors,
    };
    if (o.alternatives) layouts[lane.layout].alternatives = alternativesFiguresOf(forward);
  }
  const defaultLayout = lanes.some((l) => l.layout === DEFAULT_TYPING_LAYOUT) ? DEFAULT_TYPING_LAYOUT : lanes[0].layout;
  const coldStartMs = o.coldStartMs ?? PIPELINES.anchored.coldStartMs;
  const json = {
    suite: 'typing',
    defaultLayout,
    layouts,
    model: { path: info.path, origin: o.modelOrigin, description: info.description, quantization: info.quantization },
    files: workload.files.map((f) => f.path),
    seed: o.seed,
    bursts: workload.bursts,
    keystrokes: workload.keystrokes,
    sources: o.sources,
    maxTokens: o.maxTokens,
    contextSize: o.contextSize,
    speculation: o.speculation,
    restMs: o.restMs,
    coldStartMs,
    alternatives: o.alternatives ?? 0,
    threads: o.threads ?? `engine default (hardware threads, at most 8; this machine has ${os.cpus().length})`,
    timeline: Object.fromEntries(
      lanes.map((l) => [
        l.layout,
        l.records
          .filter((r) => r.promptTokens > 0)
          .map((r) => ({
            event: r.event,
            promptTokens: r.promptTokens,
            reprefillTokens: r.reprefillTokens,
            restoredTokens: r.restoredTokens,
            prefillMs: r.prefillMs,
            kvSwitchMs: r.kvSwitchMs,
            ttftMs: r.ttftMs,
          })),
      ]),
    ),
    note:
      'Top-level figures cover requests made while typing forward (char, enter, backspace); byEvent splits them and adds the first request ' +
      'of each burst (open: a file the first time, jump: a new place, switch: back to where the user left off in another open file). ' +
      'Time to first token is measured from EngineClient.complete() to the first streamed piece (the IPC included); ghost text adds the ' +
      'debounce (virtual) and ends when the provider answered. Random-weight models prove latency, not suggestion quality.',
  };
  const row = (name: string, f: FigureSet) => [
    name,
    f.requests,
    fmt(f.ttftMs.p50, 0),
    fmt(f.ttftMs.p95, 0),
    fmt(f.ttftMs.max, 0),
    fmt(f.reprefillTokens.p50, 0),
    fmt(f.reprefillTokens.p95, 0),
    fmt(f.reprefillTokens.max, 0),
    fmt(f.ghostMs.p50, 0),
    fmt(f.ghostMs.p95, 0),
    fmt(f.ghostMs.max, 0),
    fmt(f.promptTokens.p50, 0),
  ];
  const header = [
    'layout / event',
    'requests',
    'first token p50 ms',
    'p95',
    'max',
    're-prefilled p50',
    'p95',
    'max',
    'ghost text p50 ms',
    'p95',
    'max',
    'prompt tokens p50',
  ];
  const table = markdownTable(
    header,
    lanes.flatMap((l) => {
      const r = layouts[l.layout];
      return [row(`**${l.layout}** typing forward`, r), ...Object.entries(r.byEvent).map(([e, f]) => row(`${l.layout} · ${e}`, f))];
    }),
  );
  const svg = lineChartSvg(
    'bench typing: re-prefilled tokens per engine request (log scale)',
    lanes.map((l) => ({
      label: l.layout,
      points: l.records.filter((r) => r.promptTokens > 0).map((r, i): [number, number] => [i + 1, r.reprefillTokens]),
    })),
    { x: 'engine request (in the order typed)', y: 're-prefilled tokens', logY: true },
  );
  const alternativesTable = o.alternatives
    ? markdownTable(
        [
          'layout',
          'requests',
          'cut',
          'offered p50',
          'alternatives p50 ms',
          'p95',
          'max',
          'tokens p50',
          'completion p50 ms',
          'p95',
          'without alternatives p50 ms',
          'p95',
        ],
        lanes.map((l) => {
          const a = layouts[l.layout].alternatives!;
          return [
            l.layout,
            a.requests,
            a.cut,
            fmt(a.offered.p50, 0),
            fmt(a.alternativesMs.p50, 0),
            fmt(a.alternativesMs.p95, 0),
            fmt(a.alternativesMs.max, 0),
            fmt(a.alternativeTokens.p50, 0),
            fmt(a.completionMs.p50, 0),
            fmt(a.completionMs.p95, 0),
            fmt(a.greedyMs.p50, 0),
            fmt(a.greedyMs.p95, 0),
          ];
        }),
      )
    : '';
  const alternativesNote = o.alternatives
    ? `\n\n## Alternatives\n\nEvery typing-forward request asked for ${o.alternatives} alternatives (a manual trigger's request); ` +
      'figures of the requests not cancelled while they ran ("cut" counts the others). "alternatives" is the time the engine spent on ' +
      'them after the greedy result; "completion" is engine.complete() to its result, alternatives included.\n\n' +
      alternativesTable
    : '';
  const markdown =
    `# Typing benchmark\n\n${workload.bursts} bursts, ${workload.keystrokes} keystrokes (seed ${o.seed}) in ${workload.files.map((f) => `\`${f.path}\``).join(', ')}; ` +
    `model ${info.description} (${info.quantization}, ${o.modelOrigin}); threads ${json.threads}; at most ${o.maxTokens} tokens per completion; ` +
    `speculation ${o.speculation}; rest after a jump ${o.restMs} ms; cold-prefill target ${coldStartMs} ms (anchored)\n\n${table}\n\n${json.note}${alternativesNote}\n`;
  const files = writeReport(o.outDir, 'typing', json, markdown, svg);
  return { json, table: alternativesTable ? `${table}\n\nalternatives:\n${alternativesTable}` : table, files };
}
