// The seam between Tandem's pipeline (completions, pre-warm, Explain) and whatever runs the model:
// Tandem's own engine (EngineClient, `tandem.engine.kind` = local) or a shared llama-server
// (engine/server/serverEngine.ts, kind = server). Both satisfy it structurally; extension.ts picks
// one per the setting (engine/server/engineSelection.ts).
import type { ClientCompletionRequest, ClientPrefillRequest, CompleteOptions, EngineClient } from './client';
import type { ChatMessage, CompletionResult, PrefillResult } from './native';
import type { ModelRole } from './protocol';

export interface CompletionEngine {
  /** One completion; streams text to options.onText; aborting resolves with stopReason
   *  'cancelled' and the text so far. */
  complete(request: ClientCompletionRequest, options?: CompleteOptions): Promise<CompletionResult>;
  /** Reads a prompt ahead of the completion that will need it (lowest priority). */
  prefill(request: ClientPrefillRequest, options?: { signal?: AbortSignal }): Promise<PrefillResult>;
  /** A conversation rendered with the model's chat template. */
  applyChatTemplate(messages: ChatMessage[], options?: { addAssistantTurn?: boolean; role?: ModelRole }): Promise<string>;
}

/** EngineClient is a CompletionEngine (checked here, so the seam cannot drift from it). */
export type LocalEngineIsCompletionEngine = EngineClient extends CompletionEngine ? true : never;
const localEngineFits: LocalEngineIsCompletionEngine = true;
void localEngineFits;
