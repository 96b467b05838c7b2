// The settings reader (ui/settings.ts) over a mocked vscode: its defaults and choices are the ones
// package.json declares, every value it returns is valid (clamped, or the default), and changes
// are read at once.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as SettingsModule from '../../extension/ui/settings';
import { createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

const root = path.resolve(
  __dirname,
  '..',
  '..',
  ...(path.basename(path.resolve(__dirname, '..', '..')) === 'test-build' ? ['..', '..'] : []),
);
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown; enum?: unknown[] }> } };
};

const settingsPath = require.resolve('../../extension/ui/settings');
/** Settings read elsewhere: the download host is read from the user's settings only (modelCommands.ts). */
const READ_ELSEWHERE = ['tandem.model.downloadBaseUrl'];

describe('settings reader (mocked vscode)', () => {
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

  /** Every rule of the schema, by its full setting name. */
  function rules(): Map<string, SettingsModule.SettingRule<unknown>> {
    const out = new Map<string, SettingsModule.SettingRule<unknown>>();
    const walk = (node: object) => {
      for (const value of Object.values(node) as object[]) {
        if ('key' in value && 'read' in value)
          out.set(`tandem.${(value as SettingsModule.SettingRule<unknown>).key}`, value as SettingsModule.SettingRule<unknown>);
        else walk(value);
      }
    };
    walk(settings.SETTINGS);
    return out;
  }

  it('reads every setting package.json contributes, with the default and the choices it declares', () => {
    const declared = manifest.contributes.configuration.properties;
    const schema = rules();
    assert.deepEqual(
      [...schema.keys()].sort(),
      Object.keys(declared)
        .filter((k) => !READ_ELSEWHERE.includes(k))
        .sort(),
    );
    for (const [key, rule] of schema) {
      assert.deepEqual(rule.defaultValue, declared[key].default, `${key}: default`);
      assert.deepEqual(rule.read(undefined), declared[key].default, `${key}: not set`);
      for (const allowed of declared[key].enum ?? []) assert.equal(rule.read(allowed), allowed, `${key}: ${String(allowed)}`);
      if (declared[key].enum) assert.equal(rule.read('no such choice'), declared[key].default, `${key}: an unknown choice`);
    }
    assert.deepEqual([...settings.SPECULATION_SETTING_MODES].sort(), [...declared['tandem.completion.speculation'].enum!].sort());
  });

  it('with nothing set: the defaults, devices on auto', () => {
    assert.deepEqual(settings.readSettings(), {
      enable: true,
      model: { path: '', contextSize: 4096, threads: 0, device: { prefill: 'auto', decode: 'auto' }, documentCacheMB: 256 },
      completion: {
        enabledLanguages: ['*'],
        disabledLanguages: [],
        maxTokens: 64,
        prefixTokens: 1024,
        suffixTokens: 256,
        contextTokens: 512,
        clipboardContext: true,
        streamFirstLine: true,
        prefetch: 'onAC',
        onBattery: 'normal',
        speculation: 'auto',
        promptLayout: 'anchored',
        coldStartMs: 1000,
      },
      explain: { modelPath: '', maxTokens: 512 },
      logLevel: 'info',
    });
  });

  it('clamps numbers to their limits (whole numbers), or falls back to the default', () => {
    const cases: [string, unknown, (s: SettingsModule.TandemSettings) => number, number][] = [
      ['engine.contextSize', 1e9, (s) => s.model.contextSize, settings.MAX_CONTEXT_SIZE],
      ['engine.contextSize', 2048.7, (s) => s.model.contextSize, 2048],
      ['engine.contextSize', -1, (s) => s.model.contextSize, 4096],
      ['engine.threads', 1000, (s) => s.model.threads, 256],
      ['engine.documentCacheMB', 1e6, (s) => s.model.documentCacheMB, 16384],
      ['engine.documentCacheMB', 0, (s) => s.model.documentCacheMB, 0],
      ['completion.maxTokens', 0, (s) => s.completion.maxTokens, 64],
      ['completion.maxTokens', 5000, (s) => s.completion.maxTokens, 5000],
      ['completion.maxTokens', 'many', (s) => s.completion.maxTokens, 64],
      ['completion.prefixTokens', 10, (s) => s.completion.prefixTokens, 64],
      ['completion.prefixTokens', 1e6, (s) => s.completion.prefixTokens, 32768],
      ['completion.suffixTokens', -5, (s) => s.completion.suffixTokens, 0],
      ['completion.contextTokens', Number.NaN, (s) => s.completion.contextTokens, 512],
      ['completion.coldStartMs', 1e9, (s) => s.completion.coldStartMs, 60_000],
      ['explain.maxTokens', -3, (s) => s.explain.maxTokens, 512],
      ['explain.maxTokens', 100.9, (s) => s.explain.maxTokens, 100],
    ];
    for (const [key, value, pick, expected] of cases) {
      mock.settings.clear();
      mock.settings.set(`tandem.${key}`, value);
      assert.equal(pick(settings.readSettings()), expected, `${key} = ${String(value)}`);
    }
  });

  it('per-phase devices override tandem.device; paths are trimmed and ~ is the home folder', () => {
    mock.settings.set('tandem.device', ' gpu ');
    mock.settings.set('tandem.decodeDevice', 'cpu');
    mock.settings.set('tandem.model.path', ' ~/models/a.gguf ');
    mock.settings.set('tandem.explain.modelPath', '~');
    const s = settings.readSettings();
    assert.deepEqual(s.model.device, { prefill: 'gpu', decode: 'cpu' });
    assert.equal(s.model.path, path.join(os.homedir(), 'models/a.gguf'));
    assert.equal(s.explain.modelPath, os.homedir());
    mock.settings.set('tandem.prefillDevice', 'npu');
    assert.deepEqual(settings.readSettings().model.device, { prefill: 'npu', decode: 'cpu' });
  });

  it('values of the wrong type give the default', () => {
    for (const [key, value] of [
      ['enable', 'yes'],
      ['enabledLanguages', 'python'],
      ['completion.streamFirstLine', 0],
      ['logLevel', 'loud'],
    ] as const) {
      mock.settings.set(`tandem.${key}`, value);
    }
    mock.settings.set('tandem.disabledLanguages', ['markdown', 7]);
    const s = settings.readSettings();
    assert.deepEqual([s.enable, s.completion.enabledLanguages, s.completion.streamFirstLine, s.logLevel], [true, ['*'], true, 'info']);
    assert.deepEqual(s.completion.disabledLanguages, ['markdown'], 'only the strings of a list');
  });

  it('reads fresh each time: a change applies without a reload', () => {
    assert.equal(settings.readSettings().completion.speculation, 'auto');
    mock.setSetting('tandem.completion.speculation', 'pld');
    mock.setSetting('tandem.completion.promptLayout', 'classic');
    assert.deepEqual([settings.readSettings().completion.speculation, settings.readSettings().completion.promptLayout], ['pld', 'classic']);
    mock.setSetting('tandem.completion.speculation', 'ngram-mod'); // an engine mode the setting does not offer
    assert.equal(settings.readSettings().completion.speculation, 'auto');
  });
});
