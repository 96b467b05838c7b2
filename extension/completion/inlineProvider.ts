// The inline completion provider: the thin VS Code adapter over the pipeline. Decides whether to
// complete here (settings, language, editor.inlineSuggest.enabled), reads the code around the
// cursor within token budgets, and hands it to the CompletionController; VS Code's cancellation
// becomes an AbortSignal (a new keystroke cancels the previous call, and the controller aborts
// the engine's decode unless the new keystroke types into it).
import * as vscode from 'vscode';
import type { Disposable } from '../common/disposable';
import { readCursorWindow } from '../context/cursorWindow';
import type { WorkspaceContext } from '../context/workspaceContext';
import { detectIndentUnit } from './postProcess';
import { abortOnCancel } from './abortOnCancel';
import { CompletionController, CursorContext } from './completionController';
import { CompletionSettingsView, inlineSuggestEnabled, languageEnabled } from './completionSettings';
import { ANCHOR_CHARS, MAX_TYPED_CHARS } from './suggestionStore';

export type { CompletionActivity } from './completionController';

export interface InlineProviderDeps {
  controller: CompletionController;
  /** Global switch and model path (tandem.enable, tandem.model.path). */
  settings: () => { enable: boolean; model: { path: string } };
  completionSettings: () => CompletionSettingsView;
  context?: Pick<WorkspaceContext, 'forCursor'>;
}

export class TandemInlineCompletionProvider implements vscode.InlineCompletionItemProvider, Disposable {
  constructor(private readonly deps: InlineProviderDeps) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const settings = this.deps.settings();
    if (!settings.enable || !settings.model.path || token.isCancellationRequested) return undefined;
    const completion = this.deps.completionSettings();
    if (!languageEnabled(document.languageId, completion) || !inlineSuggestEnabled(document)) return undefined;
    // VS Code's own suggest widget is open with a selection: its item wins, don't fight it
    if (context?.selectedCompletionInfo) return undefined;

    const cursor = this.cursorContext(document, position, completion);
    const abort = abortOnCancel(token);
    try {
      const explicit = context?.triggerKind === 0; // InlineCompletionTriggerKind.Invoke
      const answer = await this.deps.controller.provide(cursor, abort.signal, explicit);
      if (!answer || token.isCancellationRequested) return undefined;
      return [new vscode.InlineCompletionItem(answer.text, new vscode.Range(position, position))];
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
    const window = this.readWindow(document, selection.active, this.deps.completionSettings());
    this.deps.controller.cursorMoved({ documentId, prefix: window.prefix, suffix: window.suffix, prefixAtDocumentStart: window.prefixAtDocumentStart });
  }

  dispose(): void {
    // the controller is owned (and disposed) by whoever created it
  }

  /** The code around a position, read the same way for a request and for a cursor move (so their
   *  anchors compare). */
  private readWindow(document: vscode.TextDocument, position: vscode.Position, settings: CompletionSettingsView) {
    const lines = { lineCount: document.lineCount, lineText: (line: number) => document.lineAt(line).text };
    return readCursorWindow(lines, position.line, position.character, settings.prefixTokens, settings.suffixTokens, ANCHOR_CHARS + MAX_TYPED_CHARS);
  }

  private cursorContext(document: vscode.TextDocument, position: vscode.Position, settings: CompletionSettingsView): CursorContext {
    const window = this.readWindow(document, position, settings);
    const documentContext = this.deps.context?.forCursor(document, window, settings.contextTokens);
    return {
      documentId: documentIdOf(document),
      documentVersion: document.version,
      languageId: document.languageId,
      path: documentContext?.path ?? document.uri?.path ?? '',
      repoName: documentContext?.repoName,
      prefix: window.prefix,
      suffix: window.suffix,
      prefixAtDocumentStart: window.prefixAtDocumentStart,
      linePrefix: window.linePrefix,
      lineSuffix: window.lineSuffix,
      indentUnit: indentUnitOf(document, window.prefix),
      chunks: documentContext?.chunks,
      documents: documentContext?.documents,
    };
  }
}

function documentIdOf(document: vscode.TextDocument): string {
  return document.uri?.toString() ?? 'untitled';
}

/** The editor's indentation for this document, else a guess from the code before the cursor. */
function indentUnitOf(document: vscode.TextDocument, prefix: string): string {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document === document) {
    const { insertSpaces, tabSize } = editor.options ?? {};
    if (insertSpaces === false) return '\t';
    if (insertSpaces === true && typeof tabSize === 'number') return ' '.repeat(tabSize);
  }
  return detectIndentUnit(prefix);
}
