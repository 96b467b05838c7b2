// EngineClient: the extension side of the engine, and the one facade over it. It starts the engine
// host lazily (first request) and keeps one running (hostProcess.ts), speaks protocol.ts to it
// (engineRpc.ts: replies, streams, AbortSignals as cancel messages), sends draft documents
// incrementally (documentSync.ts) and tracks the model of each role (roleModels.ts). It survives
// the host dying: pending requests reject with EngineCrashedError, the host restarts with backoff
// and the last completion model is loaded again, so the next request just works — unless that
// model is what kills it: a model that crashes the engine while loading, or MAX_MODEL_CRASHES
// times in a row, is not loaded again (restartBackoff.ts; onModelGaveUp says so once). Never
// imports vscode or the addon.
import { Disposable } from '../common/disposable';
import { Emitter, Event } from '../common/emitter';
import { wellFormed } from '../common/wellFormed';
import { DocumentSync } from './documentSync';
import { CallOptions, EngineRpc } from './engineRpc';
import { EngineCrashedError, EngineError, engineErrorFromWire, engineStoppedError, loadCancelledError } from './errors';
import { HostProcessOptions, HostSupervisor } from './hostProcess';
import type { ChatMessage, CompletionResult, DeviceInfo, ModelInfo, PrefillRequest, PrefillResult, PromptPart } from './native';
import {
  DeviceSetting,
  EngineLogLevel,
  EngineMethods,
  HelloMessage,
  LoadModelParams,
  MethodName,
  ModelRole,
  SessionName,
  TokenizeParams,
  WireCompletionRequest,
  cancelledResult,
  skippedPrefill,
} from './protocol';
import { CrashStreak } from './restartBackoff';
import { LoadedModel, RoleModels, roleOf } from './roleModels';

export { MAX_MODEL_CRASHES } from './restartBackoff';
export type { LoadedModel } from './roleModels';
export type { OutgoingDocument } from './documentSync';

export type EngineState =
  | { kind: 'stopped' } // not started yet: it starts on the first request
  | { kind: 'starting' }
  | { kind: 'idle' } // running, no model
  | { kind: 'loading'; modelPath: string; progress: number }
  | { kind: 'ready'; model: ModelInfo }
  | { kind: 'error'; error: EngineError } // running; the last model load (or the addon) failed
  | { kind: 'crashed'; error: EngineCrashedError; restartInMs: number }
  | { kind: 'disposed' };

export interface EngineClientOptions extends HostProcessOptions {
  /** llama.cpp log level in the host (default: the host's, warn); setLogLevel() changes it. */
  logLevel?: EngineLogLevel;
  /** Receives the host's stderr/stdout lines and the client's own notes. */
  log?: (line: string) => void;
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

/** A completion request; its documents may be OutgoingDocuments (text read lazily). With
 *  `alternatives: n` (a manual trigger) the result's `alternatives` holds up to n other completions
 *  (CompletionRequest.alternatives in native.ts). */
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

export class EngineClient implements Disposable {
  private readonly supervisor: HostSupervisor;
  private readonly rpc: EngineRpc;
  private readonly documents = new DocumentSync();
  private readonly models = new RoleModels();
  /** Crashes in a row while the completion model was loaded. */
  private readonly crashes = new CrashStreak();
  private readonly stateEmitter = new Emitter<EngineState>();
  private readonly gaveUpEmitter = new Emitter<{ path: string; error: EngineError }>();
  private currentState: EngineState = { kind: 'stopped' };
  private disposed = false;

  readonly onDidChangeState: Event<EngineState> = this.stateEmitter.event;
  /** A model is not loaded again because it crashes the engine (fires once per give-up). */
  readonly onModelGaveUp: Event<{ path: string; error: EngineError }> = this.gaveUpEmitter.event;

  constructor(private readonly options: EngineClientOptions) {
    this.rpc = new EngineRpc({
      hello: (message) => this.onHello(message),
      answered: (method) => {
        if (method === 'complete') this.crashes.modelWorked();
      },
      log: (line) => this.log(line),
    });
    this.supervisor = new HostSupervisor(options, {
      starting: () => {
        this.setState({ kind: 'starting' });
        this.documents.reset(); // a new process has no documents, and no explain model
        this.models.newProcess();
      },
      started: () => this.restoreModel(),
      startFailed: (error) => this.setState({ kind: 'error', error }),
      crashed: (code, signal, delayMs) => this.onCrash(code, signal, delayMs),
      stopping: (reason) => this.rpc.rejectAll(reason),
      message: (raw) => this.rpc.receive(raw),
      log: (line) => this.log(line),
    });
    this.supervisor.logLevel = options.logLevel;
  }

  /** The level of llama.cpp's own log lines in the host, now and after restarts. */
  async setLogLevel(level: EngineLogLevel): Promise<void> {
    this.supervisor.logLevel = level;
    const host = this.supervisor.host;
    if (host && !host.exited) await this.call('setLogLevel', { level }, {});
  }

