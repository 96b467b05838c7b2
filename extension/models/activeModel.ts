// Keeps the configured model loaded in the engine: loads it on first need, reloads it when the
// settings change, and remembers a failed load (per settings) so a broken model path yields one
// error, not one per keystroke. No vscode: settings arrive through a function.
import { Disposable } from '../common/disposable';
import { Emitter, Event } from '../common/emitter';
import type { EngineClient, LoadedModel } from '../engine/client';
import type { ModelInfo } from '../engine/native';

export interface ModelSettings {
  /** '' when none is configured. */
  path: string;
  contextSize: number;
  /** 0 = engine default. */
  threads: number;
}

/** No model path is configured. */
export class NoModelConfiguredError extends Error {
  readonly code = 'NO_MODEL_CONFIGURED' as const;
  constructor() {
    super('No model is configured: set tandem.model.path to a GGUF code model.');
    this.name = 'NoModelConfiguredError';
  }
}

export interface ModelLoadFailure {
  settings: ModelSettings;
  error: Error;
}

type EngineForModels = Pick<EngineClient, 'loadModel' | 'loadedModel' | 'state'>;

function sameSettings(a: ModelSettings, b: ModelSettings): boolean {
  return a.path === b.path && a.contextSize === b.contextSize && a.threads === b.threads;
}

function settingsOf(loaded: LoadedModel): ModelSettings {
  return { path: loaded.params.path, contextSize: loaded.params.contextSize ?? 0, threads: loaded.params.threads ?? 0 };
}

export class ActiveModel implements Disposable {
  private loading?: { settings: ModelSettings; promise: Promise<ModelInfo> };
  private failure?: ModelLoadFailure;
  private readonly failed = new Emitter<ModelLoadFailure>();

  /** Fires once per failed load (not for the cached failure handed to later callers). */
  readonly onLoadFailed: Event<ModelLoadFailure> = this.failed.event;

  constructor(
    private readonly engine: EngineForModels,
    private readonly settings: () => ModelSettings,
    /** Extra check after a load (e.g. FIM support); throwing marks the model as failed. */
    private readonly validate: (info: ModelInfo) => void = () => undefined,
  ) {}

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
    this.failed.dispose();
  }

  private load(requested: ModelSettings): Promise<ModelInfo> {
    const wanted = { ...requested }; // a snapshot: the caller's object may change later
    const promise = (async () => {
      const info = await this.engine.loadModel(wanted.path, {
        contextSize: wanted.contextSize || undefined,
        threads: wanted.threads || undefined,
      });
      this.validate(info);
      return info;
    })();
    const loading = { settings: wanted, promise };
    this.loading = loading;
    promise.then(
      () => {
        if (this.loading === loading) this.loading = undefined;
      },
      (error: unknown) => {
        if (this.loading === loading) this.loading = undefined;
        const err = error instanceof Error ? error : new Error(String(error));
        // a superseded or cancelled load is not the model's fault; a crash while loading is
        // remembered like any failure (retrying it per keystroke would be a crash loop)
        const code = (err as { code?: unknown }).code;
        if (code === 'ABORTED' || code === 'ENGINE_STOPPED') return;
        this.failure = { settings: wanted, error: err };
        this.failed.fire(this.failure);
      },
    );
    return promise;
  }
}
