// The status bar's menu (statusMenu.ts) through a mocked vscode: its entries for each state, and
// that picking one runs its command.
import * as assert from 'node:assert/strict';
import type * as StatusMenuModule from '../../extension/ui/statusMenu';
import { Position, Selection, TextDocument, createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

describe('status menu (mocked vscode)', () => {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let menu: typeof StatusMenuModule;

  before(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    menu = requireFresh(require.resolve('../../extension/ui/statusMenu'));
  });
  after(() => {
    forgetModules(require.resolve('../../extension/ui/statusMenu'));
    uninstall();
  });

  it('the menu offers enable/disable, select model, explain selection, show log', () => {
    const on = menu.statusMenuItems({ enabled: true, hasSelection: false });
    assert.deepEqual(
      on.map((i) => i.command),
      ['tandem.toggle', 'tandem.selectModel', 'tandem.explainSelection', 'tandem.showLog'],
    );
    assert.match(on[0].label, /Disable/);
    assert.match(on[2].description ?? '', /select some code/);
    const off = menu.statusMenuItems({ enabled: false, hasSelection: true });
    assert.match(off[0].label, /Enable/);
    assert.equal(off[2].description, undefined);
  });

  it('picking an entry runs its command; dismissing runs nothing', async () => {
    const ran: string[] = [];
    for (const id of ['tandem.toggle', 'tandem.selectModel', 'tandem.showLog', 'tandem.explainSelection']) {
      mock.vscode.commands.registerCommand(id, () => ran.push(id));
    }
    const registration = menu.registerStatusMenu(() => ({ enable: true }));
    const doc = new TextDocument('a\nb\n', 'python', '/w/a.py');
    mock.vscode.window.activeTextEditor = { document: doc, selection: new Selection(new Position(0, 0), new Position(1, 0)) };
    for (const [pattern, expected] of [
      [/Disable/, 'tandem.toggle'],
      [/Select Model/, 'tandem.selectModel'],
      [/Show Log/, 'tandem.showLog'],
      [/Explain/, 'tandem.explainSelection'],
    ] as const) {
      let offered: { label: string; description?: string }[] = [];
      mock.answers.quickPick = (items) => {
        offered = items;
        return items.find((i: { label: string }) => pattern.test(i.label));
      };
      assert.equal(await mock.vscode.commands.executeCommand(menu.COMMAND_STATUS_MENU), expected);
      assert.equal(offered.length, 4);
      assert.equal(offered[2].description, undefined, 'a selection exists');
    }
    assert.deepEqual(ran, ['tandem.toggle', 'tandem.selectModel', 'tandem.showLog', 'tandem.explainSelection']);
    mock.answers.quickPick = () => undefined;
    assert.equal(await mock.vscode.commands.executeCommand(menu.COMMAND_STATUS_MENU), undefined);
    assert.equal(ran.length, 4);
    registration.dispose();
  });
});
