// Model loads in the engine host. LoadQueues: the loads of one model role run one after another,
// and a newer load cancels the one queued or running for that role (the newest wins). openModel:
// loads a model file with its first session, so that a load cancelled or failing halfway leaves
// nothing allocated.
import { loadCancelledError } from './errors';
import type { ModelInfo, NativeAddon, NativeCancelFlag, NativeModel, NativeSession, SessionOptions } from './native';
import type { LoadModelParams, ModelRole } from './protocol';
import { SerialQueue } from './serialQueue';

export class LoadQueues {
  private readonly queues = new Map<ModelRole, { queue: SerialQueue; current?: NativeCancelFlag }>();

  /** Queues `load` behind the role's earlier loads and cancels them; `cancel` is its own flag. */
  run<T>(role: ModelRole, cancel: NativeCancelFlag, load: () => Promise<T>): Promise<T> {
    let entry = this.queues.get(role);
    if (!entry) {
      entry = { queue: new SerialQueue() };
      this.queues.set(role, entry);
    }
    const queued = entry;
    queued.current?.cancel(); // the newest load wins
    queued.current = cancel;
    return queued.queue.run(load).finally(() => {
      if (queued.current === cancel) queued.current = undefined;
    });
  }

  /** Cancels the role's load queued or running, if any (for an unload: it would bring the model
   *  back). */
  cancel(role: ModelRole): void {
    this.queues.get(role)?.current?.cancel();
  }
}

export interface OpenedModel {
  model: NativeModel;
  /** The model's first session (the one of its role). */
  session: NativeSession;
  info: ModelInfo;
}

export interface OpenModelOptions {
  cancel: NativeCancelFlag;
  /** True once the load is no longer wanted (cancelled, or the host is closing). */
  abandoned(): boolean;
  sessionOptions(info: ModelInfo): SessionOptions;
  onProgress: (fraction: number) => void;
}

/** Loads `params.path` and creates its first session. Rejects with ABORTED when the load is
 *  abandoned before both exist, after freeing what was allocated. */
export async function openModel(addon: NativeAddon, params: LoadModelParams, options: OpenModelOptions): Promise<OpenedModel> {
  const model = await addon.loadModel(params.path, {
    cancel: options.cancel,
    gpuLayers: params.gpuLayers,
    device: params.device,
    onProgress: options.onProgress,
  });
  let session: NativeSession;
  try {
    if (options.abandoned()) throw loadCancelledError();
    session = await model.createSession(options.sessionOptions(model.info()));
  } catch (err) {
    await model.dispose().catch(() => undefined);
    throw err;
  }
  if (options.abandoned()) {
    // superseded or unloaded while the session was created
    await session.dispose().catch(() => undefined);
    await model.dispose().catch(() => undefined);
    throw loadCancelledError();
  }
  return { model, session, info: model.info() };
}
