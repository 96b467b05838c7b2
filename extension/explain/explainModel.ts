// Which model explains. `tandem.explain.modelPath` set: that (instruct) model, loaded into the
// engine as a second model on the first explanation, freed when the setting is cleared and
// reloaded when it changes. Unset: the completion model (with its chat template, or the plain
// prompt for a base model without one). A failed explain model load is reported once per
// settings (onLoadFailed) and remembered, so it is not retried on every Explain (the shared logic
// is models/modelSource.ts); completions never depend on it. No vscode: settings arrive through a
// function.
import { Disposable } from '../common/disposable';
import type { Event } from '../common/emitter';
import type { EngineClient, LoadedModel } from '../engine/client';
import type { ModelInfo } from '../engine/native';
import type { ModelRole } from '../engine/protocol';
import { LoadFailure, ModelLoadAction, ModelSource, decideModelLoad } from '../models/modelSource';
import type { ExplainModelProvider, ExplainModelChoice } from './explainController';

export interface ExplainModelSettings {
  /** tandem.explain.modelPath ('' = the completion model explains). */
  path: string;
  /** The engine's context size and threads (tandem.engine.*), shared with the completion model. */
  contextSize: number;
  threads: number;
}

export type ExplainModelFailure = LoadFailure<ExplainModelSettings>;

type EngineForExplain = Pick<EngineClient, 'loadExplainModel' | 'unloadExplainModel' | 'loadedExplainModel'>;

/** What ensureLoaded() does for the current settings (the decision, apart from doing it). */
export type ExplainModelAction = { kind: 'useCompletionModel' } | ModelLoadAction;

export function sameExplainSettings(a: ExplainModelSettings, b: ExplainModelSettings): boolean {
  return a.path === b.path && a.contextSize === b.contextSize && a.threads === b.threads;
}

function settingsOf(loaded: LoadedModel): ExplainModelSettings {
  return { path: loaded.params.path, contextSize: loaded.params.contextSize ?? 0, threads: loaded.params.threads ?? 0 };
}

export function decideExplainModel(
  wanted: ExplainModelSettings,
  state: { loaded?: LoadedModel; failure?: ExplainModelFailure; loading?: ExplainModelSettings },
): ExplainModelAction {
  if (!wanted.path) return { kind: 'useCompletionModel' };
  const loaded = state.loaded && { settings: settingsOf(state.loaded), info: state.loaded.info };
  return decideModelLoad(wanted, { ...state, loaded }, sameExplainSettings);
}

export class ExplainModelSource implements ExplainModelProvider, Disposable {
  private readonly source: ModelSource<ExplainModelSettings>;

  /** Fires once per failed load of an explain model (not for the remembered failure). */
  readonly onLoadFailed: Event<ExplainModelFailure>;

  constructor(
    private readonly engine: EngineForExplain,
    /** The completion model (ActiveModel). */
    private readonly completionModel: { ensureLoaded(): Promise<ModelInfo> },
    private readonly settings: () => ExplainModelSettings,
    private readonly log?: { info(message: string): void },
  ) {
    this.source = new ModelSource<ExplainModelSettings>({
      same: sameExplainSettings,
      loaded: () => {
        const loaded = this.engine.loadedExplainModel;
        return loaded && { settings: settingsOf(loaded), info: loaded.info };
      },
      load: (wanted) => {
        this.log?.info(`loading the explain model ${wanted.path}`);
        return this.engine.loadExplainModel(wanted.path, {
          contextSize: wanted.contextSize || undefined,
          threads: wanted.threads || undefined,
        });
      },
    });
    this.onLoadFailed = this.source.onLoadFailed;
  }

  async ensureLoaded(): Promise<ExplainModelChoice> {
    const wanted = this.settings();
    if (!wanted.path) return withRole(await this.completionModel.ensureLoaded(), 'completion');
    return withRole(await this.source.ensure(wanted), 'explain');
  }

  /** Settings changed: free the explain model when it is no longer wanted, and load the new one
   *  at once when one was in use (otherwise it loads on the next Explain). */
  settingsChanged(): void {
    const wanted = { ...this.settings() };
    this.source.settingsChanged(wanted);
    const loaded = this.engine.loadedExplainModel;
    const current = loaded ? settingsOf(loaded) : this.source.loadingSettings;
    if (!current || sameExplainSettings(current, wanted)) return;
    if (!wanted.path) {
      this.source.abandonLoading();
      this.log?.info('explain model setting cleared: freeing the explain model (the completion model explains)');
      this.engine.unloadExplainModel().catch(() => undefined); // nothing to report: it is gone either way
      return;
    }
    this.source.load(wanted).catch(() => undefined); // reported through onLoadFailed
  }

  /** Forget a remembered failure (after "Restart Engine", or the file was fixed). */
  retry(): void {
    this.source.retry();
  }

  dispose(): void {
    this.source.dispose();
  }
}

function withRole(info: ModelInfo, role: ModelRole): ExplainModelChoice {
  return { ...info, role };
}
