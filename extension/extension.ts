// Wiring only: creates the pieces, connects them, and hands every one to VS Code for disposal.
// The engine host process starts lazily, on the first completion or an explicit command.
import * as vscode from 'vscode';
import { registerInlineCompletions } from './completion/registration';
import { assertFimSupported } from './context/fimPrompt';
import { EngineClient } from './engine/client';
import { explainModelProvider } from './explain/explainModel';
import { registerExplain } from './explain/explainPanel';
import { ActiveModel } from './models/activeModel';
import { COMMAND_SELECT_MODEL, registerModelCommands } from './models/modelCommands';
import { TandemLog } from './ui/log';
import { SETTINGS_SECTION, readSettings } from './ui/settings';
import { StatusBar } from './ui/statusBar';
import { COMMAND_STATUS_MENU, registerStatusMenu } from './ui/statusMenu';

const COMMAND_TOGGLE = 'tandem.toggle';
const COMMAND_SHOW_LOG = 'tandem.showLog';
const COMMAND_RESTART = 'tandem.restartEngine';

let engine: EngineClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('Tandem', { log: true });
  context.subscriptions.push(channel);
  const log = new TandemLog(channel, () => readSettings().logLevel);

  engine = new EngineClient({
    hostScript: context.asAbsolutePath('out/engineHost.js'),
    log: log.at('info'),
  });
  context.subscriptions.push(engine);
  const client = engine;

  const model = new ActiveModel(client, () => readSettings().model, assertFimSupported);
  context.subscriptions.push(model);

  const status = new StatusBar(client, readSettings, COMMAND_STATUS_MENU);
  context.subscriptions.push(status);

  context.subscriptions.push(
    model.onLoadFailed(({ settings, error }) => {
      log.error(`could not load ${settings.path}: ${error.message}`);
      status.setModelError(error.message);
      void vscode.window
        .showErrorMessage(`Tandem could not load the model: ${error.message}`, 'Select Model', 'Open Settings', 'Show Log')
        .then((choice) => {
          if (choice === 'Select Model') void vscode.commands.executeCommand(COMMAND_SELECT_MODEL);
          else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'tandem.model.path');
          else if (choice === 'Show Log') log.show();
        });
    }),
    registerInlineCompletions({
      engine: client,
      model,
      settings: readSettings,
      activity: status,
      log: log.at('info'),
    }),
    registerStatusMenu(readSettings),
    ...registerExplain(context, {
      engine: client,
      model: explainModelProvider({ completionModel: model, explainModelPath: () => readSettings().explain.modelPath, log }),
      applyChatTemplate: (messages) => client.applyChatTemplate(messages),
      settings: () => readSettings().explain,
      log,
      activity: status.explainActivity,
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SETTINGS_SECTION)) return;
      status.clearErrors(); // a new model (or none) gets a fresh chance
      model.settingsChanged();
    }),
    vscode.commands.registerCommand(COMMAND_TOGGLE, async () => {
      const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
      await config.update('enable', !config.get<boolean>('enable', true), vscode.ConfigurationTarget.Global);
    }),
    vscode.commands.registerCommand(COMMAND_SHOW_LOG, () => log.show()),
    ...registerModelCommands(context),
    vscode.commands.registerCommand(COMMAND_RESTART, async () => {
      model.retry();
      status.clearErrors();
      try {
        await client.restart();
        if (readSettings().model.path) await model.ensureLoaded();
        log.info('engine restarted');
      } catch (err) {
        log.error(`restart failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
}

export async function deactivate(): Promise<void> {
  await engine?.disposeAsync();
  engine = undefined;
}
