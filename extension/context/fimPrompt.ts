// Fill-in-the-middle prompts. The model's own FIM token ids frame the code around the cursor:
//   [<bos>?, <fim_prefix>, prefix, <fim_suffix>, suffix, <fim_middle>]
// (BOS only for models that expect it, such as DeepSeek-Coder.)
// Token ids go in as numbers and the code as plain strings (special-token text inside user code
// is never parsed, so a file containing "<|fim_middle|>" cannot steer the model).
// Windows are in characters for now; token budgets come with the context stage proper.
import type { FimTokens, ModelInfo, PromptPart } from '../engine/native';

/** The model cannot do fill-in-the-middle: it has no FIM prefix/suffix/middle tokens. */
export class FimUnsupportedError extends Error {
  readonly code = 'MODEL_NO_FIM' as const;
  constructor(readonly modelName: string) {
    super(`The model ${modelName} has no fill-in-the-middle tokens, so it cannot complete code at the cursor. ` +
      'Use a code model with FIM support (for example a Qwen2.5-Coder or DeepSeek-Coder base model).');
    this.name = 'FimUnsupportedError';
  }
}

export interface FimWindow {
  /** Characters of code before the cursor to keep (the nearest ones). */
  maxPrefixChars: number;
  /** Characters of code after the cursor to keep (the nearest ones). */
  maxSuffixChars: number;
}

export const DEFAULT_FIM_WINDOW: FimWindow = { maxPrefixChars: 6000, maxSuffixChars: 2000 };

export interface FimText {
  prefix: string;
  suffix: string;
}

export function hasFimTokens(fim: FimTokens): boolean {
  return fim.prefix >= 0 && fim.suffix >= 0 && fim.middle >= 0;
}

/** Throws FimUnsupportedError unless the model has FIM tokens. */
export function assertFimSupported(model: Pick<ModelInfo, 'fim' | 'name' | 'path'>): void {
  if (!hasFimTokens(model.fim)) throw new FimUnsupportedError(model.name || model.path);
}

export function buildFimPrompt(
  model: Pick<ModelInfo, 'fim' | 'name' | 'path'> & Partial<Pick<ModelInfo, 'bos' | 'addBos'>>,
  text: FimText,
  window: FimWindow = DEFAULT_FIM_WINDOW,
): PromptPart[] {
  assertFimSupported(model);
  const { prefix, suffix } = windowFimText(text, window);
  const parts: PromptPart[] = model.addBos && model.bos !== undefined && model.bos >= 0 ? [model.bos] : [];
  parts.push(model.fim.prefix);
  if (prefix) parts.push(prefix);
  parts.push(model.fim.suffix);
  if (suffix) parts.push(suffix);
  parts.push(model.fim.middle);
  return parts;
}

/** Keeps the end of the prefix and the start of the suffix, cut at line boundaries when the
 *  window holds one (a partial first line misleads the model more than a missing one). */
export function windowFimText(text: FimText, window: FimWindow): FimText {
  return { prefix: tailOf(text.prefix, window.maxPrefixChars), suffix: headOf(text.suffix, window.maxSuffixChars) };
}

function tailOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let start = text.length - Math.max(0, maxChars);
  const lineStart = text.indexOf('\n', start - 1);
  if (lineStart >= 0 && lineStart < text.length - 1) start = lineStart + 1;
  else if (isLowSurrogate(text.charCodeAt(start))) start++; // never split a surrogate pair
  return text.slice(start);
}

function headOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = Math.max(0, maxChars);
  const lineEnd = text.lastIndexOf('\n', end - 1);
  if (lineEnd > 0) end = lineEnd + 1;
  else if (isLowSurrogate(text.charCodeAt(end))) end--;
  return text.slice(0, end);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
