// Tandem's `server` engine kind: the pipeline's completions, pre-warms and explanations sent to a
// shared llama-server instead of the local engine (the CompletionEngine seam). The prompt is the
// one Tandem builds — token ids and text — turned into token ids before it is sent (llama-server
// would parse special-token text inside code; see promptTokens), with cache_prompt so the server's
// slot keeps the KV between keystrokes. Every request is bounded in time and aborted over HTTP when
// its caller cancels.
//
// Failures: an outage (unreachable, dropped, timed out, 5xx) puts the engine in an error state with
// a retry time that grows from 1 s to 15 s: requests until then fail at once, without a network
// call, and the next one after it tries again — the first success is the recovery, no restart. A
// wrong setup (TLS, API key, not a llama-server, a model that cannot fill in the middle) is retried
// every 30 s. Each distinct failure fires onDidFail once until the server answers again, so the UI
// notifies once, not per keystroke. No vscode here: consent and the API key arrive as functions.
import type { Disposable } from '../../common/disposable';
import { Emitter, Event } from '../../common/emitter';
import { wellFormed } from '../../common/wellFormed';
import { hasFimTokens } from '../../context/fimPrompt';
import type { ClientCompletionRequest, ClientPrefillRequest, CompleteOptions } from '../client';
import type { CompletionEngine } from '../completionEngine';
import type { ChatMessage, CompletionResult, PrefillResult, PromptPart } from '../native';
import { cancelledResult, skippedPrefill } from '../protocol';
import { HttpTransport, RequestOptions } from './httpTransport';
import { FINAL_FIELDS, LlamaCompletionBody, LlamaCompletionEvent, LlamaServerClient } from './llamaServerClient';
import { ServerAbortError, ServerError } from './serverErrors';
import { ServerModelInfo, probeServerModel } from './serverModel';
import { ClientFigures, partialStats, statsFromFinal } from './serverStats';
import type { ServerTarget } from './serverUrl';

export type ServerState =
  /** nothing asked of the server yet */
  | { kind: 'idle' }
  /** reading the server's model */
  | { kind: 'connecting' }
  | { kind: 'ready'; model: ServerModelInfo }
  /** the last request failed; requests wait until retryAt (ms, the engine's clock) */
  | { kind: 'error'; error: ServerError; retryAt: number }
  /** the user declined to send code to this host */
  | { kind: 'declined' }
  | { kind: 'disposed' };

export interface ServerEngineOptions {
  target: ServerTarget;
  /** The API key for this server (SecretStorage), read per request. */
  apiKey?: () => string | undefined;
  /** Asked before anything is sent to the host (once per engine); false declines. */
  consent?: (target: ServerTarget) => Promise<boolean>;
  log?: (line: string) => void;
  now?: () => number;
  /** Pauses before a retry: after an outage (first, doubling to max) and after a wrong setup. */
  retry?: { firstMs: number; maxMs: number; setupMs: number };
}

export const DEFAULT_RETRY = { firstMs: 1000, maxMs: 15_000, setupMs: 30_000 };
/** Time limits of the requests that have no time budget of their own. */
const PROBE_TIMEOUTS = { headersTimeoutMs: 5000, idleTimeoutMs: 5000 };
const TEMPLATE_TIMEOUTS = { headersTimeoutMs: 10_000, idleTimeoutMs: 10_000 };
/** An explanation: the first token may wait behind other users' requests; then tokens flow. */
const UNBUDGETED_COMPLETION = { headersTimeoutMs: 60_000, idleTimeoutMs: 30_000 };
const PREFILL_TIMEOUTS = { headersTimeoutMs: 30_000, idleTimeoutMs: 30_000 };
/** Prompt parts whose token ids are kept (most prompt text does not change between keystrokes). */
const TOKEN_CACHE_ENTRIES = 256;
const TOKEN_CACHE_CHARS = 4 * 1024 * 1024;

/** Failures that say the setup is wrong, not that the server is away. */
const SETUP_KINDS = new Set(['tls', 'auth', 'protocol', 'model']);

export class ServerEngine implements CompletionEngine, Disposable {
  readonly target: ServerTarget;
  private readonly transport: HttpTransport;
  private readonly client: LlamaServerClient;
  private readonly now: () => number;
  private readonly retry: { firstMs: number; maxMs: number; setupMs: number };
  private readonly stateEmitter = new Emitter<ServerState>();
  private readonly failEmitter = new Emitter<ServerError>();
  private currentState: ServerState = { kind: 'idle' };
  private model?: ServerModelInfo;
  /** The model must be read again before it is used (the server may have been restarted). */
  private modelStale = false;
  private probing?: Promise<ServerModelInfo>;
  private failure?: { error: ServerError; retryAt: number; streak: number };
  /** Failure kinds reported through onDidFail since the server last answered. */
  private readonly reported = new Set<string>();
  private consent: 'unasked' | 'granted' | 'declined' = 'unasked';
  private asking?: Promise<boolean>;
  private readonly tokenCache = new Map<string, number[]>();
  private tokenCacheChars = 0;
  /** The model name the server's answers carry (a new one means it swapped models). */
  private servedModel?: string;

