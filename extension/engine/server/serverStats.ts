// llama-server's per-request figures (`timings`, stop type) in the CompletionStats shape the status
// bar, the bench and `tandem complete` read. Pure.
import type { CompletionStats, SpeculationMode, StopReason } from '../native';
import { SPECULATION_MODES } from '../native';
import type { LlamaCompletionEvent } from './llamaServerClient';

/** What the client measured itself, beside the server's final event. */
export interface ClientFigures {
  /** Prompt tokens sent. */
  promptTokens: number;
  /** n_predict asked for. */
  maxTokens: number;
  /** ms from complete() to the first piece of text (0: none). */
  firstTokenMs: number;
  /** Where it ran, for the tooltip's "Devices" line: `llama-server at host`. */
  where: string;
  /** The server's speculative decoding types (/props), 'none' when off. */
  speculation: string;
}

export function stopReasonOf(final: LlamaCompletionEvent, maxTokens: number): StopReason {
  switch (final.stop_type) {
    case 'eos':
      return 'eog';
    case 'word':
      return 'stop';
    case 'limit':
      // n_predict, or the server's own time limit (t_max_predict_ms)
      return (final.timings?.predicted_n ?? final.tokens_predicted ?? 0) >= maxTokens ? 'maxTokens' : 'timeBudget';
    default:
      return final.truncated ? 'contextFull' : 'maxTokens';
  }
}

/** The stats of a completion the server finished. */
export function statsFromFinal(final: LlamaCompletionEvent, client: ClientFigures): CompletionStats {
  const t = final.timings ?? {};
  const reused = t.cache_n ?? 0;
  const stats: CompletionStats = {
    promptTokens: final.tokens_evaluated ?? (t.prompt_n ?? 0) + reused,
    reusedTokens: reused,
    prefillMs: t.prompt_ms ?? 0,
    generatedTokens: t.predicted_n ?? final.tokens_predicted ?? 0,
    decodeMs: t.predicted_ms ?? 0,
    firstTokenMs: client.firstTokenMs,
    stopReason: stopReasonOf(final, client.maxTokens),
    prefillDevice: client.where,
    decodeDevice: client.where,
  };
  if (t.draft_n !== undefined && t.draft_n > 0) {
    const mode = (SPECULATION_MODES as readonly string[]).includes(client.speculation) ? (client.speculation as SpeculationMode) : 'auto';
    stats.speculation = {
      mode,
      steps: 0, // llama-server does not report its verification steps per request
      draftedTokens: t.draft_n,
      acceptedTokens: t.draft_n_accepted ?? 0,
      acceptedHistogram: [],
      meanTreeSize: 0,
      draftMs: 0,
      verifyMs: 0,
      sampleMs: 0,
      budgets: [],
      corpusDocuments: 0,
      corpusTokens: 0,
      corpusBytes: 0,
      missingDocuments: [],
    };
  }
  return stats;
}

/** The stats of a completion stopped by the client (cancelled, or out of its time budget): what
 *  the client saw, since the server's final figures never came. */
export function partialStats(
  client: ClientFigures,
  generatedTokens: number,
  decodeMs: number,
  stopReason: Extract<StopReason, 'cancelled' | 'timeBudget'>,
): CompletionStats {
  return {
    promptTokens: client.promptTokens,
    reusedTokens: 0,
    prefillMs: 0,
    generatedTokens,
    decodeMs,
    firstTokenMs: client.firstTokenMs,
    stopReason,
    prefillDevice: client.where,
    decodeDevice: client.where,
  };
}
