// A CliIo that captures stdout and stderr, for running the `tandem` CLI in-process in tests.
import type { CliIo } from '../../extension/cli/io';
import type { NativeAddon } from '../../extension/engine/native';

export function captureCliIo(options: { cwd: string; env: NodeJS.ProcessEnv; loadAddon: () => NativeAddon }) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (t) => void out.push(t) },
    stderr: { write: (t) => void err.push(t) },
    env: options.env,
    cwd: options.cwd,
    packageRoot: options.cwd,
    loadAddon: options.loadAddon,
    onInterrupt: () => () => undefined,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}
