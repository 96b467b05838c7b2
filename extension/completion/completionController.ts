// The completion pipeline behind the provider, without vscode: for each keystroke's cursor
// context it answers from the type-through cache, or attaches to the generation already running
// when the user typed into it, or (after the adaptive debounce) starts a new one — aborting the
// editor's previous generation, so at most one runs per document. Multi-line generations show
// their first line as soon as it is complete and ask for a re-trigger when the rest is in; an
// answered suggestion can be continued ahead of time "as if accepted" (prefetch). While the cursor
// rests, the prompt the next keystroke would send can be prefilled in the background (prewarm).
import type { Disposable } from '../common/disposable';
import { Emitter, Event } from '../common/emitter';
import { ContextChunk, FimText, buildFimPrompt } from '../context/fimPrompt';
import { PrefillRate } from '../context/promptBudget';
import type { AnchoredText, PromptLayout } from '../context/promptAnchor';
import { tailByTokens } from '../context/tokenEstimate';
import type { ClientCompletionRequest, ClientPrefillRequest, CompleteOptions, OutgoingDocument } from '../engine/client';
import type { CompletionResult, CompletionStats, ModelInfo, PrefillResult, PromptPart, SpeculationMode } from '../engine/native';
import type { CompletionSettingsSection } from '../ui/settings';
import { AdaptiveDebounce, DEFAULT_DEBOUNCE, DebounceOptions, OneShotTimer, delay } from './adaptiveDebounce';
import { CompletionPlan, planCompletion } from './completionPlan';
import { postProcessCompletion } from './postProcess';
import { AnchorContext, CachedSuggestion, Generation, SuggestionCache, anchorOf, firstCompleteLine, typedSince } from './suggestionStore';

/** The text a prompt is built from (cursorContextReader.ts). */
export interface PromptText {
  layout: PromptLayout;
  /** Anchored: from the prompt window's start to the anchor; classic: the cursor window's prefix. */
  prefix: string;
  /** Anchored: from the anchor to the cursor (already written); classic: ''. */
  middle: string;
  suffix: string;
  /** Anchored: where the prompt split and why (for the bench and logs). */
  anchor?: AnchoredText;
}

/** Everything the pipeline needs to know about the cursor, read by the adapter. */
export interface CursorContext extends AnchorContext {
  documentVersion: number;
  languageId: string;
  /** Workspace-relative path of the document. */
  path: string;
  repoName?: string;
  linePrefix: string;
  lineSuffix: string;
  indentUnit: string;
  /** Extra prompt context (read only when a prompt is built). */
  chunks?: () => ContextChunk[];
  /** Draft corpus for the engine (read only when a prompt is built). */
  documents?: () => OutgoingDocument[];
  /** The prompt's text; absent: the classic layout over `prefix` and `suffix`. */
  promptText?: PromptText;
  /** The engine keeps the KV of the last few documents by this key (the document id). */
  kvKey?: string;
}

/** What the controller reads of the completion settings (ui/settings.ts), resolved for it:
 *  `prefetch` is whether prefetching is allowed now (the setting against the power source), and
 *  `speculation` may be any mode the engine knows (`tandem bench typing` compares them all). */
export type CompletionSettings = Pick<CompletionSettingsSection, 'maxTokens' | 'prefixTokens' | 'streamFirstLine'> & {
  /** Continue a shown suggestion as if accepted, while nobody types. */
  prefetch: boolean;
  /** The debounce is this multiple of the typing rhythm's (battery 'reduced': 2); absent: 1. */
  debounceFactor?: number;
  /** Speculative decoding mode (the text is the same in every mode); absent: the engine's default. */
  speculation?: SpeculationMode;
};

/** Told about each engine request (the status bar shows "generating" and the stats). */
export interface CompletionActivity {
  started(): void;
  finished(stats?: CompletionStats, error?: Error): void;
}

export interface CompletionControllerDeps {
  engine: {
    complete(request: ClientCompletionRequest, options?: CompleteOptions): Promise<CompletionResult>;
    /** Prefill only (pre-warm); without it there is no pre-warming. */
    prefill?(request: ClientPrefillRequest, options?: { signal?: AbortSignal }): Promise<PrefillResult>;
  };
  model: () => Promise<ModelInfo>;
  /** The model when it is loaded already (a pre-warm never loads one). */
  loadedModel?: () => ModelInfo | undefined;
  /** The settings for the document the context is in (language and folder overrides applied). */
  settings: (document: SettingsScope) => CompletionSettings;
  activity?: CompletionActivity;
  log?: (line: string) => void;
  now?: () => number;
  /** Waits out the debounce (default: a real timer; the typing bench passes a virtual clock's). */
  wait?: (ms: number, signal: AbortSignal) => Promise<boolean>;
  debounce?: DebounceOptions;
  /** A generation nobody waits for any more is aborted after this long (unless on screen). */
  abandonGraceMs?: number;
}

