// "Select Model" and "Download Recommended Model" through a mocked vscode, against real files and
// a real HTTP server on 127.0.0.1.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createVscodeMock, installVscodeMock } from './support/vscodeMock';
import { startModelServer, ModelServer } from '../support/modelServer';
import { writeGguf } from '../support/ggufWriter';
import type * as Commands from '../../extension/models/modelCommands';
import { recommendedModel } from '../../extension/models/recommended';

describe('model commands (mocked vscode)', function () {
  this.timeout(10_000);
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let commands: typeof Commands;
  let dir: string;
  let server: ModelServer;
  const body = randomBytes(700_000);
  const file = recommendedModel().file;

  before(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    // Another suite may have loaded the module against its own mock: load it afresh against ours.
    const modulePath = require.resolve('../../extension/models/modelCommands');
    delete require.cache[modulePath];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    commands = require(modulePath);
  });
  after(() => uninstall());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-cmd-'));
    server = await startModelServer(body, {}, file);
    mock.settings.clear();
    mock.settings.set('tandem.model.downloadBaseUrl', server.baseUrl);
    mock.errorMessages.length = 0;
    mock.infoMessages.length = 0;
    mock.workspaceFolders.length = 0;
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('offers GGUF models found in the workspace and uses the one picked', async () => {
    const ws = path.join(dir, 'ws');
    fs.mkdirSync(path.join(ws, 'models'), { recursive: true });
    writeGguf(path.join(ws, 'models', 'coder.gguf'), { 'general.architecture': 'qwen2', 'general.file_type': { u32: 15 } });
    mock.workspaceFolders.push({ uri: { fsPath: ws } });
    let offered: { label: string; description?: string }[] = [];
    mock.answers.quickPick = (items) => {
      offered = items;
      return items.find((i: { label: string }) => i.label === 'coder.gguf');
    };
    const chosen = await commands.selectModel(path.join(dir, 'store'));
    assert.equal(chosen, path.join(ws, 'models', 'coder.gguf'));
    assert.equal(mock.settings.get('tandem.model.path'), chosen);
    const coder = offered.find((i) => i.label === 'coder.gguf');
    assert.match(coder?.description ?? '', /Q4_K_M · .* · workspace/);
    assert.ok(offered.some((i) => i.label.includes('Browse')) && offered.some((i) => i.label.includes('Download')));
  });

  it('uses a file picked in the file dialog', async () => {
    mock.answers.quickPick = (items) => items.find((i: { label: string }) => i.label.includes('Browse'));
    mock.answers.openDialog = ['/models/picked.gguf'];
    assert.equal(await commands.selectModel(dir), '/models/picked.gguf');
    assert.equal(mock.settings.get('tandem.model.path'), '/models/picked.gguf');
  });

  it('downloads the recommended model, verifies it and switches to it', async () => {
    const got = await commands.downloadRecommendedModel(path.join(dir, 'store'));
    assert.equal(got, path.join(dir, 'store', file));
    assert.ok(fs.readFileSync(got).equals(body));
    assert.equal(mock.settings.get('tandem.model.path'), got);
    assert.match(mock.infoMessages[0], /SHA-256 verified/);
    assert.ok(mock.progressReports.some((r) => /of/.test(r.message ?? '')));
  });

  it("downloads only from where the user said: a workspace's download URL is ignored", async () => {
    mock.workspaceSettings.set('tandem.model.downloadBaseUrl', 'http://127.0.0.1:9/workspace-mirror');
    try {
      const got = await commands.downloadRecommendedModel(path.join(dir, 'store'));
      assert.ok(fs.readFileSync(got!).equals(body));
      assert.ok(server.requests.length > 0, "the user's server served it");
    } finally {
      mock.workspaceSettings.clear();
    }
  });

  it('a corrupt download changes nothing and offers Retry / Select Model', async () => {
    mock.settings.set('tandem.model.path', '/models/old.gguf');
    server.faults = { corruptBody: Buffer.alloc(body.length, 7) };
    assert.equal(await commands.downloadRecommendedModel(path.join(dir, 'store')), undefined);
    assert.equal(mock.settings.get('tandem.model.path'), '/models/old.gguf');
    assert.match(mock.errorMessages[0].message, /SHA-256 mismatch/);
    assert.deepEqual(mock.errorMessages[0].actions, ['Retry', 'Select Model']);
    assert.ok(!fs.existsSync(path.join(dir, 'store', file)));
  });

  it('cancelling keeps the partial file for the next attempt', async () => {
    server.faults = { chunkDelayMs: 20 };
    mock.answers.cancelProgressAfterMs = 50;
    try {
      assert.equal(await commands.downloadRecommendedModel(path.join(dir, 'store')), undefined);
    } finally {
      mock.answers.cancelProgressAfterMs = undefined;
    }
    assert.match(mock.infoMessages[0], /paused.*resume/);
    assert.ok(fs.existsSync(path.join(dir, 'store', `${file}.part`)));
    assert.equal(mock.settings.get('tandem.model.path'), undefined);
  });
});
