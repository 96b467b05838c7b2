// extension/completion/registration.ts loaded fresh over a mocked vscode, for the tests that drive
// the whole VS Code wiring; call inside a describe().
import type * as Registration from '../../../extension/completion/registration';
import { createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './vscodeMock';

const registrationPath = require.resolve('../../../extension/completion/registration');
const vscodeModules = ['../../../extension/completion/inlineProvider', '../../../extension/completion/completionSettings',
  '../../../extension/completion/abortOnCancel', '../../../extension/context/workspaceContext'].map((m) => require.resolve(m));

/** Installs the mock and loads the module before the suite; undoes both after it. */
export function useRegistrationModule(): { mock: () => ReturnType<typeof createVscodeMock>; registration: () => typeof Registration } {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let registration: typeof Registration;
  before(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    registration = requireFresh(registrationPath, vscodeModules);
  });
  after(() => {
    forgetModules(registrationPath, ...vscodeModules);
    uninstall();
  });
  return { mock: () => mock, registration: () => registration };
}
