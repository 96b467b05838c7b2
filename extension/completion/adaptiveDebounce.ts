// How long to wait after a keystroke before asking the engine, from the user's own typing rhythm:
// a little longer than the usual gap between their keystrokes (so a burst of typing does not
// start a request per character), within [minMs, maxMs]. Answers served from the cache or from a
// generation already running are not debounced at all (the provider checks those first).
import type { Disposable } from '../common/disposable';

export interface DebounceOptions {
  minMs: number;
  maxMs: number;
  /** Delay before any rhythm is known. */
  initialMs: number;
  /** Gaps longer than this are pauses, not typing rhythm. */
  pauseMs: number;
  /** Keystroke gaps remembered. */
  window: number;
  /** The delay is this multiple of the median gap. */
  factor: number;
}

export const DEFAULT_DEBOUNCE: DebounceOptions = { minMs: 100, maxMs: 350, initialMs: 150, pauseMs: 1500, window: 16, factor: 1.3 };

export class AdaptiveDebounce {
  private readonly gaps: number[] = [];
  private lastKeystrokeAt?: number;

  constructor(readonly options: DebounceOptions = DEFAULT_DEBOUNCE) {}

  /** A keystroke (a provider call caused by typing) happened at `now` (ms). */
  keystroke(now: number): void {
    if (this.lastKeystrokeAt !== undefined) {
      const gap = now - this.lastKeystrokeAt;
      if (gap > 0 && gap < this.options.pauseMs) {
        this.gaps.push(gap);
        if (this.gaps.length > this.options.window) this.gaps.shift();
      }
    }
    this.lastKeystrokeAt = now;
  }

  /** The delay before the engine is asked. */
  delayMs(): number {
    const { minMs, maxMs, initialMs, factor } = this.options;
    if (this.gaps.length < 3) return initialMs;
    const sorted = [...this.gaps].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    return Math.round(Math.min(maxMs, Math.max(minMs, median * factor)));
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (the timer is cleared: nothing is
 *  left running). */
export function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A single-shot timer that can be re-armed and is cleared on dispose. */
export class OneShotTimer implements Disposable {
  private timer?: NodeJS.Timeout;

  arm(ms: number, fire: () => void): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fire();
    }, ms);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  dispose(): void {
    this.clear();
  }
}
