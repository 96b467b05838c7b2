// The engine host as a child process, and its supervision. HostProcess is one forked process: its
// IPC channel, its output lines, and stopping it (channel closed, SIGKILL after a grace period).
// HostSupervisor keeps one running for EngineClient: it starts it lazily (the first request waits
// for it), and after a crash starts the next one with backoff (restartBackoff.ts) — at once when
// the client has something to restore, else on the next request. What the client restores (the
// model) and how it reads a crash (the crash-streak rule) stay with the client, through hooks.
import { ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { EngineError, engineStoppedError } from './errors';
import type { ClientMessage, EngineLogLevel } from './protocol';
import { BackoffOptions, RestartBackoff } from './restartBackoff';

export interface HostProcessOptions {
  /** The host entry script: out/engineHost.js, or out/test-build/extension/engine/host.js. */
  hostScript: string;
  /** tandem.node to load (else the host looks beside itself and in the build tree). */
  addonPath?: string;
  env?: NodeJS.ProcessEnv;
  backoff?: Partial<BackoffOptions>;
  /** How long a stopping host gets before SIGKILL. */
  killGraceMs?: number;
}

interface HostProcessEvents {
  message(raw: unknown): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  log(line: string): void;
}

export class HostProcess {
  private readonly child: ChildProcess;
  exited = false;
  /** Set when we stop it on purpose: its exit is not a crash. */
  stopping = false;
  private readonly exitWaiters: (() => void)[] = [];

  constructor(
    script: string,
    env: NodeJS.ProcessEnv,
    private readonly events: HostProcessEvents,
  ) {
    // ELECTRON_RUN_AS_NODE: inside VS Code, process.execPath is Electron; this makes it plain Node.
    // execArgv []: don't inherit the editor's or mocha's flags (an --inspect port would clash).
    const child = fork(script, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
      execArgv: [],
      serialization: 'json',
    });
    this.child = child;
    forwardLines(child.stdout, (line) => events.log(line));
    forwardLines(child.stderr, (line) => events.log(line));
    child.on('message', (raw) => events.message(raw));
    child.on('exit', (code, signal) => this.onExit(code, signal));
    child.on('error', (err) => {
      events.log(`engine host process error: ${err.message}`);
      // a process that never started emits no 'exit'
      if (child.pid === undefined) this.onExit(null, null);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: ClientMessage): void {
    if (!this.child.connected) return; // its exit rejects whatever is pending
    this.child.send(message, (err) => {
      if (err) this.events.log(`could not send ${message.type} to the engine host: ${err.message}`);
    });
  }

  /** Resolves once the process has exited. */
  whenExited(): Promise<void> {
    return new Promise((resolve) => {
      if (this.exited) resolve();
      else this.exitWaiters.push(resolve);
    });
  }

  /** Stops it on purpose; resolves once it exited. */
  stop(killGraceMs: number): Promise<void> {
    this.stopping = true;
    const exited = this.whenExited();
    if (!this.exited) {
      // the host frees its model and exits when the channel closes; SIGKILL if it doesn't
      const killTimer = setTimeout(() => this.child.kill('SIGKILL'), killGraceMs);
      killTimer.unref();
      this.exitWaiters.push(() => clearTimeout(killTimer));
      if (this.child.connected) this.child.disconnect();
      else this.child.kill('SIGTERM');
    }
    return exited;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    for (const wake of this.exitWaiters.splice(0)) wake();
    this.events.exit(code, signal);
  }
}

export interface SupervisorHooks {
  /** A process is about to start (nothing has been sent to it yet). */
  starting(): void;
  /** It runs: bring it to what the client wants (the model). A rejection fails the start. */
  started(): Promise<void>;
  /** The host script is missing; the start fails with `error`. */
  startFailed(error: EngineError): void;
  /** The running process died on its own; the next may start `delayMs` from now. The client
   *  fails what was pending; true: start the next one now (else the next request starts it). */
  crashed(code: number | null, signal: NodeJS.Signals | null, delayMs: number): boolean;
  /** The process is being stopped on purpose: what was pending fails with `reason`. */
  stopping(reason: EngineError): void;
  message(raw: unknown): void;
  log(line: string): void;
}

const noop = (): void => undefined;

export class HostSupervisor {
  private current?: HostProcess;
  /** Settles once a host runs (and was brought to what the client wants); requests wait on it. */
  private ready?: Promise<void>;
  private nextStartDelayMs = 0;
  private restartTimer?: NodeJS.Timeout;
  private wakeRestartSleep?: () => void;
  private readonly backoff: RestartBackoff;
  private disposed = false;
  /** llama.cpp's log level for the hosts started from now on. */
  logLevel?: EngineLogLevel;

  constructor(
    private readonly options: HostProcessOptions,
    private readonly hooks: SupervisorHooks,
  ) {
    this.backoff = new RestartBackoff(options.backoff);
  }

  /** The host process, while one runs (or is exiting without our knowing yet). */
  get host(): HostProcess | undefined {
    return this.current;
  }

  /** Waits for a usable host; false when the signal aborted first. */
  async waitReady(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    const ready = this.ensureReady();
    if (!signal) {
      await ready;
      return true;
    }
    let onAbort = noop;
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([ready.then(() => true as const), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the host (what is pending fails with `reason`), forgets past crashes and starts a
   *  fresh one at once. */
  async restart(reason: EngineError): Promise<void> {
    if (this.disposed) throw engineStoppedError();
    this.backoff.reset();
    this.cancelRestartSleep();
    const host = this.current;
    if (host) await this.stop(host, reason);
    this.nextStartDelayMs = 0;
    await this.beginStart();
  }

  /** Stops the host for good; nothing starts again. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelRestartSleep();
    const host = this.current;
    if (host) void this.stop(host, engineStoppedError());
  }

  private ensureReady(): Promise<void> {
    if (this.disposed) return Promise.reject(engineStoppedError());
    return this.ready ?? this.beginStart();
  }

  private beginStart(): Promise<void> {
    const delay = this.nextStartDelayMs;
    this.nextStartDelayMs = 0;
    const started: Promise<void> = this.start(delay).catch((err: unknown) => {
      if (this.ready === started) this.ready = undefined; // the next request tries again
      throw err;
    });
    started.catch(noop); // callers handle it; an eager restart nobody awaits must not go unhandled
    this.ready = started;
    return started;
  }

  private async start(delayMs: number): Promise<void> {
    if (delayMs > 0) await this.sleepBeforeRestart(delayMs);
    if (this.disposed) throw engineStoppedError();
    const script = this.options.hostScript;
    try {
      await fs.promises.access(script);
    } catch {
      const error = new EngineError(`Tandem's engine host script is missing: ${script}. Run \`npm run build\`.`, 'ADDON_UNAVAILABLE');
      this.hooks.startFailed(error);
      throw error;
    }
    if (this.disposed) throw engineStoppedError();
    this.spawn(script);
    await this.hooks.started();
  }

  private spawn(script: string): void {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.options.env };
    if (this.options.addonPath) env.TANDEM_ADDON = this.options.addonPath;
    if (this.logLevel) env.TANDEM_LOG_LEVEL = this.logLevel;
    this.hooks.starting();
    const host: HostProcess = new HostProcess(script, env, {
      message: (raw) => this.hooks.message(raw),
      exit: (code, signal) => this.exited(host, code, signal),
      log: (line) => this.hooks.log(line),
    });
    this.current = host;
    this.backoff.started(Date.now());
  }

  private exited(host: HostProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (host.stopping || this.current !== host) return;
    this.current = undefined;
    if (this.disposed) return;
    this.nextStartDelayMs = this.backoff.crashed(Date.now());
    this.ready = undefined;
    if (this.hooks.crashed(code, signal, this.nextStartDelayMs)) void this.beginStart().catch(noop); // eager: restore now
  }

  /** Stops a host on purpose; resolves once it exited. */
  private stop(host: HostProcess, reason: EngineError): Promise<void> {
    if (this.current === host) {
      this.current = undefined;
      this.ready = undefined;
    }
    this.hooks.stopping(reason);
    return host.stop(this.options.killGraceMs ?? 2000);
  }

  private sleepBeforeRestart(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRestartSleep = resolve;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.wakeRestartSleep = undefined;
        resolve();
      }, ms);
    });
  }

  private cancelRestartSleep(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const wake = this.wakeRestartSleep;
    this.wakeRestartSleep = undefined;
    wake?.();
  }
}

/** Calls onLine for each line the stream produces (and keeps the pipe drained). */
function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  stream.setEncoding('utf8');
  let buffered = '';
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line.trimEnd());
  });
  stream.on('end', () => {
    if (buffered.trim()) onLine(buffered.trimEnd());
    buffered = '';
  });
}
