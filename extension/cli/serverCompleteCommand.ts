// `tandem complete --server URL`: the same completion as `--model`, computed by a llama-server
// (the server engine kind of engine/server/), with the same output: the text streamed to stdout
// and the stats to stderr, or one JSON object. The URL rules are the extension's (https, or http
// to a loopback/LAN address); the API key comes from $TANDEM_SERVER_API_KEY, never the command
// line (other users can read a process's arguments). Typing the URL is the consent.
import * as path from 'node:path';
import { splitAtCursor } from '../context/cursorSplit';
import { buildFimPrompt } from '../context/fimPrompt';
import { formatStats } from '../engine/formatStats';
import { ServerEngine } from '../engine/server/serverEngine';
import { ServerUrlError, parseServerUrl } from '../engine/server/serverUrl';
import type { CompleteCommand } from './commands';
import { formatPlacement, modelSummary, readSourceFile } from './completeCommand';
import { CliError, CliIo } from './io';

export const SERVER_API_KEY_ENV = 'TANDEM_SERVER_API_KEY';

/** Returns the exit code. */
export async function runServerComplete(cmd: CompleteCommand & { server: string }, io: CliIo): Promise<number> {
  const source = await readSourceFile(cmd.file, io.cwd, 'file');
  const cursor = splitAtCursor(source, cmd.line, cmd.column);
  const contextDocs = await Promise.all(cmd.contextFiles.map((f) => readSourceFile(f, io.cwd, 'context file')));
  let target;
  try {
    target = parseServerUrl(cmd.server);
  } catch (err) {
    throw new CliError(err instanceof ServerUrlError ? err.message : String(err), 'SERVER_URL');
  }
  const apiKey = io.env[SERVER_API_KEY_ENV] || undefined;
  const engine = new ServerEngine({ target, apiKey: () => apiKey });
  const abort = new AbortController();
  const removeInterrupt = io.onInterrupt(() => abort.abort());
  try {
    const info = await engine.ensureCompletionModel().catch(rethrowAsCliError);
    const result = await engine
      .complete(
        { prompt: buildFimPrompt(info, cursor), maxTokens: cmd.maxTokens, stop: cmd.stop.length ? cmd.stop : undefined },
        { signal: abort.signal, onText: cmd.json ? undefined : (piece) => io.stdout.write(piece) },
      )
      .catch(rethrowAsCliError);
    if (cmd.json) {
      io.stdout.write(
        `${JSON.stringify({
          text: result.text,
          stats: result.stats,
          model: modelSummary(info),
          server: { url: target.base, model: info.serverModel, slots: info.slots, slotContext: info.slotContext },
          cursor: { file: path.resolve(io.cwd, cmd.file), line: cmd.line, column: cmd.column },
          context: { documents: contextDocs.length, chars: contextDocs.reduce((n, d) => n + d.length, 0) },
        })}\n`,
      );
    } else {
      io.stderr.write(`\ntandem: ${formatStats(result.stats)}\n`);
      io.stderr.write(`tandem: ${formatPlacement(result.stats)}\n`);
    }
    return result.stats.stopReason === 'cancelled' ? 130 : 0;
  } finally {
    removeInterrupt();
    engine.dispose();
  }
}

/** A server failure keeps its message, with its kind as the CLI's error code (SERVER_UNREACHABLE…). */
function rethrowAsCliError(err: unknown): never {
  const kind = (err as { kind?: unknown } | null)?.kind;
  if (typeof kind === 'string') throw new CliError((err as Error).message, `SERVER_${kind.toUpperCase()}`);
  throw err;
}
