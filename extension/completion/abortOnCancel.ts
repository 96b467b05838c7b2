// vscode.CancellationToken → AbortSignal, so cancellation of a completion request reaches the
// engine's decode loop (EngineClient sends a cancel message when the signal aborts).
import type * as vscode from 'vscode';
import type { Disposable } from '../common/disposable';

export interface LinkedAbort extends Disposable {
  readonly signal: AbortSignal;
}

export function abortOnCancel(token: vscode.CancellationToken): LinkedAbort {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  const listener = token.onCancellationRequested(() => controller.abort());
  return {
    signal: controller.signal,
    dispose: () => {
      listener.dispose();
    },
  };
}
