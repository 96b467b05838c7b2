// The engine host's request handling, apart from process wiring (host.ts) so it can be driven by
// any transport. Up to two models, by role: the completion model and, when the user configured
// one, a separate explain model (loaded on the first explanation). Per model, named sessions (the
// one of its role created with it, others on first use), each running one request at a time in
// arrival order. Without an explain model, explanations run on the completion model's 'explain'
// session. Every request is answered with exactly one result or error; nothing received can make
// this throw.
//
// Priority: completions (one per keystroke) come before explanations. An explain request never
// starts while completions are queued or running (nor until they have been quiet for a moment),
// and a completion arriving while one runs preempts it: the explain decode is cancelled within a
// forward pass and later resumed from prompt + the tokens generated so far (the session's KV
// reuse makes the resume cost about one token). A completion never waits for an explanation.
//
// Draft documents (CompletionRequest.documents): the client sends a document's text once per
// version per host process; the host keeps the latest text of each document and fills it in for
// a session that has not seen that version yet, so the native session always gets complete data.
import { EngineError } from './errors';
import type {
  CompletionRequest, CompletionResult, ContextDocument, DocumentSource, ModelInfo, NativeAddon, NativeCancelFlag, NativeModel,
  NativeSession, PrefillResult, SessionOptions,
} from './native';
import {
  ClientMessage, CompleteParams, HelloMessage, HostMessage, LoadModelParams, MAX_DOCUMENT_TEXT_CHARS, ModelRole, PROTOCOL_VERSION, PrefillParams,
  ProtocolError,
  RequestMessage, SessionName, WireError, cancelledResult, parseClientMessage, skippedPrefill, toWireError,
} from './protocol';

interface SessionSlot {
  session: NativeSession;
  /** Settles when the last queued request on this session has finished. */
  tail: Promise<unknown>;
  /** Cancel flag of the request running now. */
  running?: NativeCancelFlag;
  closed: boolean;
  /** Documents (id → version) the native session was given. */
  documents: Map<string, number>;
  /** Ids listed by the last request that ran (the session keeps only those). */
  listed: Set<string>;
}

interface StoredDocument {
  version: number;
  source: DocumentSource;
  text: string;
}

/** A request's cancel flag that also reaches the flag of the decode running for it now (explain
 *  runs as a series of decodes) and wakes it while it waits for completions to go quiet. */
class RequestCancelFlag implements NativeCancelFlag {
  cancelled = false;
  current?: NativeCancelFlag;
  wake?: () => void;
  cancel(): void {
    this.cancelled = true;
    this.current?.cancel();
    this.wake?.();
  }
}

/** How long completions must have been quiet before an explanation starts or resumes. */
export const EXPLAIN_RESUME_QUIET_MS = 250;

interface LoadedModel {
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
  if (params.contextSize) options.contextSize = info && info.contextLength > 0 ? Math.min(params.contextSize, info.contextLength) : params.contextSize;
  if (params.threads) options.threads = params.threads;
  if (params.documentKvBytes !== undefined) options.documentKvBytes = params.documentKvBytes;
  return options;
}

/** Loads of one role run one after another; a newer load cancels the one in flight. */
interface LoadQueue {
  tail: Promise<unknown>;
  cancel?: NativeCancelFlag;
}

export class EngineHostService {
  private readonly models = new Map<ModelRole, LoadedModel>();
  private readonly loads = new Map<ModelRole, LoadQueue>();
  private readonly cancelFlags = new Map<number, NativeCancelFlag>();
  private readonly open = new Set<number>();
  private closed = false;
  /** Latest text of each draft document this process received, by id. */
  private readonly documentStore = new Map<string, StoredDocument>();
  /** Requests received and not finished, per document id they list. */
  private readonly pendingDocumentRefs = new Map<string, number>();
  /** Completion requests queued or running. */
  private completionsActive = 0;
  private lastCompletionEndedAt = -Infinity;
  private readonly quietWaiters = new Set<() => void>();
  private quietTimer?: NodeJS.Timeout;
  /** Decode flags of explanations running now, cancelled when a completion arrives. */
  private readonly preemptible = new Map<NativeCancelFlag, { preempted: boolean }>();
  /** Explanation decodes preempted so far (for tests and logs). */
  preemptions = 0;
  /** Cancel flag of the pre-warm queued or running now. */
  private prewarm?: NativeCancelFlag;
  /** Pre-warms cancelled for a completion (for tests and logs). */
  prewarmsPreempted = 0;

