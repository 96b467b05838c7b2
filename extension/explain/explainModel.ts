// Which model explains. `tandem.explain.modelPath` set: that (instruct) model, loaded into the
// engine as a second model on the first explanation, freed when the setting is cleared and
// reloaded when it changes. Unset: the completion model (with its chat template, or the plain
// prompt for a base model without one). A failed explain model load is reported once per
// settings (onLoadFailed) and remembered, so it is not retried on every Explain; completions never
// depend on it. No vscode: settings arrive through a function.
import { Disposable } from '../common/disposable';
import { Emitter, Event } from '../common/emitter';
import type { EngineClient, LoadedModel } from '../engine/client';
import type { ModelInfo } from '../engine/native';
import { modelLoadFailure } from '../models/activeModel';
import type { ModelRole } from '../engine/protocol';
import type { ExplainModelProvider, ExplainModelChoice } from './explainController';

export interface ExplainModelSettings {
  /** tandem.explain.modelPath ('' = the completion model explains). */
  path: string;
  /** The engine's context size and threads (tandem.engine.*), shared with the completion model. */
  contextSize: number;
  threads: number;
}

export interface ExplainModelFailure {
  settings: ExplainModelSettings;
  error: Error;
}

type EngineForExplain = Pick<EngineClient, 'loadExplainModel' | 'unloadExplainModel' | 'loadedExplainModel'>;

/** What ensureLoaded() does for the current settings (the decision, apart from doing it). */
export type ExplainModelAction =
  | { kind: 'useCompletionModel' }
  | { kind: 'useLoaded'; info: ModelInfo }
  | { kind: 'reportFailure'; error: Error }
  | { kind: 'awaitLoading' }
  | { kind: 'load' };

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
  if (state.loaded && sameExplainSettings(settingsOf(state.loaded), wanted)) return { kind: 'useLoaded', info: state.loaded.info };
  if (state.failure && sameExplainSettings(state.failure.settings, wanted)) return { kind: 'reportFailure', error: state.failure.error };
  if (state.loading && sameExplainSettings(state.loading, wanted)) return { kind: 'awaitLoading' };
  return { kind: 'load' };
}

export class ExplainModelSource implements ExplainModelProvider, Disposable {
  private loading?: { settings: ExplainModelSettings; promise: Promise<ModelInfo> };
  private failure?: ExplainModelFailure;
  private readonly failed = new Emitter<ExplainModelFailure>();

  /** Fires once per failed load of an explain model (not for the remembered failure). */
  readonly onLoadFailed: Event<ExplainModelFailure> = this.failed.event;

  constructor(
    private readonly engine: EngineForExplain,
    /** The completion model (ActiveModel). */
    private readonly completionModel: { ensureLoaded(): Promise<ModelInfo> },
    private readonly settings: () => ExplainModelSettings,
    private readonly log?: { info(message: string): void },
  ) {}

  async ensureLoaded(): Promise<ExplainModelChoice> {
    const wanted = { ...this.settings() };
    const action = decideExplainModel(wanted, { loaded: this.engine.loadedExplainModel, failure: this.failure, loading: this.loading?.settings });
    switch (action.kind) {
      case 'useCompletionModel':
        return withRole(await this.completionModel.ensureLoaded(), 'completion');
      case 'useLoaded':
        return withRole(action.info, 'explain');
      case 'reportFailure':
        throw action.error;
      case 'awaitLoading':
        return withRole(await this.loading!.promise, 'explain');
      case 'load':
        return withRole(await this.load(wanted), 'explain');
    }
  }

  /** Settings changed: free the explain model when it is no longer wanted, and load the new one
   *  at once when one was in use (otherwise it loads on the next Explain). */
  settingsChanged(): void {
    const wanted = { ...this.settings() };
    if (this.failure && !sameExplainSettings(this.failure.settings, wanted)) this.failure = undefined;
    const loaded = this.engine.loadedExplainModel;
    const current = loaded ? settingsOf(loaded) : this.loading?.settings;
    if (!current || sameExplainSettings(current, wanted)) return;
    if (!wanted.path) {
      this.loading = undefined;
      this.log?.info('explain model setting cleared: freeing the explain model (the completion model explains)');
      this.engine.unloadExplainModel().catch(() => undefined); // nothing to report: it is gone either way
      return;
    }
    this.load(wanted).catch(() => undefined); // reported through onLoadFailed
  }

  /** Forget a remembered failure (after "Restart Engine", or the file was fixed). */
  retry(): void {
    this.failure = undefined;
  }

  dispose(): void {
    this.failed.dispose();
  }

  private load(wanted: ExplainModelSettings): Promise<ModelInfo> {
    this.log?.info(`loading the explain model ${wanted.path}`);
    const promise = this.engine.loadExplainModel(wanted.path, {
      contextSize: wanted.contextSize || undefined,
      threads: wanted.threads || undefined,
    });
    const loading = { settings: wanted, promise };
    this.loading = loading;
    promise.then(
      () => {
        if (this.loading === loading) this.loading = undefined;
      },
      (error: unknown) => {
        if (this.loading !== loading) return; // superseded by a newer setting: not this one's failure
        this.loading = undefined;
        const err = modelLoadFailure(error);
        if (!err) return;
        this.failure = { settings: wanted, error: err };
        this.failed.fire(this.failure);
      },
    );
    return promise;
  }
}

function withRole(info: ModelInfo, role: ModelRole): ExplainModelChoice {
  return { ...info, role };
}
