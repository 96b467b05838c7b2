// What a workspace can change (package.json contributes.configuration and capabilities): settings
// that name a file, a host or a size of the engine are the user's alone (machine or application
// scope: VS Code ignores a workspace's value), and in Restricted Mode the prompt sizes a workspace
// could set are ignored too, while Tandem still runs there (on the current file only).
import * as assert from 'node:assert/strict';
import { readManifest } from './support/manifest';
import { sessionOptionsFor } from '../../extension/engine/hostService';

const manifest = readManifest<{
  capabilities?: { untrustedWorkspaces?: { supported: unknown; restrictedConfigurations?: string[] } };
  extensionKind?: string[];
  contributes: {
    configuration: { properties: Record<string, { scope?: string; maximum?: number }> };
    keybindings?: { command: string; key: string; mac?: string; when?: string }[];
    commands: { command: string }[];
  };
}>();
const settings = manifest.contributes.configuration.properties;

describe('manifest: what a workspace can change', () => {
  it('files, hosts and engine sizes are machine or application settings', () => {
    const userOnly = {
      'tandem.model.path': 'machine',
      'tandem.explain.modelPath': 'machine',
      'tandem.model.downloadBaseUrl': 'application',
      'tandem.engine.contextSize': 'machine',
      'tandem.engine.threads': 'machine',
      'tandem.engine.documentCacheMB': 'machine',
      'tandem.device': 'machine',
      'tandem.prefillDevice': 'machine',
      'tandem.decodeDevice': 'machine',
    };
    for (const [key, scope] of Object.entries(userOnly)) assert.equal(settings[key]?.scope, scope, key);
  });

  it("runs in Restricted Mode (limited), ignoring the workspace's prompt sizes there", () => {
    const untrusted = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(untrusted?.supported, 'limited');
    const restricted = untrusted?.restrictedConfigurations ?? [];
    for (const key of [
      'tandem.completion.maxTokens',
      'tandem.completion.prefixTokens',
      'tandem.completion.suffixTokens',
      'tandem.completion.contextTokens',
    ]) {
      assert.ok(restricted.includes(key), key);
    }
    for (const key of restricted) {
      assert.ok(settings[key], `${key} is a setting`);
      assert.ok(!['machine', 'application'].includes(settings[key].scope ?? ''), `${key}: user-only settings need no restriction`);
    }
  });

  it("the engine holds the context to the model's training context", () => {
    assert.equal(sessionOptionsFor({ path: '/m.gguf', contextSize: 1_048_576 }, { contextLength: 32768 }).contextSize, 32768);
    assert.equal(sessionOptionsFor({ path: '/m.gguf', contextSize: 4096 }, { contextLength: 32768 }).contextSize, 4096);
    assert.equal(sessionOptionsFor({ path: '/m.gguf' }, { contextLength: 32768 }).contextSize, undefined);
  });
});

describe('manifest: fitting the editor', () => {
  it("runs on the user's machine when it can (ui), on the workspace side where only that can run it (code-server)", () => {
    assert.deepEqual(manifest.extensionKind, ['ui', 'workspace']);
  });

  it('settings that may differ per language are language-overridable; per-machine preferences are not', () => {
    for (const key of [
      'tandem.completion.maxTokens',
      'tandem.completion.prefixTokens',
      'tandem.completion.suffixTokens',
      'tandem.completion.contextTokens',
      'tandem.completion.streamFirstLine',
      'tandem.completion.speculation',
      'tandem.explain.maxTokens',
    ]) {
      assert.equal(settings[key]?.scope, 'language-overridable', key);
    }
    for (const key of ['tandem.completion.onBattery', 'tandem.completion.prefetch', 'tandem.logLevel']) {
      assert.equal(settings[key]?.scope, 'application', key);
    }
  });

  it('keys: Alt+\\ triggers; Tab, Shift+Tab and arrows are taken only while ghost text shows, never from the suggest widget', () => {
    const keys = manifest.contributes.keybindings ?? [];
    const commands = new Set(manifest.contributes.commands.map((c) => c.command));
    assert.ok(keys.some((k) => k.command === 'tandem.triggerCompletion' && k.key === 'alt+\\'));
    assert.ok(keys.some((k) => k.command === 'tandem.acceptNextLine'));
    for (const k of keys) {
      assert.ok(commands.has(k.command), `${k.command} is a contributed command`);
      const when = k.when ?? '';
      assert.match(when, /!editorReadonly/, `${k.key}: not in read-only editors`);
      if (/(^|\+)(tab|up|down|left|right)$/.test(k.key) || /(^|\+)(tab|up|down|left|right)$/.test(k.mac ?? '')) {
        assert.match(when, /(^|&& )inlineSuggestionVisible( &&|$)/, `${k.key}: only while ghost text shows`);
        assert.match(when, /!suggestWidgetVisible/, `${k.key}: never from the suggest widget`);
      }
    }
  });
});
