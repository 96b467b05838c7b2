// How many tokens a prompt may spend: its budgets fitted to the engine's context, and the size of a
// cold prompt from the prefill speed measured on this machine (the paper's adaptive execution
// scheduling, applied to the prompt). A prompt the engine has nothing of cached — a new
// file, a jump elsewhere — is prefilled on the keystroke path; with fixed budgets that costs ~8 s
// on a slow laptop CPU and a fraction of a second on a GPU. So the budgets of a prompt window made
// on the keystroke path are scaled down to what the prefill device reads within a time target;
// a window pre-warmed in the background (while the cursor rests) gets the full budgets.
import { AnchorBudgets, PromptLayout, middleTokensFor } from './promptAnchor';

/** Assumed until a prefill has been measured: a conservative laptop-CPU figure (a 0.5B Q4_0 model
 *  on 2 cores reads ~120 tokens/s). */
export const ASSUMED_TOKENS_PER_MS = 0.1;
/** Prefills shorter than this say more about fixed costs than about speed. */
const MIN_SAMPLE_TOKENS = 16;
/** Weight of the past in the running figure (older samples fade). */
const DECAY = 0.7;
/** FIM tokens, file headers and the like, beyond the estimated text. */
const OVERHEAD_TOKENS = 16;

/** Prefill throughput of the model that completes, from the stats of its requests. */
export class PrefillRate {
  private tokens = 0;
  private ms = 0;
  private model?: string;

  /** A prefill of `tokens` new tokens took `ms` on `model` (a new model starts over). */
  observe(model: string, tokens: number, ms: number): void {
    if (model !== this.model) {
      this.model = model;
      this.tokens = 0;
      this.ms = 0;
    }
    if (!(tokens >= MIN_SAMPLE_TOKENS) || !(ms > 0)) return;
    this.tokens = this.tokens * DECAY + tokens;
    this.ms = this.ms * DECAY + ms;
  }

  /** Measured tokens per millisecond, or undefined before the first sample. */
  tokensPerMs(): number | undefined {
    return this.ms > 0 ? this.tokens / this.ms : undefined;
  }
}

/** Budgets whose prefill fits `targetMs` at `tokensPerMs` (scaled down in proportion; the written
 *  middle is not part of a cold prompt's cost). The full budgets when they fit or `targetMs` is 0.
 *  Estimated tokens err high (tokenEstimate.ts), so the real prompt is no longer than this. */
export function coldBudgets(full: AnchorBudgets, tokensPerMs: number | undefined, targetMs: number): AnchorBudgets {
  if (!(targetMs > 0)) return full;
  const affordable = Math.max(0, (tokensPerMs ?? ASSUMED_TOKENS_PER_MS) * targetMs - OVERHEAD_TOKENS);
  const wanted = full.prefixTokens + full.suffixTokens + full.contextTokens;
  if (wanted <= affordable) return full;
  const scale = affordable / wanted;
  return {
    prefixTokens: Math.max(8, Math.floor(full.prefixTokens * scale)),
    suffixTokens: Math.floor(full.suffixTokens * scale),
    contextTokens: Math.floor(full.contextTokens * scale),
    middleTokens: full.middleTokens,
  };
}

/** The prompt budgets of the settings (estimated tokens). */
export interface PromptBudgets {
  prefixTokens: number;
  suffixTokens: number;
  contextTokens: number;
  promptLayout: PromptLayout;
}

/** Scales the prompt budgets down so prefix + suffix + context + generated tokens (and, in the
 *  anchored layout, the written middle) fit the engine's context, with a margin for the estimate
 *  and the FIM tokens. */
export function fitToContext<T extends PromptBudgets>(settings: T, contextSize: number, maxTokens: number): T {
  if (!(contextSize > 0)) return settings;
  const middle = settings.promptLayout === 'anchored' ? middleTokensFor(settings.prefixTokens) : 0;
  const available = Math.max(128, Math.floor(contextSize * 0.9) - maxTokens - middle - 16);
  const wanted = settings.prefixTokens + settings.suffixTokens + settings.contextTokens;
  if (wanted <= available) return settings;
  const scale = available / wanted;
  return {
    ...settings,
    prefixTokens: Math.max(32, Math.floor(settings.prefixTokens * scale)),
    suffixTokens: Math.floor(settings.suffixTokens * scale),
    contextTokens: Math.floor(settings.contextTokens * scale),
  };
}
