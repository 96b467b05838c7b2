'use strict';
// The packaged extension as a user installs it: the VSIX that `npm run package` writes
// (.ci/package-vsix.js), installed with code-server's own installer, and an audit of what landed
// in the extension folder. Used by the e2e suite.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { packageVsix, readManifest, vsceTarget, REQUIRED_FILES } = require('../../.ci/package-vsix');

function log(m) { console.error(`[vsix] ${m}`); }

/** Installs a VSIX with code-server's own installer into extensionsDir; returns the installed
 *  extension folder. */
async function installVsix({ vsix, extensionsDir, userDataDir, logger = log }) {
  const { ensureHost } = require('./setup');
  const host = await ensureHost({ log: logger });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.VSCODE_IPC_HOOK_CLI;
  const args = [host.codeServerEntry, '--install-extension', vsix, '--extensions-dir', extensionsDir, '--force'];
  if (userDataDir) args.push('--user-data-dir', userDataDir);
  const r = spawnSync(host.node, args, { encoding: 'utf8', env, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`code-server --install-extension failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  const pkg = readManifest();
  const id = `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase();
  const dir = fs.readdirSync(extensionsDir).find((d) => d.toLowerCase().startsWith(id));
  if (!dir) throw new Error(`code-server reported success but ${extensionsDir} has no ${id}*: ${r.stdout}`);
  return path.join(extensionsDir, dir);
}

/** Every file under dir, relative, with / separators. */
function listFiles(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Files of an installed extension that should not be there (sources, tests, maps, modules…),
 *  and required ones that are missing. */
function auditInstalled(dir) {
  const files = listFiles(dir);
  const allowed = (f) => REQUIRED_FILES.includes(f) || /^(readme\.md|license(\.\w+)?|\.vsixmanifest|changelog\.md)$/i.test(f) ||
    /^media\/[^/]+\.(js|css|svg|png)$/.test(f);
  return {
    files,
    unexpected: files.filter((f) => !allowed(f)),
    missing: REQUIRED_FILES.filter((f) => !files.includes(f)),
  };
}

module.exports = { packageVsix, installVsix, auditInstalled, listFiles, vsceTarget, REQUIRED_FILES };
