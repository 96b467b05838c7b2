// Wires the inline-completion pipeline into VS Code: the controller, the provider for every
// language, the workspace context, the re-trigger after a streamed completion finishes,
// cancellation when the cursor moves where the running request cannot serve, the pre-warm where
// the cursor rests, the battery mode, and the manual-trigger and accept-next-line commands.
// Returns one disposable for all of it.
import * as vscode from 'vscode';
import { DisposableStore } from '../common/disposable';
import { WorkspaceContext } from '../context/workspaceContext';
import type { EngineClient } from '../engine/client';
import type { ModelInfo } from '../engine/native';
import { OneShotTimer } from './adaptiveDebounce';
import { CompletionActivity, CompletionController } from './completionController';
import { fitToContext } from '../context/promptBudget';
import type { ModelSettings } from '../models/activeModel';
import type { TandemSettings } from '../ui/settings';
import { TandemInlineCompletionProvider } from './inlineProvider';
import { BatteryMode, PowerSource, batteryModeNow, prefetchAllowed } from './powerSource';

export interface InlineCompletionDeps {
  engine: Pick<EngineClient, 'complete'> & Partial<Pick<EngineClient, 'prefill'>>;
  /** The configured model, loaded on first need; `loaded` without loading. */
  model: { ensureLoaded(): Promise<ModelInfo>; readonly loadedInfo?: ModelInfo };
  /** Tandem's settings (ui/settings.ts readSettings), for a document when one is given. */
  settings: (scope?: vscode.ConfigurationScope) => Pick<TandemSettings, 'enable' | 'completion'> & {
    model: Pick<ModelSettings, 'path' | 'contextSize'>;
  };
  activity: CompletionActivity & { setBatteryMode?(mode: BatteryMode): void };
  /** Reads whether the machine runs on battery (default: the OS, at most once a minute). */
  power?: PowerSource;
  log: (line: string) => void;
}

export const COMMAND_TRIGGER_INLINE = 'editor.action.inlineSuggest.trigger';
/** Alt+\: a completion now, also with automatic completions off (tandem.enable false, or paused
 *  on battery). */
export const COMMAND_TRIGGER_COMPLETION = 'tandem.triggerCompletion';
/** Shift+Tab while ghost text shows: accept its next line (VS Code has the command, unbound). */
export const COMMAND_ACCEPT_NEXT_LINE = 'tandem.acceptNextLine';
const COMMAND_VSCODE_ACCEPT_NEXT_LINE = 'editor.action.inlineSuggest.acceptNextLine';
/** reduced battery mode: the debounce is this many times longer, completions at most half as long. */
export const BATTERY_DEBOUNCE_FACTOR = 2;
/** The cursor has rested this long (no keystroke, no move) before its place is pre-warmed. */
export const PREWARM_REST_MS = 300;

export function registerInlineCompletions(deps: InlineCompletionDeps): vscode.Disposable & { controller: CompletionController } {
  const store = new DisposableStore();
  const power = deps.power ?? new PowerSource();
  // the prompt budgets fitted to the engine's context (promptBudget.ts), for a document
  const completionSettings = (scope?: vscode.ConfigurationScope) => {
    const { model, completion } = deps.settings(scope);
    return fitToContext(completion, model.contextSize, completion.maxTokens);
  };
  let shownBatteryMode: BatteryMode = 'normal';
  /** The battery mode in effect for this setting now; the status bar hears of each change. */
  const batteryModeFor = (setting: BatteryMode): BatteryMode => {
    const mode = batteryModeNow(setting, power);
    if (mode !== shownBatteryMode) {
      shownBatteryMode = mode;
      deps.activity.setBatteryMode?.(mode);
    }
    return mode;
  };
  const batteryMode = (scope?: vscode.ConfigurationScope) => batteryModeFor(deps.settings(scope).completion.onBattery);
  const controller = store.add(
    new CompletionController({
      engine: deps.engine,
      model: () => deps.model.ensureLoaded(),
      loadedModel: () => deps.model.loadedInfo,
      settings: (document) => {
        // one read of the settings per call: the budgets and the battery mode both come from it
        const completion = completionSettings(settingsScopeOf(document));
        if (batteryModeFor(completion.onBattery) === 'normal')
          return { ...completion, prefetch: prefetchAllowed(completion.prefetch, power) };
        return {
          ...completion,
          maxTokens: Math.max(1, Math.floor(completion.maxTokens / 2)),
          prefetch: false,
          debounceFactor: BATTERY_DEBOUNCE_FACTOR,
        };
      },
      activity: deps.activity,
      log: deps.log,
    }),
  );
  const workspaceContext = store.add(new WorkspaceContext(() => deps.settings().completion.clipboardContext));
  const provider = new TandemInlineCompletionProvider({
    controller,
    settings: deps.settings,
    completionSettings,
    batteryMode,
    context: workspaceContext,
  });
  workspaceContext.onDidCloseDocument((id) => {
    controller.forgetDocument(id);
    provider.forgetDocument(id);
  });
  store.add(vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider));
  store.add(
    controller.onShouldRetrigger((documentId) => {
      const editor = vscode.window.activeTextEditor;
      if (editor?.document.uri.toString() === documentId) void vscode.commands.executeCommand(COMMAND_TRIGGER_INLINE);
    }),
  );
  // pre-warm where the cursor comes to rest at a new place: a newly active editor, or a click or an
  // arrow key. Not after typing: its requests keep the KV warm, and a pause between words must not
  // start background work (idle stays idle)
  const rest = store.add(new OneShotTimer());
  const seenVersions = new WeakMap<vscode.TextDocument, number>();
  const restSoon = (editor: vscode.TextEditor | undefined) => {
    if (!editor || editor.selections.length !== 1 || !editor.selection.isEmpty) {
      rest.clear();
      return;
    }
    rest.arm(PREWARM_REST_MS, () => {
      if (vscode.window.activeTextEditor !== editor || editor.document.isClosed) return;
      provider.prewarm(editor.document, editor.selection.active).catch((err: unknown) => deps.log(`pre-warm: ${String(err)}`));
    });
  };
  store.add(vscode.window.onDidChangeActiveTextEditor((editor) => restSoon(editor)));
  store.add(
    vscode.window.onDidChangeTextEditorSelection((event) => {
      // a click or arrow key away from a running request aborts it in the engine now, not when it ends
      const { document } = event.textEditor;
      provider.cursorMoved(document, event.selections);
      const typed = seenVersions.has(document) && seenVersions.get(document) !== document.version;
      seenVersions.set(document, document.version);
      if (typed) rest.clear();
      else if (event.textEditor === vscode.window.activeTextEditor) restSoon(event.textEditor);
    }),
  );
  store.add(vscode.commands.registerCommand(COMMAND_TRIGGER_COMPLETION, () => vscode.commands.executeCommand(COMMAND_TRIGGER_INLINE)));
  store.add(
    vscode.commands.registerCommand(COMMAND_ACCEPT_NEXT_LINE, () => vscode.commands.executeCommand(COMMAND_VSCODE_ACCEPT_NEXT_LINE)),
  );
  return { controller, dispose: () => store.dispose() };
}

/** A document's settings scope from the pipeline's view of it (its URI and language). */
function settingsScopeOf(document: { documentId: string; languageId: string }): vscode.ConfigurationScope {
  return { uri: vscode.Uri.parse(document.documentId), languageId: document.languageId };
}
