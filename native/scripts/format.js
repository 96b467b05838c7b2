#!/usr/bin/env node
// Formats the C++ of native/ (src, tests, fuzz) with the repository's .clang-format, using the
// clang-format binary pinned by the clang-format-node devDependency (the same version on every
// platform, so a check never disagrees between machines).
//   node native/scripts/format.js           rewrite the files in place
//   node native/scripts/format.js --check   list the files that differ; exit 1 if any
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const NATIVE = path.resolve(__dirname, '..');
const FOLDERS = ['src', 'tests', 'fuzz'];

function sources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(p));
    else if (/\.(cpp|h)$/.test(entry.name)) out.push(p);
  }
  return out;
}

function main() {
  const check = process.argv.includes('--check');
  const cli = require.resolve('clang-format-node/build/cli.js');
  const files = FOLDERS.flatMap((f) => sources(path.join(NATIVE, f))).sort();
  const args = check ? ['--dry-run', '--Werror', '--ferror-limit=1'] : ['-i'];
  // a few files per call keeps the command line short on Windows
  let bad = 0;
  for (let i = 0; i < files.length; i += 40) {
    const r = spawnSync(process.execPath, [cli, ...args, '--style=file', ...files.slice(i, i + 40)], { encoding: 'utf8' });
    if (r.error) throw r.error;
    if (r.status !== 0) {
      bad++;
      const differing = new Set([...r.stderr.matchAll(/^(.*?\.(?:cpp|h)):\d+:\d+: (?:error|warning)/gm)].map((m) => path.relative(process.cwd(), m[1])));
      process.stderr.write(differing.size ? `not formatted: ${[...differing].join(', ')}\n` : r.stderr);
    }
  }
  if (bad) {
    console.error(`clang-format: run \`npm run format:native\` to fix`);
    process.exit(1);
  }
  console.log(`clang-format: ${files.length} files ${check ? 'formatted' : 'written'}`);
}

main();