  constructor(
    private readonly addon: NativeAddon | WireError,
    private readonly send: (message: HostMessage) => void,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

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
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    for (const flag of this.cancelFlags.values()) flag.cancel();
    const loaded = [...this.models.values()];
    this.models.clear();
    await Promise.all(loaded.map((model) => this.release(model)));
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
        this.loads.get(role)?.cancel?.cancel(); // a load in flight would bring the model back
        const loaded = this.models.get(role);
        this.models.delete(role);
        if (loaded) await this.release(loaded);
        return null;
      }
      case 'complete':
        return this.complete(message.id, message.params, addon);
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

  private requireModel(role: ModelRole = 'completion'): LoadedModel {
    const loaded = this.models.get(role);
    if (!loaded) throw new EngineError(role === 'explain' ? 'No explain model is loaded.' : 'No model is loaded.', 'NO_MODEL');
    return loaded;
  }

  /** The model of a role, for tests and logs. */
  modelInfo(role: ModelRole = 'completion'): ModelInfo | undefined {
    return this.models.get(role)?.info;
  }

  private loadModel(id: number, params: LoadModelParams, addon: NativeAddon): Promise<ModelInfo> {
    const role = params.role ?? 'completion';
    const cancel = addon.createCancelFlag();
    this.cancelFlags.set(id, cancel);
    let queue = this.loads.get(role);
    if (!queue) {
      queue = { tail: Promise.resolve() };
      this.loads.set(role, queue);
    }
    queue.cancel?.cancel(); // the newest load wins
    queue.cancel = cancel;
    const run = async (): Promise<ModelInfo> => {
      if (cancel.cancelled) throw new EngineError('Model load was cancelled.', 'ABORTED');
      if (role === 'explain') {
        // an explain model is a second model in memory: free the old one before loading the next
        // (completions keep the other behaviour: the old model serves until the new one is ready)
        const old = this.models.get(role);
        this.models.delete(role);
        if (old) await this.release(old);
      }
      let sentFraction = -1;
      const model = await addon.loadModel(params.path, {
        cancel,
        gpuLayers: params.gpuLayers,
        device: params.device,
        onProgress: (fraction) => {
          // about a hundred progress messages per load is plenty for a progress bar
          if (fraction - sentFraction < 0.01 && fraction < 1) return;
          sentFraction = fraction;
          this.post({ type: 'progress', id, fraction });
        },
      });
      let session: NativeSession;
      try {
        if (cancel.cancelled || this.closed) throw new EngineError('Model load was cancelled.', 'ABORTED');
        session = await model.createSession(sessionOptionsFor(params, model.info()));
      } catch (err) {
        await model.dispose().catch(() => undefined);
        throw err;
      }
      if (cancel.cancelled || this.closed) { // superseded or unloaded while the session was created
        await session.dispose().catch(() => undefined);
        await model.dispose().catch(() => undefined);
        throw new EngineError('Model load was cancelled.', 'ABORTED');
      }
      const info = model.info();
      const previous = this.models.get(role);
      // the old model stays usable until the new one is ready, so a failed load loses nothing
      this.models.set(role, { model, info, params, sessions: new Map([[role, newSlot(session, Promise.resolve())]]) });
      if (previous) await this.release(previous);
      return info;
    };
    const result = queue.tail.then(run, run);
    queue.tail = result.catch(() => undefined);
    return result.finally(() => {
      if (queue.cancel === cancel) queue.cancel = undefined;
    });
  }

  /** The named session of a role's model; sessions other than the role's own start on first use. */
  private sessionSlot(role: ModelRole, name: SessionName): SessionSlot {
    const loaded = this.requireModel(role);
    let slot = loaded.sessions.get(name);
    if (!slot) {
      const created = loaded.model.createSession(sessionOptionsFor(loaded.params, loaded.info));
      slot = newSlot(lazySession(created), created.then(() => undefined, () => undefined));
      loaded.sessions.set(name, slot);
    }
    return slot;
  }

  private complete(id: number, params: CompleteParams, addon: NativeAddon): Promise<CompletionResult> {
    const slot = this.sessionSlot(params.role ?? 'completion', params.session);
    const documents = this.receiveDocuments(params.request.documents);
    if (params.session === 'completion') return this.completeNow(id, slot, params, documents, addon);
    return this.completePreemptible(id, slot, params, documents, addon);
  }

