// The inline completion provider: the thin VS Code adapter over the pipeline. Decides whether to
// complete here (settings for the document, language, battery, editor.inlineSuggest.enabled; a
// manual trigger completes even where automatic completions are off), reads the code around the
// cursor through the CursorContextReader (with the suggest widget's selected item applied, when
// there is one), and hands it to the CompletionController; VS Code's cancellation becomes an
// AbortSignal (a new keystroke cancels the previous call, and the controller aborts the engine's
// decode unless the new keystroke types into it). It also pre-warms where the cursor rests.
import * as vscode from 'vscode';
import type { Disposable } from '../common/disposable';
import type { WorkspaceContext } from '../context/workspaceContext';
import type { PrefillResult } from '../engine/native';
import type { ModelSettings } from '../models/activeModel';
import type { BatteryMode } from './powerSource';
import type { CompletionSettingsSection, TandemSettings } from '../ui/settings';
import { detectIndentUnit } from './postProcess';
import { abortOnCancel } from './abortOnCancel';
import type { CompletionController } from './completionController';
import { inlineSuggestEnabled, languageEnabled } from './languageGate';
import { CursorContextReader, DocumentView, ReadRequest } from './cursorContextReader';
import { notebookViewOf } from '../context/notebookCells';

export type { CompletionActivity } from './completionController';

export interface InlineProviderDeps {
  controller: CompletionController;
  /** The switch and model path (tandem.enable, tandem.model.path) for a document. */
  settings: (scope?: vscode.ConfigurationScope) => Pick<TandemSettings, 'enable'> & { model: Pick<ModelSettings, 'path'> };
  /** The completion settings for a document, their prompt budgets fitted to the engine's context. */
  completionSettings: (scope?: vscode.ConfigurationScope) => CompletionSettingsSection;
  /** The battery mode in effect for a document now (default: always 'normal'). */
  batteryMode?: (scope?: vscode.ConfigurationScope) => BatteryMode;
  context?: Pick<WorkspaceContext, 'forCursor'>;
  /** Reads cursor contexts and keeps each document's prompt anchor (default: a new one). */
  reader?: CursorContextReader;
}

export class TandemInlineCompletionProvider implements vscode.InlineCompletionItemProvider, Disposable {
  /** The latest request made with the suggest widget's item applied: the cursor line as typed
   *  then, and up to the cursor with the item applied. */
  private widgetRequest?: { documentId: string; line: number; typed: string; applied: string };
  private readonly reader: CursorContextReader;

  constructor(private readonly deps: InlineProviderDeps) {
    this.reader =
      deps.reader ?? new CursorContextReader({ kvKeys: true, prefillTokensPerMs: () => deps.controller.prefillRate.tokensPerMs() });
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    // Alt+\ (or VS Code's own trigger and Alt+]): asked for, so it completes even where automatic
    // completions are off — tandem.enable false, a disabled language, paused on battery
    const explicit = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    const settings = this.deps.settings(document);
    if (!settings.model.path || token.isCancellationRequested || !inlineSuggestEnabled(document)) return undefined;
    const completion = this.deps.completionSettings(document);
    const automatic = settings.enable && languageEnabled(document.languageId, completion) && this.batteryMode(document) !== 'paused';
    if (!automatic && !explicit) return undefined;
    // VS Code's suggest widget is open with an item selected: complete as if that item were
    // accepted; VS Code shows the result only if it starts with the item's text and replaces the
    // same range (then Tab takes both, the suggestion and the ghost text after it).
    const selected = suggestWidgetEdit(document, position, context.selectedCompletionInfo);
    if (selected === null) return undefined;

    const cursor = selected
      ? this.reader.read(this.readRequest(document, new vscode.Position(position.line, selected.cursor), completion, selected.line))
      : this.reader.read(this.readRequest(document, position, completion));
    this.widgetRequest = selected
      ? {
          documentId: cursor.documentId,
          line: position.line,
          typed: document.lineAt(position.line).text.slice(0, position.character),
          applied: selected.line.slice(0, selected.cursor),
        }
      : undefined;
    const abort = abortOnCancel(token);
    try {
      const answer = await this.deps.controller.provide(cursor, abort.signal, explicit);
      if (!answer || token.isCancellationRequested) return undefined;
      // the greedy completion first (what automatic requests show), then any alternatives to cycle
      const texts = [answer.text, ...(answer.alternatives ?? [])];
      if (selected) return texts.map((text) => new vscode.InlineCompletionItem(selected.text + text, selected.range));
      return texts.map((text) => new vscode.InlineCompletionItem(text, new vscode.Range(position, position)));
    } finally {
      abort.dispose();
    }
  }

