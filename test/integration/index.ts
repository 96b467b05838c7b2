// The extension tests entry point (`--extensionTestsPath`): VS Code loads this file in the
// extension host and awaits run(). Runs every *.test.js beside it with mocha (bdd UI) and the
// spec reporter; the tally goes to $TANDEM_TEST_STATS (a JSON file) and to a last output line
// `tandem-tally {"passes":N,"failures":N,"pending":N}` for runners that only see the output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { installEngineSpy } from './support/engineSpy';

export async function run(): Promise<void> {
  // Before any test (and before the extension forks its engine host): record engine IPC.
  installEngineSpy();
  const grep = process.env.TANDEM_IT_GREP;
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: Number(process.env.TANDEM_IT_TIMEOUT_MS || 60_000),
    ...(grep ? { grep, invert: process.env.TANDEM_IT_INVERT === '1' } : {}),
  });
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const stats = await new Promise<Mocha.Stats>((resolve, reject) => {
    try {
      const runner = mocha.run(() => resolve(runner.stats ?? ({ passes: 0, failures: 1, pending: 0 } as Mocha.Stats)));
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
  const tally = { passes: stats.passes, failures: stats.failures, pending: stats.pending, duration: stats.duration };
  if (process.env.TANDEM_TEST_STATS) fs.writeFileSync(process.env.TANDEM_TEST_STATS, JSON.stringify(tally));
  console.log(`tandem-tally ${JSON.stringify(tally)}`);
  if (stats.failures > 0) throw new Error(`${stats.failures} integration test(s) failed`);
}
