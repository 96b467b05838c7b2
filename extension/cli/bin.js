#!/usr/bin/env node
// `tandem` bin shim (package.json "bin"): runs the bundled CLI, or says how to build it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', '..', 'out', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`tandem: ${path.relative(process.cwd(), cli) || cli} is missing: run \`npm run build\` first\n`);
  process.exit(1);
}
require(cli);
