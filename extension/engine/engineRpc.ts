// Request/reply with the engine host (protocol.ts): numbers each request, routes the host's
// stream and progress messages and its one result or error to the request they belong to, turns
// an AbortSignal into a cancel message, and rejects whatever is pending when the host goes away.
// Knows nothing of processes: requests go to an RpcChannel, and the owner passes each message
// received to receive().
import { engineErrorFromWire } from './errors';
import {
  ClientMessage,
  EngineMethods,
  HelloMessage,
  HostMessage,
  LoadModelParams,
  MethodName,
  ModelRole,
  ProtocolError,
  RequestMessage,
  parseHostMessage,
} from './protocol';

/** Where requests go (one host process). */
export interface RpcChannel {
  send(message: ClientMessage): void;
}

export interface CallOptions {
  signal?: AbortSignal;
  onText?: (text: string) => void;
  onProgress?: (fraction: number) => void;
}

export interface RpcEvents {
  hello(message: HelloMessage): void;
  /** A request got its result (before its promise resolves). */
  answered(method: MethodName): void;
  log(line: string): void;
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

export class EngineRpc {
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 1;

  constructor(private readonly events: RpcEvents) {}

  /** Sends a request; settles with its answer. */
  call<M extends MethodName>(
    channel: RpcChannel,
    method: M,
    params: EngineMethods[M]['params'],
    options: CallOptions = {},
  ): Promise<EngineMethods[M]['result']> {
    const id = this.nextId++;
    const { signal } = options;
    return new Promise((resolve, reject) => {
      const onAbort = () => channel.send({ type: 'cancel', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        role: method === 'loadModel' ? ((params as LoadModelParams).role ?? 'completion') : undefined,
        resolve: resolve,
        reject,
        onText: options.onText,
        onProgress: options.onProgress,
        release: () => signal?.removeEventListener('abort', onAbort),
      });
      channel.send({ type: 'request', id, method, params } as RequestMessage);
      if (signal?.aborted) onAbort();
    });
  }

  /** A message from the host. */
  receive(raw: unknown): void {
    let message: HostMessage;
    try {
      message = parseHostMessage(raw);
    } catch (err) {
      this.events.log(`ignored bad message from the engine host: ${err instanceof ProtocolError ? err.message : String(err)}`);
      return;
    }
    switch (message.type) {
      case 'hello':
        this.events.hello(message);
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
        if (message.type === 'result') {
          this.events.answered(request.method);
          request.resolve(message.result);
        } else {
          request.reject(engineErrorFromWire(message.error));
        }
        return;
      }
    }
  }

  /** Whether a load of the `role` model is pending. */
  loading(role: ModelRole): boolean {
    return [...this.pending.values()].some((p) => p.method === 'loadModel' && p.role === role);
  }

  /** Rejects every pending request with `error` (the host went away). */
  rejectAll(error: Error): void {
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const request of requests) {
      request.release();
      request.reject(error);
    }
  }
}
