// Keeps the configured model loaded in the engine: loads it on first need, reloads it when the
// settings change, and remembers a failed load (per settings) so a broken model path yields one
// error, not one per keystroke. No vscode: settings arrive through a function.
import { Disposable } from '../common/disposable';
import { Emitter, Event } from '../common/emitter';
import type { EngineClient, LoadedModel } from '../engine/client';
import type { ModelInfo } from '../engine/native';
import type { DeviceSetting } from '../engine/protocol';

const MIB = 1024 * 1024;
/** tandem.engine.documentCacheMB's default (the engine's own default too). */
export const DEFAULT_DOCUMENT_CACHE_MB = 256;

export interface ModelSettings {
  /** '' when none is configured. */
  path: string;
  contextSize: number;
  /** 0 = engine default. */
  threads: number;
  /** Where each phase runs: 'auto' | 'cpu' | 'gpu' | 'npu' | a device name. */
  device: { prefill: string; decode: string };
  /** KV kept for recently edited documents besides the current one, in MiB (0: none). */
  documentCacheMB: number;
}

/** No model path is configured. */
export class NoModelConfiguredError extends Error {
  readonly code = 'NO_MODEL_CONFIGURED' as const;
  constructor() {
    super('No model is configured: set tandem.model.path to a GGUF code model.');
    this.name = 'NoModelConfiguredError';
  }
}

/** The failure a load rejected with, as an Error; undefined when it was superseded or cancelled,
 *  which is not the model's fault. A crash while loading counts (retrying it per keystroke would
 *  be a crash loop). */
export function modelLoadFailure(error: unknown): Error | undefined {
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as { code?: unknown }).code;
  return code === 'ABORTED' || code === 'ENGINE_STOPPED' ? undefined : err;
}

export interface ModelLoadFailure {
  settings: ModelSettings;
  error: Error;
}

type EngineForModels = Pick<EngineClient, 'loadModel' | 'loadedModel' | 'state' | 'onModelGaveUp'>;

function sameSettings(a: ModelSettings, b: ModelSettings): boolean {
  return a.path === b.path && a.contextSize === b.contextSize && a.threads === b.threads && a.documentCacheMB === b.documentCacheMB &&
    a.device.prefill === b.device.prefill && a.device.decode === b.device.decode;
}

/** The wire form: one string when both phases want the same device. */
function deviceSetting(device: ModelSettings['device']): DeviceSetting {
  return device.prefill === device.decode ? device.prefill : { prefill: device.prefill, decode: device.decode };
}

function deviceOf(setting: DeviceSetting | undefined): ModelSettings['device'] {
  if (setting === undefined) return { prefill: 'auto', decode: 'auto' };
  if (typeof setting === 'string') return { prefill: setting, decode: setting };
  return { prefill: setting.prefill ?? 'auto', decode: setting.decode ?? 'auto' };
}

function settingsOf(loaded: LoadedModel): ModelSettings {
  return {
    path: loaded.params.path, contextSize: loaded.params.contextSize ?? 0, threads: loaded.params.threads ?? 0,
    device: deviceOf(loaded.params.device), documentCacheMB: Math.round((loaded.params.documentKvBytes ?? DEFAULT_DOCUMENT_CACHE_MB * MIB) / MIB),
  };
}

export class ActiveModel implements Disposable {
  private loading?: { settings: ModelSettings; promise: Promise<ModelInfo> };
  private failure?: ModelLoadFailure;
  private readonly failed = new Emitter<ModelLoadFailure>();
  private readonly loaded = new Emitter<{ settings: ModelSettings; info: ModelInfo }>();

  /** Fires once per failed load (not for the cached failure handed to later callers). */
  readonly onLoadFailed: Event<ModelLoadFailure> = this.failed.event;
  /** Fires once per successful load (e.g. to report where the phases run). */
  readonly onLoaded: Event<{ settings: ModelSettings; info: ModelInfo }> = this.loaded.event;

  private readonly gaveUp: Disposable;

  constructor(
    private readonly engine: EngineForModels,
    private readonly settings: () => ModelSettings,
    /** Extra check after a load (e.g. FIM support); throwing marks the model as failed. */
    private readonly validate: (info: ModelInfo) => void = () => undefined,
  ) {
    // a model that keeps crashing the engine is remembered as failed, like one that cannot load:
    // no keystroke loads it again until the settings change or the user restarts the engine
    this.gaveUp = engine.onModelGaveUp(({ path, error }) => {
      const wanted = this.settings();
      if (wanted.path !== path) return;
      this.failure = { settings: { ...wanted }, error };
      this.failed.fire(this.failure);
    });
  }

  /** The configured model, loading it first if needed. */
  ensureLoaded(): Promise<ModelInfo> {
    const wanted = this.settings();
    if (!wanted.path) return Promise.reject(new NoModelConfiguredError());
    const loaded = this.engine.loadedModel;
    if (loaded && sameSettings(settingsOf(loaded), wanted) && !this.failure) return Promise.resolve(loaded.info);
    if (this.failure && sameSettings(this.failure.settings, wanted)) return Promise.reject(this.failure.error);
    if (this.loading && sameSettings(this.loading.settings, wanted)) return this.loading.promise;
    return this.load(wanted);
  }

  /** The configured model when the engine holds it now (never starts a load). */
  get loadedInfo(): ModelInfo | undefined {
    const wanted = this.settings();
    const loaded = this.engine.loadedModel;
    return wanted.path && loaded && sameSettings(settingsOf(loaded), wanted) && !this.failure ? loaded.info : undefined;
  }

  /** Settings changed: load the new model now if the engine already runs, else on first need. */
  settingsChanged(): void {
    const wanted = this.settings();
    if (this.failure && !sameSettings(this.failure.settings, wanted)) this.failure = undefined;
    const started = this.engine.state.kind !== 'stopped';
    const loaded = this.engine.loadedModel;
    if (wanted.path && started && !(loaded && sameSettings(settingsOf(loaded), wanted))) {
      this.ensureLoaded().catch(() => undefined); // failures are reported through onLoadFailed
    }
  }

  /** Forget a remembered failure (after "Restart Engine", or the file was fixed). */
  retry(): void {
    this.failure = undefined;
  }

  dispose(): void {
    this.gaveUp.dispose();
    this.failed.dispose();
    this.loaded.dispose();
  }

  private load(requested: ModelSettings): Promise<ModelInfo> {
    const wanted = { ...requested }; // a snapshot: the caller's object may change later
    const promise = (async () => {
      const info = await this.engine.loadModel(wanted.path, {
        contextSize: wanted.contextSize || undefined,
        threads: wanted.threads || undefined,
        device: deviceSetting(wanted.device),
        documentKvBytes: wanted.documentCacheMB * MIB,
      });
      this.validate(info);
      return info;
    })();
    const loading = { settings: wanted, promise };
    this.loading = loading;
    promise.then(
      (info) => {
        if (this.loading === loading) this.loading = undefined;
        this.loaded.fire({ settings: wanted, info });
      },
      (error: unknown) => {
        if (this.loading === loading) this.loading = undefined;
        const err = modelLoadFailure(error);
        if (!err) return;
        this.failure = { settings: wanted, error: err };
        this.failed.fire(this.failure);
      },
    );
    return promise;
  }
}
