// files.exclude globs (globMatch.ts).
import * as assert from 'node:assert/strict';
import { GlobSet } from '../../extension/context/globMatch';

describe('files.exclude globs', () => {
  it('matches VS Code style patterns', () => {
    const globs = new GlobSet({
      '**/node_modules': true,
      '**/*.min.js': true,
      'dist/**': true,
      '**/.git': true,
      '**/*.{png,jpg}': true,
      'keep/**': false,
    });
    for (const p of ['node_modules/x/index.js', 'src/node_modules/a.js', 'lib/app.min.js', 'dist/out.js', 'img/a.png', '.git/config']) {
      assert.ok(globs.matches(p), p);
    }
    for (const p of ['src/app.ts', 'keep/a.ts', 'distant/file.ts', 'lib/app.js']) assert.ok(!globs.matches(p), p);
  });
});
