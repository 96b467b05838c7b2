// A llama-server process on 127.0.0.1, for `tandem bench server` and the tests of the server engine
// kind (test/support/llamaServer.ts): the binary from native/scripts/build-llama-server.js, a model,
// S slots of a given context each. It is ready when /health answers 200; its stderr is kept (the
// last 64 KiB) for the message of any failure. Every process started here is killed when this
// Node process exits, also when a test fails or the process is interrupted, so none is left behind.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

export interface LlamaServerOptions {
  /** the llama-server executable (findLlamaServerBinary) */
  binary: string;
  model: string;
  /** parallel slots (-np) */
  slots: number;
  /** context of each slot in tokens (the server gets slots × contextSize: -c) */
  contextSize: number;
  /** 0 or absent: a free port is picked */
  port?: number;
  /** -t (default: llama-server's own choice) */
  threads?: number;
  /** more llama-server arguments (they come last, so they can override the defaults) */
  extraArgs?: string[];
  /** how long loading may take before start fails (default 120 s) */
  readyTimeoutMs?: number;
}

/** One slot as GET /slots reports it (the fields Tandem's tests and bench read). */
export interface LlamaSlot {
  id: number;
  n_ctx: number;
  is_processing: boolean;
  id_task?: number;
  n_prompt_tokens?: number;
  n_prompt_tokens_processed?: number;
  n_prompt_tokens_cache?: number;
  next_token?: { has_next_token: boolean; n_remain: number; n_decoded: number }[];
}

export interface LlamaServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** the current process (a restart starts a new one) */
  readonly pid: number;
  /** whether the current process has exited */
  readonly exited: boolean;
  /** the arguments it was started with */
  readonly args: readonly string[];
  /** the last 64 KiB of its stderr and stdout */
  output(): string;
  /** GET /slots */
  slots(): Promise<LlamaSlot[]>;
  /** GET /metrics (Prometheus text) as name → value, e.g. 'llamacpp:tokens_predicted_total' */
  metrics(): Promise<Record<string, number>>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited */
  stop(): Promise<void>;
  /** sends `signal` (default SIGKILL; another one is followed by SIGKILL after 10 s) and resolves
   *  when it has exited (no restart) */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** stops it (if running) and starts it again on the same port with the same arguments */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** The llama-server binary: $TANDEM_LLAMA_SERVER, else native/build-server/bin/llama-server under
 *  `packageRoot`. Throws with how to build it when it is not there. */
export function findLlamaServerBinary(packageRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const exe = process.platform === 'win32' ? 'llama-server.exe' : 'llama-server';
  const candidate = env.TANDEM_LLAMA_SERVER || path.join(packageRoot, 'native', 'build-server', 'bin', exe);
  if (!fs.existsSync(candidate)) {
    throw new Error(
      `llama-server was not found at ${candidate}: build it with \`node native/scripts/build-llama-server.js\` ` +
        '(the pinned llama.cpp, a few minutes the first time) or set TANDEM_LLAMA_SERVER to a llama-server binary.',
    );
  }
  return candidate;
}

// ── no orphans: every live server is killed when this process ends ─────────────────────────────

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  // An interrupted run: kill the servers, then end as the signal would have ended us (unless
  // someone else handles it).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllNow();
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

// ── HTTP helpers (plain node:http: no agent keeps the process alive) ────────────────────────────

function request(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

async function getJson<T>(url: string): Promise<T> {
  const r = await request(url, 10_000);
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status}: ${r.body.slice(0, 500)}`);
  return JSON.parse(r.body) as T;
}

/** Prometheus text → name → value (labels are not used by llama-server's metrics). */
export function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && !line.startsWith('#')) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** GET /metrics of a llama-server started with --metrics, as name → value. */
export async function serverMetrics(url: string): Promise<Record<string, number>> {
  const r = await request(`${url}/metrics`, 10_000);
  if (r.status !== 200) throw new Error(`GET ${url}/metrics: HTTP ${r.status} (is --metrics on?): ${r.body.slice(0, 300)}`);
  return parseMetrics(r.body);
}

/** A port nobody listens on now (the kernel's choice), on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OUTPUT_LIMIT = 64 * 1024;

/** Starts llama-server and resolves when it serves (GET /health → 200); rejects with its output
 *  when it exits or is not ready in time (the process is killed then). */
export async function startLlamaServer(o: LlamaServerOptions): Promise<LlamaServer> {
  if (!fs.existsSync(o.model)) throw new Error(`llama-server: the model ${o.model} does not exist`);
  if (!Number.isInteger(o.slots) || o.slots < 1) throw new Error(`llama-server: slots must be a whole number ≥ 1, got ${o.slots}`);
  installExitHooks();
  const port = o.port || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '-m',
    o.model,
    '-np',
    String(o.slots),
    '-c',
    String(o.slots * o.contextSize),
    '--metrics',
    '--slots',
    '--no-webui',
    ...(o.threads ? ['-t', String(o.threads)] : []),
    ...(o.extraArgs ?? []),
  ];
  // the user's LLAMA_ARG_* variables would change the server under the test's feet
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LLAMA_ARG_')));
  let child!: ChildProcess;
  let output = '';
  let exit: Promise<void> = Promise.resolve();

  const launch = async () => {
    output = '';
    const proc = spawn(o.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    child = proc;
    live.add(proc);
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
    };
    proc.stdout.on('data', collect);
    proc.stderr.on('data', collect);
    exit = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        live.delete(proc);
        resolve();
      });
      proc.once('error', (err) => {
        collect(Buffer.from(`\n[spawn error] ${err.message}\n`));
        live.delete(proc);
        resolve();
      });
    });
    const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000);
    let exited = false;
    void exit.then(() => (exited = true));
    for (;;) {
      if (exited) {
        throw new Error(`llama-server exited (${describeExit(proc)}) before it was ready; its output:\n${output.slice(-4000)}`);
      }
      const health = await request(`${url}/health`, 2000).catch(() => undefined);
      if (health?.status === 200) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exit;
        throw new Error(`llama-server was not ready within ${o.readyTimeoutMs ?? 120_000} ms; its output:\n${output.slice(-4000)}`);
      }
      await sleep(50);
    }
  };

  const killWith = async (signal: NodeJS.Signals, graceMs: number) => {
    const proc = child;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    const timer = graceMs > 0 ? setTimeout(() => proc.kill('SIGKILL'), graceMs) : undefined;
    await exit;
    clearTimeout(timer);
  };

  await launch();
  return {
    url,
    port,
    args,
    get pid() {
      return child.pid ?? -1;
    },
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    output: () => output,
    slots: () => getJson<LlamaSlot[]>(`${url}/slots`),
    metrics: () => serverMetrics(url),
    stop: () => killWith('SIGTERM', 5000),
    kill: (signal: NodeJS.Signals = 'SIGKILL') => killWith(signal, signal === 'SIGKILL' ? 0 : 10_000),
    restart: async () => {
      await killWith('SIGTERM', 5000);
      await launch();
    },
    dispose: () => killWith('SIGTERM', 5000),
  };
}

function describeExit(proc: ChildProcess): string {
  if (proc.signalCode) return `signal ${proc.signalCode}`;
  if (proc.exitCode !== null) return `exit code ${proc.exitCode}`;
  return 'could not start';
}
