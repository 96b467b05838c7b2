// HTTP to one completion server: JSON requests and server-sent-event streams over keep-alive
// connections (Node's http/https, so a TLS failure keeps its exact code), every request bounded
// in time and cancellable. A caller's AbortSignal destroys the socket at once — llama-server
// notices the closed connection and stops generating (checked by test/integration/server.test.ts
// on its /slots). No redirects are followed (a server URL is the user's explicit choice), and
// answers are size-limited, so a misbehaving server cannot make the extension host wait or grow.
import * as http from 'node:http';
import * as https from 'node:https';
import { ServerAbortError, ServerError, networkError, statusError } from './serverErrors';
import type { ServerTarget } from './serverUrl';
import { ServerSentEvent, SseParser } from './sse';

/** Most bytes of a JSON answer (a /tokenize of a 1 MiB document is a few MB). */
const MAX_JSON_BYTES = 32 * 1024 * 1024;
/** Most bytes of one server-sent event still incomplete. */
const MAX_EVENT_BYTES = 8 * 1024 * 1024;
/** Connections to one server at most. llama-server (cpp-httplib) serves each connection on one
 *  of its `--threads-http` threads (default: slots + 4) for as long as it stays open, and a new
 *  connection beyond them waits for a free thread (measured: 5 s, its keep-alive timeout): a few
 *  connections per editor, closed soon when idle, leave threads for the other users. */
const MAX_CONNECTIONS = 4;
/** An idle kept-alive connection is closed after this long: reused while someone types, given
 *  back to the server in a pause. */
const IDLE_CONNECTION_MS = 1000;
/** Kept-alive connections found closed before a request gets a fresh one (the pool's size). */
const MAX_STALE_RETRIES = MAX_CONNECTIONS + 1;
/** Most bytes of an error answer kept for its message. */
const MAX_ERROR_BYTES = 16 * 1024;

export interface RequestOptions {
  signal?: AbortSignal;
  /** Until the response headers arrive, connecting included (llama-server sends a stream's headers
   *  with its first token). */
  headersTimeoutMs: number;
  /** Longest silence once the body flows (JSON: until it is complete). */
  idleTimeoutMs: number;
}

export interface StreamOptions extends RequestOptions {
  /** Each event as it arrives; throwing ends the stream with that error. */
  onEvent(event: ServerSentEvent): void;
}

export class HttpTransport {
  private readonly agent: http.Agent;
  private disposed = false;

  constructor(
    readonly target: ServerTarget,
    /** The API key to send as `Authorization: Bearer` (read per request: it may change). */
    private readonly apiKey: () => string | undefined = () => undefined,
  ) {
    // `timeout` closes sockets idle in the pool (Node destroys only free ones on it)
    const options = { keepAlive: true, maxSockets: MAX_CONNECTIONS, timeout: IDLE_CONNECTION_MS };
    this.agent = target.secure ? new https.Agent(options) : new http.Agent(options);
  }

  getJson<T>(path: string, options: RequestOptions): Promise<T> {
    return this.json<T>('GET', path, undefined, options);
  }

  postJson<T>(path: string, body: unknown, options: RequestOptions): Promise<T> {
    return this.json<T>('POST', path, body, options);
  }

  /** POSTs `body` and feeds the answer's events to onEvent; resolves when the server ends the
   *  stream. A stream that stops without the server ending it rejects with kind 'dropped'. */
  async postStream(path: string, body: unknown, options: StreamOptions): Promise<void> {
    const exchange = await this.open('POST', path, body, options, 'text/event-stream');
    const parser = new SseParser();
    let pending = 0;
    await exchange.read((chunk) => {
      pending += chunk.length;
      for (const event of parser.push(chunk)) {
        pending = 0;
        options.onEvent(event);
      }
      if (pending > MAX_EVENT_BYTES)
        throw new ServerError(`${this.target.host} sent an event of more than ${MAX_EVENT_BYTES} bytes.`, 'protocol');
    });
    parser.end();
  }

  /** Closes the idle connections; requests in flight are destroyed. */
  dispose(): void {
    this.disposed = true;
    this.agent.destroy();
  }