  /** A completion: runs as soon as its session is free, preempting explanations. */
  private completeNow(
    id: number, slot: SessionSlot, params: CompleteParams, documents: string[], addon: NativeAddon,
  ): Promise<CompletionResult> {
    const cancel = addon.createCancelFlag();
    this.cancelFlags.set(id, cancel);
    this.completionStarted();
    const run = async (): Promise<CompletionResult> => {
      if (cancel.cancelled) return cancelledResult(); // cancelled while queued: don't start it
      if (slot.closed) throw new EngineError('The model was unloaded before this request ran.', 'DISPOSED');
      slot.running = cancel;
      try {
        return await this.runDecode(slot, params.request, params.request.prompt, params.request.maxTokens, params.request.timeBudgetMs, cancel, (text) => this.post({ type: 'stream', id, text }));
      } finally {
        slot.running = undefined;
      }
    };
    const result = slot.tail.then(run, run);
    slot.tail = result.catch(() => undefined);
    return result.finally(() => {
      this.completionEnded();
      this.releaseDocuments(documents);
    });
  }

  /** A pre-warm: prefills on the role's completion session when nothing more urgent runs. */
  private prefill(id: number, params: PrefillParams, addon: NativeAddon): Promise<PrefillResult> {
    const slot = this.sessionSlot(params.role ?? 'completion', 'completion');
    const documents = this.receiveDocuments(params.request.documents);
    const cancel = addon.createCancelFlag();
    this.cancelFlags.set(id, cancel);
    this.prewarm?.cancel();
    this.prewarm = cancel;
    // never beside or behind a completion or an explanation: a pre-warm uses an idle machine only
    if (this.completionsActive > 0 || this.preemptible.size > 0) cancel.cancel();
    const run = async (): Promise<PrefillResult> => {
      if (cancel.cancelled || this.completionsActive > 0 || this.preemptible.size > 0) return skippedPrefill();
      if (slot.closed) throw new EngineError('The model was unloaded before this request ran.', 'DISPOSED');
      slot.running = cancel;
      try {
        const { request } = params;
        return await this.runOnSession(slot, request.documents,
          (nativeDocuments) => slot.session.prefill({ ...request, documents: nativeDocuments }, cancel), () => []);
      } finally {
        slot.running = undefined;
      }
    };
    const result = slot.tail.then(run, run);
    slot.tail = result.catch(() => undefined);
    return result.finally(() => {
      if (this.prewarm === cancel) this.prewarm = undefined;
      this.releaseDocuments(documents);
    });
  }

  /** An explanation: waits while completions are busy and yields to any completion that arrives,
   *  resuming afterwards from the tokens generated so far. */
  private completePreemptible(
    id: number, slot: SessionSlot, params: CompleteParams, documents: string[], addon: NativeAddon,
  ): Promise<CompletionResult> {
    const cancel = new RequestCancelFlag();
    this.cancelFlags.set(id, cancel);
    const request = params.request;
    const run = async (): Promise<CompletionResult> => {
      const started = Date.now();
      const generated: number[] = [];
      let text = '';
      let carried: number[] | undefined; // an unfinished UTF-8 character where a decode was cut
      let stats: CompletionResult['stats'] | undefined;
      for (;;) {
        await this.completionsQuiet(cancel);
        if (cancel.cancelled) break;
        if (slot.closed) throw new EngineError('The model was unloaded before this request ran.', 'DISPOSED');
        const remaining = request.maxTokens - generated.length;
        const budget = request.timeBudgetMs ? request.timeBudgetMs - (Date.now() - started) : undefined;
        if (remaining <= 0 || (budget !== undefined && budget <= 0)) {
          if (stats) stats.stopReason = remaining <= 0 ? 'maxTokens' : 'timeBudget';
          break;
        }
        const decode = addon.createCancelFlag();
        const mark = { preempted: false };
        cancel.current = decode;
        slot.running = decode;
        this.preemptible.set(decode, mark);
        let part: CompletionResult;
        try {
          part = await this.runDecode(slot, { ...request, carriedBytes: carried }, [...request.prompt, ...generated], remaining, budget,
            decode, (piece) => this.post({ type: 'stream', id, text: piece }));
        } finally {
          this.preemptible.delete(decode);
          cancel.current = undefined;
          slot.running = undefined;
        }
        generated.push(...part.tokens);
        text += part.text;
        carried = part.pendingBytes;
        stats = mergeStats(stats, part.stats);
        if (!(part.stats.stopReason === 'cancelled' && mark.preempted && !cancel.cancelled)) break;
        this.preemptions++;
      }
      if (cancel.cancelled) return { text, tokens: generated, stats: { ...(stats ?? cancelledResult().stats), stopReason: 'cancelled' } };
      return truncateAtStop({ text, tokens: generated, stats: stats ?? cancelledResult().stats }, request.stop);
    };
    const result = slot.tail.then(run, run);
    slot.tail = result.catch(() => undefined);
    return result.finally(() => this.releaseDocuments(documents));
  }

