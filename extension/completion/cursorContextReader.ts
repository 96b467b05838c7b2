// Reads what the completion pipeline needs at a cursor: the cursor window (the type-through cache
// and cursor moves compare it), the prompt's text in the configured layout — anchored
// (promptAnchor.ts; a cold window sized by promptBudget.ts) or classic — its context chunks (once
// per prompt window in the anchored layout) and the draft documents. No vscode: the provider hands
// it a view of a TextDocument, `tandem bench typing` its own documents.
//
// A document may sit inside a larger text its prompt reads too: a notebook cell inside its
// notebook (notebookContext.ts). The prompt is then cut from that enclosing view, within the same
// budgets, and its anchor and KV key are the enclosing view's — one per notebook, so moving to
// another cell keeps the prompt window (the engine re-uses the KV of the cells before) and the
// engine keeps one saved KV per notebook, not one per cell. The cursor window stays the cell's
// own: the type-through cache and cursor moves compare what the provider reads of the cell alone.
import { CursorWindow, LineSource, readCursorWindow } from '../context/cursorWindow';
import type { ContextChunk } from '../context/fimPrompt';
import { AnchorBudgets, AnchorPlan, AnchoredText, PromptAnchors, middleTokensFor } from '../context/promptAnchor';
import { coldBudgets } from '../context/promptBudget';
import type { OutgoingDocument } from '../engine/client';
import type { CompletionSettingsSection } from '../ui/settings';
import type { CursorContext, PromptText } from './completionController';
import { ANCHOR_CHARS, MAX_TYPED_CHARS } from './suggestionStore';

export interface DocumentView extends LineSource {
  /** Stable id (the URI). */
  readonly id: string;
  readonly version: number;
  readonly languageId: string;
  /** The text around this document that its prompt is cut from (a notebook cell's notebook). */
  readonly enclosing?: EnclosingView;
}

/** A text that holds the document as its lines from `firstLine` on, every one of them. */
export interface EnclosingView extends LineSource {
  /** Key of the prompt anchor and of the engine's KV, shared by the documents it holds. */
  readonly id: string;
  /** The view's line that is the document's line 0. */
  readonly firstLine: number;
}

/** What the workspace adds at a cursor window (WorkspaceContext.forCursor in VS Code). */
export interface SourcesAtCursor {
  /** Workspace-relative path of the document. */
  path: string;
  repoName?: string;
  /** Context chunks within the token budget the sources were asked with (read when needed). */
  chunks: () => ContextChunk[];
  /** Draft documents for the engine (read when needed). */
  documents: () => OutgoingDocument[];
}
export type PromptSources = (window: CursorWindow, contextTokens: number) => SourcesAtCursor;

/** The prompt settings the reader uses (ui/settings.ts; fitted to the engine's context). */
export type ReaderSettings = Pick<
  CompletionSettingsSection,
  'promptLayout' | 'prefixTokens' | 'suffixTokens' | 'contextTokens' | 'coldStartMs'
>;

export interface ReaderOptions {
  /** Send the document id as the engine's per-document KV key. */
  kvKeys: boolean;
  /** Measured prefill speed (tokens/ms) of the completion model, when known. */
  prefillTokensPerMs?: () => number | undefined;
}

export interface ReadRequest {
  document: DocumentView;
  line: number;
  character: number;
  settings: ReaderSettings;
  sources?: PromptSources;
  indentUnit: (prefix: string) => string;
  /** Replaces the text of the cursor's line (the suggest widget's item applied). */
  cursorLine?: string;
}

export class CursorContextReader {
  private readonly anchors = new PromptAnchors();
  /** Documents read inside an enclosing view (document id → view id), to forget its anchor when
   *  the last of them closes. */
  private readonly enclosingOf = new Map<string, string>();

  constructor(private readonly options: ReaderOptions) {}

  /** The context of a completion request; the prompt's anchor moves as the request needs. With
   *  the suggest widget's item applied (`cursorLine`) the anchor stays: that text is not typed yet. */
  read(request: ReadRequest): CursorContext {
    if (request.settings.promptLayout === 'classic') return this.classic(request);
    const source = this.promptSource(request);
    const budgets = budgetsOf(request.settings);
    const cold = coldBudgets(budgets, this.options.prefillTokensPerMs?.(), request.settings.coldStartMs);
    const plan = this.anchors.plan(source.id, source.lines, source.line, request.character, budgets, cold);
    if (request.cursorLine === undefined) plan.apply();
    return this.anchored(request, source, plan.text);
  }

  /** What a pre-warm at this cursor prefills: the prompt the next keystroke here would send. When
   *  that prompt would need a new window, or the current one was cut down for a cold prefill, a
   *  full-budget window at the cursor's line; it becomes the prompt's anchor only by commit(),
   *  once its prefill is done (until then keystrokes keep the anchor they had, and a cold window
   *  stays within its time target); `deferred` says so. */
  readForPrewarm(request: Omit<ReadRequest, 'cursorLine'>): { context: CursorContext; deferred: boolean; commit: () => boolean } {
    if (request.settings.promptLayout === 'classic') return { context: this.classic(request), deferred: false, commit: () => true };
    const source = this.promptSource(request);
    const budgets = budgetsOf(request.settings);
    let plan: AnchorPlan = this.anchors.plan(source.id, source.lines, source.line, request.character, budgets, budgets);
    const warm = (plan.text.change === 'kept' || plan.text.change === 'moved') && !plan.text.window.reduced;
    if (warm) plan.apply();
    else plan = this.anchors.planFresh(source.id, source.lines, source.line, request.character, budgets);
    return { context: this.anchored(request, source, plan.text), deferred: !warm, commit: () => warm || plan.apply() };
  }

