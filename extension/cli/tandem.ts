// Entry point of the `tandem` command line (bundled to out/cli.js; see cli/bin.js).
import { processIo } from './io';
import { runCli } from './main';

void runCli(process.argv.slice(2), processIo()).then((code) => {
  // exit once stdout has drained, even if a native handle would keep the loop alive
  process.stdout.write('', () => process.exit(code));
});
