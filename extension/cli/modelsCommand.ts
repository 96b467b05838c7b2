// `tandem models`: GGUF models found on this machine (extension/models/discovery.ts), with size
// and quantization read from their headers.
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverModels } from '../models/discovery';
import type { CliIo } from './io';

export async function runModels(cmd: { dirs: string[]; json: boolean }, io: CliIo): Promise<number> {
  const models = await discoverModels({
    env: io.env,
    home: io.env.HOME || io.env.USERPROFILE || os.homedir(),
    folders: cmd.dirs.map((d) => path.resolve(io.cwd, d)),
  });
  if (cmd.json) {
    io.stdout.write(`${JSON.stringify({ models })}\n`);
    return 0;
  }
  if (models.length === 0) {
    io.stdout.write(
      'no GGUF models found (searched the Hugging Face cache, LM Studio, Ollama and llama.cpp folders; add folders with --dir)\n',
    );
    return 0;
  }
  const rows = models.map((m) => [m.label, m.quantization ?? '?', formatSize(m.sizeBytes), m.architecture ?? '?', m.source, m.path]);
  const widths = [0, 1, 2, 3, 4].map((i) =>
    Math.max(...rows.map((r) => r[i].length), ['model', 'quant', 'size', 'arch', 'source'][i].length),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 5 ? c.padEnd(widths[i]) : c))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${[line(['model', 'quant', 'size', 'arch', 'source', 'path']), ...rows.map(line)].join('\n')}\n`);
  return 0;
}

export function formatSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}