  get state(): EngineState {
    return this.currentState;
  }

  /** The host's process id, while one runs. */
  get pid(): number | undefined {
    return this.supervisor.host?.pid;
  }

  /** Characters of document text sent to the current host (for tests and the status view). */
  get documentBytesSent(): number {
    return this.documents.bytesSent;
  }

  /** The model the engine holds (or is restoring after a crash). */
  get loadedModel(): LoadedModel | undefined {
    return this.models.loaded('completion');
  }

  async loadModel(path: string, options: LoadModelOptions = {}): Promise<ModelInfo> {
    return this.load(loadParams(path, options), options);
  }

  /** The separate explain model, while the engine holds one. */
  get loadedExplainModel(): LoadedModel | undefined {
    return this.models.loaded('explain');
  }

  /** Loads a second model for explanations (role 'explain'), beside the completion model. The
   *  previous explain model is freed first; the engine's state (the completion model's) does not
   *  change, and a failure here leaves completions alone. */
  async loadExplainModel(path: string, options: LoadModelOptions = {}): Promise<ModelInfo> {
    return this.load({ ...loadParams(path, options), role: 'explain' }, options);
  }

  /** Frees the explain model (explanations then run on the completion model). */
  async unloadExplainModel(): Promise<void> {
    await this.unload('explain');
  }

  async unloadModel(): Promise<void> {
    await this.unload('completion');
  }

  /** Runs one completion on the completion session. Aborting resolves with stopReason 'cancelled'.
   *  Documents go to the host incrementally: text only for an (id, version) this host process has
   *  not received yet. */
  async complete(request: ClientCompletionRequest, options: CompleteOptions = {}): Promise<CompletionResult> {
    if (!(await this.supervisor.waitReady(options.signal))) return cancelledResult();
    // synchronous from here to the post, so the host receives messages in the order assumed here
    const wire: WireCompletionRequest = { ...request, prompt: wellFormedPrompt(request.prompt), documents: undefined };
    // a request without documents (an explanation) leaves the completion session's list alone
    if (request.documents) wire.documents = this.documents.sync(request.documents);
    else delete wire.documents;
    const params: EngineMethods['complete']['params'] = { session: options.session ?? 'completion', request: wire };
    if (options.role && options.role !== 'completion') params.role = options.role;
    return this.call('complete', params, options);
  }

  /** Pre-warms the completion session: prefills `request.prompt` at the lowest priority (the host
   *  runs it only while no completion is busy and stops it for any that arrives). Aborting stops
   *  it; what it prefilled stays cached. Resolves with cancelled: true when it was stopped. */
  async prefill(request: ClientPrefillRequest, options: { signal?: AbortSignal } = {}): Promise<PrefillResult> {
    if (!(await this.supervisor.waitReady(options.signal))) return skippedPrefill();
    // synchronous from here to the post, as in complete()
    const wire: PrefillRequest = { ...request, prompt: wellFormedPrompt(request.prompt) };
    if (request.documents) wire.documents = this.documents.sync(request.documents);
    return this.call('prefill', { request: wire }, options);
  }

  /** Formats a conversation with a loaded model's chat template (INVALID_ARGUMENT without one):
   *  the completion model's, or with role 'explain' the explain model's. */
  async applyChatTemplate(messages: ChatMessage[], options: { addAssistantTurn?: boolean; role?: ModelRole } = {}): Promise<string> {
    await this.supervisor.waitReady();
    return this.call('applyChatTemplate', { messages, ...options }, {});
  }

  async tokenize(text: string, options: Omit<TokenizeParams, 'text'> = {}): Promise<number[]> {
    await this.supervisor.waitReady();
    return this.call('tokenize', { text, ...options }, {});
  }

  async devices(): Promise<DeviceInfo[]> {
    await this.supervisor.waitReady();
    return this.call('devices', {}, {});
  }

  /** The model the engine holds for a role (default: the completion model). */
  async modelInfo(role: ModelRole = 'completion'): Promise<ModelInfo | null> {
    await this.supervisor.waitReady();
    return this.call('modelInfo', role === 'completion' ? {} : { role }, {});
  }

  /** Stops the host (pending requests reject with ENGINE_STOPPED) and starts a fresh one with the
   *  same model. For the "Restart Engine" command. */
  async restart(): Promise<void> {
    if (this.disposed) throw engineStoppedError();
    this.crashes.reset();
    await this.supervisor.restart(new EngineError('The engine was restarted.', 'ENGINE_STOPPED'));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.supervisor.dispose();
    this.setState({ kind: 'disposed' });
    this.stateEmitter.dispose();
    this.gaveUpEmitter.dispose();
  }

  /** dispose(), then wait until the host process has exited. */
  async disposeAsync(): Promise<void> {
    const host = this.supervisor.host;
    this.dispose();
    if (host) await host.whenExited();
  }

  // ── models ───────────────────────────────────────────────────────────────────────────────────