/** Which document settings are read for. */
export type SettingsScope = Pick<CursorContext, 'documentId' | 'languageId'>;

export type AnswerSource = 'cache' | 'inflight' | 'engine';

export interface CompletionAnswer {
  text: string;
  source: AnswerSource;
  /** Only the first line(s) of a multi-line completion that is still decoding. */
  partial: boolean;
  /** Other completions to cycle through (Alt+] / Alt+[), for a manual trigger; `text` is first. */
  alternatives?: string[];
}

/** Alternatives a manual trigger asks the engine for (native.ts MAX_ALTERNATIVES). */
export const MANUAL_ALTERNATIVES = 2;

export const DEFAULT_ABANDON_GRACE_MS = 150;
const HISTORY_MAX_CHARS = 4_000;
const HISTORY_BATCH_CHARS = 1_000;

export class CompletionController implements Disposable {
  private readonly cache = new SuggestionCache();
  private readonly running = new Map<string, Generation>();
  private readonly abandonTimers = new Map<Generation, OneShotTimer>();
  private readonly debounce: AdaptiveDebounce;
  private readonly retrigger = new Emitter<string>();
  private readonly now: () => number;
  /** The last prompt sent to the engine (JSON): what its KV holds, so a pre-warm never repeats it.
   *  One for all documents: after another document's request, the same prompt is worth a pre-warm
   *  again (the engine restores that document's KV and updates its draft corpus in the background). */
  private lastPrompt?: string;
  private prewarming?: AbortController;
  private history = '';
  private historyPending = '';
  private historyVersion = 0;
  private disposed = false;
  /** Counters for tests and the benchmark. */
  readonly counters = { engineRequests: 0, cacheHits: 0, inflightHits: 0, partialAnswers: 0, prefetches: 0, prewarms: 0 };
  /** Prefill speed of the completion model, from the stats of its requests (promptBudget.ts). */
  readonly prefillRate = new PrefillRate();

  /** Fires with a document id when a suggestion shown in part is complete: re-trigger there. */
  readonly onShouldRetrigger: Event<string> = this.retrigger.event;

  constructor(private readonly deps: CompletionControllerDeps) {
    this.debounce = new AdaptiveDebounce(deps.debounce ?? DEFAULT_DEBOUNCE);
    this.now = deps.now ?? (() => performance.now());
  }

  /** Draft document of earlier suggestions (source 'history'). */
  historyDocument(): OutgoingDocument | undefined {
    if (!this.history) return undefined;
    const text = this.history;
    return { id: 'tandem:history', version: this.historyVersion, source: 'history', readText: () => text };
  }

  /** The answer for one provider call; undefined for none. `signal` aborts when VS Code cancels. */
  async provide(context: CursorContext, signal: AbortSignal, explicit = false): Promise<CompletionAnswer | undefined> {
    if (!explicit) this.debounce.keystroke(this.now());
    this.stopPrewarm(); // a keystroke comes first; what the pre-warm prefilled so far stays in the KV

    // a manual trigger offers alternatives: a cached suggestion without them is asked again
    const alternatives = explicit ? MANUAL_ALTERNATIVES : 0;
    const hit = this.cache.lookup(context);
    if (hit && (!alternatives || hit.entry.alternatives)) {
      const text = this.finish(hit.rest, hit.entry.multiline, context);
      if (text) {
        this.counters.cacheHits++;
        this.shown(context, text);
        return { text, source: 'cache', partial: false, ...this.alternativesFor(hit.entry, hit.typed, text, context) };
      }
    }

    const current = this.running.get(context.documentId);
    if (current) {
      const typed = typedSince(current.anchor, context);
      if (typed !== undefined && consistent(current.text, typed, current.done)) {
        this.counters.inflightHits++;
        return this.waitOn(current, typed, context, signal, 'inflight');
      }
      this.stop(current); // a keystroke elsewhere: the running request is of no use any more
    }

    const settings = this.deps.settings(context);
    const debounceMs = Math.round(this.debounce.delayMs() * (settings.debounceFactor ?? 1));
    if (!explicit && !(await (this.deps.wait ?? delay)(debounceMs, signal))) return undefined;
    let model: ModelInfo;
    try {
      model = await this.deps.model();
    } catch {
      return undefined; // load failures are reported once, by whoever loads the model
    }
    if (signal.aborted || this.disposed) return undefined;
    const plan = planCompletion({
      linePrefix: context.linePrefix,
      lineSuffix: context.lineSuffix,
      maxTokens: settings.maxTokens,
    });
    const generation = this.start(model, context, plan, false, '', alternatives);
    if (!generation) return undefined;
    return this.waitOn(generation, '', context, signal, 'engine');
  }

