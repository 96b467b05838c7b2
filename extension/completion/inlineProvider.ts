// The inline completion provider: the thin VS Code adapter over the pipeline. Reads the code
// around the cursor, builds the FIM prompt, asks the engine, and returns one ghost-text item.
// VS Code cancels the request on the next keystroke; that cancellation becomes an AbortSignal
// which the engine client turns into a cancel of the decode loop.
import * as vscode from 'vscode';
import { DEFAULT_FIM_WINDOW, FimWindow, buildFimPrompt } from '../context/fimPrompt';
import type { EngineClient } from '../engine/client';
import type { CompletionStats, ModelInfo } from '../engine/native';
import { abortOnCancel } from './abortOnCancel';
import { ghostTextFrom, planCompletion } from './completionPlan';

/** Told about each completion request (the status bar shows "generating" and the stats). */
export interface CompletionActivity {
  started(): void;
  finished(stats?: CompletionStats, error?: Error): void;
}

export interface InlineProviderDeps {
  engine: Pick<EngineClient, 'complete'>;
  /** The configured model, loaded on first need. */
  model: { ensureLoaded(): Promise<ModelInfo> };
  settings: () => { enable: boolean; maxTokens: number; model: { path: string } };
  activity: CompletionActivity;
  log: (line: string) => void;
  window?: FimWindow;
}

export class TandemInlineCompletionProvider implements vscode.InlineCompletionItemProvider {
  constructor(private readonly deps: InlineProviderDeps) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    _context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const settings = this.deps.settings();
    if (!settings.enable || !settings.model.path || token.isCancellationRequested) return undefined;
    let model: ModelInfo;
    try {
      model = await this.deps.model.ensureLoaded();
    } catch {
      return undefined; // load failures are reported once, by the model's load-failure notification
    }
    if (token.isCancellationRequested) return undefined;

    const window = this.deps.window ?? DEFAULT_FIM_WINDOW;
    const line = document.lineAt(position.line).text;
    const plan = planCompletion({ lineSuffix: line.slice(position.character), maxTokens: settings.maxTokens });
    const abort = abortOnCancel(token);
    this.deps.activity.started();
    let stats: CompletionStats | undefined;
    let failure: Error | undefined;
    try {
      const prompt = buildFimPrompt(model, readAroundCursor(document, position, window), window);
      const result = await this.deps.engine.complete(
        { prompt, maxTokens: plan.maxTokens, stop: plan.stop, timeBudgetMs: plan.timeBudgetMs },
        { signal: abort.signal },
      );
      stats = result.stats;
      if (result.stats.stopReason === 'cancelled' || token.isCancellationRequested) return undefined;
      const text = ghostTextFrom(result.text, plan);
      if (!text) return undefined;
      return [new vscode.InlineCompletionItem(text, new vscode.Range(position, position))];
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      this.deps.log(`completion failed: ${failure.message}`);
      return undefined;
    } finally {
      abort.dispose();
      this.deps.activity.finished(stats, failure);
    }
  }
}

/** The window of text before and after the cursor (one character more than the window, so the
 *  prompt builder can cut at a line boundary). No whole-document copy on the keystroke path. */
function readAroundCursor(document: vscode.TextDocument, position: vscode.Position, window: FimWindow) {
  const offset = document.offsetAt(position);
  const start = document.positionAt(Math.max(0, offset - window.maxPrefixChars - 1));
  const end = document.positionAt(offset + window.maxSuffixChars + 1);
  return {
    prefix: document.getText(new vscode.Range(start, position)),
    suffix: document.getText(new vscode.Range(position, end)),
  };
}
