// extension/completion/registration.ts and the settings reader loaded fresh over a mocked vscode,
// for the tests that drive the whole VS Code wiring; call inside a describe().
import type * as Registration from '../../../extension/completion/registration';
import type * as Settings from '../../../extension/ui/settings';
import { createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './vscodeMock';

const registrationPath = require.resolve('../../../extension/completion/registration');
const settingsPath = require.resolve('../../../extension/ui/settings');
const vscodeModules = [
  '../../../extension/completion/inlineProvider',
  '../../../extension/completion/languageGate',
  '../../../extension/completion/abortOnCancel',
  '../../../extension/context/workspaceContext',
  '../../../extension/ui/settings',
].map((m) => require.resolve(m));

/** Installs the mock and loads the modules before the suite; undoes both after it. */
export function useRegistrationModule(): {
  mock: () => ReturnType<typeof createVscodeMock>;
  registration: () => typeof Registration;
  /** The settings reader, reading the mock's settings. */
  settings: () => typeof Settings;
} {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let registration: typeof Registration;
  let settings: typeof Settings;
  before(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    registration = requireFresh(registrationPath, vscodeModules);
    settings = requireFresh(settingsPath);
  });
  after(() => {
    forgetModules(registrationPath, ...vscodeModules);
    uninstall();
  });
  return { mock: () => mock, registration: () => registration, settings: () => settings };
}