  /** One decode on a native session, with its draft documents completed from the store. */
  private runDecode(
    slot: SessionSlot, request: CompleteParams['request'], prompt: CompletionRequest['prompt'], maxTokens: number,
    timeBudgetMs: number | undefined, cancel: NativeCancelFlag, onText: (text: string) => void,
  ): Promise<CompletionResult> {
    const nativeRequest: CompletionRequest = { ...request, prompt, maxTokens, onText };
    if (timeBudgetMs !== undefined) nativeRequest.timeBudgetMs = timeBudgetMs;
    else delete nativeRequest.timeBudgetMs;
    return this.runOnSession(slot, request.documents, (documents) => {
      if (documents) nativeRequest.documents = documents;
      return slot.session.complete(nativeRequest, cancel);
    }, (result) => result.stats.speculation?.missingDocuments ?? []);
  }

  /** Runs a request on a native session with its draft documents completed from the store (text
   *  only for versions the session lacks), and notes what the session then holds. */
  private async runOnSession<R>(
    slot: SessionSlot, listed: readonly ContextDocument[] | undefined, run: (documents: ContextDocument[] | undefined) => Promise<R>,
    missingOf: (result: R) => readonly string[],
  ): Promise<R> {
    const given = new Map<string, number>();
    const documents = listed?.map((document): ContextDocument => {
      const stored = this.documentStore.get(document.id);
      const version = stored?.version ?? document.version;
      if (slot.documents.get(document.id) === version) return { id: document.id, version, source: document.source };
      const text = document.text !== undefined && document.version === version ? document.text : stored?.text;
      if (text === undefined) return { id: document.id, version, source: document.source };
      given.set(document.id, version);
      return { id: document.id, version, source: document.source, text };
    });
    slot.listed = new Set(listed?.map((d) => d.id) ?? []);
    let result: R;
    try {
      result = await run(documents);
    } catch (err) {
      slot.documents.clear(); // unknown what the session kept: send everything next time
      throw err;
    } finally {
      this.pruneDocuments();
    }
    for (const id of slot.documents.keys()) if (!slot.listed.has(id)) slot.documents.delete(id);
    for (const [docId, version] of given) slot.documents.set(docId, version);
    for (const missing of missingOf(result)) slot.documents.delete(missing);
    return result;
  }

  /** Stores the text of documents that carry it; returns the ids the request refers to. */
  private receiveDocuments(documents: readonly ContextDocument[] | undefined): string[] {
    if (!documents) return [];
    const ids: string[] = [];
    for (const document of documents) {
      if (document.text !== undefined) {
        // what the engine never reads is not kept (another client may send more than the cap)
        const text = document.text.length > MAX_DOCUMENT_TEXT_CHARS ? document.text.slice(0, MAX_DOCUMENT_TEXT_CHARS) : document.text;
        if (text !== document.text) document.text = text;
        this.documentStore.set(document.id, { version: document.version, source: document.source, text });
      }
      this.pendingDocumentRefs.set(document.id, (this.pendingDocumentRefs.get(document.id) ?? 0) + 1);
      ids.push(document.id);
    }
    return ids;
  }

  private releaseDocuments(ids: readonly string[]): void {
    for (const id of ids) {
      const left = (this.pendingDocumentRefs.get(id) ?? 1) - 1;
      if (left > 0) this.pendingDocumentRefs.set(id, left);
      else this.pendingDocumentRefs.delete(id);
    }
    this.pruneDocuments();
  }

  /** Drops stored texts no session lists any more and no pending request refers to. */
  private pruneDocuments(): void {
    const slots = [...this.models.values()].flatMap((loaded) => [...loaded.sessions.values()]);
    for (const id of this.documentStore.keys()) {
      if (this.pendingDocumentRefs.has(id) || slots.some((slot) => slot.listed.has(id))) continue;
      this.documentStore.delete(id);
    }
  }

