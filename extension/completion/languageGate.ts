// Whether a document gets inline completions: Tandem's language toggles (read by ui/settings.ts,
// the one reader of Tandem's settings) and VS Code's editor.inlineSuggest.enabled.
import * as vscode from 'vscode';
import type { CompletionSettingsSection } from '../ui/settings';

/** Completions are on for a language when it is enabled ("*" or its id) and not disabled. */
export function languageEnabled(
  languageId: string,
  settings: Pick<CompletionSettingsSection, 'enabledLanguages' | 'disabledLanguages'>,
): boolean {
  if (settings.disabledLanguages.includes(languageId)) return false;
  return settings.enabledLanguages.includes('*') || settings.enabledLanguages.includes(languageId);
}

/** editor.inlineSuggest.enabled for the document's language. */
export function inlineSuggestEnabled(document: vscode.TextDocument): boolean {
  return vscode.workspace.getConfiguration('editor', document).get<boolean>('inlineSuggest.enabled', true) !== false;
}
