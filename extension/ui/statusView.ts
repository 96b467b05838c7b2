// What the status bar shows for a given state: pure, so it is tested without VS Code.
import type { EngineState } from '../engine/client';
import { formatStats } from '../engine/formatStats';
import type { CompletionStats } from '../engine/native';

export type StatusKind = 'disabled' | 'noModel' | 'loading' | 'ready' | 'generating' | 'error';

export interface StatusInput {
  enabled: boolean;
  modelConfigured: boolean;
  engine: EngineState;
  /** Completions in flight. */
  generating: boolean;
  /** Why the configured model could not be loaded (the engine may still hold an older one). */
  modelError?: string;
  /** The last completion error to show, if any. */
  lastError?: string;
  lastStats?: CompletionStats;
}

export interface StatusView {
  kind: StatusKind;
  text: string;
  tooltip: string;
}

export function describeStatus(input: StatusInput): StatusView {
  const stats = input.lastStats ? `\n\nLast completion: ${formatStats(input.lastStats)}` : '';
  if (!input.enabled) return { kind: 'disabled', text: '$(circle-slash) Tandem', tooltip: 'Tandem completions are off (click to turn on).' };
  if (!input.modelConfigured) return { kind: 'noModel', text: '$(warning) Tandem: no model', tooltip: 'Set tandem.model.path to a GGUF code model.' };
  if (input.modelError) {
    return { kind: 'error', text: '$(error) Tandem', tooltip: `Tandem could not load the model: ${input.modelError}` };
  }
  const engine = input.engine;
  switch (engine.kind) {
    case 'error':
      return { kind: 'error', text: '$(error) Tandem', tooltip: `Tandem error: ${engine.error.message}${stats}` };
    case 'crashed':
      return { kind: 'error', text: '$(error) Tandem', tooltip: `${engine.error.message}${stats}` };
    case 'starting':
      return { kind: 'loading', text: '$(loading~spin) Tandem', tooltip: 'Starting the engine…' };
    case 'loading':
      return {
        kind: 'loading',
        text: `$(loading~spin) Tandem ${Math.round(engine.progress * 100)}%`,
        tooltip: `Loading ${engine.modelPath}…`,
      };
    default:
      break;
  }
  if (input.lastError) return { kind: 'error', text: '$(error) Tandem', tooltip: `Tandem error: ${input.lastError}${stats}` };
  const model = engine.kind === 'ready' ? `${engine.model.name || engine.model.description}` : 'model loads on first completion';
  if (input.generating) return { kind: 'generating', text: '$(sync~spin) Tandem', tooltip: `Generating… (${model})${stats}` };
  return { kind: 'ready', text: '$(check) Tandem', tooltip: `Tandem is ready (${model}).${stats}` };
}
