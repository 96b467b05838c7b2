// One line of human-readable completion stats (status bar tooltip, CLI stderr).
import type { CompletionStats } from './native';

export function tokensPerSecond(stats: CompletionStats): number {
  return stats.decodeMs > 0 ? (stats.generatedTokens * 1000) / stats.decodeMs : 0;
}

export function formatStats(stats: CompletionStats): string {
  return (
    `${stats.promptTokens} prompt tokens (${stats.reusedTokens} reused), prefill ${Math.round(stats.prefillMs)} ms, ` +
    `${stats.generatedTokens} tokens at ${tokensPerSecond(stats).toFixed(1)} tokens/s, first token ${Math.round(stats.firstTokenMs)} ms, ` +
    `stop: ${stats.stopReason}`
  );
}
