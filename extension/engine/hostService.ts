// The engine host's request handling, apart from process wiring (host.ts) so it can be driven by
// any transport: it parses each message, dispatches it to the model and session it names, and
// answers every request with exactly one result or error; nothing received can make it throw.
//
// Up to two models, by role: the completion model and, when the user configured one, a separate
// explain model (loaded on the first explanation). Loads run per role one after another, the
// newest winning (loadQueue.ts). Per model, named sessions (the one of its role created with it,
// others on first use), each running one request at a time in arrival order. Without an explain
// model, explanations run on the completion model's 'explain' session.
//
// Which request may run when is the scheduler's (scheduler.ts: completions first, explanations
// yield to them and resume, pre-warms last); the draft documents that requests list are the
// document store's (documentStore.ts).
import { DocumentStore, SessionDocuments } from './documentStore';
import { EngineError, loadCancelledError } from './errors';
import { LoadQueues, openModel } from './loadQueue';
import type {
  CompletionRequest,
  CompletionResult,
  ModelInfo,
  NativeAddon,
  NativeCancelFlag,
  NativeModel,
  NativeSession,
  PrefillResult,
  SessionOptions,
} from './native';
import {
  ClientMessage,
  CompleteParams,
  HelloMessage,
  HostMessage,
  LoadModelParams,
  ModelRole,
  PROTOCOL_VERSION,
  PrefillParams,
  ProtocolError,
  RequestMessage,
  SessionName,
  WireCompletionRequest,
  WireError,
  cancelledResult,
  parseClientMessage,
  skippedPrefill,
  toWireError,
} from './protocol';
import { EngineScheduler, RequestCancelFlag } from './scheduler';
import { SerialQueue } from './serialQueue';

interface SessionSlot {
  session: NativeSession;
  /** Its requests, one at a time in arrival order. */
  queue: SerialQueue;
  /** Cancel flag of the request (or explanation decode) running now. */
  running?: NativeCancelFlag;
  closed: boolean;
  documents: SessionDocuments;
}

/** A model the host holds, with its sessions. */
interface HostedModel {
  model: NativeModel;
  info: ModelInfo;
  params: LoadModelParams;
  sessions: Map<SessionName, SessionSlot>;
}

/** A session's options from the load request; the context is held to what the model was trained
 *  for (a bigger one only costs memory: a workspace or a typo must not make the engine allocate
 *  gigabytes). */
export function sessionOptionsFor(params: LoadModelParams, info?: Pick<ModelInfo, 'contextLength'>): SessionOptions {
  const options: SessionOptions = {};
  if (params.contextSize)
    options.contextSize = info && info.contextLength > 0 ? Math.min(params.contextSize, info.contextLength) : params.contextSize;
  if (params.threads) options.threads = params.threads;
  if (params.documentKvBytes !== undefined) options.documentKvBytes = params.documentKvBytes;
  return options;
}

export class EngineHostService {
  private readonly models = new Map<ModelRole, HostedModel>();
  private readonly loads = new LoadQueues();
  private readonly cancelFlags = new Map<number, NativeCancelFlag>();
  private readonly open = new Set<number>();
  private closed = false;
  private readonly documents = new DocumentStore(() => this.sessionDocuments());
  private readonly scheduler = new EngineScheduler();

