// Typed errors of the engine as seen from TypeScript: every failure carries a code the UI and the
// CLI can act on, plus a message meant for people.
import type { ErrorCode, WireError } from './protocol';

export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
  ) {
    super(message);
    this.name = 'EngineError';
  }

  toWire(): WireError {
    return { message: this.message, code: this.code };
  }
}

/** The engine host process died (crash, out of memory, killed) while a request was pending. */
export class EngineCrashedError extends EngineError {
  constructor(
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    restarting: boolean,
  ) {
    const how = signal ? `with signal ${signal}` : `with code ${exitCode ?? 'unknown'}`;
    super(`Tandem's engine process exited ${how}${restarting ? '; it is restarting' : ''}.`, 'ENGINE_CRASHED');
    this.name = 'EngineCrashedError';
  }
}

export function engineErrorFromWire(error: WireError): EngineError {
  return new EngineError(error.message, error.code);
}

export function isAbortLike(err: unknown): boolean {
  return err instanceof EngineError && err.code === 'ABORTED';
}

/** A model load that was cancelled or superseded (not the model's fault). */
export function loadCancelledError(): EngineError {
  return new EngineError('Model load was cancelled.', 'ABORTED');
}

/** The engine was shut down (EngineClient disposed). */
export function engineStoppedError(): EngineError {
  return new EngineError("Tandem's engine was shut down.", 'ENGINE_STOPPED');
}
