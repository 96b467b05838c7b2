// The engine host's scheduler: which request gets the machine when several want it. Completions
// (one per keystroke) come first, explanations yield to them and resume, pre-warms come last.
//
// * A completion never waits for an explanation or a pre-warm: its arrival cancels the pre-warm
//   and preempts the explanation decodes running (cancelled within a forward pass).
// * An explanation runs as a series of decodes. It starts, and resumes after a preemption from
//   prompt + the tokens generated so far (the session's KV reuse makes the resume cost about one
//   token), only while no completion is queued or running and none ended in the last
//   EXPLAIN_RESUME_QUIET_MS.
// * A pre-warm runs only while nothing else is queued or running; a newer one replaces it.
//
// Sessions and their queues are the host service's; this decides when and whether work runs.
// The clock is injectable, so it can be driven deterministically.
import type { CompletionResult, NativeCancelFlag } from './native';
import { WireCompletionRequest, cancelledResult } from './protocol';

/** How long completions must have been quiet before an explanation starts or resumes. */
export const EXPLAIN_RESUME_QUIET_MS = 250;

export interface SchedulerClock {
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** An explanation's cancel flag: it also reaches the flag of the decode running for it now, and
 *  wakes it while it waits for completions to go quiet. */
export class RequestCancelFlag implements NativeCancelFlag {
  cancelled = false;
  current?: NativeCancelFlag;
  wake?: () => void;
  cancel(): void {
    this.cancelled = true;
    this.current?.cancel();
    this.wake?.();
  }
}

/** How an explanation's decodes run (on its session, which the caller owns). */
export interface ExplanationSteps {
  createFlag(): NativeCancelFlag;
  /** Throws when the work can no longer run (its model was unloaded). */
  ensureOpen(): void;
  /** One decode of `request`, cancelled through `flag`. */
  decode(request: WireCompletionRequest, flag: NativeCancelFlag): Promise<CompletionResult>;
}

export class EngineScheduler {
  /** Completion requests queued or running. */
  private completionsActive = 0;
  private lastCompletionEndedAt = -Infinity;
  private readonly quietWaiters = new Set<() => void>();
  private quietTimer?: unknown;
  /** Decode flags of explanations running now, cancelled when a completion arrives. */
  private readonly preemptible = new Map<NativeCancelFlag, { preempted: boolean }>();
  /** Cancel flag of the pre-warm queued or running now. */
  private prewarm?: NativeCancelFlag;
  private closed = false;
  /** Explanation decodes preempted so far (for tests and logs). */
  preemptions = 0;
  /** Pre-warms cancelled for a completion (for tests and logs). */
  prewarmsPreempted = 0;

  constructor(
    private readonly clock: SchedulerClock = systemClock,
    private readonly quietMs = EXPLAIN_RESUME_QUIET_MS,
  ) {}

  // ── completions ─────────────────────────────────────────────────────────────────────────────

  /** A completion was queued: it preempts the pre-warm and the explanations. */
  completionStarted(): void {
    this.completionsActive++;
    if (this.prewarm && !this.prewarm.cancelled) {
      this.prewarm.cancel();
      this.prewarmsPreempted++;
    }
    this.clearQuietTimer();
    for (const [flag, mark] of this.preemptible) {
      mark.preempted = true;
      flag.cancel();
    }
  }

  /** A completion finished (or failed, or was cancelled). */
  completionEnded(): void {
    this.completionsActive = Math.max(0, this.completionsActive - 1);
    this.lastCompletionEndedAt = this.clock.now();
    if (this.completionsActive === 0 && this.quietWaiters.size > 0) this.armQuietTimer();
  }

  // ── pre-warms ───────────────────────────────────────────────────────────────────────────────

  /** A pre-warm was queued: it replaces the one before, and is cancelled at once when anything
   *  else is queued or running (it uses an idle machine only; it is skipped, not queued). */
  prewarmQueued(cancel: NativeCancelFlag): void {
    this.prewarm?.cancel();
    this.prewarm = cancel;
    if (this.busy()) cancel.cancel();
  }

  /** Whether a pre-warm may start now (its turn on the session came). */
  prewarmMayStart(cancel: NativeCancelFlag): boolean {
    return !cancel.cancelled && !this.busy();
  }

  prewarmEnded(cancel: NativeCancelFlag): void {
    if (this.prewarm === cancel) this.prewarm = undefined;
  }

  // ── explanations ────────────────────────────────────────────────────────────────────────────

