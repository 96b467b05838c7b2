// Runs explanations: one at a time (a new one cancels the one before), on the engine's 'explain'
// session, streaming the rendered Markdown to a view. Stop aborts the request's AbortSignal,
// which EngineClient turns into a cancel inside the engine's decode loop. No vscode: the panel
// (explainPanel.ts) is the view; tests use a fake one.
import { OneShotTimer } from '../completion/adaptiveDebounce';
import type { EngineClient } from '../engine/client';
import type { CompletionStats } from '../engine/native';
import type { ModelRole } from '../engine/protocol';
import { escapeHtml, renderMarkdown } from './markdown';
import { ChatTemplateRenderer, ExplainInput, ExplainModel, ExplainPrompt, buildExplainPrompt, extractPlainExplanation } from './prompt';

export type ExplainStatus = 'loading' | 'generating' | 'done' | 'stopped' | 'error';

export interface ExplainState {
  /** Increases with each explanation (the view can tell a new one from an update). */
  id: number;
  title: string;
  status: ExplainStatus;
  /** The explanation so far, as Markdown (what Copy copies). */
  markdown: string;
  /** renderMarkdown(markdown): safe HTML. */
  html: string;
  /** A note under the explanation: the error, "Stopped", or how the prompt was built. */
  message?: string;
  /** Set when the Markdown could not be rendered: `html` then shows it as escaped plain text. */
  renderError?: string;
  stats?: CompletionStats;
}

/** The model an explanation runs on, and which of the engine's models it is. */
export type ExplainModelChoice = ExplainModel & { name?: string; path?: string; role?: ModelRole };

export interface ExplainModelProvider {
  /** The model explanations run on (tandem.explain.modelPath, else the completion model),
   *  loaded on first need. */
  ensureLoaded(): Promise<ExplainModelChoice>;
}

/** Renders a conversation with the chat template of the engine's model of that role. */
export type RoleChatTemplateRenderer = (messages: Parameters<ChatTemplateRenderer>[0], role: ModelRole) => ReturnType<ChatTemplateRenderer>;

export interface ExplainLog {
  info(line: string): void;
  error(line: string): void;
  debug?(line: string): void;
}

export interface ExplainDeps {
  engine: Pick<EngineClient, 'complete'>;
  model: ExplainModelProvider;
  /** The engine host's chat template renderer; absent = built-in renderers (ChatML, Llama 3). */
  applyChatTemplate?: RoleChatTemplateRenderer;
  /** tandem.explain.maxTokens. */
  settings?: () => { maxTokens: number };
  log?: ExplainLog;
  /** Told when an explanation starts and ends (the status bar's "generating" state). */
  activity?: { started(): void; finished(stats?: CompletionStats, error?: Error): void };
  /** Least time between two view updates while text streams in (0 = every piece). */
  renderIntervalMs?: number;
  /** Markdown to safe HTML; renderMarkdown unless a test injects a failing one. */
  renderMarkdown?: (markdown: string) => string;
}

export const DEFAULT_EXPLAIN_MAX_TOKENS = 512;

interface Run {
  id: number;
  abort: AbortController;
  /** Set when the model left the plain-prompt comment: its abort is the normal end. */
  endedByModel: boolean;
  state: ExplainState;
  /** The next view update while text streams in. */
  timer: OneShotTimer;
  /** A render failure was logged (once per explanation: it may recur on every update). */
  renderFailureLogged: boolean;
}

