// Anchored prompts: where a FIM prompt splits, held still while the user types forward, so each
// keystroke only appends to the end of the prompt and the engine re-uses the KV cache of all the
// rest (it re-uses the longest common token prefix of consecutive prompts, exactly).
//
// The anchor is the start of the line where the current edit burst began. The prompt is
//   [context chunks] <prefix> window start … anchor <suffix> cursor … <middle> anchor … cursor
// — the text between anchor and cursor goes after the middle token as already-written middle
// (fimPrompt.ts). A PSM-trained model saw exactly this in training: a sample split at the anchor
// and at the end of the completion, of which we give the first part of the middle.
//
// The anchor holds while the code from the window start to the anchor and the code after the cursor
// are unchanged and the written middle stays under a token limit (Enter and Backspace inside the
// middle keep it). Otherwise it moves to the cursor's line: in the same window when the code before
// the old anchor is intact and the prefix still fits (the KV up to the old anchor is re-used), else
// in a new window — the only cold case. A window's first line moves only when the prefix outgrows
// its limit, and then far (new windows fill WINDOW_FILL of the limit): hysteresis, so typing on
// does not shift the start of the prompt line by line. Context chunks are chosen once per window.
//
// Plain functions over LineSource: no vscode, no copy of the document.
import { LineSource, linesText, prefixStartLine, readSuffix } from './cursorWindow';
import type { ContextChunk } from './fimPrompt';
import { estimateTokens } from './tokenEstimate';

/** How a prompt is laid out: 'anchored' (this file) or 'classic' — prefix and suffix of the cursor
 *  window around the cursor, which re-prefills the whole suffix on every keystroke (kept for
 *  comparison: `tandem bench typing`). */
export const PROMPT_LAYOUTS = ['anchored', 'classic'] as const;
export type PromptLayout = (typeof PROMPT_LAYOUTS)[number];

export interface AnchorBudgets {
  /** Most (estimated) tokens from the window start to the anchor. */
  prefixTokens: number;
  suffixTokens: number;
  /** Tokens of context chunks chosen for a new window. */
  contextTokens: number;
  /** The anchor moves to the cursor's line once the written middle is longer than this. */
  middleTokens: number;
}

/** Written middle the anchor allows before it moves: long enough that it moves rarely (each move
 *  re-prefills the suffix and the middle), short beside the prefix. */
export function middleTokensFor(prefixTokens: number): number {
  return Math.max(32, Math.min(256, Math.floor(prefixTokens / 2)));
}

/** A new window takes this share of the prefix budget, leaving the rest for the prefix to grow
 *  into as the anchor moves down (hysteresis). */
export const WINDOW_FILL = 0.75;
/** Documents whose anchors are remembered. */
const MAX_DOCUMENTS = 32;

/** Where a prompt's prefix starts, and what was chosen with it. */
export interface PromptWindow {
  readonly startLine: number;
  /** Most prefix tokens before the window must move. */
  readonly prefixLimit: number;
  readonly suffixTokens: number;
  readonly contextTokens: number;
  /** Smaller than the full budgets, to fit a cold prefill's time target (promptBudget.ts). */
  readonly reduced: boolean;
  /** Context chunks chosen for this window (filled in once, by whoever builds the prompt). */
  chunks?: ContextChunk[];
}

/** kept: same anchor; moved: a new anchor in the same window (the engine re-uses the KV up to the
 *  old anchor); window: a new window (cold); new: the first prompt in this document (cold). */
export type AnchorChange = 'kept' | 'moved' | 'window' | 'new';
export type AnchorMoveReason = 'jump' | 'editBefore' | 'suffixChanged' | 'middleLimit' | 'fresh';

export interface AnchoredText {
  /** From the window start to the anchor (whole lines). */
  prefix: string;
  /** From the anchor to the cursor. */
  middle: string;
  /** From the cursor on, within the window's suffix budget. */
  suffix: string;
  prefixAtDocumentStart: boolean;
  anchorLine: number;
  window: PromptWindow;
  change: AnchorChange;
  reason?: AnchorMoveReason;
}

interface AnchorState {
  anchorLine: number;
  prefix: string;
  suffix: string;
  window: PromptWindow;
}

/** What place() would do; nothing changes until apply(). */
export interface AnchorPlan {
  readonly text: AnchoredText;
  /** Makes it the document's anchor; false when the document's anchor changed since the plan. */
  apply(): boolean;
}

export class PromptAnchors {
  private readonly states = new Map<string, AnchorState>();

  /** The anchored text for a cursor, updating the document's anchor. `cold` budgets (smaller:
   *  what can be prefilled within the time target) are used when a new window must be made. */
  place(
    documentId: string,
    document: LineSource,
    line: number,
    character: number,
    budgets: AnchorBudgets,
    cold?: AnchorBudgets,
  ): AnchoredText {
    const plan = this.plan(documentId, document, line, character, budgets, cold);
    plan.apply();
    return plan.text;
  }

