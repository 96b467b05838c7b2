import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DownloadError, downloadModel, insecureUrl } from '../../extension/models/download';
import { ModelServer, startModelServer } from '../support/modelServer';

describe('model download (local HTTP server)', () => {
  const body = randomBytes(3 * 1024 * 1024 + 123);
  let dir: string;
  let server: ModelServer;
  let dest: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-dl-'));
    dest = path.join(dir, 'models', 'model.gguf');
    server = await startModelServer(body);
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp) {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof DownloadError, `not a DownloadError: ${String(err)}`);
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    });
  }

  it('downloads through a redirect and verifies the advertised SHA-256', async () => {
    const progress: number[] = [];
    const r = await downloadModel({ url: server.url, dest, onProgress: (n) => progress.push(n) });
    assert.equal(r.sha256, server.sha256);
    assert.equal(r.bytes, body.length);
    assert.ok(fs.readFileSync(dest).equals(body));
    assert.ok(!fs.existsSync(`${dest}.part`));
    assert.equal(progress.at(-1), body.length);
  });

  it('resumes with a Range request after the connection drops midway', async () => {
    server.faults = { dropAfterBytes: 1_000_000, dropTimes: 2 };
    const r = await downloadModel({ url: server.url, dest, retryDelayMs: 1 });
    assert.ok(fs.readFileSync(dest).equals(body));
    assert.equal(r.attempts, 3);
    const ranges = server.requests.filter((q) => q.path === '/cdn/model.gguf').map((q) => q.range);
    // Each retry asks for the rest from what reached the disk (a dropped socket may lose a
    // little in flight, never more than was sent).
    assert.equal(ranges.length, 3);
    assert.equal(ranges[0], undefined);
    const starts = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? '')?.[1]));
    assert.ok(starts[0] > 500_000 && starts[0] <= 1_000_000, `first resume at ${starts[0]}`);
    assert.ok(starts[1] > starts[0] + 500_000 && starts[1] <= starts[0] + 1_000_000, `second resume at ${starts[1]}`);
  });

  it('rejects a corrupt file, removes it and leaves an existing model untouched', async () => {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, 'the model the user already had');
    const corrupt = Buffer.from(body);
    corrupt[12345] ^= 0xff;
    server.faults = { corruptBody: corrupt };
    await rejectsWith(downloadModel({ url: server.url, dest }), 'CHECKSUM', /SHA-256 mismatch.*removed/);
    assert.equal(fs.readFileSync(dest, 'utf8'), 'the model the user already had');
    assert.ok(!fs.existsSync(`${dest}.part`));
  });

  it('checks a pinned SHA-256 even when the server advertises another', async () => {
    await rejectsWith(downloadModel({ url: server.url, dest, sha256: 'ab'.repeat(32) }), 'CHECKSUM', /expected abab/);
    assert.ok(!fs.existsSync(dest));
  });

  it('keeps the partial file when cancelled, and the next download resumes it', async () => {
    server.faults = { chunkDelayMs: 5 };
    const ac = new AbortController();
    const p = downloadModel({
      url: server.url,
      dest,
      signal: ac.signal,
      onProgress: (n) => {
        if (n >= 512 * 1024) ac.abort();
      },
    });
    await rejectsWith(p, 'ABORTED', /cancelled.*resumes/);
    const kept = fs.statSync(`${dest}.part`).size;
    assert.ok(kept >= 512 * 1024 && kept < body.length, `kept ${kept}`);
    assert.ok(!fs.existsSync(dest));
    server.faults = {};
    const r = await downloadModel({ url: server.url, dest });
    assert.equal(r.resumedFrom, kept);
    assert.ok(fs.readFileSync(dest).equals(body));
  });

  it('starts over when the server ignores the Range header', async () => {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(`${dest}.part`, body.subarray(0, 1000));
    server.faults = { ignoreRange: true };
    const r = await downloadModel({ url: server.url, dest });
    assert.equal(r.resumedFrom, 1000);
    assert.ok(fs.readFileSync(dest).equals(body));
  });

  it('finishes a part file that is already complete (HTTP 416)', async () => {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(`${dest}.part`, body);
    const r = await downloadModel({ url: server.url, dest });
    assert.equal(r.bytes, body.length);
    assert.ok(fs.readFileSync(dest).equals(body));
  });

  it('refuses to download what it cannot verify', async () => {
    server.faults = { noHash: true };
    await rejectsWith(downloadModel({ url: server.url, dest }), 'NO_CHECKSUM', /no SHA-256/);
    assert.ok(!fs.existsSync(dest));
  });

  it('uses HTTPS only: plain HTTP only to the loopback address, never a redirect to weaker, no credentials', async () => {
    const u = (s: string) => new URL(s);
    assert.equal(insecureUrl(u('https://huggingface.co/x')), undefined);
    assert.equal(insecureUrl(u('http://127.0.0.1:8080/x')), undefined);
    assert.equal(insecureUrl(u('http://localhost/x')), undefined);
    assert.equal(insecureUrl(u('http://[::1]:9/x')), undefined);
    assert.match(insecureUrl(u('http://mirror.example.com/x'))!, /only HTTPS/);
    assert.match(
      insecureUrl(u('http://127.0.0.1/x'), u('https://huggingface.co/y'))!,
      /redirect from https:\/\/huggingface.co to plain HTTP/,
    );
    assert.match(insecureUrl(u('ftp://127.0.0.1/x'))!, /unsupported URL scheme ftp:/);
    assert.match(insecureUrl(u('https://user:pw@host/x'))!, /credentials/);
    await rejectsWith(downloadModel({ url: 'http://mirror.example.com/org/repo/resolve/main/model.gguf', dest }), 'INSECURE', /only HTTPS/);
    server.faults = { redirectTo: 'http://10.255.255.1/cdn/model.gguf' }; // a hub sending the download elsewhere in the clear
    await rejectsWith(downloadModel({ url: server.url, dest }), 'INSECURE', /10\.255\.255\.1 is plain HTTP/);
    assert.ok(!fs.existsSync(dest) && !fs.existsSync(`${dest}.part`));
  });

  it('never takes more bytes than the file can be: an announced size over the limit, or a body that keeps coming', async () => {
    await rejectsWith(downloadModel({ url: server.url, dest, sizeBytes: body.length - 1 }), 'SIZE', /announces \d+ bytes; the file has/);
    assert.ok(!fs.existsSync(`${dest}.part`), 'refused before writing');
    server.faults = { noContentLength: true };
    await rejectsWith(downloadModel({ url: server.url, dest, maxBytes: 100_000 }), 'SIZE', /sent more than the file can be/);
    assert.ok(!fs.existsSync(`${dest}.part`) && !fs.existsSync(dest), 'the oversized part file is removed');
    const exact = await downloadModel({ url: server.url, dest, sizeBytes: body.length });
    assert.equal(exact.bytes, body.length);
  });

  it('reports HTTP errors and unreachable servers clearly', async () => {
    await rejectsWith(downloadModel({ url: server.url.replace('model.gguf', 'nope.gguf'), dest }), 'HTTP', /HTTP 404/);
    const closed = await startModelServer(body);
    const url = closed.url;
    await closed.close();
    await rejectsWith(downloadModel({ url, dest, retries: 1, retryDelayMs: 1 }), 'NETWORK', /127\.0\.0\.1/);
  });
});
