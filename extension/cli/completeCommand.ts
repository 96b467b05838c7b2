// `tandem complete`: one FIM completion at a file position, straight on the addon (no host
// process: a crash here only ends this command).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { splitAtCursor } from '../context/cursorSplit';
import { buildFimPrompt } from '../context/fimPrompt';
import { formatStats } from '../engine/formatStats';
import type { CompletionStats, ModelInfo } from '../engine/native';
import type { CompleteCommand } from './commands';
import { CliError, CliIo } from './io';

export async function readSourceFile(file: string, cwd: string, what: string): Promise<string> {
  const full = path.resolve(cwd, file);
  try {
    return await fs.readFile(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${what} not found: ${full}`, 'FILE_NOT_FOUND');
    if (code === 'EISDIR') throw new CliError(`${what} is a directory, not a file: ${full}`, 'FILE_NOT_FOUND');
    throw new CliError(`cannot read ${what} ${full}: ${(err as Error).message}`, 'FILE_UNREADABLE');
  }
}

export function modelSummary(info: ModelInfo) {
  return {
    path: info.path,
    name: info.name,
    architecture: info.architecture,
    description: info.description,
    quantization: info.quantization,
    parameters: info.parameters,
    fileSizeBytes: info.fileSizeBytes,
    contextLength: info.contextLength,
    vocabSize: info.vocabSize,
  };
}

/** Device per phase of one request, e.g. "prefill on CPU, decode on CPU (handover, 1.1 MB in 2 chunks, 3 ms)". */
export function formatPlacement(stats: CompletionStats): string {
  const how =
    stats.placement === 'handover'
      ? `handover, ${((stats.handoverBytes ?? 0) / 1e6).toFixed(1)} MB in ${stats.handoverChunks ?? 0} chunks, ${Math.round(stats.handoverMs ?? 0)} ms`
      : (stats.placement ?? 'single');
  return `prefill on ${stats.prefillDevice ?? '?'}, decode on ${stats.decodeDevice ?? '?'} (${how})`;
}

/** What follows the streamed text on stdout: each alternative after a line of its own. */
export function formatAlternatives(alternatives: readonly string[]): string {
  return alternatives.map((text, i) => `\n--- alternative ${i + 1} ---\n${text}`).join('');
}

/** e.g. "2 alternatives in 84 ms (37 tokens)" */
export function formatAlternativesStats(count: number, stats: CompletionStats): string {
  return `${count} alternative${count === 1 ? '' : 's'} in ${Math.round(stats.alternativesMs ?? 0)} ms (${stats.alternativeTokens ?? 0} tokens)`;
}

/** Returns the exit code. */
export async function runComplete(cmd: CompleteCommand, io: CliIo): Promise<number> {
  // cheap checks first: a wrong line number should not cost a model load
  const source = await readSourceFile(cmd.file, io.cwd, 'file');
  const cursor = splitAtCursor(source, cmd.line, cmd.column);
  const contextDocs = await Promise.all(cmd.contextFiles.map((f) => readSourceFile(f, io.cwd, 'context file')));
  const modelPath = path.resolve(io.cwd, cmd.model);

  const addon = io.loadAddon();
  addon.setLogLevel(io.env.TANDEM_LOG_LEVEL || 'error');
  const cancel = addon.createCancelFlag();
  const removeInterrupt = io.onInterrupt(() => cancel.cancel());
  try {
    const model = await addon.loadModel(modelPath, { cancel, device: cmd.device, threads: cmd.threads });
    try {
      const info = model.info();
      for (const warning of info.placement?.warnings ?? []) io.stderr.write(`tandem: warning: ${warning}\n`);
      const prompt = buildFimPrompt(info, cursor);
      const session = await model.createSession({ contextSize: cmd.contextSize, threads: cmd.threads });
      try {
        const result = await session.complete(
          {
            prompt,
            maxTokens: cmd.maxTokens,
            stop: cmd.stop.length ? cmd.stop : undefined,
            speculation: cmd.spec,
            alternatives: cmd.alternatives || undefined,
            documents: [
              { id: path.resolve(io.cwd, cmd.file), version: 1, source: 'sameFile' as const, text: source },
              ...cmd.contextFiles.map((f, i) => ({
                id: path.resolve(io.cwd, f),
                version: 1,
                source: 'otherFile' as const,
                text: contextDocs[i],
              })),
            ],
            onText: cmd.json ? undefined : (piece) => io.stdout.write(piece),
          },
          cancel,
        );
        if (cmd.json) {
          io.stdout.write(
            `${JSON.stringify({
              text: result.text,
              alternatives: result.alternatives,
              stats: result.stats,
              model: modelSummary(info),
              cursor: { file: path.resolve(io.cwd, cmd.file), line: cmd.line, column: cmd.column },
              context: { documents: contextDocs.length, chars: contextDocs.reduce((n, d) => n + d.length, 0) },
              spec: cmd.spec,
              device: cmd.device,
              placement: info.placement,
            })}\n`,
          );
        } else {
          io.stdout.write(formatAlternatives(result.alternatives ?? []));
          io.stderr.write(`\ntandem: ${formatStats(result.stats)}\n`);
          io.stderr.write(`tandem: ${formatPlacement(result.stats)}\n`);
          if (result.alternatives) io.stderr.write(`tandem: ${formatAlternativesStats(result.alternatives.length, result.stats)}\n`);
        }
        return result.stats.stopReason === 'cancelled' ? 130 : 0;
      } finally {
        await session.dispose();
      }
    } finally {
      await model.dispose();
    }
  } finally {
    removeInterrupt();
  }
}
