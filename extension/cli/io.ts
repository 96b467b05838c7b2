// What the CLI touches outside itself, passed in so commands can be driven by tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NativeAddon, findAddon, loadAddon } from '../engine/native';

export interface CliIo {
  stdout: { write(text: string): void };
  stderr: { write(text: string): void };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The tandem package folder (holds package.json). */
  packageRoot: string;
  loadAddon(): NativeAddon;
  /** Registers a Ctrl-C handler; returns its remover. */
  onInterrupt(handler: () => void): () => void;
}

/** A runtime failure with a code (exit code 1). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Walks up from `from` to the folder whose package.json is this package's. */
export function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'tandem') return dir;
    } catch {
      // no package.json here: keep walking
    }
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

function safeWrite(stream: NodeJS.WriteStream): { write(text: string): void } {
  // a closed pipe (`tandem … | head`) must not crash the process
  stream.on('error', () => undefined);
  return { write: (text) => void stream.write(text) };
}

export function processIo(): CliIo {
  return {
    stdout: safeWrite(process.stdout),
    stderr: safeWrite(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    packageRoot: findPackageRoot(__dirname),
    loadAddon: () => {
      try {
        return loadAddon(findAddon(__dirname));
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err), 'ADDON_UNAVAILABLE');
      }
    },
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
