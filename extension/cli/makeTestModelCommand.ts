// `tandem make-test-model`: a small random-weight GGUF with a real tokenizer, for tests.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MakeTestModelCommand, vocabCandidates } from './commands';
import { CliError, CliIo } from './io';

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

export async function resolveVocab(vocab: string, io: CliIo): Promise<string> {
  const candidates = vocabCandidates(vocab, { llamaCppDir: io.env.LLAMA_CPP_DIR, packageRoot: io.packageRoot, cwd: io.cwd });
  for (const candidate of candidates) if (await exists(candidate)) return candidate;
  throw new CliError(
    `vocab ${JSON.stringify(vocab)} not found; looked for:\n  ${candidates.join('\n  ')}\n` +
      'Run `npm run fetch:llama` (llama.cpp ships these files in models/), set LLAMA_CPP_DIR, or pass --vocab PATH.',
    'VOCAB_NOT_FOUND',
  );
}

export async function runMakeTestModel(cmd: MakeTestModelCommand, io: CliIo): Promise<number> {
  const vocabPath = await resolveVocab(cmd.vocab, io);
  const out = path.resolve(io.cwd, cmd.options.out);
  await fs.mkdir(path.dirname(out), { recursive: true });
  const addon = io.loadAddon();
  addon.setLogLevel(io.env.TANDEM_LOG_LEVEL || 'error');
  const made = await addon.makeTestModel({ ...cmd.options, out, vocabPath });
  if (cmd.json) {
    io.stdout.write(`${JSON.stringify({ ...made, options: { ...cmd.options, out, vocabPath } })}\n`);
  } else {
    io.stdout.write(`wrote ${made.path}: ${made.parameters} parameters, ${(made.bytes / 2 ** 20).toFixed(1)} MiB\n`);
  }
  return 0;
}