export class ExplainController {
  private current?: Run;
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly deps: ExplainDeps,
    private readonly view: (state: ExplainState) => void,
  ) {}

  /** The latest explanation's state (for a view that was re-created). */
  get state(): ExplainState | undefined {
    return this.current?.state;
  }

  get running(): boolean {
    const status = this.current?.state.status;
    return status === 'loading' || status === 'generating';
  }

  /** Starts explaining `input`, cancelling the explanation in progress. Resolves when done. */
  async explain(input: ExplainInput, title: string): Promise<ExplainState> {
    this.stop();
    const run: Run = {
      id: this.nextId++,
      abort: new AbortController(),
      endedByModel: false,
      state: { id: 0, title, status: 'loading', markdown: '', html: '' },
      timer: new OneShotTimer(),
      renderFailureLogged: false,
    };
    run.state.id = run.id;
    this.current = run;
    this.publish(run);
    const { signal } = run.abort;
    const log = this.deps.log;
    let stats: CompletionStats | undefined;
    let failure: Error | undefined;
    this.deps.activity?.started();
    try {
      const model = await this.deps.model.ensureLoaded();
      if (signal.aborted) return this.finish(run, 'stopped', 'Stopped.');
      const role = model.role ?? 'completion';
      const render = this.deps.applyChatTemplate;
      const prompt = await buildExplainPrompt(input, model, render && ((messages) => render(messages, role)));
      if (prompt.fallbackReason) log?.info(`explain: plain prompt (${prompt.fallbackReason})`);
      log?.debug?.(`explain: ${prompt.kind} prompt, ${prompt.prompt.length} parts, ${role} model ${model.name || model.path || '?'}`);
      if (signal.aborted) return this.finish(run, 'stopped', 'Stopped.');
      run.state = { ...run.state, status: 'generating' };
      this.publish(run);

      let generated = '';
      const result = await this.deps.engine.complete(
        { prompt: prompt.prompt, maxTokens: this.maxTokens(), stop: prompt.stop.length ? prompt.stop : undefined },
        {
          session: 'explain',
          role,
          signal,
          onText: (piece) => {
            if (this.current !== run) return;
            generated += piece;
            this.setText(run, prompt, generated);
          },
        },
      );
      stats = result.stats;
      if (this.current === run) this.setText(run, prompt, result.text || generated, true);
      const cancelled = result.stats.stopReason === 'cancelled' && !run.endedByModel;
      const note = prompt.kind === 'plain' ? 'The model has no chat template: this explanation comes from a plain prompt.' : undefined;
      return this.finish(run, cancelled ? 'stopped' : 'done', cancelled ? 'Stopped.' : note, result.stats);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      log?.error(`explain failed: ${failure.message}`);
      return this.finish(run, 'error', failure.message);
    } finally {
      this.deps.activity?.finished(stats, failure);
    }
  }

  /** Stops the explanation in progress (the engine cancels it; the text so far stays). */
  stop(): void {
    const run = this.current;
    if (run && !run.abort.signal.aborted && (run.state.status === 'loading' || run.state.status === 'generating')) {
      run.abort.abort();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
    this.current?.timer.dispose();
  }

  private maxTokens(): number {
    const n = this.deps.settings?.().maxTokens;
    return n && Number.isInteger(n) && n > 0 ? n : DEFAULT_EXPLAIN_MAX_TOKENS;
  }

  private setText(run: Run, prompt: ExplainPrompt, generated: string, final = false): void {
    let markdown = generated.trim();
    if (prompt.comment) {
      const plain = extractPlainExplanation(generated, prompt.comment);
      markdown = plain.text;
      if (plain.ended && !run.endedByModel) {
        run.endedByModel = true; // the model went back to code: the explanation is complete
        run.abort.abort();
      }
    }
    if (markdown === run.state.markdown && !final) return;
    run.state = { ...run.state, markdown, html: '' }; // rendered when published
    if (final) this.publish(run);
    else this.schedule(run);
  }

  private schedule(run: Run): void {
    const interval = this.deps.renderIntervalMs ?? 50;
    if (interval <= 0) return this.publish(run);
    if (run.timer.armed) return;
    run.timer.arm(interval, () => this.publish(run)); // publish never throws: nothing escapes the timer
  }

  private finish(run: Run, status: ExplainStatus, message?: string, stats?: CompletionStats): ExplainState {
    run.timer.clear();
    run.state = { ...run.state, status, message, stats };
    this.publish(run);
    return run.state;
  }

  /** Shows the run's state. Never throws: it runs in timers and engine callbacks, where an error
   *  would escape, and in finish(), where it would leave the view busy for good. */
  private publish(run: Run): void {
    if (this.current !== run || this.disposed) return;
    run.timer.clear();
    if (!run.state.html && run.state.markdown) run.state = { ...run.state, ...this.render(run, run.state.markdown) };
    try {
      this.view(run.state);
    } catch (err) {
      this.deps.log?.error(`explain: the view failed: ${errorMessage(err)}`);
    }
  }

  /** The HTML for `markdown`; if rendering fails, the text as escaped plain text and a note. */
  private render(run: Run, markdown: string): Pick<ExplainState, 'html' | 'renderError'> {
    try {
      return { html: (this.deps.renderMarkdown ?? renderMarkdown)(markdown), renderError: undefined };
    } catch (err) {
      const reason = errorMessage(err);
      if (!run.renderFailureLogged) this.deps.log?.error(`explain: rendering the explanation failed: ${reason}`);
      run.renderFailureLogged = true;
      return {
        html: `<pre>${escapeHtml(markdown)}</pre>`,
        renderError: `The explanation could not be formatted (${reason}); it is shown as plain text.`,
      };
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
