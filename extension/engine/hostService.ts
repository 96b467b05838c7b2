// The engine host's request handling, apart from process wiring (host.ts) so it can be driven by
// any transport. One model at a time; per model, named sessions (only 'completion' for now), each
// running one request at a time in arrival order. Every request is answered with exactly one
// result or error; nothing received can make this throw.
import { EngineError } from './errors';
import type {
  CompletionResult, ModelInfo, NativeAddon, NativeCancelFlag, NativeModel, NativeSession, SessionOptions,
} from './native';
import {
  ClientMessage, CompleteParams, HelloMessage, HostMessage, LoadModelParams, PROTOCOL_VERSION, ProtocolError,
  RequestMessage, SessionName, WireError, cancelledResult, parseClientMessage, toWireError,
} from './protocol';

interface SessionSlot {
  session: NativeSession;
  /** Settles when the last queued request on this session has finished. */
  tail: Promise<unknown>;
  /** Cancel flag of the request running now. */
  running?: NativeCancelFlag;
  closed: boolean;
}

interface LoadedModel {
  model: NativeModel;
  info: ModelInfo;
  params: LoadModelParams;
  sessions: Map<SessionName, SessionSlot>;
}

export function sessionOptionsFor(params: LoadModelParams): SessionOptions {
  const options: SessionOptions = {};
  if (params.contextSize) options.contextSize = params.contextSize;
  if (params.threads) options.threads = params.threads;
  return options;
}

export class EngineHostService {
  private loaded?: LoadedModel;
  /** Loads run one after another; a newer load cancels the one in flight. */
  private loadTail: Promise<unknown> = Promise.resolve();
  private loadingCancel?: NativeCancelFlag;
  private readonly cancelFlags = new Map<number, NativeCancelFlag>();
  private readonly open = new Set<number>();
  private closed = false;

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
    for (const flag of this.cancelFlags.values()) flag.cancel();
    const loaded = this.loaded;
    this.loaded = undefined;
    if (loaded) await this.release(loaded);
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
        return this.loaded?.info ?? null;
      case 'tokenize': {
        const { text, addSpecial, parseSpecial } = message.params;
        return this.requireModel().model.tokenize(text, { addSpecial, parseSpecial });
      }
      case 'loadModel':
        return this.loadModel(message.id, message.params, addon);
      case 'unloadModel': {
        const loaded = this.loaded;
        this.loaded = undefined;
        if (loaded) await this.release(loaded);
        return null;
      }
      case 'complete':
        return this.complete(message.id, message.params, addon);
    }
  }

  private requireAddon(): NativeAddon {
    if ('message' in this.addon) throw new EngineError(this.addon.message, this.addon.code);
    return this.addon;
  }

  private requireModel(): LoadedModel {
    if (!this.loaded) throw new EngineError('No model is loaded.', 'NO_MODEL');
    return this.loaded;
  }

  private loadModel(id: number, params: LoadModelParams, addon: NativeAddon): Promise<ModelInfo> {
    const cancel = addon.createCancelFlag();
    this.cancelFlags.set(id, cancel);
    this.loadingCancel?.cancel(); // the newest load wins
    this.loadingCancel = cancel;
    const run = async (): Promise<ModelInfo> => {
      if (cancel.cancelled) throw new EngineError('Model load was cancelled.', 'ABORTED');
      let sentFraction = -1;
      const model = await addon.loadModel(params.path, {
        cancel,
        gpuLayers: params.gpuLayers,
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
        session = await model.createSession(sessionOptionsFor(params));
      } catch (err) {
        await model.dispose().catch(() => undefined);
        throw err;
      }
      const info = model.info();
      const previous = this.loaded;
      // the old model stays usable until the new one is ready, so a failed load loses nothing
      this.loaded = { model, info, params, sessions: new Map([['completion', { session, tail: Promise.resolve(), closed: false }]]) };
      if (previous) await this.release(previous);
      return info;
    };
    const result = this.loadTail.then(run, run);
    this.loadTail = result.catch(() => undefined);
    return result.finally(() => {
      if (this.loadingCancel === cancel) this.loadingCancel = undefined;
    });
  }

  /** The named session of the loaded model; sessions other than 'completion' start on first use. */
  private sessionSlot(name: SessionName): SessionSlot {
    const loaded = this.requireModel();
    let slot = loaded.sessions.get(name);
    if (!slot) {
      const created = loaded.model.createSession(sessionOptionsFor(loaded.params));
      slot = { session: lazySession(created), tail: created.then(() => undefined, () => undefined), closed: false };
      loaded.sessions.set(name, slot);
    }
    return slot;
  }

  private complete(id: number, params: CompleteParams, addon: NativeAddon): Promise<CompletionResult> {
    const slot = this.sessionSlot(params.session);
    const cancel = addon.createCancelFlag();
    this.cancelFlags.set(id, cancel);
    const run = async (): Promise<CompletionResult> => {
      if (cancel.cancelled) return cancelledResult(); // cancelled while queued: don't start it
      if (slot.closed) throw new EngineError('The model was unloaded before this request ran.', 'DISPOSED');
      slot.running = cancel;
      try {
        return await slot.session.complete(
          { ...params.request, onText: (text) => this.post({ type: 'stream', id, text }) },
          cancel,
        );
      } finally {
        slot.running = undefined;
      }
    };
    const result = slot.tail.then(run, run);
    slot.tail = result.catch(() => undefined);
    return result;
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

/** A NativeSession whose creation is still in flight: calls wait for it (creation errors surface
 *  as the error of each request). */
function lazySession(created: Promise<NativeSession>): NativeSession {
  return {
    complete: async (request, cancel) => (await created).complete(request, cancel),
    cachedTokens: () => [],
    reset: async () => (await created).reset(),
    dispose: async () => (await created.catch(() => undefined))?.dispose(),
  };
}
