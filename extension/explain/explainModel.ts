// Which model explains: `tandem.explain.modelPath` (an instruct model with a chat template) when
// set, else the completion model. Loading a second model is the engine's business: the wiring
// passes `loadExplainModel` once the engine host can hold one beside the completion model; until
// then a configured explain model is reported once and the completion model explains (with its
// chat template if it has one, else the plain-prompt fallback).
import type { ModelInfo } from '../engine/native';
import type { ExplainModelProvider } from './explainController';

export interface ExplainModelOptions {
  /** The completion model (ActiveModel). */
  completionModel: { ensureLoaded(): Promise<ModelInfo> };
  /** tandem.explain.modelPath, read on each use ('' = none). */
  explainModelPath: () => string;
  /** Loads (or returns the loaded) explain model; absent while the engine cannot hold it. */
  loadExplainModel?: (path: string) => Promise<ModelInfo>;
  log?: { warn(message: string): void };
}

export function explainModelProvider(options: ExplainModelOptions): ExplainModelProvider {
  let warnedFor: string | undefined;
  return {
    ensureLoaded: () => {
      const path = options.explainModelPath();
      if (!path) return options.completionModel.ensureLoaded();
      if (options.loadExplainModel) return options.loadExplainModel(path);
      if (warnedFor !== path) {
        warnedFor = path;
        options.log?.warn(`tandem.explain.modelPath (${path}) is not supported by this engine yet: the completion model explains instead.`);
      }
      return options.completionModel.ensureLoaded();
    },
  };
}
