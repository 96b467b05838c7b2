#!/usr/bin/env node
// Puts the pinned llama.cpp source at native/deps/llama.cpp (git-ignored).
// The source comes from the npm package named in package.json "llamaCpp": it ships a llama.cpp
// release as a git bundle, so no access to GitHub is needed. The tarball's integrity is checked
// against the pinned hash before anything is extracted.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const pin = require(path.join(root, 'package.json')).llamaCpp;
const dest = path.join(root, 'native', 'deps', 'llama.cpp');
const stamp = path.join(dest, '.tandem-pin');
const want = `${pin.fromNpmPackage}@${pin.version} ${pin.commit}`;

function log(msg) { process.stderr.write(`[fetch-llama] ${msg}\n`); }

function main() {
  if (process.env.LLAMA_CPP_DIR) {
    log(`LLAMA_CPP_DIR is set (${process.env.LLAMA_CPP_DIR}); nothing to fetch.`);
    return;
  }
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === want) {
    log(`llama.cpp ${pin.release} (${pin.commit}) already at ${path.relative(root, dest)}`);
    return;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-llama-'));
  try {
    log(`npm pack ${pin.fromNpmPackage}@${pin.version} …`);
    const out = execFileSync('npm', ['pack', `${pin.fromNpmPackage}@${pin.version}`, '--silent'],
      { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const tgz = path.join(work, out.trim().split('\n').pop());
    const [algo, b64] = pin.integrity.split('-');
    const got = crypto.createHash(algo).update(fs.readFileSync(tgz)).digest('base64');
    if (got !== b64) {
      throw new Error(`integrity mismatch for ${path.basename(tgz)}: expected ${pin.integrity}, got ${algo}-${got}`);
    }
    execFileSync('tar', ['xzf', tgz, '-C', work, 'package/llama/gitRelease.bundle'], { stdio: 'inherit' });
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    log(`git clone bundle → ${path.relative(root, dest)}`);
    execFileSync('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', path.join(work, 'package/llama/gitRelease.bundle'), dest],
      { stdio: 'inherit' });
    const head = execFileSync('git', ['-C', dest, 'rev-parse', '--short=7', 'HEAD'], { encoding: 'utf8' }).trim();
    if (!pin.commit.startsWith(head) && !head.startsWith(pin.commit)) {
      throw new Error(`bundle HEAD is ${head}, package.json pins ${pin.commit}`);
    }
    fs.writeFileSync(stamp, want + '\n');
    log(`llama.cpp ${pin.release} (${head}) ready`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

try { main(); } catch (err) { log(`error: ${err.message}`); process.exit(1); }
