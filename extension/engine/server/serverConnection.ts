// The server engine the settings ask for: with `tandem.engine.kind` = server, one ServerEngine for
// the checked `tandem.engine.serverUrl`, made again when the URL changes (or on Restart Engine,
// which also forgets a declined consent and a failure's retry time). An unusable URL is a
// 'config' failure of its own, reported once per URL. Consent is asked before the first request
// to a host and the API key read first (both arrive as functions: no vscode here).
import { Disposable, DisposableStore } from '../../common/disposable';
import { Emitter, Event } from '../../common/emitter';
import { ServerEngine, ServerState } from './serverEngine';
import { ServerError } from './serverErrors';
import { ServerTarget, ServerUrlError, parseServerUrl } from './serverUrl';

export const ENGINE_KINDS = ['local', 'server'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export interface ServerSettings {
  kind: EngineKind;
  serverUrl: string;
}

export interface ServerConnectionDeps {
  settings: () => ServerSettings;
  /** The stored API key of a server (by origin), or undefined. */
  apiKey: (target: ServerTarget) => Promise<string | undefined>;
  /** Whether the user agrees to send code to this host (asked at most once per host). */
  consent: (target: ServerTarget) => Promise<boolean>;
  log?: (line: string) => void;
  /** For tests: the engine's retry pauses. */
  retry?: ConstructorParameters<typeof ServerEngine>[0]['retry'];
}

/** What the status bar shows of the server (ui/statusView.ts). */
export interface ServerStatus {
  host: string;
  state: ServerState['kind'] | 'config';
  /** The server's model, once read. */
  model?: string;
  slots?: number;
  error?: string;
}

export class ServerConnection implements Disposable {
  private current?: { url: string; engine: ServerEngine; store: DisposableStore; key?: string };
  private urlError?: { url: string; error: ServerError };
  /** The kind as of the last settingsChanged() (read on every keystroke: no settings lookup). */
  private kind: EngineKind = 'local';
  private readonly changed = new Emitter<void>();
  private readonly failures = new Emitter<ServerError>();

  /** The engine was replaced or its state changed. */
  readonly onDidChange: Event<void> = this.changed.event;
  /** A failure to tell the user about (once per kind and engine until it recovers). */
  readonly onDidFail: Event<ServerError> = this.failures.event;

  /** Call settingsChanged() once listeners are attached, to act on the current settings. */
  constructor(private readonly deps: ServerConnectionDeps) {}

  /** `tandem.engine.kind` is server. */
  get active(): boolean {
    return this.kind === 'server';
  }

  /** The server engine, while kind is server and the URL is usable. */
  get engine(): ServerEngine | undefined {
    return this.active ? this.current?.engine : undefined;
  }

  /** The engine, or the reason there is none (a ServerError to throw). */
  requireEngine(): ServerEngine {
    const engine = this.engine;
    if (engine) return engine;
    if (this.urlError) throw this.urlError.error;
    throw new ServerError('Tandem is not set to use a server (tandem.engine.kind is local).', 'config');
  }

  /** Settings changed: make, replace or drop the engine to match them. */
  settingsChanged(): void {
    const { kind, serverUrl } = this.deps.settings();
    this.kind = kind;
    if (kind !== 'server') {
      this.drop();
      this.urlError = undefined;
      this.changed.fire();
      return;
    }
    const url = serverUrl.trim();
    if (this.current?.url === url) return;
    this.drop();
    let target: ServerTarget;
    try {
      target = parseServerUrl(url);
    } catch (err) {
      const message = err instanceof ServerUrlError ? err.message : String(err);
      const repeated = this.urlError?.url === url;
      this.urlError = { url, error: new ServerError(message, 'config') };
      this.deps.log?.(`tandem.engine.serverUrl: ${message}`);
      if (!repeated) this.failures.fire(this.urlError.error);
      this.changed.fire();
      return;
    }
    this.urlError = undefined;
    this.create(url, target);
  }

  /** Restart Engine: a fresh engine for the same URL (asks again if declined, retries at once). */
  restart(): void {
    this.drop();
    this.urlError = undefined;
    this.settingsChanged();
  }

  status(): ServerStatus | undefined {
    if (!this.active) return undefined;
    if (this.urlError) return { host: this.urlError.url || '(no URL)', state: 'config', error: this.urlError.error.message };
    const engine = this.current?.engine;
    if (!engine) return undefined;
    const state = engine.state;
    const model = engine.loadedModel;
    return {
      host: engine.target.host,
      state: state.kind,
      model: model?.serverModel,
      slots: model?.slots,
      error: state.kind === 'error' ? state.error.message : undefined,
    };
  }

  dispose(): void {
    this.drop();
    this.changed.dispose();
    this.failures.dispose();
  }

  private create(url: string, target: ServerTarget): void {
    const store = new DisposableStore();
    const entry: { url: string; engine: ServerEngine; store: DisposableStore; key?: string } = {
      url,
      store,
      engine: undefined as unknown as ServerEngine,
    };
    let keyRead: Promise<void> | undefined;
    const readKey = () =>
      (keyRead ??= this.deps.apiKey(target).then(
        (key) => void (entry.key = key),
        () => undefined,
      ));
    entry.engine = store.add(
      new ServerEngine({
        target,
        apiKey: () => entry.key,
        // the key is read before the first request (and again by keyChanged)
        consent: async (t) => {
          await readKey();
          return this.deps.consent(t);
        },
        log: this.deps.log,
        retry: this.deps.retry,
      }),
    );
    store.add(entry.engine.onDidChangeState(() => this.changed.fire()));
    store.add(entry.engine.onDidFail((error) => this.failures.fire(error)));
    this.current = entry;
    this.changed.fire();
  }

  /** The stored API key changed (Set Server API Key): a fresh engine reads it, and a failure
   *  that a wrong key caused is retried at once. */
  keyChanged(): void {
    if (this.current) this.restart();
  }

  private drop(): void {
    const current = this.current;
    this.current = undefined;
    current?.store.dispose();
  }
}
