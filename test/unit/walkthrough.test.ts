// The walkthrough (package.json contributes.walkthroughs, media/walkthrough/*.md) and its two
// commands (extension/ui/walkthrough.ts) through a mocked vscode: the id the command opens is the
// one VS Code derives from the manifest, every step's media file exists and is packaged, every
// command a step links to is contributed, and the sample puts the cursor in an empty body.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as WalkthroughModule from '../../extension/ui/walkthrough';
import { createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

const root = path.resolve(
  __dirname,
  '..',
  '..',
  ...(path.basename(path.resolve(__dirname, '..', '..')) === 'test-build' ? ['..', '..'] : []),
);

interface Step {
  id: string;
  description: string;
  media: { markdown?: string };
  completionEvents?: string[];
}
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  publisher: string;
  contributes: { commands: { command: string }[]; walkthroughs?: { id: string; title: string; steps: Step[] }[] };
};

describe('walkthrough (mocked vscode)', () => {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let walkthrough: typeof WalkthroughModule;

  before(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    walkthrough = requireFresh(require.resolve('../../extension/ui/walkthrough'));
  });
  after(() => {
    forgetModules(require.resolve('../../extension/ui/walkthrough'));
    uninstall();
  });

  it("opens the manifest's walkthrough: <publisher>.<name>#<id>", async () => {
    const contributed = manifest.contributes.walkthroughs ?? [];
    assert.equal(contributed.length, 1);
    assert.equal(walkthrough.WALKTHROUGH_ID, `${manifest.publisher}.${manifest.name}#${contributed[0].id}`);
    const opened: unknown[][] = [];
    mock.vscode.commands.registerCommand('workbench.action.openWalkthrough', (...args: unknown[]) => opened.push(args));
    for (const d of walkthrough.registerWalkthroughCommands()) d.dispose();
    await mock.vscode.commands.executeCommand(walkthrough.COMMAND_OPEN_WALKTHROUGH);
    assert.deepEqual(opened, [[walkthrough.WALKTHROUGH_ID, false]]);
  });

  it('its steps: choose a model, try a completion, explain, status and log; each with its media, links to contributed commands only', () => {
    const [gettingStarted] = manifest.contributes.walkthroughs ?? [];
    assert.deepEqual(
      gettingStarted.steps.map((s) => s.id),
      ['chooseModel', 'tryCompletion', 'explain', 'statusAndLog'],
    );
    const commands = new Set(manifest.contributes.commands.map((c) => c.command));
    const packaging = fs.readFileSync(path.join(root, '.ci', 'package-vsix.js'), 'utf8');
    for (const step of gettingStarted.steps) {
      const media = step.media.markdown ?? '';
      assert.ok(fs.existsSync(path.join(root, media)), `${step.id}: ${media} exists`);
      assert.match(fs.readFileSync(path.join(root, media), 'utf8'), /^# \S/, `${media} has a title`);
      assert.ok(packaging.includes(`'${media}'`), `${media} must be in the VSIX (.ci/package-vsix.js REQUIRED_FILES)`);
      const linked = [
        ...[...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]),
        ...(step.completionEvents ?? []).map((e) => /^onCommand:([\w.]+)/.exec(e)?.[1]),
      ].filter((id): id is string => !!id);
      for (const id of linked) assert.ok(commands.has(id), `${step.id} links to ${id}, which package.json does not contribute`);
    }
    assert.ok(commands.has(walkthrough.COMMAND_OPEN_WALKTHROUGH) && commands.has(walkthrough.COMMAND_OPEN_SAMPLE));
  });

  it('the model step names the recommended models with their memory, and says base, not instruct', () => {
    const text = fs.readFileSync(path.join(root, 'media', 'walkthrough', 'model.md'), 'utf8');
    assert.match(text, /Qwen2\.5-Coder 1\.5B \(Q8_0\) \| 1\.65 GB \| about 2 GB/);
    assert.match(text, /Qwen2\.5-Coder 0\.5B \(Q8_0\) \| 0\.53 GB \| about 1 GB/);
    assert.match(text, /base code model/);
    assert.match(text, /Not an instruct or chat model/);
  });

  it('the sample: an untitled Python file, the cursor in the empty body of its first function', () => {
    const sample = walkthrough.SAMPLE_CODE;
    const lines = sample.split('\n');
    const cursorLine = lines.findIndex((l) => l.includes('‸'));
    assert.equal(lines[cursorLine], '    ‸');
    assert.match(lines[cursorLine - 1], /"""The sum of price × quantity over all items\."""/);
    assert.match(lines[cursorLine - 2], /^def total_price/);
    assert.equal(sample.split('‸').length, 2, 'one cursor marker');
  });
});
