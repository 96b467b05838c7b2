// The `tandem` command line: dispatch, help, and the mapping of failures to exit codes
// (0 ok, 1 runtime error, 2 usage error). Errors go to stderr, as JSON with --json.
import { CursorPositionError } from '../context/cursorSplit';
import { UsageError, formatHelp } from './args';
import { runBench } from './benchCommand';
import {
  COMMANDS,
  COMPLETE_SPEC,
  DEVICES_SPEC,
  MAKE_TEST_MODEL_SPEC,
  MODELS_SPEC,
  formatOverview,
  parseComplete,
  parseDevices,
  parseMakeTestModel,
  parseModels,
} from './commands';
import { runComplete } from './completeCommand';
import { runDevices } from './devicesCommand';
import type { CliIo } from './io';
import { runMakeTestModel } from './makeTestModelCommand';
import { runModels } from './modelsCommand';
import { runServerComplete } from './serverCompleteCommand';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (command) {
      case undefined:
        io.stderr.write(formatOverview());
        return EXIT_USAGE;
      case '--help':
      case '-h':
      case 'help':
        io.stdout.write(formatOverview());
        return EXIT_OK;
      case 'complete': {
        const cmd = parseComplete(rest);
        if (cmd === 'help') return help(io, COMPLETE_SPEC);
        if (cmd.server) return await runServerComplete({ ...cmd, server: cmd.server }, io);
        return await runComplete(cmd, io);
      }
      case 'make-test-model': {
        const cmd = parseMakeTestModel(rest);
        if (cmd === 'help') return help(io, MAKE_TEST_MODEL_SPEC);
        return await runMakeTestModel(cmd, io);
      }
      case 'devices': {
        const cmd = parseDevices(rest);
        if (cmd === 'help') return help(io, DEVICES_SPEC);
        return runDevices(cmd, io);
      }
      case 'models': {
        const cmd = parseModels(rest);
        if (cmd === 'help') return help(io, MODELS_SPEC);
        return await runModels(cmd, io);
      }
      case 'bench':
        return await runBench(rest, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    }
  } catch (err) {
    return reportError(err, io, json);
  }
}

function help(io: CliIo, spec: (typeof COMMANDS)[number]): number {
  io.stdout.write(formatHelp(spec));
  return EXIT_OK;
}

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof CursorPositionError ? EXIT_USAGE : EXIT_RUNTIME;
}

function reportError(err: unknown, io: CliIo, json: boolean): number {
  const message = err instanceof Error ? err.message : String(err);
  const rawCode = (err as { code?: unknown } | null)?.code;
  const code = typeof rawCode === 'string' ? rawCode : 'INTERNAL';
  if (json) io.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else io.stderr.write(`tandem: error [${code}]: ${message}\n`);
  return exitCodeFor(err);
}
