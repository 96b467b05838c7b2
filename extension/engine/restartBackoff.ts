// When to restart the engine host after it died: quickly the first time, then doubling up to a
// ceiling so a crash loop (a model that kills the process on load) can't spin. A process that ran
// healthily for a while earns a fresh start. And when to stop loading a model again: one that
// crashed the engine while loading, or MAX_MODEL_CRASHES times in a row, is given up (CrashStreak).
// Pure: the caller passes the clock.

export interface BackoffOptions {
  /** Delay before the first restart. */
  initialMs: number;
  /** Ceiling of the doubling delay. */
  maxMs: number;
  /** A process that lived at least this long before dying counts as healthy: delays reset. */
  healthyAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, healthyAfterMs: 60_000 };

export class RestartBackoff {
  private readonly options: BackoffOptions;
  private consecutiveCrashes = 0;
  private startedAt: number | undefined;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
  }

  /** The process was started at `now`. */
  started(now: number): void {
    this.startedAt = now;
  }

  /** The process died at `now`; returns how long to wait before starting it again. */
  crashed(now: number): number {
    const lived = this.startedAt === undefined ? 0 : now - this.startedAt;
    if (lived >= this.options.healthyAfterMs) this.consecutiveCrashes = 0;
    this.startedAt = undefined;
    const delay = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.consecutiveCrashes);
    this.consecutiveCrashes++;
    return delay;
  }

  /** Forget past crashes (a restart the user asked for). */
  reset(): void {
    this.consecutiveCrashes = 0;
  }

  get crashes(): number {
    return this.consecutiveCrashes;
  }
}

/** Crashes in a row with the same model loaded (no completion finished between them) after which
 *  it is not loaded again. */
export const MAX_MODEL_CRASHES = 3;

/** The crash-streak rule. */
export class CrashStreak {
  private path = '';
  private count = 0;

  /** The engine died with the model `path` wanted (`whileLoading`: a load of it was pending).
   *  giveUp: do not load it again; streak: the crashes in a row with it (0 for a crash while
   *  loading, which gives up at once). */
  crashed(path: string, whileLoading: boolean): { giveUp: boolean; streak: number } {
    if (whileLoading) {
      this.reset();
      return { giveUp: true, streak: 0 };
    }
    this.count = this.path === path ? this.count + 1 : 1;
    this.path = path;
    const streak = this.count;
    if (streak < MAX_MODEL_CRASHES) return { giveUp: false, streak };
    this.reset();
    return { giveUp: true, streak };
  }

  /** A completion finished: the model works, the streak is broken. */
  modelWorked(): void {
    this.count = 0;
  }

  /** Forget past crashes (a restart the user asked for, or a give-up). */
  reset(): void {
    this.path = '';
    this.count = 0;
  }
}