  private async json<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
    const exchange = await this.open(method, path, body, options);
    const chunks: Buffer[] = [];
    let size = 0;
    await exchange.read((chunk) => {
      size += chunk.length;
      if (size > MAX_JSON_BYTES)
        throw new ServerError(`${this.target.host} answered ${path} with more than ${MAX_JSON_BYTES} bytes.`, 'protocol');
      chunks.push(chunk);
    });
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ServerError(`${this.target.host} answered ${path} with something that is not JSON: is it a llama-server?`, 'protocol');
    }
  }

  /** Sends a request; resolves once a 2xx answer's headers are in, with a reader for its body.
   *  From then on, the body's end, an error, a timeout or the caller's abort settles the read. */
  private open(method: string, path: string, body: unknown, options: RequestOptions, accept = 'application/json'): Promise<Exchange> {
    const { signal } = options;
    if (this.disposed) return Promise.reject(new ServerError('The server connection was closed.', 'unreachable'));
    if (signal?.aborted) return Promise.reject(new ServerAbortError());
    const url = new URL(this.target.base + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const headers: http.OutgoingHttpHeaders = { Accept: accept };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const key = this.apiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    const { host, secure } = this.target;
    return new Promise<Exchange>((resolve, reject) => {
      let request: http.ClientRequest;
      let retries = 0;
      /** 'headers': waiting for them; 'body': the answer flows; 'done': settled for good. */
      let phase: 'headers' | 'body' | 'done' = 'headers';
      /** The body's outcome, for read(): set once. */
      let outcome: { error?: Error } | undefined;
      let reader: ((error?: Error) => void) | undefined;
      let idle: NodeJS.Timeout | undefined;
      const settle = (error?: Error) => {
        if (phase === 'done') return;
        const wasWaiting = phase === 'headers';
        phase = 'done';
        clearTimeout(headersTimer);
        clearTimeout(idle);
        signal?.removeEventListener('abort', onAbort);
        if (error) request.destroy();
        if (wasWaiting) return reject(error ?? new ServerError(`${host} closed the request without an answer.`, 'dropped'));
        outcome = { error };
        reader?.(error);
      };
      const onAbort = () => settle(new ServerAbortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const headersTimer = setTimeout(
        () =>
          settle(
            new ServerError(
              `The server at ${host} did not answer within ${seconds(options.headersTimeoutMs)}: busy, or not reachable?`,
              'timeout',
            ),
          ),
        options.headersTimeoutMs,
      );
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => settle(new ServerError(`The server at ${host} stopped answering for ${seconds(options.idleTimeoutMs)}.`, 'timeout')),
          options.idleTimeoutMs,
        );
      };
      const onResponse = (response: http.IncomingMessage) => {
        if (phase !== 'headers') return void response.resume();
        clearTimeout(headersTimer);
        armIdle();
        const status = response.statusCode ?? 0;
        response.on('error', (err) => settle(response.complete ? networkError(err, host, secure) : droppedError(host)));
        if (status < 200 || status >= 300) {
          // a bounded part of the error body, for its message
          const parts: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size < MAX_ERROR_BYTES) parts.push(chunk);
            size += chunk.length;
          });
          response.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            settle(
              status >= 300 && status < 400
                ? redirectError(host, status, response.headers.location)
                : statusError(status, text, host, path),
            );
          });
          response.on('close', () => settle(droppedError(host)));
          return;
        }
        phase = 'body';
        response.on('end', () => settle(response.complete ? undefined : droppedError(host)));
        response.on('close', () => settle(response.complete ? undefined : droppedError(host)));
        resolve({
          read: (consume) =>
            new Promise<void>((done, failed) => {
              const finish = (error?: Error) => (error ? failed(error) : done());
              if (outcome) return finish(outcome.error);
              reader = finish;
              response.on('data', (chunk: Buffer) => {
                if (phase !== 'body') return;
                armIdle();
                try {
                  consume(chunk);
                } catch (err) {
                  settle(err instanceof Error ? err : new Error(String(err)));
                }
              });
            }),
        });
      };
      const send = () => {
        request = (secure ? https : http).request(url, { method, headers, agent: this.agent });
        request.on('error', (err: NodeJS.ErrnoException) => {
          // a kept-alive connection the server closed meanwhile (it restarted): again, on the next
          // pooled connection or a new one (each stale one is used up by this)
          if (
            phase === 'headers' &&
            request.reusedSocket &&
            retries < MAX_STALE_RETRIES &&
            (err.code === 'ECONNRESET' || err.code === 'EPIPE')
          ) {
            retries++;
            return send();
          }
          settle(phase === 'body' ? droppedError(host) : networkError(err, host, secure));
        });
        request.on('response', onResponse);
        request.end(payload);
      };
      send();
    });
  }
}

interface Exchange {
  /** Feeds the body's chunks to `consume`; resolves at its end. */
  read(consume: (chunk: Buffer) => void): Promise<void>;
}

function droppedError(host: string): ServerError {
  return new ServerError(`The connection to ${host} dropped in the middle of an answer.`, 'dropped');
}

function redirectError(host: string, status: number, location: string | undefined): ServerError {
  return new ServerError(
    `The server at ${host} redirects (${status}${location ? ` to ${location}` : ''}); Tandem does not follow redirects: set tandem.engine.serverUrl to the server's own address.`,
    'protocol',
    status,
  );
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