  plan(
    documentId: string,
    document: LineSource,
    line: number,
    character: number,
    budgets: AnchorBudgets,
    cold?: AnchorBudgets,
  ): AnchorPlan {
    const state = this.states.get(documentId);
    if (!state) return this.planWindow(documentId, undefined, document, line, character, budgets, cold ?? budgets, 'new', undefined);

    let reason: AnchorMoveReason;
    if (line < state.anchorLine || state.anchorLine > document.lineCount) reason = 'jump';
    else if (linesText(document, state.window.startLine, state.anchorLine) !== state.prefix) reason = 'editBefore';
    else {
      const suffix = readSuffix(document, line, character, state.window.suffixTokens).text;
      const middle = linesText(document, state.anchorLine, line) + document.lineText(line).slice(0, character);
      if (suffix !== state.suffix) reason = 'suffixChanged';
      else if (estimateTokens(middle) > budgets.middleTokens) reason = 'middleLimit';
      else {
        return this.planned(documentId, state, state, {
          prefix: state.prefix,
          middle,
          suffix,
          prefixAtDocumentStart: state.window.startLine === 0,
          anchorLine: state.anchorLine,
          window: state.window,
          change: 'kept',
        });
      }
    }

    // A new anchor at the cursor's line: in the same window when the code from its start is what
    // the window was prefilled with (up to the old anchor or the cursor's line, whichever comes
    // first), the longer prefix still fits, and re-reading costs no more than a new window.
    const { window } = state;
    if (line >= window.startLine && line <= document.lineCount) {
      const prefix = linesText(document, window.startLine, line);
      const intact = line >= state.anchorLine ? prefix.startsWith(state.prefix) : state.prefix.startsWith(prefix);
      const suffix =
        intact && estimateTokens(prefix) <= window.prefixLimit
          ? readSuffix(document, line, character, window.suffixTokens).text
          : undefined;
      // The engine reads again from the old anchor (or the new one, if earlier) on. When that costs
      // more than a new window made for a cold start would (a jump far down, a long middle on a slow
      // machine), make that instead: the keystroke path stays within the cold-start time target.
      const cost =
        suffix === undefined
          ? Infinity
          : estimateTokens(suffix) + (line > state.anchorLine ? estimateTokens(prefix.slice(state.prefix.length)) : 0);
      if (suffix !== undefined && cost <= coldWindowTokens(budgets, cold ?? budgets)) {
        const next: AnchorState = { anchorLine: line, prefix, suffix, window };
        return this.planned(documentId, state, next, {
          prefix,
          middle: document.lineText(line).slice(0, character),
          suffix,
          prefixAtDocumentStart: window.startLine === 0,
          anchorLine: line,
          window,
          change: 'moved',
          reason,
        });
      }
    }
    return this.planWindow(documentId, state, document, line, character, budgets, cold ?? budgets, 'window', reason);
  }

  /** A new full-budget window anchored at the cursor's line, whatever the current anchor: what a
   *  background pre-warm prefills before the user types there. */
  planFresh(documentId: string, document: LineSource, line: number, character: number, budgets: AnchorBudgets): AnchorPlan {
    const state = this.states.get(documentId);
    return this.planWindow(documentId, state, document, line, character, budgets, budgets, state ? 'window' : 'new', 'fresh');
  }

  /** The anchor of a document, for tests and logs. */
  anchorOf(documentId: string): { anchorLine: number; window: PromptWindow } | undefined {
    const state = this.states.get(documentId);
    return state && { anchorLine: state.anchorLine, window: state.window };
  }

  forget(documentId: string): void {
    this.states.delete(documentId);
  }

  private planWindow(
    documentId: string,
    from: AnchorState | undefined,
    document: LineSource,
    line: number,
    character: number,
    budgets: AnchorBudgets,
    cold: AnchorBudgets,
    change: 'window' | 'new',
    reason: AnchorMoveReason | undefined,
  ): AnchorPlan {
    const fill = windowFill(budgets, cold);
    const startLine = prefixStartLine(document, line, fill);
    const window: PromptWindow = {
      startLine,
      prefixLimit: budgets.prefixTokens,
      suffixTokens: Math.min(cold.suffixTokens, budgets.suffixTokens),
      contextTokens: Math.min(cold.contextTokens, budgets.contextTokens),
      reduced:
        cold.prefixTokens < budgets.prefixTokens * WINDOW_FILL ||
        cold.suffixTokens < budgets.suffixTokens ||
        cold.contextTokens < budgets.contextTokens,
    };
    const prefix = linesText(document, startLine, line);
    const suffix = readSuffix(document, line, character, window.suffixTokens).text;
    const next: AnchorState = { anchorLine: line, prefix, suffix, window };
    return this.planned(documentId, from, next, {
      prefix,
      middle: document.lineText(line).slice(0, character),
      suffix,
      prefixAtDocumentStart: startLine === 0,
      anchorLine: line,
      window,
      change,
      reason,
    });
  }

  private planned(documentId: string, from: AnchorState | undefined, next: AnchorState, text: AnchoredText): AnchorPlan {
    return {
      text,
      apply: () => {
        if (this.states.get(documentId) !== from) return false;
        this.states.delete(documentId); // re-inserted last: the map's order is least recently used first
        this.states.set(documentId, next);
        if (this.states.size > MAX_DOCUMENTS) this.states.delete(this.states.keys().next().value as string);
        return true;
      },
    };
  }
}

/** Prefix tokens a new window fills. */
function windowFill(budgets: AnchorBudgets, cold: AnchorBudgets): number {
  return Math.min(cold.prefixTokens, Math.floor(budgets.prefixTokens * WINDOW_FILL));
}

/** What the engine reads for a new window (estimated tokens). */
function coldWindowTokens(budgets: AnchorBudgets, cold: AnchorBudgets): number {
  return (
    windowFill(budgets, cold) + Math.min(cold.suffixTokens, budgets.suffixTokens) + Math.min(cold.contextTokens, budgets.contextTokens)
  );
}
