// When the platform suites can run: cross builds are made on Linux x64 with Debian packages that
// the build installs itself as root; elsewhere, or without root and without those packages, the
// suites are skipped with the reason (and the command that would install them).
import * as path from 'node:path';
import { repoRoot } from '../native/fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const toolchains = require(path.join(repoRoot, 'native', 'scripts', 'toolchains.js'));

/** Why the platform checks cannot run on this machine, or undefined when they can. */
export function whyPlatformChecksCannotRun(platforms: readonly string[], forRun: boolean): string | undefined {
  if (`${process.platform}-${process.arch}` !== 'linux-x64')
    return `cross builds are made on linux-x64; this is ${process.platform}-${process.arch}`;
  const packages: string[] = [
    ...new Set(platforms.flatMap((p) => [...(toolchains.APT.build[p] ?? []), ...(forRun ? (toolchains.APT.run[p] ?? []) : [])])),
  ];
  const missing = packages.filter((p) => !toolchains.aptInstalled(p));
  if (missing.length && process.getuid?.() !== 0) {
    return `Debian packages ${missing.join(', ')} are missing and only root installs them: sudo apt-get install ${missing.join(' ')}`;
  }
  return undefined;
}
