// Wires the inline-completion pipeline into VS Code: the controller, the provider for every
// language, the workspace context, the re-trigger after a streamed completion finishes, and
// cancellation when the cursor moves where the running request cannot serve. Returns one
// disposable for all of it.
import * as vscode from 'vscode';
import { DisposableStore } from '../common/disposable';
import { WorkspaceContext } from '../context/workspaceContext';
import type { EngineClient } from '../engine/client';
import type { ModelInfo } from '../engine/native';
import { CompletionActivity, CompletionController } from './completionController';
import { fitToContext, readCompletionSettings } from './completionSettings';
import { TandemInlineCompletionProvider } from './inlineProvider';
import { PowerSource, prefetchAllowed } from './powerSource';

export interface InlineCompletionDeps {
  engine: Pick<EngineClient, 'complete'>;
  /** The configured model, loaded on first need. */
  model: { ensureLoaded(): Promise<ModelInfo> };
  settings: () => { enable: boolean; maxTokens: number; model: { path: string; contextSize: number } };
  activity: CompletionActivity;
  log: (line: string) => void;
}

export const COMMAND_TRIGGER_INLINE = 'editor.action.inlineSuggest.trigger';

export function registerInlineCompletions(deps: InlineCompletionDeps): vscode.Disposable & { controller: CompletionController } {
  const store = new DisposableStore();
  const power = new PowerSource();
  const completionSettings = () => {
    const general = deps.settings();
    return fitToContext(readCompletionSettings(), general.model.contextSize, general.maxTokens);
  };
  const controller = store.add(new CompletionController({
    engine: deps.engine,
    model: () => deps.model.ensureLoaded(),
    settings: () => {
      const completion = completionSettings();
      return {
        maxTokens: deps.settings().maxTokens,
        prefixTokens: completion.prefixTokens,
        streamFirstLine: completion.streamFirstLine,
        prefetch: prefetchAllowed(completion.prefetch, power),
        speculation: completion.speculation,
      };
    },
    activity: deps.activity,
    log: deps.log,
  }));
  const workspaceContext = store.add(new WorkspaceContext(() => readCompletionSettings().clipboardContext));
  workspaceContext.onDidCloseDocument((id) => controller.forgetDocument(id));
  const provider = new TandemInlineCompletionProvider({
    controller,
    settings: deps.settings,
    completionSettings,
    context: workspaceContext,
  });
  store.add(vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider));
  store.add(controller.onShouldRetrigger((documentId) => {
    const editor = vscode.window.activeTextEditor;
    if (editor?.document.uri.toString() === documentId) void vscode.commands.executeCommand(COMMAND_TRIGGER_INLINE);
  }));
  if (vscode.window.onDidChangeTextEditorSelection) {
    // a click or arrow key away from a running request aborts it in the engine now, not when it ends
    store.add(vscode.window.onDidChangeTextEditorSelection((event) => provider.cursorMoved(event.textEditor.document, event.selections)));
  }
  return { controller, dispose: () => store.dispose() };
}
