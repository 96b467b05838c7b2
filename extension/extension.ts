// Wiring only: creates the pieces, connects them, and hands every one to VS Code for disposal.
// The engine host process starts lazily, on the first completion or an explicit command.
import * as vscode from 'vscode';
import { registerInlineCompletions } from './completion/registration';
import { assertFimSupported } from './context/fimPrompt';
import { EngineClient } from './engine/client';
import { EngineSelection } from './engine/server/engineSelection';
import { registerServerEngine } from './engine/server/serverWiring';
import { ExplainModelSource } from './explain/explainModel';
import { registerExplain } from './explain/explainPanel';
import { ActiveModel } from './models/activeModel';
import { COMMAND_SELECT_EXPLAIN_MODEL, COMMAND_SELECT_MODEL, registerModelCommands } from './models/modelCommands';
import { registerFimCheck } from './ui/fimCheckWarning';
import { TandemLog, engineLogLevel } from './ui/log';
import { SETTINGS_SECTION, readServerSettings, readSettings } from './ui/settings';
import { StatusBar } from './ui/statusBar';
import { describePlacement } from './ui/statusView';
import { COMMAND_STATUS_MENU, registerStatusMenu } from './ui/statusMenu';
import { registerWalkthroughCommands } from './ui/walkthrough';

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
    logLevel: engineLogLevel(readSettings().logLevel),
  });
  context.subscriptions.push(engine);
  const client = engine;

  const model = new ActiveModel(client, () => readSettings().model, assertFimSupported);
  context.subscriptions.push(model);
  // once per model file: does it answer a FIM prompt like an instruct/chat model?
  context.subscriptions.push(registerFimCheck({ model, engine: client, state: context.globalState, log }));

  const status = new StatusBar(client, readSettings, COMMAND_STATUS_MENU);
  context.subscriptions.push(status);

  // a separate instruct model for Explain (tandem.explain.modelPath), loaded on the first Explain
  const explainModel = new ExplainModelSource(
    client,
    model,
    () => {
      const settings = readSettings();
      return { path: settings.explain.modelPath, contextSize: settings.model.contextSize, threads: settings.model.threads };
    },
    log,
  );
  context.subscriptions.push(explainModel);

  // tandem.engine.kind: the local engine above, or a llama-server (engine/server/); chosen per call
  const server = registerServerEngine({ context, settings: readServerSettings, status, log });
  context.subscriptions.push(...server.disposables);
  const engines = new EngineSelection({ engine: client, model, explainModel }, server.connection);

  context.subscriptions.push(
    model.onLoaded(({ settings, info }) => {
      client.devices().then(
        (devices) => status.setDevices(devices),
        () => undefined,
      );
      const placement = info.placement;
      if (!placement) return;
      log.info(`${settings.path}: ${describePlacement(placement)}`);
      if (placement.warnings.length === 0) return;
      for (const warning of placement.warnings) log.warn(warning);
      void vscode.window.showWarningMessage(`Tandem: ${placement.warnings.join(' ')}`, 'Open Settings', 'Show Log').then((choice) => {
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'tandem.device');
        else if (choice === 'Show Log') log.show();
      });
    }),
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
    explainModel.onLoadFailed(({ settings, error }) => {
      // the explain panel shows the error too; completions go on with their own model
      log.error(`could not load the explain model ${settings.path}: ${error.message}`);
      void vscode.window
        .showErrorMessage(
          `Tandem could not load the explain model (tandem.explain.modelPath): ${error.message}`,
          'Select Explain Model',
          'Open Settings',
          'Show Log',
        )
        .then((choice) => {
          if (choice === 'Select Explain Model') void vscode.commands.executeCommand(COMMAND_SELECT_EXPLAIN_MODEL);
          else if (choice === 'Open Settings')
            void vscode.commands.executeCommand('workbench.action.openSettings', 'tandem.explain.modelPath');
          else if (choice === 'Show Log') log.show();
        });
    }),
    registerInlineCompletions({
      engine: engines,
      model: engines.completionModel,
      settings: (scope) => engines.pipelineSettings(readSettings(scope)),
      activity: status,
      log: log.at('info'),
    }),
    registerStatusMenu(readSettings),
    ...registerExplain(context, {
      engine: engines,
      model: engines.explainModel,
      applyChatTemplate: (messages, role) => engines.applyChatTemplate(messages, { role }),
      settings: () => readSettings().explain,
      log,
      activity: status.explainActivity,
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SETTINGS_SECTION)) return;
      if (event.affectsConfiguration(`${SETTINGS_SECTION}.logLevel`)) {
        client.setLogLevel(engineLogLevel(readSettings().logLevel)).catch((err: unknown) => log.warn(`engine log level: ${String(err)}`));
      }
      status.clearErrors(); // a new model (or none) gets a fresh chance
      if (event.affectsConfiguration(`${SETTINGS_SECTION}.engine`)) server.connection.settingsChanged();
      model.settingsChanged();
      explainModel.settingsChanged();
    }),
    vscode.commands.registerCommand(COMMAND_TOGGLE, async () => {
      await vscode.workspace.getConfiguration(SETTINGS_SECTION).update('enable', !readSettings().enable, vscode.ConfigurationTarget.Global);
    }),
    vscode.commands.registerCommand(COMMAND_SHOW_LOG, () => log.show()),
    ...registerModelCommands(context),
    ...registerWalkthroughCommands(),
    vscode.commands.registerCommand(COMMAND_RESTART, async () => {
      if (server.connection.active) {
        server.connection.restart(); // a fresh connection: asks again if declined, retries at once
        status.clearErrors();
        log.info('server connection restarted');
        return;
      }
      model.retry();
      explainModel.retry();
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
