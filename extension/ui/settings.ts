// Tandem's settings (package.json contributes.configuration), read fresh on each use so changes
// apply without a reload.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSettings } from '../models/activeModel';

export interface TandemSettings {
  enable: boolean;
  model: ModelSettings;
  maxTokens: number;
}

export const SETTINGS_SECTION = 'tandem';

export function readSettings(): TandemSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return {
    enable: config.get<boolean>('enable', true),
    model: {
      path: expandHome(config.get<string>('model.path', '').trim()),
      contextSize: positiveInt(config.get<number>('engine.contextSize', 4096), 4096),
      threads: positiveInt(config.get<number>('engine.threads', 0), 0),
    },
    maxTokens: positiveInt(config.get<number>('completion.maxTokens', 64), 64) || 64,
  };
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}

function positiveInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : fallback;
}
