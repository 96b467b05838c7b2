// Tandem's settings (package.json contributes.configuration), read fresh on each use so changes
// apply without a reload.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_DOCUMENT_CACHE_MB, ModelSettings } from '../models/activeModel';
import { LOG_LEVELS, LogLevelName } from './log';

export interface ExplainSettings {
  /** An instruct model for explanations; '' = use the completion model. */
  modelPath: string;
  maxTokens: number;
}

export interface TandemSettings {
  enable: boolean;
  model: ModelSettings;
  maxTokens: number;
  explain: ExplainSettings;
  /** What Tandem writes to its "Tandem" output channel (see ui/log.ts). */
  logLevel: LogLevelName;
}

export const SETTINGS_SECTION = 'tandem';
/** tandem.engine.contextSize's maximum (package.json); the engine also holds it to the model's
 *  training context. */
export const MAX_CONTEXT_SIZE = 131072;

export function readSettings(): TandemSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return {
    enable: config.get<boolean>('enable', true),
    model: {
      path: expandHome(config.get<string>('model.path', '').trim()),
      contextSize: Math.min(MAX_CONTEXT_SIZE, positiveInt(config.get<number>('engine.contextSize', 4096), 4096)),
      threads: Math.min(256, positiveInt(config.get<number>('engine.threads', 0), 0)),
      device: deviceSettings(config),
      documentCacheMB: Math.min(16384, positiveInt(config.get<number>('engine.documentCacheMB', DEFAULT_DOCUMENT_CACHE_MB), DEFAULT_DOCUMENT_CACHE_MB)),
    },
    maxTokens: positiveInt(config.get<number>('completion.maxTokens', 64), 64) || 64,
    explain: {
      modelPath: expandHome(String(config.get<string>('explain.modelPath', '') ?? '').trim()),
      maxTokens: positiveInt(config.get<number>('explain.maxTokens', 512), 512) || 512,
    },
    logLevel: logLevel(config.get<string>('logLevel', 'info')),
  };
}

/** tandem.device for both phases; tandem.prefillDevice / tandem.decodeDevice override it
 *  per phase when set. The engine validates names (an unknown one is a load error, shown once). */
function deviceSettings(config: vscode.WorkspaceConfiguration): ModelSettings['device'] {
  const text = (key: string) => String(config.get<string>(key, '') ?? '').trim();
  const both = text('device') || 'auto';
  return { prefill: text('prefillDevice') || both, decode: text('decodeDevice') || both };
}

function logLevel(value: unknown): LogLevelName {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value) ? (value as LogLevelName) : 'info';
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}

function positiveInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : fallback;
}
