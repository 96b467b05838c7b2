// A real llama-server for the tests of the `server` engine kind: the pinned llama.cpp's own server
// (native/scripts/build-llama-server.js; `node test/run.js server` builds it), on 127.0.0.1, on a
// generated random-weight model with FIM tokens (the native tests' deepseek-coder test model).
// Process management lives in extension/bench/serverProcess.ts (the bench starts servers too);
// this adds the repository's binary and model defaults and a streaming /completion helper.
//
//   const server = await startLlamaServer({ model: await serverTestModel(), slots: 2, contextSize: 2048 });
//   … server.url, server.slots(), server.metrics(), server.kill(), server.restart() …
//   await server.stop();   // also done for every server when the test process exits
import * as http from 'node:http';
import * as path from 'node:path';
import {
  LlamaServer,
  LlamaServerOptions,
  findLlamaServerBinary,
  startLlamaServer as startServerProcess,
} from '../../extension/bench/serverProcess';
import { repoRoot, testModel } from '../native/fixtures';

export type { LlamaServer, LlamaSlot } from '../../extension/bench/serverProcess';

export interface TestServerOptions extends Omit<LlamaServerOptions, 'binary' | 'model'> {
  /** default: serverTestModel() */
  model?: string;
  binary?: string;
}

/** The llama-server of this checkout (or $TANDEM_LLAMA_SERVER). */
export function llamaServerBinary(): string {
  return findLlamaServerBinary(repoRoot);
}

/** The generated model the server tests use: llama arch, 2×64, deepseek-coder vocab (FIM tokens
 *  <｜fim▁begin｜> <｜fim▁hole｜> <｜fim▁end｜>), random weights, cached in .tandem/test-models. Bigger
 *  shapes (e.g. { layers: 4, embd: 256 }) generate more slowly, which the abort test wants. */
export function serverTestModel(
  shape: { layers?: number; embd?: number; heads?: number; kvHeads?: number; ffn?: number } = {},
): Promise<string> {
  return testModel({ contextLength: 8192, ...shape });
}

/** Starts the checkout's llama-server (one thread unless told: ggml's threads spin at their
 *  barriers, and on a busy 2-core machine two of them made a 2×64 model decode at 4 tokens/s
 *  instead of ~1,700). */
export async function startLlamaServer(o: TestServerOptions): Promise<LlamaServer> {
  return startServerProcess({
    ...o,
    binary: o.binary ?? llamaServerBinary(),
    model: o.model ?? (await serverTestModel()),
    threads: o.threads ?? 1,
  });
}

/** One streamed /completion event as llama-server sends it. */
export interface CompletionEvent {
  content: string;
  tokens?: number[];
  stop: boolean;
  id_slot?: number;
  stop_type?: string;
  tokens_predicted?: number;
  tokens_evaluated?: number;
  timings?: Record<string, number>;
  [key: string]: unknown;
}

export interface StreamedCompletion {
  /** events in order (the last has stop: true when the server finished) */
  events: CompletionEvent[];
  status: number;
  /** resolves when the response ended (or was destroyed) */
  done: Promise<void>;
  /** closes the connection now, as an editor's cancellation does */
  abort: () => void;
}

/** POST /completion with stream: true; `onEvent` sees each SSE event as it arrives. */
export function streamCompletion(
  url: string,
  body: Record<string, unknown>,
  onEvent?: (e: CompletionEvent) => void,
): Promise<StreamedCompletion> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify({ ...body, stream: true }));
    const events: CompletionEvent[] = [];
    const req = http.request(
      `${url}/completion`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      (res) => {
        let buffer = '';
        const done = new Promise<void>((end) => {
          res.on('end', end);
          res.on('close', end);
          res.on('error', () => end());
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (!data || data === '[DONE]') continue;
            const event = JSON.parse(data) as CompletionEvent;
            events.push(event);
            onEvent?.(event);
          }
        });
        resolve({ events, status: res.statusCode ?? 0, done, abort: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** POST a JSON body and read the JSON answer (non-streaming endpoints). */
export function postJson(url: string, route: string, body: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = http.request(
      `${url}${route}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: text });
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** GET and parse JSON. */
export function getJson(url: string, route: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}${route}`, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: text });
          }
        });
      })
      .on('error', reject);
  });
}

export const serverBuildScript = path.join(repoRoot, 'native', 'scripts', 'build-llama-server.js');