  /** Runs an explanation: waits while completions are busy and yields to any that arrives,
   *  resuming afterwards from the tokens generated so far. Resolves with the whole result (a stop
   *  string is cut even where it straddles two decodes); cancelled: what was generated so far. */
  async runExplanation(cancel: RequestCancelFlag, request: WireCompletionRequest, steps: ExplanationSteps): Promise<CompletionResult> {
    const started = this.clock.now();
    const generated: number[] = [];
    let text = '';
    let carried: number[] | undefined; // an unfinished UTF-8 character where a decode was cut
    let stats: CompletionResult['stats'] | undefined;
    for (;;) {
      await this.completionsQuiet(cancel);
      if (cancel.cancelled) break;
      steps.ensureOpen();
      const remaining = request.maxTokens - generated.length;
      const budget = request.timeBudgetMs ? request.timeBudgetMs - (this.clock.now() - started) : undefined;
      if (remaining <= 0 || (budget !== undefined && budget <= 0)) {
        if (stats) stats.stopReason = remaining <= 0 ? 'maxTokens' : 'timeBudget';
        break;
      }
      const part: WireCompletionRequest = {
        ...request,
        carriedBytes: carried,
        prompt: [...request.prompt, ...generated],
        maxTokens: remaining,
      };
      if (budget !== undefined) part.timeBudgetMs = budget;
      else delete part.timeBudgetMs;
      const decode = steps.createFlag();
      const mark = { preempted: false };
      cancel.current = decode;
      this.preemptible.set(decode, mark);
      let result: CompletionResult;
      try {
        result = await steps.decode(part, decode);
      } finally {
        this.preemptible.delete(decode);
        cancel.current = undefined;
      }
      generated.push(...result.tokens);
      text += result.text;
      carried = result.pendingBytes;
      stats = mergeStats(stats, result.stats);
      if (!(result.stats.stopReason === 'cancelled' && mark.preempted && !cancel.cancelled)) break;
      this.preemptions++;
    }
    if (cancel.cancelled) return { text, tokens: generated, stats: { ...(stats ?? cancelledResult().stats), stopReason: 'cancelled' } };
    return truncateAtStop({ text, tokens: generated, stats: stats ?? cancelledResult().stats }, request.stop);
  }

  /** The host is shutting down: nothing waits for quiet any more. */
  close(): void {
    this.closed = true;
    this.clearQuietTimer();
  }

  /** Anything but a pre-warm queued or running. */
  private busy(): boolean {
    return this.completionsActive > 0 || this.preemptible.size > 0;
  }

  /** Resolves once no completion is queued or running and none ended in the last moment (or the
   *  request is cancelled). */
  private completionsQuiet(cancel: RequestCancelFlag): Promise<void> {
    if (cancel.cancelled || this.closed) return Promise.resolve();
    if (this.completionsActive === 0 && this.clock.now() - this.lastCompletionEndedAt >= this.quietMs) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.quietWaiters.delete(wake);
        cancel.wake = undefined;
        resolve();
      };
      cancel.wake = wake;
      this.quietWaiters.add(wake);
      if (this.completionsActive === 0) this.armQuietTimer();
    });
  }

  private armQuietTimer(): void {
    this.clearQuietTimer();
    const wait = Math.max(0, this.quietMs - (this.clock.now() - this.lastCompletionEndedAt));
    this.quietTimer = this.clock.setTimer(() => {
      this.quietTimer = undefined;
      if (this.completionsActive > 0) return;
      const waiters = [...this.quietWaiters];
      this.quietWaiters.clear();
      for (const wake of waiters) wake();
    }, wait);
  }

  private clearQuietTimer(): void {
    if (this.quietTimer !== undefined) this.clock.clearTimer(this.quietTimer);
    this.quietTimer = undefined;
  }
}

/** Stats of a request run as several decodes: prompt and reuse from the first, sums of the rest,
 *  stop reason from the last. */
function mergeStats(total: CompletionResult['stats'] | undefined, part: CompletionResult['stats']): CompletionResult['stats'] {
  if (!total) return { ...part };
  return {
    ...total,
    prefillMs: total.prefillMs + part.prefillMs,
    generatedTokens: total.generatedTokens + part.generatedTokens,
    decodeMs: total.decodeMs + part.decodeMs,
    firstTokenMs: total.firstTokenMs || part.firstTokenMs,
    stopReason: part.stopReason,
  };
}

/** A stop string can straddle two decodes of a resumed request: cut there. */
function truncateAtStop(result: CompletionResult, stop: readonly string[] | undefined): CompletionResult {
  if (!stop?.length) return result;
  let cut = -1;
  for (const s of stop) {
    const at = result.text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  if (cut < 0) return result;
  return { ...result, text: result.text.slice(0, cut), stats: { ...result.stats, stopReason: 'stop' } };
}
