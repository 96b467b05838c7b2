// "Tandem: Get Started" opens the walkthrough (package.json contributes.walkthroughs; its steps'
// text is media/walkthrough/*.md), and "Tandem: Open a Sample File to Try Completions" opens an
// untitled Python file with the cursor in an empty function body, where a completion makes sense.
// VS Code itself opens an extension's walkthrough once when the extension is installed
// (workbench.welcomePage.walkthroughs.openOnInstall), so Tandem never opens it unasked.
import * as vscode from 'vscode';

export const COMMAND_OPEN_WALKTHROUGH = 'tandem.openWalkthrough';
export const COMMAND_OPEN_SAMPLE = 'tandem.openSample';

/** `<publisher>.<name>#<walkthrough id>` (package.json). */
export const WALKTHROUGH_ID = 'tandem-dev.tandem#gettingStarted';

/** Where the cursor goes in SAMPLE_CODE (the marker is removed). */
const CURSOR = '‸';

/** A small file whose first function body is left for the model to write. */
export const SAMPLE_CODE = `# Tandem sample: the cursor is in an empty function body. After a short pause, ghost text
# shows the model's completion: Tab accepts it, Esc dismisses it, Alt+\\ asks again.
# Close this tab without saving when you are done.
from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float
    quantity: int


def total_price(items: list[Item]) -> float:
    """The sum of price × quantity over all items."""
    ${CURSOR}


def most_expensive(items: list[Item]) -> Item | None:
    """The item with the highest price, or None for an empty list."""
    return max(items, key=lambda item: item.price, default=None)


if __name__ == "__main__":
    cart = [Item("pen", 1.5, 4), Item("notebook", 3.25, 2), Item("lamp", 24.0, 1)]
    print(total_price(cart), most_expensive(cart))
`;

export async function openWalkthrough(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false);
}

/** Opens the sample, places the cursor and asks for a completion there. */
export async function openSample(): Promise<vscode.TextEditor> {
  const offset = SAMPLE_CODE.indexOf(CURSOR);
  const document = await vscode.workspace.openTextDocument({ language: 'python', content: SAMPLE_CODE.replace(CURSOR, '') });
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  const cursor = document.positionAt(offset);
  editor.selection = new vscode.Selection(cursor, cursor);
  editor.revealRange(new vscode.Range(cursor, cursor), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
  return editor;
}

export function registerWalkthroughCommands(): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMAND_OPEN_WALKTHROUGH, openWalkthrough),
    vscode.commands.registerCommand(COMMAND_OPEN_SAMPLE, openSample),
  ];
}
