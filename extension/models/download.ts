// Resumable, verified model download. The file grows in `<dest>.part` and is renamed to `dest`
// only after its size and SHA-256 check out, so an interrupted or cancelled download loses nothing
// (the next call resumes with an HTTP Range request) and a corrupt one never takes the model's
// place. Only HTTPS (plain HTTP to this machine's loopback address only), no redirect to a weaker
// scheme, and never more bytes than the caller allows. No vscode import: the command adapter lives
// elsewhere.
import { createHash, Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';

export interface DownloadRequest {
  url: string;
  dest: string;
  /** Expected SHA-256 (hex). Without one, the hash the server advertises for the file
   *  (Hugging Face's X-Linked-Etag / ETag of LFS files) is required instead. */
  sha256?: string;
  signal?: AbortSignal;
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
  /** Connection drops survived before giving up (each retry resumes where it stopped). */
  retries?: number;
  /** Base delay between retries; doubles each time. */
  retryDelayMs?: number;
  /** The file's exact size when known (pinned): anything else is refused. */
  sizeBytes?: number;
  /** Most bytes accepted (a server announcing or sending more is refused; default: sizeBytes). */
  maxBytes?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** bytes already on disk from an earlier attempt when this call started */
  resumedFrom: number;
  attempts: number;
}

export type DownloadErrorCode = 'ABORTED' | 'HTTP' | 'INSECURE' | 'CHECKSUM' | 'NO_CHECKSUM' | 'SIZE' | 'NETWORK' | 'IO';

export class DownloadError extends Error {
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A host name or address of this machine's loopback interface. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Why a download URL (or a redirect to it, from `from`) is not allowed, or undefined: HTTPS only;
 *  plain HTTP only to the loopback address (a local mirror, tests); never from HTTPS to HTTP. */
export function insecureUrl(url: URL, from?: URL): string | undefined {
  if (url.username || url.password) return `${url.origin}: credentials in a download URL are not used`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `unsupported URL scheme ${url.protocol}`;
  if (!isLoopbackHost(url.hostname)) return `${url.origin} is plain HTTP: only HTTPS is used (plain HTTP only to 127.0.0.1)`;
  if (from?.protocol === 'https:') return `a redirect from ${from.origin} to plain HTTP (${url.origin}) is not followed`;
  return undefined;
}

/** The SHA-256 a server advertises for a file, if any: Hugging Face sends the LFS object id as
 *  X-Linked-Etag on the redirecting response and as ETag on the CDN. */
export function advertisedSha256(headers: http.IncomingHttpHeaders): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const raw = headers[name];
    const v = (Array.isArray(raw) ? raw[0] : raw)?.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
    if (v && HEX64.test(v)) return v;
  }
  return undefined;
}

interface Response {
  res: http.IncomingMessage;
  /** headers of every hop (a hash may be advertised on a redirect only) */
  sha256?: string;
}

function get(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  hops = 0,
  sha256?: string,
  from?: URL,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new DownloadError('HTTP', `not a URL: ${url}`));
    }
    const insecure = insecureUrl(u, from);
    if (insecure) return reject(new DownloadError('INSECURE', insecure));
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.get(u, { headers: { 'user-agent': 'tandem-vscode', ...headers }, signal }, (res) => {
      const hash = sha256 ?? advertisedSha256(res.headers);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hops >= 5) return reject(new DownloadError('HTTP', `too many redirects from ${url}`));
        get(new URL(res.headers.location, u).toString(), headers, signal, hops + 1, hash, u).then(resolve, reject);
        return;
      }
      resolve({ res, sha256: hash });
    });
    req.on('error', (err) => reject(signal?.aborted ? abortError() : new DownloadError('NETWORK', `${url}: ${err.message}`)));
  });
}

function abortError(): DownloadError {
  return new DownloadError('ABORTED', 'download cancelled; the partial file is kept and the next download resumes it');
}

async function hashFile(file: string, hash: Hash, signal?: AbortSignal): Promise<void> {
  for await (const chunk of fs.createReadStream(file, { signal })) hash.update(chunk as Buffer);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Appends the response body to the part file, feeding the hash. Resolves when the body ends,
 *  early too when the connection drops (the caller compares sizes and resumes); rejects only when
 *  the file cannot be written or the download was cancelled. */
function appendBody(
  res: http.IncomingMessage,
  part: string,
  hash: Hash,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
  room = Infinity,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(part, { flags: 'a' });
    let writeError: Error | undefined;
    let tooBig = false;
    res.on('data', (chunk: Buffer) => {
      room -= chunk.length;
      if (room < 0) {
        // more than the file can be (a body without Content-Length, or one that lies): stop here
        tooBig = true;
        res.destroy();
        return;
      }
      hash.update(chunk);
      onBytes(chunk.length);
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
    });
    res.on('error', () => {
      /* a drop: 'close' follows and the size check decides */
    });
    res.on('close', () => out.end());
    out.on('error', (err) => {
      writeError = err;
      res.destroy();
    });
    out.on('close', () => {
      if (signal?.aborted) reject(abortError());
      else if (writeError) reject(new DownloadError('IO', `cannot write ${part}: ${writeError.message}`));
      else if (tooBig) reject(new DownloadError('SIZE', `${part}: the server sent more than the file can be; the download was stopped`));
      else resolve();
    });
  });
}