  /** The typing rhythm's current debounce (for tests and the status view). */
  get debounceMs(): number {
    return this.debounce.delayMs();
  }

  /** A generation runs for this document (cheap: the adapter asks on every cursor move). */
  isRunning(documentId: string): boolean {
    return this.running.has(documentId);
  }

  /** The cursor moved (a click, arrow keys, typing): aborts the document's running generation
   *  inside the engine at once when it cannot serve the new position — the same test the next
   *  provide() would make, without waiting for VS Code to ask. Typing into the generation, or
   *  through a shown suggestion (a prefetch runs on), keeps it. True when it aborted. */
  cursorMoved(context: AnchorContext): boolean {
    const current = this.running.get(context.documentId);
    if (!current) return false;
    if (this.cache.lookup(context)) return false;
    const typed = typedSince(current.anchor, context);
    if (typed !== undefined && consistent(current.text, typed, current.done)) return false;
    this.stop(current);
    return true;
  }

  /** Aborts the document's running generation (a selection was made, the document closed). */
  cancelDocument(documentId: string): void {
    const current = this.running.get(documentId);
    if (current) this.stop(current);
  }

  forgetDocument(documentId: string): void {
    this.cancelDocument(documentId);
    this.cache.forgetDocument(documentId);
  }

  /** Prefills, in the background, the prompt a keystroke at `context` would send, so the next
   *  request finds its KV ready. Lowest priority: the next keystroke stops it here, any completion
   *  in the engine host; what it prefilled until then stays. Nothing is sent when no model is
   *  loaded, a generation runs here, or the prompt is the last one the engine was sent.
   *  Resolves with the engine's result (undefined: nothing sent). `keepCached`: the prompt may never
   *  be used (a window that takes effect only once prefilled), so the engine keeps what it holds
   *  for this document as saved KV for the completions that still need it. */
  async prewarm(context: CursorContext, options: { keepCached?: boolean } = {}): Promise<PrefillResult | undefined> {
    const { engine } = this.deps;
    const model = this.deps.loadedModel?.();
    if (!engine.prefill || !model || this.disposed || this.running.has(context.documentId)) return undefined;
    const prompt = this.promptFor(model, context, '');
    if (!prompt) return undefined;
    const key = JSON.stringify(prompt);
    if (this.lastPrompt === key) return undefined;
    this.lastPrompt = key;
    this.stopPrewarm();
    const abort = new AbortController();
    this.prewarming = abort;
    this.counters.prewarms++;
    const documents = this.documentsFor(context);
    try {
      const request: ClientPrefillRequest = { prompt, documents, kvKey: context.kvKey };
      if (options.keepCached && context.kvKey) request.keepCached = true;
      const result = await engine.prefill(request, { signal: abort.signal });
      if (result.cancelled) {
        if (this.lastPrompt === key) this.lastPrompt = undefined; // not warm: may be tried again
      } else {
        this.prefillRate.observe(model.path, result.promptTokens - result.reusedTokens, result.prefillMs);
      }
      return result;
    } catch (err) {
      if (this.lastPrompt === key) this.lastPrompt = undefined;
      this.deps.log?.(`pre-warm failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    } finally {
      if (this.prewarming === abort) this.prewarming = undefined;
    }
  }

  /** A pre-warm is running (for tests and the status view). */
  get prewarmRunning(): boolean {
    return this.prewarming !== undefined;
  }

  /** Generations running now (idle means zero). */
  get runningCount(): number {
    return this.running.size;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const generation of [...this.running.values()]) this.stop(generation);
    this.stopPrewarm();
    for (const timer of this.abandonTimers.values()) timer.dispose();
    this.abandonTimers.clear();
    this.retrigger.dispose();
  }

  // ── generations ──────────────────────────────────────────────────────────────────────────────

  private start(
    model: ModelInfo,
    context: CursorContext,
    plan: CompletionPlan,
    prefetch: boolean,
    accepted = '',
    alternatives = 0,
  ): Generation | undefined {
    const prompt = this.promptFor(model, context, accepted);
    if (!prompt) return undefined;
    const documents = this.documentsFor(context);
    this.lastPrompt = JSON.stringify(prompt);

    const previous = this.running.get(context.documentId);
    if (previous) this.stop(previous);
    const generation = new Generation(anchorOf(context, accepted), plan.multiline, prefetch, this.now());
    this.running.set(context.documentId, generation);
    this.counters.engineRequests++;
    if (prefetch) this.counters.prefetches++;

    const request: ClientCompletionRequest = {
      prompt,
      maxTokens: plan.maxTokens,
      stop: plan.stop,
      timeBudgetMs: plan.timeBudgetMs,
      documents,
      speculation: this.deps.settings(context).speculation,
    };
    if (context.kvKey) request.kvKey = context.kvKey;
    if (alternatives > 0) request.alternatives = alternatives;
    this.deps.activity?.started();
    this.deps.engine.complete(request, { signal: generation.abort.signal, onText: (piece) => generation.append(piece) }).then(
      (result) => {
        this.deps.activity?.finished(result.stats);
        if (result.stats.stopReason !== 'cancelled') {
          this.prefillRate.observe(model.path, result.stats.promptTokens - result.stats.reusedTokens, result.stats.prefillMs);
        }
        if (result.stats.stopReason === 'cancelled') generation.fail(new Error('cancelled'));
        else generation.finish(result.text, result.stats, alternatives > 0 ? (result.alternatives ?? []) : undefined);
        this.settled(generation);
      },
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.deps.activity?.finished(undefined, error);
        this.deps.log?.(`completion failed: ${error.message}`);
        generation.fail(error);
        this.settled(generation);
      },
    );
    return generation;
  }

  /** The prompt for a context (with `accepted` as if the user had accepted it: a prefetch);
   *  undefined when it cannot be built (logged). */
  private promptFor(model: ModelInfo, context: CursorContext, accepted: string): PromptPart[] | undefined {
    const text = context.promptText ?? { layout: 'classic', prefix: context.prefix, middle: '', suffix: context.suffix };
    let { prefix, middle } = text;
    if (accepted && text.layout === 'anchored')
      middle += accepted; // typing on appends, as typing does
    else if (accepted) prefix = tailByTokens(prefix + accepted, this.deps.settings(context).prefixTokens);
    const fim: FimText = {
      prefix,
      middle,
      suffix: text.suffix,
      path: context.path,
      repoName: context.repoName,
      languageId: context.languageId,
      chunks: context.chunks?.(),
    };
    try {
      return buildFimPrompt(model, fim, null);
    } catch (err) {
      this.deps.log?.(`completion: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  private documentsFor(context: CursorContext): OutgoingDocument[] {
    const documents = context.documents?.() ?? [];
    const history = this.historyDocument();
    if (history) documents.push(history);
    return documents;
  }

  private stopPrewarm(): void {
    this.prewarming?.abort();
    this.prewarming = undefined;
  }

  private settled(generation: Generation): void {
    if (this.running.get(generation.anchor.documentId) === generation) this.running.delete(generation.anchor.documentId);
    this.abandonTimers.get(generation)?.dispose();
    this.abandonTimers.delete(generation);
    if (generation.failed || this.disposed) return;
    const entry: CachedSuggestion = {
      ...generation.anchor,
      text: generation.text,
      multiline: generation.multiline,
      alternatives: generation.alternatives,
    };
    this.cache.add(entry);
    if (generation.text.trim()) {
      // earlier completions are a draft source (the model often repeats itself); published in
      // batches so the history document is not re-sent after every completion
      this.historyPending += `${generation.text}\n`;
      if (this.historyPending.length >= HISTORY_BATCH_CHARS || !this.history) {
        this.history = (this.history + this.historyPending).slice(-HISTORY_MAX_CHARS);
        this.historyPending = '';
        this.historyVersion++;
      }
    }
    if (generation.shownPartially) this.retrigger.fire(generation.anchor.documentId);
  }

  private stop(generation: Generation): void {
    if (this.running.get(generation.anchor.documentId) === generation) this.running.delete(generation.anchor.documentId);
    this.abandonTimers.get(generation)?.dispose();
    this.abandonTimers.delete(generation);
    generation.abort.abort();
  }

  /** Waits until the generation can answer this context: finished, or (streaming) its first line
   *  after what was typed is complete. */
  private async waitOn(
    generation: Generation,
    typed: string,
    context: CursorContext,
    signal: AbortSignal,
    source: AnswerSource,
  ): Promise<CompletionAnswer | undefined> {
    generation.subscribers++;
    this.abandonTimers.get(generation)?.clear();
    const streamFirstLine = this.deps.settings(context).streamFirstLine; // read once, not per streamed piece
    try {
      for (;;) {
        if (signal.aborted || generation.failed) return undefined;
        if (!consistent(generation.text, typed, generation.done)) return undefined;
        if (generation.done) {
          const text = this.finish(generation.text.slice(typed.length), generation.multiline, context);
          if (!text) return undefined;
          this.shown(context, text);
          return { text, source, partial: false, ...this.alternativesFor(generation, typed, text, context) };
        }
        if (generation.multiline && streamFirstLine && generation.text.length > typed.length) {
          const first = firstCompleteLine(generation.text.slice(typed.length));
          const text = first === undefined ? '' : this.finish(first, true, context);
          if (text) {
            generation.shownPartially = true;
            generation.keepAlive = true;
            this.counters.partialAnswers++;
            return { text, source, partial: true };
          }
        }
        await generation.changed(signal);
      }
    } finally {
      generation.subscribers--;
      if (generation.subscribers === 0 && !generation.done && !generation.keepAlive) this.abandonLater(generation);
    }
  }

  /** Nobody waits for it: abort unless a next keystroke attaches within the grace period (VS Code
   *  cancels the previous call before it makes the next one). */
  private abandonLater(generation: Generation): void {
    let timer = this.abandonTimers.get(generation);
    if (!timer) {
      timer = new OneShotTimer();
      this.abandonTimers.set(generation, timer);
    }
    timer.arm(this.deps.abandonGraceMs ?? DEFAULT_ABANDON_GRACE_MS, () => {
      this.abandonTimers.delete(generation);
      if (generation.subscribers === 0 && !generation.done && !generation.keepAlive) this.stop(generation);
    });
  }

  /** The alternatives of a finished suggestion that still fit what was typed since its anchor,
   *  cleaned like the suggestion and without repeats of what is shown. */
  private alternativesFor(
    source: { alternatives?: string[]; multiline: boolean },
    typed: string,
    shown: string,
    context: CursorContext,
  ): { alternatives?: string[] } {
    if (!source.alternatives?.length) return {};
    const seen = new Set([shown.trim()]);
    const alternatives: string[] = [];
    for (const raw of source.alternatives) {
      if (!raw.startsWith(typed)) continue;
      const text = this.finish(raw.slice(typed.length), source.multiline, context);
      if (!text || seen.has(text.trim())) continue;
      seen.add(text.trim());
      alternatives.push(text);
    }
    return alternatives.length ? { alternatives } : {};
  }

  private finish(raw: string, multiline: boolean, context: CursorContext): string {
    return postProcessCompletion({
      text: raw,
      linePrefix: context.linePrefix,
      lineSuffix: context.lineSuffix,
      suffix: context.suffix,
      multiline,
      indentUnit: context.indentUnit,
    });
  }

  /** A complete suggestion is on screen: maybe prefetch what comes after it, as if accepted
   *  (bounded like any completion, aborted by the next keystroke that does not accept it). */
  private shown(context: CursorContext, text: string): void {
    const settings = this.deps.settings(context);
    if (!settings.prefetch || this.disposed) return;
    if (context.lineSuffix.trim()) return; // mid-line: what follows is already there
    const after: AnchorContext = { ...context, prefix: context.prefix + text };
    if (this.cache.lookup(after) || this.running.get(context.documentId)) return;
    const linePrefixAfter = (context.linePrefix + text).split('\n').pop() ?? '';
    // what follows an accepted suggestion at the end of a line is the next line(s): multi-line
    const plan = planCompletion({ linePrefix: '', lineSuffix: '', maxTokens: settings.maxTokens });
    void this.deps.model().then(
      (model) => {
        if (this.disposed || this.running.get(context.documentId)) return;
        this.start(model, { ...context, linePrefix: linePrefixAfter }, plan, true, text);
      },
      () => undefined,
    );
  }
}

/** The streamed text agrees with what the user typed (or may still: it is shorter). */
function consistent(text: string, typed: string, done: boolean): boolean {
  return text.startsWith(typed) || (!done && typed.startsWith(text));
}
