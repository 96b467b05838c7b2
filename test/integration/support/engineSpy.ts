// Records the IPC between Tandem's EngineClient and its engine host process, from inside the
// extension host, without any hook in the extension: `child_process.fork` is wrapped before the
// extension forks its host, and each forked engine host's sent/received messages are kept.
// Tests read requests (method, params, timing), their answers (result with stats, error),
// cancel messages and stream pieces: "which calls reached the engine" made observable.
import type * as childProcess from 'node:child_process';
import { createRequire } from 'node:module';

// The module object itself, not an import namespace: a namespace's properties cannot be redefined,
// and the extension's bundle calls fork on this same object.
const childProcessModule = createRequire(__filename)('node:child_process') as typeof childProcess;

export interface EngineCall {
  pid: number | undefined;
  id: number;
  method: string;
  params: any;
  sentAt: number;
  /** A `cancel` message for this id was sent. */
  cancelledAt?: number;
  streamed: string[];
  result?: any;
  error?: { message: string; code: string };
  answeredAt?: number;
}

export interface EngineProcess {
  pid: number | undefined;
  child: childProcess.ChildProcess;
  startedAt: number;
  exited: boolean;
}

class EngineSpy {
  readonly calls: EngineCall[] = [];
  readonly processes: EngineProcess[] = [];
  private readonly byKey = new Map<string, EngineCall>();
  private waiters = new Set<() => void>();

  attach(child: childProcess.ChildProcess): void {
    const proc: EngineProcess = { pid: child.pid, child, startedAt: Date.now(), exited: false };
    this.processes.push(proc);
    child.once('exit', () => {
      proc.exited = true;
      this.changed();
    });
    const send = child.send.bind(child) as (...args: any[]) => boolean;
    (child as any).send = (message: any, ...rest: any[]) => {
      try {
        this.outgoing(child.pid, message);
      } catch {
        /* never break the extension */
      }
      return send(message, ...rest);
    };
    child.on('message', (message: any) => {
      try {
        this.incoming(child.pid, message);
      } catch {
        /* ignore */
      }
    });
    this.changed();
  }

  private outgoing(pid: number | undefined, m: any): void {
    if (!m || typeof m !== 'object') return;
    if (m.type === 'request') {
      const call: EngineCall = { pid, id: m.id, method: m.method, params: m.params, sentAt: Date.now(), streamed: [] };
      this.calls.push(call);
      this.byKey.set(`${pid}:${m.id}`, call);
    } else if (m.type === 'cancel') {
      const call = this.byKey.get(`${pid}:${m.id}`);
      if (call) call.cancelledAt = Date.now();
    }
    this.changed();
  }

  private incoming(pid: number | undefined, m: any): void {
    if (!m || typeof m !== 'object') return;
    const call = this.byKey.get(`${pid}:${m.id}`);
    if (!call) return;
    if (m.type === 'stream' && typeof m.text === 'string') call.streamed.push(m.text);
    else if (m.type === 'result') {
      call.result = m.result;
      call.answeredAt = Date.now();
    } else if (m.type === 'error') {
      call.error = m.error;
      call.answeredAt = Date.now();
    }
    this.changed();
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Calls of a method (optionally of one session) sent after `since` (a Date.now() value). */
  completions(since = 0, session = 'completion'): EngineCall[] {
    return this.calls.filter((c) => c.method === 'complete' && c.sentAt >= since && (c.params?.session ?? 'completion') === session);
  }

  callsSince(since: number, method?: string): EngineCall[] {
    return this.calls.filter((c) => c.sentAt >= since && (!method || c.method === method));
  }

  /** The running engine host (the last one forked that has not exited). */
  current(): EngineProcess | undefined {
    return [...this.processes].reverse().find((p) => !p.exited);
  }

  /** Resolves with pred()'s first truthy value; rejects after timeoutMs with `what`. */
  waitFor<T>(pred: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let v: T | undefined | null | false;
        try {
          v = pred();
        } catch (err) {
          done();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (v) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(check, 100);
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

let spy: EngineSpy | undefined;

/** Wraps child_process.fork once; forks of Tandem's engine host (engineHost.js / host.js) are recorded. */
export function installEngineSpy(): EngineSpy {
  if (spy) return spy;
  const s = new EngineSpy();
  spy = s;
  const mod = childProcessModule as any;
  const original = mod.fork;
  const wrapped = function (this: unknown, modulePath: string, ...rest: any[]) {
    const child: childProcess.ChildProcess = original.call(this, modulePath, ...rest);
    if (/engineHost\.js$|[\\/]engine[\\/]host\.js$/.test(String(modulePath))) s.attach(child);
    return child;
  };
  try {
    mod.fork = wrapped;
  } catch {
    Object.defineProperty(mod, 'fork', { value: wrapped, configurable: true, writable: true });
  }
  return s;
}

export function engineSpy(): EngineSpy {
  if (!spy) throw new Error('installEngineSpy() was not called (test/integration/index.ts does it)');
  return spy;
}
