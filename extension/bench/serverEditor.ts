// One simulated editor of `tandem bench server`: a user replaying the typing workload
// (typingWorkload.ts) in real time — keystroke gaps as typed, the adaptive debounce on real timers,
// a rest after each jump or switch — through Tandem's real pipeline: the CursorContextReader with
// the anchored layout and context chunks of the other open files, and the CompletionController
// with its type-through cache, in-flight reuse and pre-warm. Each new keystroke cancels the
// previous provider call, as VS Code does; the controller then aborts the generation it no longer
// needs (after its grace time), which for the server engine is an HTTP abort. The engine is any
// CompletionEngine: ServerEngine (llama-server) or EngineClient (the local engine, the baseline).
// Several editors run at once against one server. (bench typing replays the same workload on a
// virtual clock, one layout at a time; this one needs real time, because editors share a server.)
import { CompletionController } from '../completion/completionController';
import { CursorContextReader, ReaderSettings } from '../completion/cursorContextReader';
import { ChunkIndex } from '../context/contextChunks';
import { fitToContext } from '../context/promptBudget';
import type { ClientCompletionRequest, ClientPrefillRequest, CompleteOptions } from '../engine/client';
import type { CompletionEngine } from '../engine/completionEngine';
import type { CompletionResult, ModelInfo, PrefillResult } from '../engine/native';
import type { TypingStep, TypingWorkload } from './typingWorkload';
import { BenchDocument, benchSources } from './benchDocument';

/** One engine request of one editor. Times are ms of performance.now(). */
export interface EditorRequest {
  editor: number;
  startedAt: number;
  /** engine.complete() → first streamed text (undefined: none came) */
  ttftMs?: number;
  /** engine.complete() → its result */
  totalMs?: number;
  /** the editor aborted it (a newer keystroke made it useless) */
  aborted: boolean;
  error?: string;
  /** tokens the editor received (streamed text's tokens, aborted requests included) */
  tokens: number;
  promptTokens: number;
  /** prompt tokens the engine found in its cache (llama-server: timings.cache_n) */
  cachedTokens: number;
}