  /** Ids of the draft documents whose text this process holds (for tests). */
  storedDocuments(): string[] {
    return [...this.documentStore.keys()];
  }

  // ── priority ────────────────────────────────────────────────────────────────────────────────

  private completionStarted(): void {
    this.completionsActive++;
    if (this.prewarm && !this.prewarm.cancelled) {
      this.prewarm.cancel();
      this.prewarmsPreempted++;
    }
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    for (const [flag, mark] of this.preemptible) {
      mark.preempted = true;
      flag.cancel();
    }
  }

  private completionEnded(): void {
    this.completionsActive = Math.max(0, this.completionsActive - 1);
    this.lastCompletionEndedAt = Date.now();
    if (this.completionsActive === 0 && this.quietWaiters.size > 0) this.armQuietTimer();
  }

  private armQuietTimer(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    const wait = Math.max(0, EXPLAIN_RESUME_QUIET_MS - (Date.now() - this.lastCompletionEndedAt));
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      if (this.completionsActive > 0) return;
      const waiters = [...this.quietWaiters];
      this.quietWaiters.clear();
      for (const wake of waiters) wake();
    }, wait);
  }

  /** Resolves once no completion is queued or running and none ended in the last moment (or the
   *  request is cancelled). */
  private completionsQuiet(cancel: RequestCancelFlag): Promise<void> {
    if (cancel.cancelled || this.closed) return Promise.resolve();
    if (this.completionsActive === 0 && Date.now() - this.lastCompletionEndedAt >= EXPLAIN_RESUME_QUIET_MS) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.quietWaiters.delete(wake);
        cancel.wake = undefined;
        resolve();
      };
      cancel.wake = wake;
      this.quietWaiters.add(wake);
      if (this.completionsActive === 0) this.armQuietTimer();
    });
  }

  /** Waits for each session's requests (cancelling the running one), then frees everything. */
  private async release(loaded: LoadedModel): Promise<void> {
    for (const slot of loaded.sessions.values()) {
      slot.closed = true;
      slot.running?.cancel();
    }
    for (const slot of loaded.sessions.values()) {
      await slot.tail;
      await slot.session.dispose().catch((err: unknown) => this.log(`tandem engine host: session dispose failed: ${String(err)}`));
    }
    await loaded.model.dispose().catch((err: unknown) => this.log(`tandem engine host: model dispose failed: ${String(err)}`));
  }
}

function newSlot(session: NativeSession, tail: Promise<unknown>): SessionSlot {
  return { session, tail, closed: false, documents: new Map(), listed: new Set() };
}

/** Stats of a request run as several decodes: prompt and reuse from the first, sums of the rest,
 *  stop reason from the last. */
function mergeStats(total: CompletionResult['stats'] | undefined, part: CompletionResult['stats']): CompletionResult['stats'] {
  if (!total) return { ...part };
  return {
    ...total,
    prefillMs: total.prefillMs + part.prefillMs,
    generatedTokens: total.generatedTokens + part.generatedTokens,
    decodeMs: total.decodeMs + part.decodeMs,
    firstTokenMs: total.firstTokenMs || part.firstTokenMs,
    stopReason: part.stopReason,
  };
}

/** A stop string can straddle two decodes of a resumed request: cut there. */
function truncateAtStop(result: CompletionResult, stop: readonly string[] | undefined): CompletionResult {
  if (!stop?.length) return result;
  let cut = -1;
  for (const s of stop) {
    const at = result.text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  if (cut < 0) return result;
  return { ...result, text: result.text.slice(0, cut), stats: { ...result.stats, stopReason: 'stop' } };
}

/** A NativeSession whose creation is still in flight: calls wait for it (creation errors surface
 *  as the error of each request). */
function lazySession(created: Promise<NativeSession>): NativeSession {
  let ready: NativeSession | undefined;
  created.then((s) => { ready = s; }, () => undefined);
  return {
    complete: async (request, cancel) => (await created).complete(request, cancel),
    prefill: async (request, cancel) => (await created).prefill(request, cancel),
    cachedTokens: () => ready?.cachedTokens() ?? [],
    reset: async () => (await created).reset(),
    dispose: async () => (await created.catch(() => undefined))?.dispose(),
  };
}
