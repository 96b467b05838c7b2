// EngineClient: the extension side of the engine. Forks the engine host lazily (first request),
// speaks protocol.ts to it, turns AbortSignals into cancel messages, and survives the host dying:
// pending requests reject with EngineCrashedError, the host restarts with backoff and the last
// model is loaded again, so the next request just works — unless that model is what kills it: a
// model that crashes the engine while loading, or MAX_MODEL_CRASHES times in a row, is not loaded
// again (onModelGaveUp says so once). Never imports vscode or the addon.
import { ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { Disposable } from '../common/disposable';
import { Emitter, Event } from '../common/emitter';
import { EngineCrashedError, EngineError, engineErrorFromWire } from './errors';
import { wellFormed } from '../common/wellFormed';
import type { CompletionResult, ContextDocument, DeviceInfo, ModelInfo, PrefillRequest, PrefillResult, PromptPart } from './native';
import {
  ChatMessage, ClientMessage, DeviceSetting, EngineLogLevel, EngineMethods, HostMessage, LoadModelParams, ModelRole, SessionName, MethodName, ProtocolError,
  MAX_DOCUMENT_TEXT_CHARS, RequestMessage, TokenizeParams, WireCompletionRequest, cancelledResult, parseHostMessage, skippedPrefill,
} from './protocol';
import { BackoffOptions, RestartBackoff } from './restartBackoff';

export type EngineState =
  | { kind: 'stopped' } // not started yet: it starts on the first request
  | { kind: 'starting' }
  | { kind: 'idle' } // running, no model
  | { kind: 'loading'; modelPath: string; progress: number }
  | { kind: 'ready'; model: ModelInfo }
  | { kind: 'error'; error: EngineError } // running; the last model load (or the addon) failed
  | { kind: 'crashed'; error: EngineCrashedError; restartInMs: number }
  | { kind: 'disposed' };

/** Crashes in a row with the same model loaded (no completion finished between them) after which
 *  it is not loaded again. */
export const MAX_MODEL_CRASHES = 3;

export interface EngineClientOptions {
  /** The host entry script: out/engineHost.js, or out/test-build/extension/engine/host.js. */
  hostScript: string;
  /** tandem.node to load (else the host looks beside itself and in the build tree). */
  addonPath?: string;
  /** llama.cpp log level in the host (default: the host's, warn); setLogLevel() changes it. */
  logLevel?: EngineLogLevel;
  env?: NodeJS.ProcessEnv;
  backoff?: Partial<BackoffOptions>;
  /** Receives the host's stderr/stdout lines and the client's own notes. */
  log?: (line: string) => void;
  /** How long a stopping host gets before SIGKILL. */
  killGraceMs?: number;
}

export interface LoadModelOptions {
  contextSize?: number;
  threads?: number;
  gpuLayers?: number;
  device?: DeviceSetting;
  /** KV kept for documents other than the current one, in bytes (0: none; absent: engine default). */
  documentKvBytes?: number;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/** A draft document as the caller has it: `readText` is called only when the host lacks that
 *  version (so a large open file is not copied on every keystroke). */
export interface OutgoingDocument extends ContextDocument {
  readText?: () => string;
}

/** A completion request; its documents may be OutgoingDocuments (text read lazily). */
export type ClientCompletionRequest = WireCompletionRequest;
/** A pre-warm request; its documents may be OutgoingDocuments (text read lazily). */
export type ClientPrefillRequest = PrefillRequest;

export interface CompleteOptions {
  signal?: AbortSignal;
  onText?: (piece: string) => void;
  /** 'completion' (default) or 'explain': a separate session with its own KV cache. */
  session?: SessionName;
  /** Which model runs it: 'completion' (default) or 'explain' (loaded with loadExplainModel). */
  role?: ModelRole;
}

export interface LoadedModel {
  params: LoadModelParams;
  info: ModelInfo;
}

interface PendingRequest {
  method: MethodName;
  /** The model role a loadModel request loads. */
  role?: ModelRole;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onText?(text: string): void;
  onProgress?(fraction: number): void;
  /** Detaches the abort listener. */
  release(): void;
}

interface HostProcess {
  child: ChildProcess;
  exited: boolean;
  /** Set when we stop it on purpose: its exit is not a crash. */
  stopping: boolean;
  exitWaiters: (() => void)[];
}

const noop = (): void => undefined;

export class EngineClient implements Disposable {
  private host?: HostProcess;
  /** Settles once a host runs (with the wanted model reloaded after a crash); requests wait on it. */
  private ready?: Promise<void>;
  private nextStartDelayMs = 0;
  private restartTimer?: NodeJS.Timeout;
  private wakeRestartSleep?: () => void;
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 1;
  /** Documents (id → version) whose text the current host process has received. */
  private readonly hostDocuments = new Map<string, number>();
  /** Bytes of document text sent to the current host (for tests and the status view). */
  documentBytesSent = 0;
  /** The model to keep loaded: reloaded after a crash. */
  private wantedModel?: LoadModelParams;
  private loaded?: LoadedModel;
  /** The separate explain model in the current host process (not restored after a crash: the
   *  next explanation loads it again). */
  private explainLoaded?: LoadedModel;
  /** The explain load asked for last (undefined after an unload): a reply to an older request
   *  must not mark a model loaded that the host has freed since. */
  private wantedExplain?: LoadModelParams;
  private readonly backoff: RestartBackoff;
  private readonly stateEmitter = new Emitter<EngineState>();
  private readonly gaveUpEmitter = new Emitter<{ path: string; error: EngineError }>();
  /** Crashes in a row while this model was loaded. */
  private crashStreak = { path: '', count: 0 };
  private currentState: EngineState = { kind: 'stopped' };
  private disposed = false;

  readonly onDidChangeState: Event<EngineState> = this.stateEmitter.event;
  /** A model is not loaded again because it crashes the engine (fires once per give-up). */
  readonly onModelGaveUp: Event<{ path: string; error: EngineError }> = this.gaveUpEmitter.event;

  private logLevel?: EngineLogLevel;

  constructor(private readonly options: EngineClientOptions) {
    this.backoff = new RestartBackoff(options.backoff);
    this.logLevel = options.logLevel;
  }

  /** The level of llama.cpp's own log lines in the host, now and after restarts. */
  async setLogLevel(level: EngineLogLevel): Promise<void> {
    this.logLevel = level;
    if (this.host && !this.host.exited) await this.call('setLogLevel', { level }, {});
  }

  get state(): EngineState {
    return this.currentState;
  }

  /** The host's process id, while one runs. */
  get pid(): number | undefined {
    return this.host?.child.pid;
  }

  /** The model the engine holds (or is restoring after a crash). */
  get loadedModel(): LoadedModel | undefined {
    return this.loaded;
  }

  async loadModel(path: string, options: LoadModelOptions = {}): Promise<ModelInfo> {
    const params = loadParams(path, options);
    if (!(await this.waitReady(options.signal))) throw new EngineError('Model load was cancelled.', 'ABORTED');
    return this.requestLoad(params, options);
  }

  /** The separate explain model, while the engine holds one. */
  get loadedExplainModel(): LoadedModel | undefined {
    return this.explainLoaded;
  }

  /** Loads a second model for explanations (role 'explain'), beside the completion model. The
   *  previous explain model is freed first; the engine's state (the completion model's) does not
   *  change, and a failure here leaves completions alone. */
  async loadExplainModel(path: string, options: LoadModelOptions = {}): Promise<ModelInfo> {
    const params: LoadModelParams = { ...loadParams(path, options), role: 'explain' };
    if (!(await this.waitReady(options.signal))) throw new EngineError('Model load was cancelled.', 'ABORTED');
    const host = this.host;
    this.explainLoaded = undefined; // the host frees the old one before loading
    this.wantedExplain = params;
    const info = await this.call('loadModel', params, { signal: options.signal, onProgress: options.onProgress });
    if (this.host === host && this.wantedExplain === params) this.explainLoaded = { params, info };
    return info;
  }

  /** Frees the explain model (explanations then run on the completion model). */
  async unloadExplainModel(): Promise<void> {
    this.explainLoaded = undefined;
    this.wantedExplain = undefined;
    if (!this.host) return;
    await this.call('unloadModel', { role: 'explain' }, {});
  }

  /** Runs one completion on the completion session. Aborting resolves with stopReason 'cancelled'.
   *  Documents go to the host incrementally: text only for an (id, version) this host process has
   *  not received yet. */
  async complete(request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    if (!(await this.waitReady(options.signal))) return cancelledResult();
    // synchronous from here to the post, so the host receives messages in the order assumed here
    const wire: WireCompletionRequest = { ...request, prompt: wellFormedPrompt(request.prompt), documents: undefined };
    // a request without documents (an explanation) leaves the completion session's list alone
    if (request.documents) wire.documents = this.syncDocuments(request.documents);
    else delete wire.documents;
    const params: EngineMethods['complete']['params'] = { session: options.session ?? 'completion', request: wire };
    if (options.role && options.role !== 'completion') params.role = options.role;
    return this.call('complete', params, options);
  }

  /** Pre-warms the completion session: prefills `request.prompt` at the lowest priority (the host
   *  runs it only while no completion is busy and stops it for any that arrives). Aborting stops
   *  it; what it prefilled stays cached. Resolves with cancelled: true when it was stopped. */
  async prefill(request: ClientPrefillRequest, options: { signal?: AbortSignal } = {}): Promise<PrefillResult> {
    if (!(await this.waitReady(options.signal))) return skippedPrefill();
    // synchronous from here to the post, as in complete()
    const wire: PrefillRequest = { ...request, prompt: wellFormedPrompt(request.prompt) };
    if (request.documents) wire.documents = this.syncDocuments(request.documents);
    return this.call('prefill', { request: wire }, options);
  }

  /** The documents as the host must get them: text only for versions it lacks. A request that
   *  lists documents replaces the list: the host drops unlisted ones, so they are forgotten here. */
  private syncDocuments(documents: readonly OutgoingDocument[]): ContextDocument[] {
    const listed = new Set(documents.map((d) => d.id));
    for (const id of this.hostDocuments.keys()) if (!listed.has(id)) this.hostDocuments.delete(id);
    return this.documentsForHost(documents);
  }

  private documentsForHost(documents: readonly OutgoingDocument[]): ContextDocument[] {
    return documents.map((document) => {
      const { id, version, source } = document;
      if (this.hostDocuments.get(id) === version) return { id, version, source };
      const raw = document.text ?? document.readText?.();
      if (raw === undefined) return { id, version, source };
      const text = wellFormed(raw.length > MAX_DOCUMENT_TEXT_CHARS ? raw.slice(0, MAX_DOCUMENT_TEXT_CHARS) : raw);
      this.hostDocuments.set(id, version);
      this.documentBytesSent += text.length;
      return { id, version, source, text };
    });
  }

  /** Formats a conversation with a loaded model's chat template (INVALID_ARGUMENT without one):
   *  the completion model's, or with role 'explain' the explain model's. */
  async applyChatTemplate(messages: ChatMessage[], options: { addAssistantTurn?: boolean; role?: ModelRole } = {}): Promise<string> {
    await this.waitReady();
    return this.call('applyChatTemplate', { messages, ...options }, {});
  }

  async tokenize(text: string, options: Omit<TokenizeParams, 'text'> = {}): Promise<number[]> {
    await this.waitReady();
    return this.call('tokenize', { text, ...options }, {});
  }

  async devices(): Promise<DeviceInfo[]> {
    await this.waitReady();
    return this.call('devices', {}, {});
  }

  /** The model the engine holds for a role (default: the completion model). */
  async modelInfo(role: ModelRole = 'completion'): Promise<ModelInfo | null> {
    await this.waitReady();
    return this.call('modelInfo', role === 'completion' ? {} : { role }, {});
  }

  async unloadModel(): Promise<void> {
    this.wantedModel = undefined;
    this.loaded = undefined;
    if (!this.host) return;
    await this.call('unloadModel', {}, {});
    this.setState({ kind: 'idle' });
  }

  /** Stops the host (pending requests reject with ENGINE_STOPPED) and starts a fresh one with the
   *  same model. For the "Restart Engine" command. */
  async restart(): Promise<void> {
    if (this.disposed) throw stoppedError();
    this.backoff.reset();
    this.crashStreak = { path: '', count: 0 };
    this.cancelRestartSleep();
    const host = this.host;
    if (host) await this.stopHost(host, new EngineError('The engine was restarted.', 'ENGINE_STOPPED'));
    this.nextStartDelayMs = 0;
    await this.beginStart();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelRestartSleep();
    const host = this.host;
    if (host) void this.stopHost(host, stoppedError());
    this.setState({ kind: 'disposed' });
    this.stateEmitter.dispose();
    this.gaveUpEmitter.dispose();
  }

  /** dispose(), then wait until the host process has exited. */
  async disposeAsync(): Promise<void> {
    const host = this.host;
    this.dispose();
    if (host && !host.exited) await new Promise<void>((resolve) => host.exitWaiters.push(resolve));
  }

  // ── startup and restart ──────────────────────────────────────────────────────────────────────

  private ensureReady(): Promise<void> {
    if (this.disposed) return Promise.reject(stoppedError());
    return this.ready ?? this.beginStart();
  }

  /** Waits for a usable host; false when the signal aborted first. */
  private async waitReady(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    const ready = this.ensureReady();
    if (!signal) {
      await ready;
      return true;
    }
    let onAbort = noop;
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([ready.then(() => true as const), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private beginStart(): Promise<void> {
    const delay = this.nextStartDelayMs;
    this.nextStartDelayMs = 0;
    const started: Promise<void> = this.startHost(delay).catch((err: unknown) => {
      if (this.ready === started) this.ready = undefined; // the next request tries again
      throw err;
    });
    started.catch(noop); // callers handle it; an eager restart nobody awaits must not go unhandled
    this.ready = started;
    return started;
  }

  private async startHost(delayMs: number): Promise<void> {
    if (delayMs > 0) await this.sleepBeforeRestart(delayMs);
    if (this.disposed) throw stoppedError();
    const script = this.options.hostScript;
    try {
      await fs.promises.access(script);
    } catch {
      const error = new EngineError(`Tandem's engine host script is missing: ${script}. Run \`npm run build\`.`, 'ADDON_UNAVAILABLE');
      this.setState({ kind: 'error', error });
      throw error;
    }
    if (this.disposed) throw stoppedError();
    this.spawn(script);
    const wanted = this.wantedModel;
    if (!wanted) {
      this.setState({ kind: 'idle' });
      return;
    }
    try {
      await this.requestLoad(wanted, {});
    } catch (err) {
      if (err instanceof EngineCrashedError || this.disposed) throw err;
      // the host runs; the model is gone (file deleted, …): requests now get NO_MODEL
      this.log(`could not reload ${wanted.path} after a restart: ${String(err)}`);
    }
  }

  private sleepBeforeRestart(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRestartSleep = resolve;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.wakeRestartSleep = undefined;
        resolve();
      }, ms);
    });
  }

  private cancelRestartSleep(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const wake = this.wakeRestartSleep;
    this.wakeRestartSleep = undefined;
    wake?.();
  }

  private spawn(script: string): void {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.options.env, ELECTRON_RUN_AS_NODE: '1' };
    if (this.options.addonPath) env.TANDEM_ADDON = this.options.addonPath;
    if (this.logLevel) env.TANDEM_LOG_LEVEL = this.logLevel;
    this.setState({ kind: 'starting' });
    // ELECTRON_RUN_AS_NODE: inside VS Code, process.execPath is Electron; this makes it plain Node.
    // execArgv []: don't inherit the editor's or mocha's flags (an --inspect port would clash).
    const child = fork(script, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env, execArgv: [], serialization: 'json' });
    const host: HostProcess = { child, exited: false, stopping: false, exitWaiters: [] };
    this.host = host;
    this.hostDocuments.clear(); // a new process has no documents, and no explain model
    this.explainLoaded = undefined;
    this.documentBytesSent = 0;
    this.backoff.started(Date.now());
    forwardLines(child.stdout, (line) => this.log(line));
    forwardLines(child.stderr, (line) => this.log(line));
    child.on('message', (raw) => this.onMessage(raw));
    child.on('exit', (code, signal) => this.onExit(host, code, signal));
    child.on('error', (err) => {
      this.log(`engine host process error: ${err.message}`);
      // a process that never started emits no 'exit'
      if (child.pid === undefined) this.onExit(host, null, null);
    });
  }

  private onExit(host: HostProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (host.exited) return;
    host.exited = true;
    for (const wake of host.exitWaiters.splice(0)) wake();
    if (host.stopping || this.host !== host) return;
    this.host = undefined;
    if (this.disposed) return;

    const delay = this.backoff.crashed(Date.now());
    const wanted = this.wantedModel;
    // (an explain model that crashes the host is remembered as failed by its caller)
    const crashedWhileLoading = [...this.pending.values()].some((p) => p.method === 'loadModel' && p.role !== 'explain');
    const streak = wanted && !crashedWhileLoading ? this.countCrash(wanted.path) : 0;
    const givingUp = !!wanted && (crashedWhileLoading || streak >= MAX_MODEL_CRASHES);
    const error = new EngineCrashedError(code, signal, !givingUp);
    this.rejectAll(error);
    this.nextStartDelayMs = delay;
    this.ready = undefined;
    if (givingUp) {
      // that model is what kills the process: not reloaded in a loop; the host starts again (no
      // model) on the next request
      this.wantedModel = undefined;
      this.loaded = undefined;
      const gaveUp = new EngineError(crashedWhileLoading
        ? `The model ${wanted.path} crashed Tandem's engine while loading (${error.message.replace(/^Tandem's engine process /, '')}); it is not loaded again. Select another model, or Restart Engine to try it again.`
        : `The model ${wanted.path} crashed Tandem's engine ${streak} times in a row; it is not loaded again. Select another model, or Restart Engine to try it again.`,
      'MODEL_CRASHED');
      this.log(`${error.message} ${gaveUp.message}`);
      this.crashStreak = { path: '', count: 0 };
      this.setState({ kind: 'error', error: gaveUp });
      this.gaveUpEmitter.fire({ path: wanted.path, error: gaveUp });
      return;
    }
    if (!this.wantedModel) {
      this.log(`${error.message} It starts again on the next request.`);
      this.setState({ kind: 'stopped' }); // truthfully: nothing restarts until something needs it
      return;
    }
    this.log(`${error.message} Restart in ${delay} ms.`);
    this.setState({ kind: 'crashed', error, restartInMs: delay });
    void this.beginStart().catch(noop); // eager: reload the model now
  }

  /** One more crash with `path` loaded; the crashes in a row with it. */
  private countCrash(path: string): number {
    this.crashStreak = this.crashStreak.path === path ? { path, count: this.crashStreak.count + 1 } : { path, count: 1 };
    return this.crashStreak.count;
  }

  /** Stops a host on purpose; resolves once it exited. */
  private stopHost(host: HostProcess, reason: EngineError): Promise<void> {
    host.stopping = true;
    if (this.host === host) {
      this.host = undefined;
      this.ready = undefined;
    }
    this.rejectAll(reason);
    const exited = new Promise<void>((resolve) => {
      if (host.exited) resolve();
      else host.exitWaiters.push(resolve);
    });
    if (!host.exited) {
      // the host frees its model and exits when the channel closes; SIGKILL if it doesn't
      const killTimer = setTimeout(() => host.child.kill('SIGKILL'), this.options.killGraceMs ?? 2000);
      killTimer.unref();
      host.exitWaiters.push(() => clearTimeout(killTimer));
      if (host.child.connected) host.child.disconnect();
      else host.child.kill('SIGTERM');
    }
    return exited;
  }

  // ── requests ─────────────────────────────────────────────────────────────────────────────────

  private async requestLoad(params: LoadModelParams, options: LoadModelOptions): Promise<ModelInfo> {
    this.wantedModel = params;
    this.setState({ kind: 'loading', modelPath: params.path, progress: 0 });
    const current = () => this.wantedModel === params; // false once a newer load was asked for
    try {
      const info = await this.call('loadModel', params, {
        signal: options.signal,
        onProgress: (fraction) => {
          options.onProgress?.(fraction);
          if (current()) this.setState({ kind: 'loading', modelPath: params.path, progress: fraction });
        },
      });
      if (current()) {
        this.loaded = { params, info };
        this.setState({ kind: 'ready', model: info });
      }
      return info;
    } catch (err) {
      if (current() && !(err instanceof EngineCrashedError)) {
        // the host keeps the previous model when a load fails; or has none after a restart
        this.wantedModel = this.host && this.loaded && this.loaded.params !== params ? this.loaded.params : undefined;
        if (!this.wantedModel) this.loaded = undefined;
        const error = err instanceof EngineError ? err : new EngineError(String(err), 'INTERNAL');
        // Still serving the previous model: the engine is ready; the failure goes to the caller
        // (ActiveModel reports it), not into the engine's state.
        this.setState(this.loaded ? { kind: 'ready', model: this.loaded.info } : { kind: 'error', error });
      }
      throw err;
    }
  }

  private call<M extends MethodName>(
    method: M,
    params: EngineMethods[M]['params'],
    options: { signal?: AbortSignal; onText?: (text: string) => void; onProgress?: (fraction: number) => void },
  ): Promise<EngineMethods[M]['result']> {
    const host = this.host;
    if (this.disposed) return Promise.reject(stoppedError());
    if (!host || host.exited) {
      return Promise.reject(new EngineError("Tandem's engine process is not running; it is restarting.", 'ENGINE_CRASHED'));
    }
    const id = this.nextId++;
    const { signal } = options;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.post(host, { type: 'cancel', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        role: method === 'loadModel' ? (params as LoadModelParams).role : undefined,
        resolve: resolve as (value: unknown) => void,
        reject,
        onText: options.onText,
        onProgress: options.onProgress,
        release: () => signal?.removeEventListener('abort', onAbort),
      });
      this.post(host, { type: 'request', id, method, params } as RequestMessage);
      if (signal?.aborted) onAbort();
    });
  }

  private post(host: HostProcess, message: ClientMessage): void {
    if (!host.child.connected) return; // its exit rejects whatever is pending
    host.child.send(message, (err) => {
      if (err) this.log(`could not send ${message.type} to the engine host: ${err.message}`);
    });
  }

  private onMessage(raw: unknown): void {
    let message: HostMessage;
    try {
      message = parseHostMessage(raw);
    } catch (err) {
      this.log(`ignored bad message from the engine host: ${err instanceof ProtocolError ? err.message : String(err)}`);
      return;
    }
    switch (message.type) {
      case 'hello':
        if (message.addon) this.log(`engine host ${message.pid} started (tandem ${message.addon.tandem}, llama.cpp ${message.addon.llamaCpp})`);
        if (message.addonError) {
          this.log(message.addonError.message);
          this.setState({ kind: 'error', error: engineErrorFromWire(message.addonError) });
        }
        return;
      case 'stream':
        this.pending.get(message.id)?.onText?.(message.text);
        return;
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.fraction);
        return;
      case 'result':
      case 'error': {
        const request = this.pending.get(message.id);
        if (!request) return;
        this.pending.delete(message.id);
        request.release();
        if (message.type === 'result' && request.method === 'complete') this.crashStreak.count = 0; // the model works
        if (message.type === 'result') request.resolve(message.result);
        else request.reject(engineErrorFromWire(message.error));
        return;
      }
    }
  }

  private rejectAll(error: Error): void {
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const request of requests) {
      request.release();
      request.reject(error);
    }
  }

  private setState(state: EngineState): void {
    if (this.disposed && state.kind !== 'disposed') return;
    this.currentState = state;
    this.stateEmitter.fire(state);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

/** Prompt text the engine can take: lone surrogates become U+FFFD (common/wellFormed.ts). */
function wellFormedPrompt(prompt: readonly PromptPart[]): PromptPart[] {
  return prompt.map((part) => (typeof part === 'string' ? wellFormed(part) : typeof part === 'number' ? part : { ...part, text: wellFormed(part.text) }));
}

function loadParams(path: string, options: LoadModelOptions): LoadModelParams {
  const params: LoadModelParams = { path };
  if (options.contextSize) params.contextSize = options.contextSize;
  if (options.threads) params.threads = options.threads;
  if (options.gpuLayers !== undefined) params.gpuLayers = options.gpuLayers;
  if (options.device !== undefined) params.device = options.device;
  if (options.documentKvBytes !== undefined) params.documentKvBytes = options.documentKvBytes;
  return params;
}

function stoppedError(): EngineError {
  return new EngineError("Tandem's engine was shut down.", 'ENGINE_STOPPED');
}

/** Calls onLine for each line the stream produces (and keeps the pipe drained). */
function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  stream.setEncoding('utf8');
  let buffered = '';
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line.trimEnd());
  });
  stream.on('end', () => {
    if (buffered.trim()) onLine(buffered.trimEnd());
    buffered = '';
  });
}