export interface EditorOptions {
  /** index of this editor (labels, document ids) */
  index: number;
  engine: CompletionEngine;
  model: ModelInfo;
  workload: TypingWorkload;
  contextSize: number;
  maxTokens: number;
  /** real time the user rests after a jump or switch before typing (pre-warm runs then) */
  restMs: number;
  /** keystroke gaps are divided by this (1 = as typed) */
  speed: number;
  /** pre-warm while the user rests (Tandem's default) */
  prewarm: boolean;
  /** stop replaying when this aborts */
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export class SimulatedEditor {
  readonly requests: EditorRequest[] = [];
  readonly errors: string[] = [];
  readonly prewarms = { sent: 0, completed: 0 };
  readonly controller: CompletionController;
  private readonly reader: CursorContextReader;
  private readonly chunkIndex = new ChunkIndex();
  private readonly documents: BenchDocument[];
  private readonly settings: ReaderSettings;
  private current = 0;
  private pending?: AbortController;
  private readonly answers = new Set<Promise<unknown>>();

  constructor(private readonly o: EditorOptions) {
    this.settings = fitToContext(
      { promptLayout: 'anchored', prefixTokens: 1024, suffixTokens: 256, contextTokens: 512, coldStartMs: 1000 },
      o.contextSize,
      o.maxTokens,
    );
    this.controller = new CompletionController({
      engine: this.recordingEngine(),
      model: () => Promise.resolve(o.model),
      loadedModel: () => o.model,
      settings: () => ({ maxTokens: o.maxTokens, prefixTokens: this.settings.prefixTokens, streamFirstLine: true, prefetch: false }),
    });
    this.reader = new CursorContextReader({ kvKeys: true, prefillTokensPerMs: () => this.controller.prefillRate.tokensPerMs() });
    this.documents = o.workload.files.map(
      (f, i) =>
        new BenchDocument(
          `file:///editor${o.index}/${i}/${f.path}`,
          f.path,
          f.path.endsWith('.ts') ? 'typescript' : 'javascript',
          f.text.split('\n'),
        ),
    );
  }

  /** The engine, recording each request's timings. */
  private recordingEngine() {
    const engine = this.o.engine;
    return {
      complete: async (request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> => {
        const startedAt = performance.now();
        const record: EditorRequest = { editor: this.o.index, startedAt, aborted: false, tokens: 0, promptTokens: 0, cachedTokens: 0 };
        this.requests.push(record);
        try {
          const result = await engine.complete(request, {
            ...options,
            onText: (piece) => {
              record.ttftMs ??= performance.now() - startedAt;
              options.onText?.(piece);
            },
          });
          record.aborted = result.stats.stopReason === 'cancelled';
          record.tokens = result.tokens?.length ?? result.stats.generatedTokens;
          record.promptTokens = result.stats.promptTokens;
          record.cachedTokens = result.stats.reusedTokens;
          if (!record.aborted) record.totalMs = performance.now() - startedAt;
          return result;
        } catch (err) {
          record.error = (err as Error).message;
          this.errors.push(record.error);
          throw err;
        }
      },
      prefill: async (request: ClientPrefillRequest, options: { signal?: AbortSignal } = {}): Promise<PrefillResult> => {
        this.prewarms.sent++;
        const result = await engine.prefill(request, options);
        if (!result.cancelled) this.prewarms.completed++;
        return result;
      },
    };
  }

  private get document(): BenchDocument {
    return this.documents[this.current];
  }

  private readRequest(document: BenchDocument) {
    return {
      document,
      line: document.line,
      character: document.character,
      settings: this.settings,
      indentUnit: () => '  ',
      sources: benchSources(document, this.documents, this.chunkIndex),
    };
  }

  /** Replays the whole workload in real time; resolves when the last request has ended. */
  async run(): Promise<void> {
    const { signal } = this.o;
    for (const step of this.o.workload.steps) {
      if (signal?.aborted) break;
      if (step.kind === 'place') await this.place(step);
      else await this.keystroke(step);
    }
    // the user stops typing: the last debounce fires and its request runs to its end
    await sleep(1500, signal);
    await Promise.all(this.answers);
    while (this.controller.runningCount > 0 || this.controller.prewarmRunning) await sleep(20);
  }

  dispose(): void {
    this.pending?.abort();
    this.controller.dispose();
  }

  private async place(step: Extract<TypingStep, { kind: 'place' }>): Promise<void> {
    this.pending?.abort(); // VS Code cancels its pending call when the cursor moves away
    this.pending = undefined;
    this.current = step.file;
    const document = this.document;
    document.apply(step);
    document.snapshot = { version: document.version, text: document.text() };
    const window = this.reader.window(document, document.line, document.character, this.settings);
    this.controller.cursorMoved({
      documentId: document.id,
      prefix: window.prefix,
      suffix: window.suffix,
      prefixAtDocumentStart: window.prefixAtDocumentStart,
    });
    const rest = sleep(this.o.restMs, this.o.signal);
    if (this.o.prewarm) {
      const { context, deferred, commit } = this.reader.readForPrewarm(this.readRequest(document));
      const prewarm = this.controller.prewarm(context, { keepCached: deferred }).then(
        (result) => {
          if (result && !result.cancelled) commit();
        },
        (err: unknown) => {
          this.errors.push(`pre-warm: ${(err as Error).message}`);
        },
      );
      this.track(prewarm);
    }
    await rest; // the first keystroke after the rest stops a pre-warm still running
  }

  private async keystroke(step: Exclude<TypingStep, { kind: 'place' }>): Promise<void> {
    await sleep(step.gapMs / this.o.speed, this.o.signal);
    const document = this.document;
    document.apply(step);
    this.pending?.abort(); // a new keystroke: VS Code cancels the previous call
    const abort = new AbortController();
    this.pending = abort;
    const answer = this.controller.provide(this.reader.read(this.readRequest(document)), abort.signal).catch((err: unknown) => {
      this.errors.push((err as Error).message);
      return undefined;
    });
    this.track(answer);
  }

  private track(promise: Promise<unknown>): void {
    this.answers.add(promise);
    void promise.finally(() => this.answers.delete(promise));
  }
}
