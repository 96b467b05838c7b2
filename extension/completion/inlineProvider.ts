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

  dispose(): void {
    // the controller is owned (and disposed) by whoever created it
  }

  private cursorContext(document: vscode.TextDocument, position: vscode.Position, settings: CompletionSettingsView): CursorContext {
    const lines = { lineCount: document.lineCount, lineText: (line: number) => document.lineAt(line).text };
    const window = readCursorWindow(lines, position.line, position.character, settings.prefixTokens, settings.suffixTokens, ANCHOR_CHARS + MAX_TYPED_CHARS);
    const documentContext = this.deps.context?.forCursor(document, window, settings.contextTokens);
    return {
      documentId: document.uri?.toString() ?? 'untitled',
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
