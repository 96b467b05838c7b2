// A real HTTP server on 127.0.0.1 that serves one file the way a model hub does (redirect to a
// "CDN" path carrying the SHA-256 as X-Linked-Etag, Range support), with faults on demand:
// dropped connections, corrupt bytes, ignored Range headers, no advertised hash.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ModelServerFaults {
  /** close the socket after this many body bytes, for the first `dropTimes` responses */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** serve these bytes instead of the real file (the advertised hash stays the real one) */
  corruptBody?: Buffer;
  ignoreRange?: boolean;
  noHash?: boolean;
  /** pause between 64 KiB chunks, so a test can cancel mid-body */
  chunkDelayMs?: number;
  /** the hub redirects here instead of to its own CDN path */
  redirectTo?: string;
  /** no Content-Length (a chunked body: its size is known only at the end) */
  noContentLength?: boolean;
}

export interface ModelServer {
  /** hub URL of the file */
  url: string;
  /** base URL to put in front of `/<org>/<repo>/resolve/main/<file>` */
  baseUrl: string;
  sha256: string;
  requests: { path: string; range?: string }[];
  faults: ModelServerFaults;
  close(): Promise<void>;
}

export async function startModelServer(body: Buffer, faults: ModelServerFaults = {}, fileName = 'model.gguf'): Promise<ModelServer> {
  const sha256 = createHash('sha256').update(body).digest('hex');
  const requests: ModelServer['requests'] = [];
  let drops = 0;
  const state = { faults };
  const server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', range: req.headers.range });
    const f = state.faults;
    // Hub layout: /<org>/<repo>/resolve/main/<file> redirects to the CDN with the hash attached.
    const hub = /^\/.+\/resolve\/main\/([^/]+)$/.exec(req.url ?? '');
    if (hub && hub[1] === fileName) {
      res.writeHead(302, { location: f.redirectTo ?? `/cdn/${fileName}`, ...(f.noHash ? {} : { 'x-linked-etag': `"${sha256}"` }) });
      return res.end();
    }
    if (req.url !== `/cdn/${fileName}`) {
      res.writeHead(404);
      return res.end('not found');
    }
    const data = f.corruptBody ?? body;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && !f.ignoreRange) {
      start = Number(m[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` });
        return res.end();
      }
      res.writeHead(206, { 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
    } else {
      res.writeHead(200, f.noContentLength ? {} : { 'content-length': data.length });
    }
    const drop = f.dropAfterBytes !== undefined && drops < (f.dropTimes ?? 1);
    if (drop) drops++;
    let pos = start;
    let sent = 0;
    const pump = () => {
      while (pos < data.length) {
        let n = Math.min(65536, data.length - pos);
        if (drop && sent + n > f.dropAfterBytes!) n = f.dropAfterBytes! - sent;
        if (n <= 0) {
          res.socket?.destroy();
          return;
        }
        const ok = res.write(data.subarray(pos, pos + n));
        pos += n;
        sent += n;
        if (drop && sent >= f.dropAfterBytes!) {
          res.socket?.destroy();
          return;
        }
        if (f.chunkDelayMs) {
          setTimeout(pump, f.chunkDelayMs);
          return;
        }
        if (!ok) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/org/repo/resolve/main/${fileName}`,
    baseUrl: `http://127.0.0.1:${port}`,
    sha256,
    requests,
    get faults() {
      return state.faults;
    },
    set faults(v) {
      state.faults = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