  /** The cursor window alone, read as for a request (so anchors of the type-through cache compare):
   *  of the document itself, never of a view enclosing it. */
  window(document: LineSource, line: number, character: number, settings: ReaderSettings, cursorLine?: string): CursorWindow {
    const lines = cursorLine === undefined ? document : replaceLine(document, line, cursorLine);
    return readCursorWindow(lines, line, character, settings.prefixTokens, settings.suffixTokens, ANCHOR_CHARS + MAX_TYPED_CHARS);
  }

  /** The anchor of a prompt (a document's id, or its enclosing view's), for tests and the bench. */
  anchorOf(promptId: string) {
    return this.anchors.anchorOf(promptId);
  }

  /** A closed document: forget its anchor, and its enclosing view's once none of the documents
   *  read inside that view is left (a closed notebook, not one deleted cell). */
  forget(documentId: string): void {
    this.anchors.forget(documentId);
    const enclosing = this.enclosingOf.get(documentId);
    if (enclosing === undefined) return;
    this.enclosingOf.delete(documentId);
    for (const other of this.enclosingOf.values()) if (other === enclosing) return;
    this.anchors.forget(enclosing);
  }

  /** What the prompt is cut from: the document, or the view enclosing it (with the cursor's line
   *  moved by where the document starts in it), the suggest widget's item applied. */
  private promptSource(request: Omit<ReadRequest, 'cursorLine'> & { cursorLine?: string }): PromptSource {
    const { document } = request;
    const enclosing = document.enclosing;
    if (!enclosing) return { id: document.id, lines: withCursorLine(document, request.line, request.cursorLine), line: request.line };
    if (this.enclosingOf.get(document.id) !== enclosing.id) this.enclosingOf.set(document.id, enclosing.id);
    const line = enclosing.firstLine + request.line;
    return { id: enclosing.id, lines: withCursorLine(enclosing, line, request.cursorLine), line };
  }

  private classic(request: ReadRequest): CursorContext {
    const window = this.window(request.document, request.line, request.character, request.settings, request.cursorLine);
    const source = this.promptSource(request);
    const promptWindow = request.document.enclosing ? this.window(source.lines, source.line, request.character, request.settings) : window;
    const sources = request.sources?.(window, request.settings.contextTokens);
    const prompt: PromptText = { layout: 'classic', prefix: promptWindow.prefix, middle: '', suffix: promptWindow.suffix };
    return this.contextOf(request, source, window, prompt, sources, sources?.chunks);
  }

  private anchored(request: ReadRequest, source: PromptSource, text: AnchoredText): CursorContext {
    const window = this.window(request.document, request.line, request.character, request.settings, request.cursorLine);
    const promptWindow = text.window;
    const sources = request.sources?.(window, promptWindow.contextTokens);
    const chunks = sources && ((): ContextChunk[] => (promptWindow.chunks ??= sources.chunks()));
    const prompt: PromptText = { layout: 'anchored', prefix: text.prefix, middle: text.middle, suffix: text.suffix, anchor: text };
    return this.contextOf(request, source, window, prompt, sources, chunks);
  }

  private contextOf(
    request: ReadRequest,
    source: PromptSource,
    window: CursorWindow,
    prompt: PromptText,
    sources: SourcesAtCursor | undefined,
    chunks: (() => ContextChunk[]) | undefined,
  ): CursorContext {
    const { document } = request;
    return {
      documentId: document.id,
      documentVersion: document.version,
      languageId: document.languageId,
      path: sources?.path ?? document.id,
      repoName: sources?.repoName,
      prefix: window.prefix,
      suffix: window.suffix,
      prefixAtDocumentStart: window.prefixAtDocumentStart,
      linePrefix: window.linePrefix,
      lineSuffix: window.lineSuffix,
      indentUnit: request.indentUnit(window.prefix),
      promptText: prompt,
      kvKey: this.options.kvKeys ? source.id : undefined,
      chunks,
      documents: sources?.documents,
    };
  }
}

/** The full budgets of the settings (already fitted to the engine's context). */
export function budgetsOf(settings: ReaderSettings): AnchorBudgets {
  return {
    prefixTokens: settings.prefixTokens,
    suffixTokens: settings.suffixTokens,
    contextTokens: settings.contextTokens,
    middleTokens: middleTokensFor(settings.prefixTokens),
  };
}

/** Where a prompt is cut from. */
interface PromptSource {
  /** Key of its anchor and of the engine's KV. */
  id: string;
  lines: LineSource;
  /** The cursor's line in `lines`. */
  line: number;
}

function withCursorLine(lines: LineSource, line: number, cursorLine: string | undefined): LineSource {
  return cursorLine === undefined ? lines : replaceLine(lines, line, cursorLine);
}

function replaceLine(document: LineSource, line: number, text: string): LineSource {
  return { lineCount: document.lineCount, lineText: (n) => (n === line ? text : document.lineText(n)) };
}
