// Which engine serves the pipeline, per `tandem.engine.kind`, decided on every call so a settings
// change takes effect with the next keystroke: `local` goes to Tandem's own engine exactly as
// before (the EngineClient and the configured models, untouched), `server` to the ServerEngine of
// the ServerConnection. The completion pipeline, Explain and the status bar each get the view
// they need from here; none of them knows which kind runs.
import type { ExplainModelProvider } from '../../explain/explainController';
import type { ClientCompletionRequest, ClientPrefillRequest, CompleteOptions } from '../client';
import type { CompletionEngine } from '../completionEngine';
import type { ChatMessage, CompletionResult, ModelInfo, PrefillResult } from '../native';
import type { ModelRole } from '../protocol';
import { hasFimTokens } from '../../context/fimPrompt';
import type { ServerConnection } from './serverConnection';
import type { ServerEngine } from './serverEngine';

/** The completion model as registration.ts reads it. */
export interface CompletionModelSource {
  ensureLoaded(): Promise<ModelInfo>;
  readonly loadedInfo?: ModelInfo;
}

/** The settings registration.ts reads, in the part the engine kind changes. */
export interface PipelineSettings {
  model: { path: string; contextSize: number };
}

export interface LocalEngines {
  engine: CompletionEngine;
  model: CompletionModelSource;
  explainModel: ExplainModelProvider;
}

export class EngineSelection implements CompletionEngine {
  constructor(
    private readonly local: LocalEngines,
    private readonly server: ServerConnection,
  ) {
    this.completionModel = new SelectedCompletionModel(local.model, server);
  }

  get kind(): 'local' | 'server' {
    return this.server.active ? 'server' : 'local';
  }

  complete(request: ClientCompletionRequest, options?: CompleteOptions): Promise<CompletionResult> {
    if (!this.server.active) return this.local.engine.complete(request, options);
    return this.serverCall((engine) => engine.complete(request, options));
  }

  prefill(request: ClientPrefillRequest, options?: { signal?: AbortSignal }): Promise<PrefillResult> {
    if (!this.server.active) return this.local.engine.prefill(request, options);
    return this.serverCall((engine) => engine.prefill(request, options));
  }

  applyChatTemplate(messages: ChatMessage[], options?: { addAssistantTurn?: boolean; role?: ModelRole }): Promise<string> {
    if (!this.server.active) return this.local.engine.applyChatTemplate(messages, options);
    return this.serverCall((engine) => engine.applyChatTemplate(messages, options));
  }

  /** The model completions are built for: the configured local model, or the server's (which
   *  must have FIM tokens). */
  readonly completionModel: CompletionModelSource;

  /** The model explanations run on: the local choice (tandem.explain.modelPath or the completion
   *  model), or the server's model. */
  readonly explainModel: ExplainModelProvider = {
    ensureLoaded: async () => {
      if (!this.server.active) return this.local.explainModel.ensureLoaded();
      const model = await this.serverCall((engine) => engine.ensureModel());
      return { ...model, role: 'completion' as const };
    },
  };

  /** The pipeline's settings with the server's view where it differs: a server has no model
   *  path (its URL stands in, so the provider knows a model is configured) and its own context per
   *  slot, which the prompt budgets must fit. */
  pipelineSettings<T extends PipelineSettings>(settings: T): T {
    if (!this.server.active) return settings;
    const engine = this.server.engine;
    const slotContext = engine?.loadedModel?.slotContext ?? 0;
    return {
      ...settings,
      model: { ...settings.model, path: engine?.target.base ?? 'server', contextSize: slotContext || settings.model.contextSize },
    };
  }

  private serverCall<T>(call: (engine: ServerEngine) => Promise<T>): Promise<T> {
    return serverCall(this.server, call);
  }
}

class SelectedCompletionModel implements CompletionModelSource {
  constructor(
    private readonly local: CompletionModelSource,
    private readonly server: ServerConnection,
  ) {}

  ensureLoaded(): Promise<ModelInfo> {
    if (!this.server.active) return this.local.ensureLoaded();
    return serverCall(this.server, (engine) => engine.ensureCompletionModel());
  }

  get loadedInfo(): ModelInfo | undefined {
    if (!this.server.active) return this.local.loadedInfo;
    const model = this.server.engine?.loadedModel;
    return model && hasFimTokens(model.fim) ? model : undefined;
  }
}

/** Runs `call` on the server engine, or rejects with why there is none. */
function serverCall<T>(server: ServerConnection, call: (engine: ServerEngine) => Promise<T>): Promise<T> {
  try {
    return call(server.requireEngine());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
