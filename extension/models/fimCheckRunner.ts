// Runs the FIM check (fimCheck.ts) once per model file: after a completion model loads, its
// known prompt goes through the real engine, at low priority, and the verdict is remembered by the
// file's path, size and modification time, so a file is checked (and warned about) once, not on
// every load or start. The request runs on the 'explain' session of the completion model: the
// engine's scheduler runs such work only while no completion is queued or running and preempts
// it within a forward pass for one (scheduler.ts), so ghost text does not wait for the check.
// (With a separate explain model, that session of the completion model exists for this check
// only, in the session the file is first loaded.) A newer model, or dispose(), aborts a check in
// flight; an aborted or failed check is not remembered and runs on the next load. No vscode: the
// memory and the file system come in as functions.
import type { Disposable } from '../common/disposable';
import { hasFimTokens } from '../context/fimPrompt';
import type { EngineClient } from '../engine/client';
import type { ModelInfo } from '../engine/native';
import { FIM_CHECK_MAX_TOKENS, FimCheckVerdict, fimCheckPrompt, judgeFimAnswer } from './fimCheck';

/** What is remembered of a checked file. */
export interface FimCheckRecord {
  chatLike: boolean;
  /** Date.now() of the check. */
  checkedAt: number;
}

/** Where verdicts are kept (VS Code's globalState in the extension, a Map in tests). */
export interface FimCheckMemory {
  recall(key: string): FimCheckRecord | undefined;
  remember(key: string, record: FimCheckRecord): Promise<void>;
}

export interface FimCheckRunnerOptions {
  engine: Pick<EngineClient, 'complete'>;
  memory: FimCheckMemory;
  /** The model file's size and modification time (fs.promises.stat). */
  statFile(path: string): Promise<{ size: number; mtimeMs: number }>;
}

export type FimCheckOutcome =
  | { kind: 'checked'; verdict: FimCheckVerdict; answer: string }
  /** This file was checked before (this session or an earlier one). */
  | { kind: 'known'; record?: FimCheckRecord }
  /** Not checked now: the file is unreadable, the model has no FIM tokens, the check was aborted
   *  or failed. It runs on the next load. */
  | { kind: 'skipped'; reason: string };

/** The identity of a model file's contents, as far as a cheap stat can tell. */
export function fimCheckKey(path: string, file: { size: number; mtimeMs: number }): string {
  return `${path}|${file.size}|${Math.round(file.mtimeMs)}`;
}

/** A check in flight: its abort, and the file it checks once that is known. */
interface RunningCheck {
  controller: AbortController;
  key?: string;
}

export class FimCheckRunner implements Disposable {
  private running?: RunningCheck;
  /** Keys checked or being checked in this session (the memory may not have them yet). */
  private readonly started = new Set<string>();

  constructor(private readonly options: FimCheckRunnerOptions) {}

  /** Checks the model just loaded, unless its file has been checked before. */
  async check(info: ModelInfo): Promise<FimCheckOutcome> {
    this.stop(); // the model being checked has been replaced
    const run: RunningCheck = { controller: new AbortController() };
    this.running = run;
    try {
      return await this.run(info, run);
    } finally {
      if (this.running === run) this.running = undefined;
    }
  }

  private async run(info: ModelInfo, run: RunningCheck): Promise<FimCheckOutcome> {
    const signal = run.controller.signal;
    if (!hasFimTokens(info.fim)) return { kind: 'skipped', reason: 'the model has no fill-in-the-middle tokens' };
    let key: string;
    try {
      key = fimCheckKey(info.path, await this.options.statFile(info.path));
    } catch (err) {
      return { kind: 'skipped', reason: `cannot read the model file: ${message(err)}` };
    }
    if (signal.aborted) return stopped();
    const record = this.options.memory.recall(key);
    if (record || this.started.has(key)) return { kind: 'known', record };
    this.started.add(key);
    run.key = key;
    try {
      const result = await this.options.engine.complete(
        { prompt: fimCheckPrompt(info), maxTokens: FIM_CHECK_MAX_TOKENS },
        { signal, session: 'explain' },
      );
      if (signal.aborted || result.stats.stopReason === 'cancelled') return this.failed(run, stopped());
      const verdict = judgeFimAnswer(info, result.text);
      // a verdict that cannot be stored still counts now; the file is checked again next session
      await this.options.memory.remember(key, { chatLike: verdict.chatLike, checkedAt: Date.now() }).catch(() => undefined);
      return { kind: 'checked', verdict, answer: result.text };
    } catch (err) {
      return this.failed(run, { kind: 'skipped', reason: `the check failed: ${message(err)}` });
    }
  }

  /** Not checked after all: the next load checks the file again. */
  private failed(run: RunningCheck, outcome: FimCheckOutcome): FimCheckOutcome {
    // a stopped run's key was released by stop() and may belong to a newer run by now
    if (this.running === run && run.key) this.started.delete(run.key);
    return outcome;
  }

  private stop(): void {
    const run = this.running;
    if (!run) return;
    this.running = undefined;
    run.controller.abort();
    if (run.key) this.started.delete(run.key);
  }

  dispose(): void {
    this.stop();
  }
}

function stopped(): FimCheckOutcome {
  return { kind: 'skipped', reason: 'stopped: another model was loaded, or Tandem is shutting down' };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
