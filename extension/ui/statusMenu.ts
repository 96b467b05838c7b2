// The status bar's menu: a quick pick with enable/disable, select model, show log and explain
// selection. Each entry runs an existing command, so the menu holds no logic of its own.
import * as vscode from 'vscode';
import type { TandemSettings } from './settings';

export const COMMAND_STATUS_MENU = 'tandem.showMenu';

export interface StatusMenuCommands {
  toggle: string;
  selectModel: string;
  showLog: string;
  explainSelection: string;
}

export const DEFAULT_MENU_COMMANDS: StatusMenuCommands = {
  toggle: 'tandem.toggle',
  selectModel: 'tandem.selectModel',
  showLog: 'tandem.showLog',
  explainSelection: 'tandem.explainSelection',
};

export interface StatusMenuItem extends vscode.QuickPickItem {
  command: string;
}

/** The menu's entries for the current state (pure). */
export function statusMenuItems(state: { enabled: boolean; hasSelection: boolean }, commands = DEFAULT_MENU_COMMANDS): StatusMenuItem[] {
  return [
    state.enabled
      ? { label: '$(circle-slash) Disable Inline Completions', command: commands.toggle }
      : { label: '$(check) Enable Inline Completions', command: commands.toggle },
    {
      label: '$(explorer-view-icon) Select Model…',
      description: 'GGUF models on this machine or a download',
      command: commands.selectModel,
    },
    {
      label: '$(comment-discussion) Explain Selection',
      description: state.hasSelection ? undefined : 'select some code first',
      command: commands.explainSelection,
    },
    { label: '$(output) Show Log', command: commands.showLog },
  ];
}

/** Shows the menu and runs the chosen command; resolves with that command (undefined: dismissed). */
export async function showStatusMenu(
  settings: () => Pick<TandemSettings, 'enable'>,
  commands = DEFAULT_MENU_COMMANDS,
): Promise<string | undefined> {
  const editor = vscode.window.activeTextEditor;
  const items = statusMenuItems({ enabled: settings().enable, hasSelection: !!editor && !editor.selection.isEmpty }, commands);
  const picked = await vscode.window.showQuickPick(items, { title: 'Tandem', placeHolder: 'Tandem' });
  if (!picked) return undefined;
  await vscode.commands.executeCommand(picked.command);
  return picked.command;
}

/** Registers COMMAND_STATUS_MENU (give it to the StatusBar as its click command). */
export function registerStatusMenu(settings: () => Pick<TandemSettings, 'enable'>, commands = DEFAULT_MENU_COMMANDS): vscode.Disposable {
  return vscode.commands.registerCommand(COMMAND_STATUS_MENU, () => showStatusMenu(settings, commands));
}
