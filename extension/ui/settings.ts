// Tandem's settings (package.json contributes.configuration): one schema of what each setting
// may hold — its default, its clamp — and one typed reader over it. Read fresh on each use, so
// changes apply without a reload, and with the document's scope where a setting may differ per
// language or folder (`"[python]": { "tandem.completion.maxTokens": 32 }`, multi-root folders). (package.json declares the same defaults, limits and choices for
// the settings editor; test/unit/settings.test.ts keeps the two in step.)
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BATTERY_MODES, BatteryMode, PREFETCH_MODES, PrefetchMode } from '../completion/powerSource';
import { PROMPT_LAYOUTS, PromptLayout } from '../context/promptAnchor';
import type { SpeculationMode } from '../engine/native';
import { ENGINE_KINDS, ServerSettings } from '../engine/server/serverConnection';
import { DEFAULT_DOCUMENT_CACHE_MB, ModelSettings } from '../models/activeModel';
import { LOG_LEVELS, LogLevelName } from './log';

export const SETTINGS_SECTION = 'tandem';
/** tandem.engine.contextSize's maximum (package.json); the engine also holds it to the model's
 *  training context. */
export const MAX_CONTEXT_SIZE = 131072;
export const DEFAULT_COLD_START_MS = 1000;

/** The modes tandem.completion.speculation offers: Tandem's own (auto), none, and the two retrieval
 *  baselines. The engine knows more (native.ts SPECULATION_MODES: llama.cpp's ngram-* modes too),
 *  but those are baselines for `tandem complete --spec` and `tandem bench`, not a choice an editor
 *  user needs. */
export const SPECULATION_SETTING_MODES = ['auto', 'off', 'pld', 'sam'] as const satisfies readonly SpeculationMode[];
export type SpeculationSetting = (typeof SPECULATION_SETTING_MODES)[number];

/** tandem.completion.* and the language toggles. */
export interface CompletionSettingsSection {
  enabledLanguages: string[];
  disabledLanguages: string[];
  /** Most tokens one completion may generate. */
  maxTokens: number;
  /** Prompt budgets, in estimated tokens (registration.ts fits them to the engine's context). */
  prefixTokens: number;
  suffixTokens: number;
  contextTokens: number;
  clipboardContext: boolean;
  /** Show the first line of a multi-line completion while the rest decodes. */
  streamFirstLine: boolean;
  prefetch: PrefetchMode;
  /** What completions do on battery power (powerSource.ts). */
  onBattery: BatteryMode;
  speculation: SpeculationSetting;
  promptLayout: PromptLayout;
  /** Target time for the prefill of a cold prompt (0: no target, full budgets). */
  coldStartMs: number;
}

export interface ExplainSettings {
  /** An instruct model for explanations; '' = use the completion model. */
  modelPath: string;
  maxTokens: number;
}

export interface TandemSettings {
  enable: boolean;
  model: ModelSettings;
  completion: CompletionSettingsSection;
  explain: ExplainSettings;
  /** What Tandem writes to its "Tandem" output channel (see ui/log.ts). */
  logLevel: LogLevelName;
}

/** One setting: its key under `tandem.`, its default, and how a raw value becomes a valid one
 *  (anything else — a wrong type, an unknown choice — gives the default). */
export interface SettingRule<T> {
  readonly key: string;
  readonly defaultValue: T;
  read(value: unknown): T;
}

function rule<T>(key: string, defaultValue: T, read: (value: unknown, defaultValue: T) => T): SettingRule<T> {
  return { key, defaultValue, read: (value) => read(value, defaultValue) };
}

const flag = (key: string, defaultValue: boolean) => rule(key, defaultValue, (v, d) => (typeof v === 'boolean' ? v : d));

/** Text, trimmed; empty (or not set) gives the default. */
const text = (key: string, defaultValue: string) => rule(key, defaultValue, (v, d) => (typeof v === 'string' ? v.trim() : '') || d);

/** A file path; `~` is the home folder. */
const filePath = (key: string) => rule(key, '', (v) => expandHome(typeof v === 'string' ? v.trim() : ''));

const choice = <T extends string>(key: string, allowed: readonly T[], defaultValue: T) =>
  rule<T>(key, defaultValue, (v, d) => (typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : d));

const stringList = (key: string, defaultValue: string[]) =>
  rule(key, defaultValue, (v, d) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [...d]));

/** A whole number (fractions round down) at most `max`. Below `min`: `min` when `belowMin` is
 *  'clamp', the default when it is 'default'. Not a finite number: the default. */
function wholeNumber(key: string, defaultValue: number, limits: { min: number; max: number; belowMin: 'clamp' | 'default' }) {
  return rule(key, defaultValue, (v, d) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return d;
    const n = Math.floor(v);
    if (n < limits.min) return limits.belowMin === 'clamp' ? limits.min : d;
    return Math.min(limits.max, n);
  });
}

