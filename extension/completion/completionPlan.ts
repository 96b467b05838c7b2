// How long a completion may run, decided from where the cursor is: in the middle of a line only
// the rest of that line makes sense (stop at the newline); on an empty line in a block, or at the
// end of a line that opens a block, a bounded multi-line block; at the end of any other line, the
// rest of that line.

export interface CompletionPlan {
  multiline: boolean;
  maxTokens: number;
  stop: string[];
  /** Hard wall-clock cap so a slow machine never keeps ghost text pending for long. */
  timeBudgetMs: number;
}

export interface PlanInput {
  /** Text before the cursor on its line (absent: treated as an empty line). */
  linePrefix?: string;
  /** Text after the cursor on its line. */
  lineSuffix: string;
  /** tandem.completion.maxTokens */
  maxTokens: number;
}

export const SINGLE_LINE_MAX_TOKENS = 48;
export const COMPLETION_TIME_BUDGET_MS = 5000;

/** A line ending like this opens a block whose body comes on the next lines. */
const BLOCK_OPENER = /(?:[{([:]|=>|->|\bthen|\bdo|\bbegin|\belse)\s*$/u;

export function endsWithBlockOpener(linePrefix: string): boolean {
  return BLOCK_OPENER.test(linePrefix);
}

export function planCompletion(input: PlanInput): CompletionPlan {
  const maxTokens = Math.max(1, Math.floor(input.maxTokens));
  const midLine = input.lineSuffix.trim().length > 0;
  const linePrefix = input.linePrefix ?? '';
  const multiline = !midLine && (linePrefix.trim() === '' || BLOCK_OPENER.test(linePrefix));
  if (!multiline) {
    return {
      multiline: false,
      maxTokens: Math.min(maxTokens, SINGLE_LINE_MAX_TOKENS),
      stop: ['\n'],
      timeBudgetMs: COMPLETION_TIME_BUDGET_MS,
    };
  }
  return { multiline: true, maxTokens, stop: [], timeBudgetMs: COMPLETION_TIME_BUDGET_MS };
}
