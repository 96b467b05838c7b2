#!/usr/bin/env node
// Bundles the extension for VS Code and the engine's Node entry points:
//   out/extension.js   extension host side (imports `vscode`, never the addon)
//   out/engineHost.js  child process that loads the addon and serves the engine protocol
//   out/cli.js         the `tandem` command line
//   out/tandem.node    the native addon, copied beside the bundles
// `node esbuild.js --tests` instead transpiles extension/ and test/ file by file (no bundling)
// into out/test-build/, keeping the source layout, for mocha.
// Type-checking is separate: `npm run typecheck`.
'use strict';
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = __dirname;
const production = process.argv.includes('--production');

function listTs(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    // fixture workspaces are content for tests to open, not code to run
    if (e.isDirectory()) { if (!(e.name === 'workspace' && path.basename(dir) === 'fixtures')) out.push(...listTs(p)); }
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

async function buildTests() {
  const entryPoints = ['extension', 'test'].flatMap((d) => listTs(path.join(root, d)));
  await esbuild.build({
    entryPoints,
    outdir: path.join(root, 'out', 'test-build'),
    outbase: root,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

async function buildBundles() {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: !production,
    minify: production,
    external: ['vscode'],
    logLevel: 'warning',
  };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: ['extension/extension.ts'], outfile: 'out/extension.js' }),
    esbuild.build({ ...common, entryPoints: ['extension/engine/host.ts'], outfile: 'out/engineHost.js' }),
    esbuild.build({ ...common, entryPoints: ['extension/cli/tandem.ts'], outfile: 'out/cli.js' }),
  ]);
  const addon = path.join(root, 'native', 'build', 'Release', 'tandem.node');
  if (fs.existsSync(addon)) {
    // copy then rename: an engine host that has the old file loaded keeps its mapping intact
    const dest = path.join(root, 'out', 'tandem.node');
    fs.copyFileSync(addon, `${dest}.tmp`);
    fs.renameSync(`${dest}.tmp`, dest);
  }
  else console.warn('[esbuild] native/build/Release/tandem.node not built yet: run `npm run build:native`');
}

(process.argv.includes('--tests') ? buildTests() : buildBundles()).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