  constructor(
    private readonly addon: NativeAddon | WireError,
    private readonly send: (message: HostMessage) => void,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  /** Explanation decodes preempted so far (for tests and logs). */
  get preemptions(): number {
    return this.scheduler.preemptions;
  }

  /** Pre-warms cancelled for a completion (for tests and logs). */
  get prewarmsPreempted(): number {
    return this.scheduler.prewarmsPreempted;
  }

  hello(pid: number): HelloMessage {
    if ('message' in this.addon) return { type: 'hello', protocol: PROTOCOL_VERSION, pid, addon: null, addonError: this.addon };
    const v = this.addon.version();
    return { type: 'hello', protocol: PROTOCOL_VERSION, pid, addon: { tandem: v.tandem, llamaCpp: v.llamaCpp }, addonError: null };
  }

  /** Entry point for every received message. Never throws. */
  handle(raw: unknown): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(raw);
    } catch (err) {
      const e = err instanceof ProtocolError ? err : new ProtocolError(String(err));
      if (e.id !== undefined && !this.open.has(e.id)) this.post({ type: 'error', id: e.id, error: { message: e.message, code: e.code } });
      else this.log(`tandem engine host: ignored bad message: ${e.message}`);
      return;
    }
    if (message.type === 'cancel') {
      this.cancelFlags.get(message.id)?.cancel();
      return;
    }
    if (this.open.has(message.id)) {
      this.log(`tandem engine host: ignored request with duplicate id ${message.id}`);
      return;
    }
    this.open.add(message.id);
    const { id } = message;
    void this.dispatch(message)
      .then(
        (result) => this.post({ type: 'result', id, result }),
        (err: unknown) => this.post({ type: 'error', id, error: toWireError(err) }),
      )
      .finally(() => {
        this.open.delete(id);
        this.cancelFlags.delete(id);
      });
  }

  /** Cancels everything and frees the model (the process is about to exit). */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.close();
    for (const flag of this.cancelFlags.values()) flag.cancel();
    const hosted = [...this.models.values()];
    this.models.clear();
    await Promise.all(hosted.map((model) => this.release(model)));
  }

  /** The model of a role, for tests and logs. */
  modelInfo(role: ModelRole = 'completion'): ModelInfo | undefined {
    return this.models.get(role)?.info;
  }

  /** Ids of the draft documents whose text this process holds (for tests). */
  storedDocuments(): string[] {
    return this.documents.ids();
  }

  private post(message: HostMessage): void {
    try {
      this.send(message);
    } catch (err) {
      this.log(`tandem engine host: could not send ${message.type}: ${String(err)}`);
    }
  }

  private async dispatch(message: RequestMessage): Promise<unknown> {
    if (this.closed) throw new EngineError('The engine host is shutting down.', 'ENGINE_STOPPED');
    const addon = this.requireAddon();
    switch (message.method) {
      case 'devices':
        return addon.devices();
      case 'modelInfo':
        return this.models.get(message.params.role ?? 'completion')?.info ?? null;
      case 'tokenize': {
        const { text, addSpecial, parseSpecial, role } = message.params;
        return this.requireModel(role).model.tokenize(text, { addSpecial, parseSpecial });
      }
      case 'loadModel':
        return this.loadModel(message.id, message.params, addon);
      case 'unloadModel': {
        const role = message.params.role ?? 'completion';
        this.loads.cancel(role); // a load in flight would bring the model back
        await this.unload(role);
        return null;
      }
      case 'complete':
        return message.params.session === 'completion'
          ? this.complete(message.id, message.params, addon)
          : this.explain(message.id, message.params, addon);
      case 'prefill':
        return this.prefill(message.id, message.params, addon);
      case 'setLogLevel':
        addon.setLogLevel(message.params.level);
        return null;
      case 'applyChatTemplate': {
        const { messages, addAssistantTurn, role } = message.params;
        return this.requireModel(role).model.applyChatTemplate(messages, { addAssistantTurn: addAssistantTurn ?? true });
      }
    }
  }

  private requireAddon(): NativeAddon {
    if ('message' in this.addon) throw new EngineError(this.addon.message, this.addon.code);
    return this.addon;
  }

  private requireModel(role: ModelRole = 'completion'): HostedModel {
    const hosted = this.models.get(role);
    if (!hosted) throw new EngineError(role === 'explain' ? 'No explain model is loaded.' : 'No model is loaded.', 'NO_MODEL');
    return hosted;
  }

  private loadModel(id: number, params: LoadModelParams, addon: NativeAddon): Promise<ModelInfo> {
    const role = params.role ?? 'completion';
    const cancel = addon.createCancelFlag();
    this.cancelFlags.set(id, cancel);
    return this.loads.run(role, cancel, async () => {
      if (cancel.cancelled) throw loadCancelledError();
      // an explain model is a second model in memory: free the old one before loading the next
      // (completions keep the other behaviour: the old model serves until the new one is ready)
      if (role === 'explain') await this.unload(role);
      let sentFraction = -1;
      const { model, session, info } = await openModel(addon, params, {
        cancel,
        abandoned: () => cancel.cancelled || this.closed,
        sessionOptions: (modelInfo) => sessionOptionsFor(params, modelInfo),
        onProgress: (fraction) => {
          // about a hundred progress messages per load is plenty for a progress bar
          if (fraction - sentFraction < 0.01 && fraction < 1) return;
          sentFraction = fraction;
          this.post({ type: 'progress', id, fraction });
        },
      });
      const previous = this.models.get(role);
      // the old model stays usable until the new one is ready, so a failed load loses nothing
      this.models.set(role, { model, info, params, sessions: new Map([[role, newSlot(session)]]) });
      if (previous) await this.release(previous);
      return info;
    });
  }

  /** Forgets a role's model and frees it. */
  private async unload(role: ModelRole): Promise<void> {
    const hosted = this.models.get(role);
    this.models.delete(role);
    if (hosted) await this.release(hosted);
  }

  /** The named session of a role's model; sessions other than the role's own start on first use. */
  private sessionSlot(role: ModelRole, name: SessionName): SessionSlot {
    const hosted = this.requireModel(role);
    let slot = hosted.sessions.get(name);
    if (!slot) {
      const created = hosted.model.createSession(sessionOptionsFor(hosted.params, hosted.info));
      slot = newSlot(lazySession(created), created);
      hosted.sessions.set(name, slot);
    }
    return slot;
  }

  /** A completion: runs as soon as its session is free, preempting explanations and pre-warms. */
  private complete(id: number, params: CompleteParams, addon: NativeAddon): Promise<CompletionResult> {
    const slot = this.sessionSlot(params.role ?? 'completion', params.session);
    const documents = this.documents.receive(params.request.documents);
    const cancel = addon.createCancelFlag();
    this.cancelFlags.set(id, cancel);
    this.scheduler.completionStarted();
    const result = slot.queue.run(async () => {
      if (cancel.cancelled) return cancelledResult(); // cancelled while queued: don't start it
      return this.occupy(slot, cancel, () => this.decode(slot, params.request, cancel, (text) => this.post({ type: 'stream', id, text })));
    });
    return result.finally(() => {
      this.scheduler.completionEnded();
      this.documents.release(documents);
    });
  }

  /** An explanation (any session but 'completion'): the scheduler runs it as preemptible decodes. */
  private explain(id: number, params: CompleteParams, addon: NativeAddon): Promise<CompletionResult> {
    const slot = this.sessionSlot(params.role ?? 'completion', params.session);
    const documents = this.documents.receive(params.request.documents);
    const cancel = new RequestCancelFlag();
    this.cancelFlags.set(id, cancel);
    const result = slot.queue.run(() =>
      this.scheduler.runExplanation(cancel, params.request, {
        createFlag: () => addon.createCancelFlag(),
        ensureOpen: () => ensureOpen(slot),
        decode: (request, flag) =>
          this.occupy(slot, flag, () => this.decode(slot, request, flag, (text) => this.post({ type: 'stream', id, text }))),
      }),
    );
    return result.finally(() => this.documents.release(documents));
  }

  /** A pre-warm: prefills on the role's completion session when nothing more urgent runs. */
  private prefill(id: number, params: PrefillParams, addon: NativeAddon): Promise<PrefillResult> {
    const slot = this.sessionSlot(params.role ?? 'completion', 'completion');
    const documents = this.documents.receive(params.request.documents);
    const cancel = addon.createCancelFlag();
    this.cancelFlags.set(id, cancel);
    this.scheduler.prewarmQueued(cancel);
    const result = slot.queue.run(async () => {
      if (!this.scheduler.prewarmMayStart(cancel)) return skippedPrefill();
      const { request } = params;
      return this.occupy(slot, cancel, () =>
        this.documents.runOn(
          slot.documents,
          request.documents,
          (nativeDocuments) => slot.session.prefill({ ...request, documents: nativeDocuments }, cancel),
          () => [],
        ),
      );
    });
    return result.finally(() => {
      this.scheduler.prewarmEnded(cancel);
      this.documents.release(documents);
    });
  }

  /** Runs `work` as the request running on an open session (an unload cancels `cancel`). */
  private async occupy<R>(slot: SessionSlot, cancel: NativeCancelFlag, work: () => Promise<R>): Promise<R> {
    ensureOpen(slot);
    slot.running = cancel;
    try {
      return await work();
    } finally {
      slot.running = undefined;
    }
  }

  /** One decode on a native session, with its draft documents completed from the store. */
  private decode(
    slot: SessionSlot,
    request: WireCompletionRequest,
    cancel: NativeCancelFlag,
    onText: (text: string) => void,
  ): Promise<CompletionResult> {
    const nativeRequest: CompletionRequest = { ...request, onText };
    return this.documents.runOn(
      slot.documents,
      request.documents,
      (documents) => {
        if (documents) nativeRequest.documents = documents;
        return slot.session.complete(nativeRequest, cancel);
      },
      (result) => result.stats.speculation?.missingDocuments ?? [],
    );
  }

  /** What the sessions of every model hold of the draft documents. */
  private *sessionDocuments(): Iterable<SessionDocuments> {
    for (const hosted of this.models.values()) for (const slot of hosted.sessions.values()) yield slot.documents;
  }

  /** Waits for each session's requests (cancelling the running one), then frees everything. */
  private async release(hosted: HostedModel): Promise<void> {
    for (const slot of hosted.sessions.values()) {
      slot.closed = true;
      slot.running?.cancel();
    }
    for (const slot of hosted.sessions.values()) {
      await slot.queue.settled();
      await slot.session.dispose().catch((err: unknown) => this.log(`tandem engine host: session dispose failed: ${String(err)}`));
    }
    await hosted.model.dispose().catch((err: unknown) => this.log(`tandem engine host: model dispose failed: ${String(err)}`));
  }
}

/** A session slot; `after`: its first request waits for it (the session is still being created). */
function newSlot(session: NativeSession, after?: Promise<unknown>): SessionSlot {
  return { session, queue: new SerialQueue(after), closed: false, documents: new SessionDocuments() };
}

function ensureOpen(slot: SessionSlot): void {
  if (slot.closed) throw new EngineError('The model was unloaded before this request ran.', 'DISPOSED');
}

/** A NativeSession whose creation is still in flight: calls wait for it (creation errors surface
 *  as the error of each request). */
function lazySession(created: Promise<NativeSession>): NativeSession {
  let ready: NativeSession | undefined;
  created.then(
    (s) => {
      ready = s;
    },
    () => undefined,
  );
  return {
    complete: async (request, cancel) => (await created).complete(request, cancel),
    prefill: async (request, cancel) => (await created).prefill(request, cancel),
    cachedTokens: () => ready?.cachedTokens() ?? [],
    reset: async () => (await created).reset(),
    dispose: async () => (await created.catch(() => undefined))?.dispose(),
  };
}
