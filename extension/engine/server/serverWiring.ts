// The VS Code side of the server engine kind: the consent question (modal, naming the host, asked
// once per host and remembered in globalState), the API key in SecretStorage and its command, one
// notification per failure, and the status bar kept on the server's state. The settings are read
// from the user's settings only (ui/settings.ts readServerSettings).
import * as vscode from 'vscode';
import { ServerConnection } from './serverConnection';
import type { ServerError } from './serverErrors';
import { ServerTarget, parseServerUrl } from './serverUrl';

export const COMMAND_SET_SERVER_API_KEY = 'tandem.setServerApiKey';
/** globalState: the origins the user agreed to send code to. */
export const CONSENT_STATE_KEY = 'tandem.server.consentedOrigins';
/** The answer of the consent question that sends code. */
export const CONSENT_SEND = 'Send Code';

/** SecretStorage key of a server's API key (one per origin: a key is never sent to another host). */
export function apiKeySecretName(target: Pick<ServerTarget, 'origin'>): string {
  return `tandem.server.apiKey:${target.origin}`;
}

export interface ServerWiringDeps {
  context: Pick<vscode.ExtensionContext, 'globalState' | 'secrets'>;
  settings: () => { kind: 'local' | 'server'; serverUrl: string };
  status: { setServer(status: ReturnType<ServerConnection['status']>): void };
  log: { info(line: string): void; warn(line: string): void; show(): void };
}

/** The server connection and everything VS Code needs for it; dispose() undoes all. */
export function registerServerEngine(deps: ServerWiringDeps): { connection: ServerConnection; disposables: vscode.Disposable[] } {
  const { context, log } = deps;
  const connection = new ServerConnection({
    settings: deps.settings,
    apiKey: async (target) => (await context.secrets.get(apiKeySecretName(target))) || undefined,
    consent: (target) => askConsent(context.globalState, target, log),
    log: (line) => log.info(`server: ${line}`),
  });
  const showStatus = () => deps.status.setServer(connection.status());
  showStatus();
  const disposables: vscode.Disposable[] = [
    connection,
    connection.onDidChange(showStatus),
    connection.onDidFail((error) => notify(error, log)),
    vscode.commands.registerCommand(COMMAND_SET_SERVER_API_KEY, async () => {
      if (await setApiKey(context.secrets, deps.settings().serverUrl)) connection.keyChanged();
    }),
  ];
  connection.settingsChanged(); // now that failures are heard
  return { connection, disposables };
}

/** Asks once per origin, modally, whether code may go to this host. */
async function askConsent(state: vscode.Memento, target: ServerTarget, log: ServerWiringDeps['log']): Promise<boolean> {
  const agreed = state.get<string[]>(CONSENT_STATE_KEY, []);
  if (agreed.includes(target.origin)) return true;
  const answer = await vscode.window.showWarningMessage(
    `Send your code to ${target.host} for completions?`,
    {
      modal: true,
      detail:
        `With tandem.engine.kind set to "server", Tandem sends the code around your cursor, snippets of your other open files, ` +
        `recent edits and the clipboard to the llama-server at ${target.base} for every completion, and the selection for Explain. ` +
        `${target.secure ? '' : 'The connection is plain http (allowed on your own network only). '}You are asked once for this host.`,
    },
    CONSENT_SEND,
  );
  if (answer !== CONSENT_SEND) return false;
  await state.update(CONSENT_STATE_KEY, [...agreed, target.origin]);
  log.info(`server: sending code to ${target.host} was allowed`);
  return true;
}

/** Asks for the configured server's API key and stores (or removes) it; true when it changed. */
async function setApiKey(secrets: vscode.SecretStorage, serverUrl: string): Promise<boolean> {
  let target: ServerTarget;
  try {
    target = parseServerUrl(serverUrl);
  } catch (err) {
    void vscode.window.showErrorMessage(`Tandem: set tandem.engine.serverUrl first. ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
  const key = await vscode.window.showInputBox({
    title: `API key for ${target.host}`,
    prompt: `The key llama-server was started with (--api-key); kept in VS Code's secret storage, sent only to ${target.origin}. Leave empty to remove it.`,
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return false; // Escape: nothing changes
  if (key.trim()) await secrets.store(apiKeySecretName(target), key.trim());
  else await secrets.delete(apiKeySecretName(target));
  void vscode.window.showInformationMessage(
    key.trim() ? `Tandem: the API key for ${target.host} is set.` : `Tandem: the API key for ${target.host} is removed.`,
  );
  return true;
}

function notify(error: ServerError, log: ServerWiringDeps['log']): void {
  if (error.kind === 'declined') return; // the user's own answer: the status bar says it
  log.warn(`server: ${error.message}`);
  const actions = error.kind === 'auth' ? ['Set API Key', 'Show Log'] : ['Open Settings', 'Show Log'];
  void vscode.window.showErrorMessage(`Tandem: ${error.message}`, ...actions).then((choice) => {
    if (choice === 'Set API Key') void vscode.commands.executeCommand(COMMAND_SET_SERVER_API_KEY);
    else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'tandem.engine');
    else if (choice === 'Show Log') log.show();
  });
}
