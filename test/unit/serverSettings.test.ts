// What only the user decides about the server engine kind: the settings are application-scoped
// and read from the user's settings only (a workspace's .vscode/settings.json cannot point Tandem
// at a server), the API key lives in SecretStorage (never in settings), and code goes to a host
// only after the user said yes to that host (asked once, remembered per origin).
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as SettingsModule from '../../extension/ui/settings';
import type * as WiringModule from '../../extension/engine/server/serverWiring';
import { readManifest } from './support/manifest';
import { createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

const manifest = readManifest<{
  contributes: { configuration: { properties: Record<string, { scope?: string; default?: unknown }> }; commands: { command: string }[] };
}>();

describe('server engine kind: what a workspace cannot change', () => {
  it('tandem.engine.kind and tandem.engine.serverUrl are user-only (application scope), local by default', () => {
    const settings = manifest.contributes.configuration.properties;
    assert.equal(settings['tandem.engine.kind']?.scope, 'application');
    assert.equal(settings['tandem.engine.serverUrl']?.scope, 'application');
    assert.equal(settings['tandem.engine.kind']?.default, 'local');
    assert.ok(manifest.contributes.commands.some((c) => c.command === 'tandem.setServerApiKey'));
  });

  it('no setting holds an API key, token, password or secret', () => {
    for (const key of Object.keys(manifest.contributes.configuration.properties)) {
      assert.doesNotMatch(key, /api.?key|secret|password|credential|bearer|auth|\.(token|key)$/i, key);
    }
  });

  describe('readServerSettings (mocked vscode)', () => {
    const settingsPath = require.resolve('../../extension/ui/settings');
    let mock: ReturnType<typeof createVscodeMock>;
    let uninstall: () => void;
    let settings: typeof SettingsModule;
    beforeEach(() => {
      mock = createVscodeMock();
      uninstall = installVscodeMock(mock.vscode);
      settings = requireFresh(settingsPath);
    });
    afterEach(() => {
      forgetModules(settingsPath);
      uninstall();
    });

    it("ignores a workspace's values, even where VS Code would let them through", () => {
      mock.workspaceSettings.set('tandem.engine.kind', 'server');
      mock.workspaceSettings.set('tandem.engine.serverUrl', 'http://192.168.1.66:8012');
      assert.deepEqual(settings.readServerSettings(), { kind: 'local', serverUrl: '' });
      mock.setSetting('tandem.engine.kind', 'server');
      mock.setSetting('tandem.engine.serverUrl', ' http://127.0.0.1:8012 ');
      assert.deepEqual(settings.readServerSettings(), { kind: 'server', serverUrl: 'http://127.0.0.1:8012' });
      mock.setSetting('tandem.engine.kind', 'cloud');
      assert.equal(settings.readServerSettings().kind, 'local', 'an unknown kind is the default');
    });
  });
});

describe('server engine kind: consent and the API key (mocked vscode, a real HTTP server)', function () {
  this.timeout(10_000);
  const wiringPath = require.resolve('../../extension/engine/server/serverWiring');
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let wiring: typeof WiringModule;
  let server: http.Server;
  let url: string;
  const requests: { path?: string; authorization?: string }[] = [];
  const questions: { message: string; options: { modal?: boolean; detail?: string }; items: string[] }[] = [];
  let answer: string | undefined;
  let inputBoxAnswer: string | undefined;
  const memento = new Map<string, unknown>();
  const secrets = new Map<string, string>();
  const context = {
    globalState: {
      get: <T>(key: string, fallback?: T) => (memento.has(key) ? (memento.get(key) as T) : fallback),
      update: async (key: string, value: unknown) => void memento.set(key, value),
      keys: () => [...memento.keys()],
    },
    secrets: {
      get: async (key: string) => secrets.get(key),
      store: async (key: string, value: string) => void secrets.set(key, value),
      delete: async (key: string) => void secrets.delete(key),
      onDidChange: () => ({ dispose: () => undefined }),
    },
  };
  const statuses: unknown[] = [];
  const disposables: { dispose(): void }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push({ path: req.url, authorization: req.headers.authorization });
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 503, message: 'Loading model' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  beforeEach(() => {
    mock = createVscodeMock();
    Object.assign(mock.vscode.window, {
      showWarningMessage: async (message: string, options: { modal?: boolean; detail?: string }, ...items: string[]) => {
        questions.push({ message, options, items });
        return answer;
      },
      showInputBox: async () => inputBoxAnswer,
    });
    uninstall = installVscodeMock(mock.vscode);
    wiring = requireFresh(wiringPath);
    requests.length = 0;
    questions.length = 0;
    statuses.length = 0;
  });
  afterEach(() => {
    for (const d of disposables.splice(0)) d.dispose();
    forgetModules(wiringPath);
    uninstall();
  });

  function connect(serverUrl = url) {
    const wired = wiring.registerServerEngine({
      context: context as never,
      settings: () => ({ kind: 'server', serverUrl }),
      status: { setServer: (s) => statuses.push(s) },
      log: { info: () => undefined, warn: () => undefined, show: () => undefined },
    });
    disposables.push(...wired.disposables);
    return wired.connection;
  }

  it('declined: asked once, modally, naming the host; nothing reaches the server; the status says declined', async () => {
    memento.clear();
    answer = undefined; // the modal closed without "Send Code"
    const connection = connect();
    for (let i = 0; i < 3; i++) await assert.rejects(connection.requireEngine().ensureCompletionModel(), /declined/);
    assert.equal(questions.length, 1);
    assert.equal(questions[0].options.modal, true);
    assert.equal(questions[0].message, `Send your code to ${url.replace('http://', '')} for completions?`);
    assert.match(questions[0].options.detail ?? '', /plain http/);
    assert.equal(requests.length, 0, 'no request reached the server');
    assert.deepEqual(memento.get(wiring.CONSENT_STATE_KEY) ?? [], []);
    assert.equal((statuses.at(-1) as { state: string }).state, 'declined');
  });

  it('allowed: remembered per origin in globalState, not asked again (another window, a restart)', async () => {
    memento.clear();
    answer = wiring.CONSENT_SEND;
    const first = connect();
    await assert.rejects(first.requireEngine().ensureModel(), /503|not ready/); // the server is "loading": consent came first
    assert.equal(questions.length, 1);
    assert.deepEqual(memento.get(wiring.CONSENT_STATE_KEY), [url]);
    assert.ok(requests.length > 0, 'requests went out after the yes');
    const again = connect();
    await assert.rejects(again.requireEngine().ensureModel());
    assert.equal(questions.length, 1, 'not asked again for the same origin');
    // another port on the same machine is another server: asked
    const other = connect(url.replace(/:\d+$/, ':9'));
    await assert.rejects(other.requireEngine().ensureModel());
    assert.equal(questions.length, 2);
  });

  it('the API key goes to SecretStorage under the origin, never into settings, and is sent as a bearer token', async () => {
    memento.set(wiring.CONSENT_STATE_KEY, [url]);
    const connection = connect();
    mock.setSetting('tandem.engine.serverUrl', url);
    inputBoxAnswer = 'sk-test-123';
    await mock.commands.get(wiring.COMMAND_SET_SERVER_API_KEY)!();
    assert.equal(secrets.get(`tandem.server.apiKey:${url}`), 'sk-test-123');
    for (const [key, value] of [...mock.settings, ...mock.workspaceSettings]) {
      assert.ok(!JSON.stringify(value ?? null).includes('sk-test-123'), `${key} holds the key`);
    }
    await assert.rejects(connection.requireEngine().ensureModel());
    assert.ok(requests.length > 0 && requests.every((r) => r.authorization === 'Bearer sk-test-123'), JSON.stringify(requests));
    // empty input removes it
    inputBoxAnswer = '';
    await mock.commands.get(wiring.COMMAND_SET_SERVER_API_KEY)!();
    assert.equal(secrets.has(`tandem.server.apiKey:${url}`), false);
  });

  it('a URL it must not use: one clear error, no consent question, nothing sent', async () => {
    const connection = connect('http://203.0.113.50:8012');
    assert.throws(() => connection.requireEngine(), /not a loopback or LAN address.*https:\/\/203\.0\.113\.50:8012/);
    assert.equal(questions.length, 0);
    assert.equal(mock.errorMessages.length, 1);
    assert.match(mock.errorMessages[0].message, /Tandem: .*use https:\/\//);
    assert.equal((statuses.at(-1) as { state: string }).state, 'config');
  });
});
