// Keeps the configured completion model loaded in the engine: loads it on first need, reloads it
// when the settings change, and remembers a failed load (per settings) so a broken model path
// yields one error, not one per keystroke (the shared logic is modelSource.ts). No vscode:
// settings arrive through a function.
import { Disposable } from '../common/disposable';
import type { Event } from '../common/emitter';
import type { EngineClient, LoadedModel } from '../engine/client';
import type { ModelInfo } from '../engine/native';
import type { DeviceSetting } from '../engine/protocol';
import { LoadFailure, ModelSource } from './modelSource';

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

export type ModelLoadFailure = LoadFailure<ModelSettings>;

type EngineForModels = Pick<EngineClient, 'loadModel' | 'loadedModel' | 'state' | 'onModelGaveUp'>;

function sameSettings(a: ModelSettings, b: ModelSettings): boolean {
  return (
    a.path === b.path &&
    a.contextSize === b.contextSize &&
    a.threads === b.threads &&
    a.documentCacheMB === b.documentCacheMB &&
    a.device.prefill === b.device.prefill &&
    a.device.decode === b.device.decode
  );
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
    path: loaded.params.path,
    contextSize: loaded.params.contextSize ?? 0,
    threads: loaded.params.threads ?? 0,
    device: deviceOf(loaded.params.device),
    documentCacheMB: Math.round((loaded.params.documentKvBytes ?? DEFAULT_DOCUMENT_CACHE_MB * MIB) / MIB),
  };
}

export class ActiveModel implements Disposable {
  private readonly source: ModelSource<ModelSettings>;

  /** Fires once per failed load (not for the cached failure handed to later callers). */
  readonly onLoadFailed: Event<ModelLoadFailure>;
  /** Fires once per successful load (e.g. to report where the phases run). */
  readonly onLoaded: Event<{ settings: ModelSettings; info: ModelInfo }>;

  private readonly gaveUp: Disposable;

  constructor(
    private readonly engine: EngineForModels,
    private readonly settings: () => ModelSettings,
    /** Extra check after a load (e.g. FIM support); throwing marks the model as failed. */
    private readonly validate: (info: ModelInfo) => void = () => undefined,
  ) {
    this.source = new ModelSource<ModelSettings>({
      same: sameSettings,
      loaded: () => {
        const loaded = this.engine.loadedModel;
        return loaded && { settings: settingsOf(loaded), info: loaded.info };
      },
      load: async (wanted) => {
        const info = await this.engine.loadModel(wanted.path, {
          contextSize: wanted.contextSize || undefined,
          threads: wanted.threads || undefined,
          device: deviceSetting(wanted.device),
          documentKvBytes: wanted.documentCacheMB * MIB,
        });
        this.validate(info);
        return info;
      },
    });
    this.onLoadFailed = this.source.onLoadFailed;
    this.onLoaded = this.source.onLoaded;
    // a model that keeps crashing the engine is remembered as failed, like one that cannot load:
    // no keystroke loads it again until the settings change or the user restarts the engine
    this.gaveUp = engine.onModelGaveUp(({ path, error }) => {
      const wanted = this.settings();
      if (wanted.path === path) this.source.fail({ ...wanted }, error);
    });
  }

  /** The configured model, loading it first if needed. */
  ensureLoaded(): Promise<ModelInfo> {
    const wanted = this.settings();
    if (!wanted.path) return Promise.reject(new NoModelConfiguredError());
    return this.source.ensure(wanted);
  }

  /** The configured model when the engine holds it now (never starts a load). */
  get loadedInfo(): ModelInfo | undefined {
    const wanted = this.settings();
    return wanted.path ? this.source.current(wanted) : undefined;
  }

  /** Settings changed: load the new model now if the engine already runs, else on first need. */
  settingsChanged(): void {
    const wanted = this.settings();
    this.source.settingsChanged(wanted);
    const started = this.engine.state.kind !== 'stopped';
    const loaded = this.engine.loadedModel;
    if (wanted.path && started && !(loaded && sameSettings(settingsOf(loaded), wanted))) {
      this.ensureLoaded().catch(() => undefined); // failures are reported through onLoadFailed
    }
  }

  /** Forget a remembered failure (after "Restart Engine", or the file was fixed). */
  retry(): void {
    this.source.retry();
  }

  dispose(): void {
    this.gaveUp.dispose();
    this.source.dispose();
  }
}
