// The load-and-remember-failure logic of the engine's model sources (ActiveModel: the completion
// model; ExplainModelSource: a separate explain model). For the settings wanted now: a failure
// remembered for them is reported again (a broken model yields one error and one onLoadFailed, not
// one per request, until the settings change or retry()); the model the engine holds is used when
// it matches; a load in flight for them is shared; otherwise a load starts. A load superseded by a
// newer one is not reported as failed. No vscode and no engine: the owner says how to compare
// settings, what the engine holds and how to load.
import type { Disposable } from '../common/disposable';
import { Emitter, Event } from '../common/emitter';
import type { ModelInfo } from '../engine/native';

/** The failure a load rejected with, as an Error; undefined when it was cancelled or the engine
 *  shut down, which is not the model's fault. A crash while loading counts (retrying it per
 *  keystroke would be a crash loop). */
export function loadFailureError(error: unknown): Error | undefined {
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as { code?: unknown }).code;
  return code === 'ABORTED' || code === 'ENGINE_STOPPED' ? undefined : err;
}

export interface LoadFailure<S> {
  settings: S;
  error: Error;
}

/** A model the engine holds, by the settings it was loaded with. */
export interface SourcedModel<S> {
  settings: S;
  info: ModelInfo;
}

/** What ensure() does for the wanted settings (the decision, apart from doing it). */
export type ModelLoadAction =
  { kind: 'useLoaded'; info: ModelInfo } | { kind: 'reportFailure'; error: Error } | { kind: 'awaitLoading' } | { kind: 'load' };

export interface ModelSourceState<S> {
  loaded?: SourcedModel<S>;
  failure?: LoadFailure<S>;
  /** Settings of the load in flight. */
  loading?: S;
}

/** A failure remembered for the wanted settings comes first: a model that loaded but failed its
 *  check (no FIM) stays failed. */
export function decideModelLoad<S>(wanted: S, state: ModelSourceState<S>, same: (a: S, b: S) => boolean): ModelLoadAction {
  if (state.failure && same(state.failure.settings, wanted)) return { kind: 'reportFailure', error: state.failure.error };
  if (state.loaded && same(state.loaded.settings, wanted)) return { kind: 'useLoaded', info: state.loaded.info };
  if (state.loading && same(state.loading, wanted)) return { kind: 'awaitLoading' };
  return { kind: 'load' };
}

export interface ModelSourceOptions<S> {
  same: (a: S, b: S) => boolean;
  /** The model the engine holds for this source's role now. */
  loaded(): SourcedModel<S> | undefined;
  /** Loads (and checks) a model with these settings; a rejection is a failed load. */
  load(settings: S): Promise<ModelInfo>;
}

export class ModelSource<S extends object> implements Disposable {
  private loading?: { settings: S; promise: Promise<ModelInfo> };
  private failure?: LoadFailure<S>;
  private readonly failed = new Emitter<LoadFailure<S>>();
  private readonly succeeded = new Emitter<SourcedModel<S>>();

  /** Fires once per failed load (not for the remembered failure handed to later callers). */
  readonly onLoadFailed: Event<LoadFailure<S>> = this.failed.event;
  /** Fires once per successful load. */
  readonly onLoaded: Event<SourcedModel<S>> = this.succeeded.event;

  constructor(private readonly options: ModelSourceOptions<S>) {}

  /** The model for `wanted`: the one loaded, the load in flight, a new load, or the remembered
   *  failure. */
  ensure(wanted: S): Promise<ModelInfo> {
    const action = this.decide(wanted);
    switch (action.kind) {
      case 'useLoaded':
        return Promise.resolve(action.info);
      case 'reportFailure':
        return Promise.reject(action.error);
      case 'awaitLoading':
        return this.loading!.promise;
      case 'load':
        return this.load(wanted);
    }
  }

  /** The model for `wanted` when the engine holds it now and it has not failed (never loads). */
  current(wanted: S): ModelInfo | undefined {
    const action = this.decide(wanted);
    return action.kind === 'useLoaded' ? action.info : undefined;
  }

  /** Settings of the load in flight. */
  get loadingSettings(): S | undefined {
    return this.loading?.settings;
  }

  /** The wanted settings changed: a failure remembered for others is forgotten. */
  settingsChanged(wanted: S): void {
    if (this.failure && !this.options.same(this.failure.settings, wanted)) this.failure = undefined;
  }

  /** Remembers `error` as the failure of `settings` and reports it (a model the engine gave up). */
  fail(settings: S, error: Error): void {
    this.failure = { settings, error };
    this.failed.fire(this.failure);
  }

  /** Forget a remembered failure (after "Restart Engine", or the file was fixed). */
  retry(): void {
    this.failure = undefined;
  }

  /** The load in flight is no longer wanted (its model is being freed): it is not awaited, and
   *  its failure is not reported. */
  abandonLoading(): void {
    this.loading = undefined;
  }

  /** Starts a load of `requested` (a snapshot of it: the caller's object may change later). */
  load(requested: S): Promise<ModelInfo> {
    const settings = { ...requested };
    const promise = this.options.load(settings);
    const loading = { settings, promise };
    this.loading = loading;
    promise.then(
      (info) => {
        if (this.loading === loading) this.loading = undefined;
        this.succeeded.fire({ settings, info });
      },
      (error: unknown) => {
        if (this.loading !== loading) return; // superseded by a newer setting: not this one's failure
        this.loading = undefined;
        const err = loadFailureError(error);
        if (err) this.fail(settings, err);
      },
    );
    return promise;
  }

  dispose(): void {
    this.failed.dispose();
    this.succeeded.dispose();
  }

  private decide(wanted: S): ModelLoadAction {
    return decideModelLoad(
      wanted,
      { loaded: this.options.loaded(), failure: this.failure, loading: this.loading?.settings },
      this.options.same,
    );
  }
}