  readonly onDidChangeState: Event<ServerState> = this.stateEmitter.event;
  /** A failure the user should hear of: once per kind until the server answers again. */
  readonly onDidFail: Event<ServerError> = this.failEmitter.event;

  constructor(private readonly options: ServerEngineOptions) {
    this.target = options.target;
    this.now = options.now ?? (() => performance.now());
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.transport = new HttpTransport(options.target, () => options.apiKey?.());
    this.client = new LlamaServerClient(this.transport);
    if (!options.consent) this.consent = 'granted';
  }

  get state(): ServerState {
    return this.currentState;
  }

  /** The server's model when it has been read and nothing since says it changed. */
  get loadedModel(): ServerModelInfo | undefined {
    return this.modelStale ? undefined : this.model;
  }

  /** The server's model (asking for consent first, once). Rejects with the failure that stops
   *  it: the user declined, the server is down (until its retry time, without a network call)… */
  async ensureModel(): Promise<ServerModelInfo> {
    await this.ensureConsent();
    if (this.model && !this.modelStale) return this.model;
    this.throwIfWaiting();
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    return this.probing;
  }

  /** The server's model, which must be able to fill in the middle (inline completions). A model
   *  without FIM tokens is reported once and read again every setupMs (the server may be given
   *  another model meanwhile). */
  async ensureCompletionModel(): Promise<ServerModelInfo> {
    const noFim = this.failure?.error.kind === 'model' ? this.failure : undefined;
    if (noFim && this.now() >= noFim.retryAt) this.modelStale = true;
    const model = await this.ensureModel();
    if (hasFimTokens(model.fim)) {
      this.reported.delete('model');
      return model;
    }
    if (noFim && this.now() < noFim.retryAt) throw noFim.error;
    throw this.failed(
      new ServerError(
        `The model ${model.serverModel} on ${this.target.host} cannot fill in the middle: it has no fill-in-the-middle tokens, so Tandem cannot complete code with it. ` +
          'Run llama-server with a code model that has them (for example a Qwen2.5-Coder or DeepSeek-Coder base model).',
        'model',
      ),
    );
  }