/** Every setting this reader knows, by where it lands in TandemSettings. */
export const SETTINGS = {
  enable: flag('enable', true),
  model: {
    path: filePath('model.path'),
    contextSize: wholeNumber('engine.contextSize', 4096, { min: 0, max: MAX_CONTEXT_SIZE, belowMin: 'default' }),
    threads: wholeNumber('engine.threads', 0, { min: 0, max: 256, belowMin: 'default' }),
    /** Both phases; prefillDevice / decodeDevice override it per phase when set. The engine
     *  validates names (an unknown one is a load error, shown once). */
    device: text('device', 'auto'),
    prefillDevice: text('prefillDevice', ''),
    decodeDevice: text('decodeDevice', ''),
    documentCacheMB: wholeNumber('engine.documentCacheMB', DEFAULT_DOCUMENT_CACHE_MB, { min: 0, max: 16384, belowMin: 'default' }),
  },
  completion: {
    enabledLanguages: stringList('enabledLanguages', ['*']),
    disabledLanguages: stringList('disabledLanguages', []),
    maxTokens: wholeNumber('completion.maxTokens', 64, { min: 1, max: Infinity, belowMin: 'default' }),
    prefixTokens: wholeNumber('completion.prefixTokens', 1024, { min: 64, max: 32768, belowMin: 'clamp' }),
    suffixTokens: wholeNumber('completion.suffixTokens', 256, { min: 0, max: 16384, belowMin: 'clamp' }),
    contextTokens: wholeNumber('completion.contextTokens', 512, { min: 0, max: 16384, belowMin: 'clamp' }),
    clipboardContext: flag('completion.clipboardContext', true),
    streamFirstLine: flag('completion.streamFirstLine', true),
    prefetch: choice('completion.prefetch', PREFETCH_MODES, 'onAC'),
    onBattery: choice('completion.onBattery', BATTERY_MODES, 'normal'),
    speculation: choice('completion.speculation', SPECULATION_SETTING_MODES, 'auto'),
    promptLayout: choice('completion.promptLayout', PROMPT_LAYOUTS, 'anchored'),
    coldStartMs: wholeNumber('completion.coldStartMs', DEFAULT_COLD_START_MS, { min: 0, max: 60_000, belowMin: 'clamp' }),
  },
  explain: {
    modelPath: filePath('explain.modelPath'),
    maxTokens: wholeNumber('explain.maxTokens', 512, { min: 1, max: Infinity, belowMin: 'default' }),
  },
  logLevel: choice('logLevel', LOG_LEVELS, 'info'),
  /** Which engine runs the model (readServerSettings: the user's values only). */
  engine: {
    kind: choice('engine.kind', ENGINE_KINDS, 'local'),
    serverUrl: rule('engine.serverUrl', '', (v) => (typeof v === 'string' ? v.trim() : '')),
  },
} as const;

/** All of Tandem's settings, valid and typed. `scope`: the document (or folder) they apply to —
 *  its language's and folder's overrides win; without one, the window's values. */
export function readSettings(scope?: vscode.ConfigurationScope): TandemSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const get = <T>(setting: SettingRule<T>): T => setting.read(config.get(setting.key));
  const { model, completion, explain } = SETTINGS;
  const device = get(model.device);
  return {
    enable: get(SETTINGS.enable),
    model: {
      path: get(model.path),
      contextSize: get(model.contextSize),
      threads: get(model.threads),
      device: { prefill: get(model.prefillDevice) || device, decode: get(model.decodeDevice) || device },
      documentCacheMB: get(model.documentCacheMB),
    },
    completion: {
      enabledLanguages: get(completion.enabledLanguages),
      disabledLanguages: get(completion.disabledLanguages),
      maxTokens: get(completion.maxTokens),
      prefixTokens: get(completion.prefixTokens),
      suffixTokens: get(completion.suffixTokens),
      contextTokens: get(completion.contextTokens),
      clipboardContext: get(completion.clipboardContext),
      streamFirstLine: get(completion.streamFirstLine),
      prefetch: get(completion.prefetch),
      onBattery: get(completion.onBattery),
      speculation: get(completion.speculation),
      promptLayout: get(completion.promptLayout),
      coldStartMs: get(completion.coldStartMs),
    },
    explain: { modelPath: get(explain.modelPath), maxTokens: get(explain.maxTokens) },
    logLevel: get(SETTINGS.logLevel),
  };
}

/** tandem.engine.kind and tandem.engine.serverUrl, from the user's settings only: where code is
 *  sent is the user's choice, so a workspace or folder value is never read, whatever VS Code's
 *  scope rules say (package.json declares both `application` too). */
export function readServerSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const user = <T>(setting: SettingRule<T>): T => setting.read(config.inspect(setting.key)?.globalValue);
  return { kind: user(SETTINGS.engine.kind), serverUrl: user(SETTINGS.engine.serverUrl) };
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}
