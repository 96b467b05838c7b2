// How long a completion may run, decided from where the cursor is: in the middle of a line only
// the rest of that line makes sense (stop at the newline); at the end of a line, a bounded
// multi-line block.

export interface CompletionPlan {
  multiline: boolean;
  maxTokens: number;
  stop: string[];
  /** Hard wall-clock cap so a slow machine never keeps ghost text pending for long. */
  timeBudgetMs: number;
}

export interface PlanInput {
  /** Text after the cursor on its line. */
  lineSuffix: string;
  /** tandem.completion.maxTokens */
  maxTokens: number;
}

export const SINGLE_LINE_MAX_TOKENS = 48;
export const COMPLETION_TIME_BUDGET_MS = 5000;

export function planCompletion(input: PlanInput): CompletionPlan {
  const maxTokens = Math.max(1, Math.floor(input.maxTokens));
  const midLine = input.lineSuffix.trim().length > 0;
  if (midLine) {
    return { multiline: false, maxTokens: Math.min(maxTokens, SINGLE_LINE_MAX_TOKENS), stop: ['\n'], timeBudgetMs: COMPLETION_TIME_BUDGET_MS };
  }
  return { multiline: true, maxTokens, stop: [], timeBudgetMs: COMPLETION_TIME_BUDGET_MS };
}

/** Ghost text from the model's output: trailing whitespace never helps; empty means no item. */
export function ghostTextFrom(text: string, plan: CompletionPlan): string {
  const trimmed = text.replace(/\s+$/u, '');
  return plan.multiline ? trimmed : trimmed.split('\n')[0] ?? '';
}
