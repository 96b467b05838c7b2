// A typed event source whose subscriptions are Disposables (mirrors vscode.EventEmitter).
import { Disposable, toDisposable } from './disposable';

export type Event<T> = (listener: (value: T) => void) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return toDisposable(() => this.listeners.delete(listener));
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        // a faulty listener must not break the source or the other listeners
        console.error('[tandem] event listener failed:', err);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
