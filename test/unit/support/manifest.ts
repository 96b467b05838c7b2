// The repository's package.json, read the same way from the transpiled tests (out/test-build) and
// from the sources.
import * as fs from 'node:fs';
import * as path from 'node:path';

const up = path.resolve(__dirname, '..', '..', '..');
/** The repository root. */
export const repoRoot = path.basename(up) === 'test-build' ? path.resolve(up, '..', '..') : up;

export function readManifest<T>(): T {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as T;
}