  /** The cursor moved without a completion request (a click, an arrow key, a selection): abort
   *  the document's running generation at once when it cannot serve the new position. */
  cursorMoved(document: vscode.TextDocument, selections: readonly vscode.Selection[]): void {
    const documentId = documentIdOf(document);
    if (!this.deps.controller.isRunning(documentId)) return; // the common case costs nothing
    const selection = selections[0];
    if (selections.length !== 1 || !selection.isEmpty) {
      this.deps.controller.cancelDocument(documentId); // no inline suggestion shows with a selection
      return;
    }
    if (this.typesIntoWidgetItem(documentId, document, selection.active)) return;
    const window = this.reader.window(
      linesOf(document),
      selection.active.line,
      selection.active.character,
      this.deps.completionSettings(document),
    );
    this.deps.controller.cursorMoved({
      documentId,
      prefix: window.prefix,
      suffix: window.suffix,
      prefixAtDocumentStart: window.prefixAtDocumentStart,
    });
  }

  /** The user types on into the suggest widget's item that the running request applied: the
   *  next request applies the same item, so the running one still serves it. */
  private typesIntoWidgetItem(documentId: string, document: vscode.TextDocument, cursor: vscode.Position): boolean {
    const w = this.widgetRequest;
    if (!w || w.documentId !== documentId || cursor.line !== w.line) return false;
    const typed = document.lineAt(cursor.line).text.slice(0, cursor.character);
    return typed.length > w.typed.length && typed.startsWith(w.typed) && w.applied.startsWith(typed);
  }

  /** The cursor rests at `position` (the editor became active, or the cursor moved and stayed):
   *  prefill in the background what a keystroke there would send. Resolves with the engine's
   *  result, undefined when nothing was sent (disabled, no model loaded, already warm). */
  async prewarm(document: vscode.TextDocument, position: vscode.Position): Promise<PrefillResult | undefined> {
    const settings = this.deps.settings(document);
    if (!settings.enable || !settings.model.path || this.batteryMode(document) !== 'normal') return undefined; // no background work on battery
    const completion = this.deps.completionSettings(document);
    if (!languageEnabled(document.languageId, completion) || !inlineSuggestEnabled(document)) return undefined;
    const { context, deferred, commit } = this.reader.readForPrewarm(this.readRequest(document, position, completion));
    const result = await this.deps.controller.prewarm(context, { keepCached: deferred });
    if (result && !result.cancelled) commit(); // its window is warm now: the next keystroke takes it
    return result;
  }

  private batteryMode(document: vscode.TextDocument): BatteryMode {
    return this.deps.batteryMode?.(document) ?? 'normal';
  }

  /** A closed document: forget its prompt anchor. */
  forgetDocument(documentId: string): void {
    this.reader.forget(documentId);
  }

  dispose(): void {
    // the controller is owned (and disposed) by whoever created it
  }

  /** `cursorLine` replaces the text of the cursor's line (a selected suggestion, applied). */
  private readRequest(
    document: vscode.TextDocument,
    position: vscode.Position,
    settings: CompletionSettingsSection,
    cursorLine?: string,
  ): ReadRequest {
    const view: DocumentView = {
      ...linesOf(document),
      id: documentIdOf(document),
      version: document.version,
      languageId: document.languageId,
      enclosing: notebookViewOf(document), // a notebook cell's prompt reads the notebook's other cells too
    };
    const context = this.deps.context;
    return {
      document: view,
      line: position.line,
      character: position.character,
      settings,
      cursorLine,
      sources: context && ((window, contextTokens) => context.forCursor(document, window, contextTokens)),
      indentUnit: (prefix) => indentUnitOf(document, prefix),
    };
  }
}

/** A TextDocument's lines, read one at a time (no copy of the text). */
function linesOf(document: vscode.TextDocument): { lineCount: number; lineText(line: number): string } {
  return { lineCount: document.lineCount, lineText: (line) => document.lineAt(line).text };
}

/** The suggest widget's selected item as an edit of the cursor's line: the line with the item
 *  applied and the cursor after it. undefined: no item selected; null: one this provider cannot
 *  extend (on another line, or several lines of text). */
function suggestWidgetEdit(
  document: vscode.TextDocument,
  position: vscode.Position,
  info: vscode.SelectedCompletionInfo | undefined,
): { range: vscode.Range; text: string; line: string; cursor: number } | undefined | null {
  if (!info) return undefined;
  const { range, text } = info;
  if (range.start.line !== position.line || range.end.line !== position.line || text.includes('\n')) return null;
  const lineText = document.lineAt(position.line).text;
  const line = lineText.slice(0, range.start.character) + text + lineText.slice(range.end.character);
  return { range, text, line, cursor: range.start.character + text.length };
}

export function documentIdOf(document: vscode.TextDocument): string {
  return document.uri.toString();
}

/** The editor's indentation for this document, else a guess from the code before the cursor. */
function indentUnitOf(document: vscode.TextDocument, prefix: string): string {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document === document) {
    const { insertSpaces, tabSize } = editor.options;
    if (insertSpaces === false) return '\t';
    if (insertSpaces === true && typeof tabSize === 'number') return ' '.repeat(tabSize);
  }
  return detectIndentUnit(prefix);
}