  async complete(request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    const started = this.now();
    const { signal } = options;
    if (signal?.aborted) return cancelledResult();
    const model = await this.ensureModel();
    const budgetMs = request.timeBudgetMs && request.timeBudgetMs > 0 ? request.timeBudgetMs : 0;
    const abort = new AbortController();
    let stoppedBy: 'caller' | 'budget' | undefined;
    const onCallerAbort = () => {
      stoppedBy ??= 'caller';
      abort.abort();
    };
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    const budget = budgetMs
      ? setTimeout(() => {
          stoppedBy ??= 'budget';
          abort.abort();
        }, budgetMs)
      : undefined;
    // the budget's own timer ends the request; the transport's limits only back it up
    const limits: RequestOptions = budgetMs
      ? { signal: abort.signal, headersTimeoutMs: budgetMs + 1000, idleTimeoutMs: budgetMs + 1000 }
      : { signal: abort.signal, ...UNBUDGETED_COMPLETION };
    const figures: ClientFigures = {
      promptTokens: 0,
      maxTokens: request.maxTokens,
      firstTokenMs: 0,
      where: `llama-server at ${this.target.host}`,
      speculation: model.speculation,
    };
    let text = '';
    const tokens: number[] = [];
    let answered = false;
    let firstAt = 0;
    try {
      const prompt = await this.promptTokens(request.prompt, limits);
      figures.promptTokens = prompt.length;
      const body: LlamaCompletionBody = {
        prompt,
        n_predict: request.maxTokens,
        stream: true,
        cache_prompt: true,
        temperature: 0,
        return_tokens: true,
        return_progress: true,
        response_fields: FINAL_FIELDS,
      };
      if (request.stop?.length) body.stop = request.stop;
      if (budgetMs) body.t_max_predict_ms = budgetMs;
      const final = await this.client.complete(body, {
        ...limits,
        onPiece: (event) => {
          if (event.prompt_progress !== undefined) return; // still reading the prompt
          answered = true;
          if (event.tokens) tokens.push(...event.tokens);
          if (!event.content) return;
          if (!firstAt) {
            firstAt = this.now();
            figures.firstTokenMs = firstAt - started;
          }
          text += event.content;
          options.onText?.(event.content);
        },
      });
      if (final.content) {
        text += final.content;
        options.onText?.(final.content);
      }
      this.answered(final);
      return { text, tokens, stats: statsFromFinal(final, figures) };
    } catch (err) {
      if (stoppedBy === 'caller' || (stoppedBy === 'budget' && answered)) {
        const decodeMs = firstAt ? this.now() - firstAt : 0;
        return { text, tokens, stats: partialStats(figures, tokens.length, decodeMs, stoppedBy === 'caller' ? 'cancelled' : 'timeBudget') };
      }
      if (stoppedBy === 'budget') {
        throw this.failed(
          new ServerError(
            `The server at ${this.target.host} did not start answering within ${budgetMs} ms (busy with other requests?).`,
            'timeout',
          ),
        );
      }
      throw this.failed(err);
    } finally {
      clearTimeout(budget);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** Pre-warm: the server evaluates the prompt into a slot's cache (n_predict 0, cache_prompt), so
   *  the completion that follows finds it there. Never connects on its own: nothing is sent before
   *  the model is known, or while the server is failing. */
  async prefill(request: ClientPrefillRequest, options: { signal?: AbortSignal } = {}): Promise<PrefillResult> {
    const { signal } = options;
    if (signal?.aborted || !this.loadedModel || this.failure || this.consent !== 'granted') return skippedPrefill();
    const limits: RequestOptions = { signal, ...PREFILL_TIMEOUTS };
    try {
      const prompt = await this.promptTokens(request.prompt, limits);
      const final = await this.client.complete(
        {
          prompt,
          n_predict: 0,
          stream: true,
          cache_prompt: true,
          temperature: 0,
          return_tokens: true,
          return_progress: true,
          response_fields: FINAL_FIELDS,
        },
        { ...limits, onPiece: () => undefined },
      );
      this.answered(final);
      const t = final.timings ?? {};
      return {
        promptTokens: prompt.length,
        reusedTokens: t.cache_n ?? 0,
        restoredTokens: 0,
        prefillMs: t.prompt_ms ?? 0,
        kvSwitchMs: 0,
        cancelled: false,
        documentKv: { documents: 0, bytes: 0, limitBytes: 0, maxDocuments: 0 },
      };
    } catch (err) {
      if (err instanceof ServerAbortError || signal?.aborted) return skippedPrefill();
      throw this.failed(err);
    }
  }

  /** The conversation rendered with the server model's chat template (llama-server's /apply-template). */
  async applyChatTemplate(messages: ChatMessage[], options: { addAssistantTurn?: boolean } = {}): Promise<string> {
    await this.ensureModel();
    try {
      const prompt = await this.client.applyTemplate(messages, { ...TEMPLATE_TIMEOUTS }, options.addAssistantTurn ?? true);
      this.answered();
      return prompt;
    } catch (err) {
      throw this.failed(err);
    }
  }

  dispose(): void {
    if (this.currentState.kind === 'disposed') return;
    this.transport.dispose();
    this.setState({ kind: 'disposed' });
    this.stateEmitter.dispose();
    this.failEmitter.dispose();
  }

  // ── consent and the model ────────────────────────────────────────────────────────────────────

  private async ensureConsent(): Promise<void> {
    if (this.currentState.kind === 'disposed') throw new ServerError('The server engine was shut down.', 'config');
    if (this.consent === 'granted') return;
    if (this.consent === 'unasked') {
      this.asking ??= this.options.consent!(this.target).finally(() => (this.asking = undefined));
      const granted = await this.asking.catch(() => false);
      if (this.consent === 'unasked') this.consent = granted ? 'granted' : 'declined';
      if (this.consent === 'declined') {
        this.options.log?.(`sending code to ${this.target.host} was declined: completions through the server are off`);
        this.setState({ kind: 'declined' });
      }
    }
    if (this.consent === 'declined') {
      throw new ServerError(
        `Sending code to ${this.target.host} was declined, so Tandem does not complete through it. Change tandem.engine.serverUrl or tandem.engine.kind, or run "Tandem: Restart Engine" to be asked again.`,
        'declined',
      );
    }
  }

  private async probe(): Promise<ServerModelInfo> {
    if (this.currentState.kind !== 'error') this.setState({ kind: 'connecting' });
    try {
      const model = await probeServerModel(this.client, PROBE_TIMEOUTS);
      if (this.model && this.model.serverModel !== model.serverModel) {
        this.options.log?.(`${this.target.host} now serves ${model.serverModel} (was ${this.model.serverModel})`);
      }
      this.tokenCache.clear(); // token ids are the model's: read again after any reconnect
      this.tokenCacheChars = 0;
      this.servedModel = undefined;
      this.model = model;
      this.modelStale = false;
      const fim = hasFimTokens(model.fim) ? `FIM ${model.fimText.prefix}` : 'no FIM tokens';
      this.options.log?.(`${this.target.host}: ${model.serverModel}, ${model.slots} slot(s) of ${model.slotContext} tokens, ${fim}`);
      this.answered();
      return model;
    } catch (err) {
      throw this.failed(err);
    }
  }

  // ── prompts ──────────────────────────────────────────────────────────────────────────────────

  /** The prompt as token ids. llama-server parses special-token text in prompt strings, so code
   *  such as "<|endoftext|>" would become a control token: Tandem's text parts are tokenized by
   *  /tokenize with parse_special off (rendered templates with it on), each part once — typing
   *  changes only the last part, the rest comes from the cache. Parts are tokenized separately, as
   *  the local engine does. */
  private async promptTokens(prompt: readonly PromptPart[], limits: RequestOptions): Promise<number[]> {
    const pieces = prompt.map((part): Promise<number[]> => {
      if (typeof part === 'number') return Promise.resolve([part]);
      const special = typeof part === 'object';
      const text = wellFormed(special ? part.text : part);
      if (!text) return Promise.resolve([]);
      const key = `${special ? 's' : 'p'}${text}`;
      const cached = this.tokenCache.get(key);
      if (cached) {
        this.tokenCache.delete(key); // most recently used last
        this.tokenCache.set(key, cached);
        return Promise.resolve(cached);
      }
      return this.client.tokenize(text, special, limits).then((ids) => {
        this.remember(key, ids);
        return ids;
      });
    });
    const ids = (await Promise.all(pieces)).flat();
    if (ids.length === 0) throw new ServerError('The prompt is empty.', 'protocol');
    return ids;
  }

  private remember(key: string, ids: number[]): void {
    if (key.length > TOKEN_CACHE_CHARS / 4 || this.tokenCache.has(key)) return;
    this.tokenCache.set(key, ids);
    this.tokenCacheChars += key.length;
    for (const [old] of this.tokenCache) {
      if (this.tokenCache.size <= TOKEN_CACHE_ENTRIES && this.tokenCacheChars <= TOKEN_CACHE_CHARS) break;
      this.tokenCache.delete(old);
      this.tokenCacheChars -= old.length;
    }
  }

  // ── failures and recovery ────────────────────────────────────────────────────────────────────

  /** Requests wait out a failure's retry time without touching the network. */
  private throwIfWaiting(): void {
    if (this.failure && this.now() < this.failure.retryAt) throw this.failure.error;
  }

  /** The server answered: a failure is over. */
  private answered(final?: LlamaCompletionEvent): void {
    if (final?.model) {
      if (this.servedModel !== undefined && this.servedModel !== final.model) this.modelStale = true;
      this.servedModel = final.model;
    }
    if (this.failure) {
      this.options.log?.(`the server at ${this.target.host} answers again`);
      this.failure = undefined;
    }
    // a model without FIM tokens stays reported until one with them is found
    for (const kind of [...this.reported]) if (kind !== 'model') this.reported.delete(kind);
    if (this.model && this.currentState.kind !== 'ready') this.setState({ kind: 'ready', model: this.model });
  }

  /** Records a failure (state, retry time, one report per kind) and returns it to be thrown.
   *  A failure of one request only (a 4xx about that request) changes nothing. */
  private failed(err: unknown): Error {
    if (err instanceof ServerAbortError) return err;
    const error = err instanceof ServerError ? err : new ServerError(err instanceof Error ? err.message : String(err), 'protocol');
    const setup = SETUP_KINDS.has(error.kind);
    if (!error.transient && !setup) return error;
    const streak = (this.failure?.streak ?? 0) + 1;
    const pause = setup ? this.retry.setupMs : Math.min(this.retry.maxMs, this.retry.firstMs * 2 ** (streak - 1));
    const retryAt = this.now() + pause;
    this.failure = { error, retryAt, streak };
    // after an outage or a setup failure, read the model again: the server may be another one now
    if (error.kind !== 'timeout' && error.kind !== 'model') this.modelStale = true;
    this.setState({ kind: 'error', error, retryAt });
    const kind = reportKind(error);
    this.options.log?.(`${error.message} (retry in ${Math.round(pause / 1000)} s)`);
    if (!this.reported.has(kind)) {
      this.reported.add(kind);
      this.failEmitter.fire(error);
    }
    return error;
  }

  private setState(state: ServerState): void {
    if (this.currentState.kind === 'disposed') return;
    this.currentState = state;
    this.stateEmitter.fire(state);
  }
}

/** Failures told apart for reporting: a server that went away is one failure whether the next
 *  request finds the port closed or its connection cut. */
function reportKind(error: ServerError): string {
  if (error.kind === 'unreachable' || error.kind === 'dropped') return 'down';
  return error.status !== undefined ? `${error.kind}:${error.status}` : error.kind;
}
