// The completion settings (package.json contributes.configuration, tandem.completion.* and the
// language toggles), read fresh on each use so changes apply without a reload. VS Code adapter.
import * as vscode from 'vscode';
import { PROMPT_LAYOUTS, PromptLayout } from '../context/promptAnchor';
import type { SpeculationMode } from '../engine/native';
import type { PrefetchMode } from './powerSource';

export interface CompletionSettingsView {
  enabledLanguages: string[];
  disabledLanguages: string[];
  prefixTokens: number;
  suffixTokens: number;
  contextTokens: number;
  clipboardContext: boolean;
  streamFirstLine: boolean;
  prefetch: PrefetchMode;
  speculation: SpeculationMode;
  promptLayout: PromptLayout;
  /** Target time for the prefill of a cold prompt (0: no target, full budgets). */
  coldStartMs: number;
}

export const DEFAULT_COLD_START_MS = 1000;

/** The speculation modes the user setting offers: Tandem's own (auto), none, and the two retrieval
 *  baselines. llama.cpp's ngram-* modes are built too, but they are baselines for `tandem complete
 *  --spec` and `tandem bench`, not a choice an editor user needs. */
export const SPECULATION_MODES: readonly SpeculationMode[] = ['auto', 'off', 'pld', 'sam'];

export function readCompletionSettings(): CompletionSettingsView {
  const config = vscode.workspace.getConfiguration('tandem');
  const prefetch = config.get<string>('completion.prefetch', 'onAC');
  return {
    enabledLanguages: stringList(config.get('enabledLanguages'), ['*']),
    disabledLanguages: stringList(config.get('disabledLanguages'), []),
    prefixTokens: bounded(config.get('completion.prefixTokens'), 1024, 64, 32768),
    suffixTokens: bounded(config.get('completion.suffixTokens'), 256, 0, 16384),
    contextTokens: bounded(config.get('completion.contextTokens'), 512, 0, 16384),
    clipboardContext: config.get<boolean>('completion.clipboardContext', true) !== false,
    streamFirstLine: config.get<boolean>('completion.streamFirstLine', true) !== false,
    prefetch: prefetch === 'off' || prefetch === 'always' ? prefetch : 'onAC',
    speculation: oneOf(config.get<string>('completion.speculation'), SPECULATION_MODES, 'auto'),
    promptLayout: oneOf(config.get<string>('completion.promptLayout'), PROMPT_LAYOUTS, 'anchored'),
    coldStartMs: bounded(config.get('completion.coldStartMs'), DEFAULT_COLD_START_MS, 0, 60_000),
  };
}

/** Completions are on for a language when it is enabled ("*" or its id) and not disabled. */
export function languageEnabled(languageId: string, settings: Pick<CompletionSettingsView, 'enabledLanguages' | 'disabledLanguages'>): boolean {
  if (settings.disabledLanguages.includes(languageId)) return false;
  return settings.enabledLanguages.includes('*') || settings.enabledLanguages.includes(languageId);
}

/** editor.inlineSuggest.enabled for the document's language. */
export function inlineSuggestEnabled(document: vscode.TextDocument): boolean {
  return vscode.workspace.getConfiguration('editor', document).get<boolean>('inlineSuggest.enabled', true) !== false;
}

function stringList(value: unknown, fallback: string[]): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : fallback;
}

function bounded(value: unknown, fallback: number, min: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : fallback;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}