export async function downloadModel(req: DownloadRequest): Promise<DownloadResult> {
  const { url, dest, signal, onProgress } = req;
  const retries = req.retries ?? 5;
  const retryDelayMs = req.retryDelayMs ?? 500;
  const part = `${dest}.part`;
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const initial = await fs.promises.stat(part).then(
    (s) => s.size,
    () => 0,
  );
  let expectedSha = req.sha256?.toLowerCase();
  if (expectedSha && !HEX64.test(expectedSha)) {
    throw new DownloadError('CHECKSUM', `expected SHA-256 must be 64 hex digits, got "${req.sha256}"`);
  }
  const maxBytes = req.maxBytes ?? req.sizeBytes ?? Infinity;
  if (initial > maxBytes) {
    await fs.promises.rm(part, { force: true });
    throw new DownloadError('SIZE', `${part} is larger than the file can be (${initial} > ${maxBytes} bytes); it was removed`);
  }

  // The hash covers the whole file, so bytes already on disk are hashed first.
  let hash = createHash('sha256');
  let have = initial;
  if (have > 0) await hashFile(part, hash, signal);
  let total: number | undefined;
  let attempts = 0;
  for (;;) {
    if (signal?.aborted) throw abortError();
    attempts++;
    let response: Response;
    try {
      response = await get(url, have > 0 ? { range: `bytes=${have}-` } : {}, signal);
    } catch (err) {
      if (err instanceof DownloadError && err.code === 'NETWORK' && attempts <= retries) {
        await sleep(retryDelayMs * 2 ** (attempts - 1), signal);
        continue;
      }
      throw err;
    }
    const { res } = response;
    const status = res.statusCode ?? 0;
    if (!expectedSha && response.sha256) expectedSha = response.sha256;
    if (status === 416 && have > 0) {
      // Nothing left to send: the part file is complete (or longer than the file: verify decides).
      res.resume();
      total = have;
    } else if (status === 200 || status === 206) {
      if (status === 200 && have > 0) {
        // The server ignored the Range header: start over.
        await fs.promises.truncate(part, 0);
        hash = createHash('sha256');
        have = 0;
      }
      const len = Number(res.headers['content-length']);
      const range = /\/(\d+)\s*$/.exec(String(res.headers['content-range'] ?? ''));
      total = range ? Number(range[1]) : Number.isFinite(len) ? have + len : undefined;
      if (total !== undefined && (total > maxBytes || (req.sizeBytes !== undefined && total !== req.sizeBytes))) {
        res.resume();
        throw new DownloadError(
          'SIZE',
          `${url} announces ${total} bytes; ${req.sizeBytes !== undefined ? `the file has ${req.sizeBytes}` : `at most ${maxBytes} are accepted`}`,
        );
      }
      if (!expectedSha) {
        res.resume();
        throw new DownloadError(
          'NO_CHECKSUM',
          `${url} gives no SHA-256 to verify the file against; download it yourself and select it with "Tandem: Select Model"`,
        );
      }
      onProgress?.(have, total);
      try {
        await appendBody(
          res,
          part,
          hash,
          (n) => {
            have += n;
            onProgress?.(have, total);
          },
          signal,
          maxBytes - have,
        );
      } catch (err) {
        if (err instanceof DownloadError && err.code === 'SIZE') await fs.promises.rm(part, { force: true });
        throw err;
      }
      if (total !== undefined && have < total) {
        if (attempts <= retries) {
          await sleep(retryDelayMs * 2 ** (attempts - 1), signal);
          continue;
        }
        throw new DownloadError(
          'NETWORK',
          `connection kept dropping: got ${have} of ${total} bytes after ${attempts} attempts; run the download again to resume`,
        );
      }
    } else {
      res.resume();
      throw new DownloadError('HTTP', `${url} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
    }
    break;
  }

  if (!expectedSha) throw new DownloadError('NO_CHECKSUM', `${url} gives no SHA-256 to verify the file against`);
  if ((total !== undefined && have !== total) || (req.sizeBytes !== undefined && have !== req.sizeBytes)) {
    await fs.promises.rm(part, { force: true });
    throw new DownloadError('SIZE', `downloaded ${have} bytes but expected ${req.sizeBytes ?? total}; the partial file was removed`);
  }
  const got = hash.digest('hex');
  if (got !== expectedSha) {
    // A resumed file with a bad head would fail forever: drop it so the next try starts clean.
    await fs.promises.rm(part, { force: true });
    throw new DownloadError(
      'CHECKSUM',
      `SHA-256 mismatch for ${path.basename(dest)}: expected ${expectedSha}, got ${got}; the corrupt download was removed`,
    );
  }
  await fs.promises.rename(part, dest);
  return { path: dest, bytes: have, sha256: got, resumedFrom: initial, attempts };
}