  private async load(params: LoadModelParams, options: LoadModelOptions): Promise<ModelInfo> {
    if (!(await this.supervisor.waitReady(options.signal))) throw loadCancelledError();
    return this.requestLoad(params, options);
  }

  /** Loads a model of either role. The engine's state is the completion model's: an explain
   *  model's load leaves it alone. */
  private async requestLoad(params: LoadModelParams, options: LoadModelOptions): Promise<ModelInfo> {
    const reportsState = roleOf(params) === 'completion';
    const host = this.supervisor.host;
    this.models.requested(params);
    if (reportsState) this.setState({ kind: 'loading', modelPath: params.path, progress: 0 });
    try {
      const info = await this.call('loadModel', params, {
        signal: options.signal,
        onProgress: (fraction) => {
          options.onProgress?.(fraction);
          if (reportsState && this.models.isWanted(params)) this.setState({ kind: 'loading', modelPath: params.path, progress: fraction });
        },
      });
      if (this.supervisor.host === host && this.models.succeeded(params, info) && reportsState)
        this.setState({ kind: 'ready', model: info });
      return info;
    } catch (err) {
      if (this.models.isWanted(params) && !(err instanceof EngineCrashedError)) {
        const kept = this.models.failed(params, !!this.supervisor.host);
        const error = err instanceof EngineError ? err : new EngineError(String(err), 'INTERNAL');
        // Still serving the previous model: the engine is ready; the failure goes to the caller
        // (ActiveModel reports it), not into the engine's state.
        if (reportsState) this.setState(kept ? { kind: 'ready', model: kept.info } : { kind: 'error', error });
      }
      throw err;
    }
  }

  private async unload(role: ModelRole): Promise<void> {
    this.models.forget(role);
    if (!this.supervisor.host) return;
    await this.call('unloadModel', role === 'completion' ? {} : { role }, {});
    if (role === 'completion') this.setState({ kind: 'idle' });
  }

  /** A host started: load the completion model again (after a crash or restart). */
  private async restoreModel(): Promise<void> {
    const wanted = this.models.wanted('completion');
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

  /** The host died: fail what was pending, and decide whether the completion model is loaded
   *  again (true: restart now) or given up. */
  private onCrash(code: number | null, signal: NodeJS.Signals | null, delayMs: number): boolean {
    const wanted = this.models.wanted('completion');
    // (an explain model that crashes the host is remembered as failed by its caller)
    const whileLoading = this.rpc.loading('completion');
    const verdict = wanted ? this.crashes.crashed(wanted.path, whileLoading) : undefined;
    const error = new EngineCrashedError(code, signal, !verdict?.giveUp);
    this.rpc.rejectAll(error);
    if (wanted && verdict?.giveUp) {
      // that model is what kills the process: not reloaded in a loop; the host starts again (no
      // model) on the next request
      this.models.forget('completion');
      const gaveUp = new EngineError(
        whileLoading
          ? `The model ${wanted.path} crashed Tandem's engine while loading (${error.message.replace(/^Tandem's engine process /, '')}); it is not loaded again. Select another model, or Restart Engine to try it again.`
          : `The model ${wanted.path} crashed Tandem's engine ${verdict.streak} times in a row; it is not loaded again. Select another model, or Restart Engine to try it again.`,
        'MODEL_CRASHED',
      );
      this.log(`${error.message} ${gaveUp.message}`);
      this.setState({ kind: 'error', error: gaveUp });
      this.gaveUpEmitter.fire({ path: wanted.path, error: gaveUp });
      return false;
    }
    if (!wanted) {
      this.log(`${error.message} It starts again on the next request.`);
      this.setState({ kind: 'stopped' }); // truthfully: nothing restarts until something needs it
      return false;
    }
    this.log(`${error.message} Restart in ${delayMs} ms.`);
    this.setState({ kind: 'crashed', error, restartInMs: delayMs });
    return true; // eager: reload the model now
  }

  // ── requests ─────────────────────────────────────────────────────────────────────────────────

  private call<M extends MethodName>(
    method: M,
    params: EngineMethods[M]['params'],
    options: CallOptions,
  ): Promise<EngineMethods[M]['result']> {
    if (this.disposed) return Promise.reject(engineStoppedError());
    const host = this.supervisor.host;
    if (!host || host.exited) {
      return Promise.reject(new EngineError("Tandem's engine process is not running; it is restarting.", 'ENGINE_CRASHED'));
    }
    return this.rpc.call(host, method, params, options);
  }

  private onHello(message: HelloMessage): void {
    if (message.addon) this.log(`engine host ${message.pid} started (tandem ${message.addon.tandem}, llama.cpp ${message.addon.llamaCpp})`);
    if (message.addonError) {
      this.log(message.addonError.message);
      this.setState({ kind: 'error', error: engineErrorFromWire(message.addonError) });
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
  return prompt.map((part) =>
    typeof part === 'string' ? wellFormed(part) : typeof part === 'number' ? part : { ...part, text: wellFormed(part.text) },
  );
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
