#!/usr/bin/env node
'use strict';
// Headless check that the product starts: the same preparation as `npm start` (host, build,
// extension link, model, settings, sample workspace), code-server on a free loopback port, the
// workbench opened in Debian chromium via playwright-core, Tandem's status bar item seen (the
// extension activated), one completion requested in the sample file (the engine loads the model;
// fail if the status bar shows an error), a 1400x900 screenshot in test-artifacts/. Exit 0 / 1.
//
//   node test/host/smoke.js [--model FILE] [--folder DIR] [--extension DIR] [--no-build]
//                           [--allow-unbuilt] [--no-complete] [--keep] [--timeout SECONDS]
//
// --allow-unbuilt: when out/ is incomplete, only check that the workbench renders and that VS Code
// lists the extension (instead of failing). --no-complete: stop after activation.
// --keep: keep the temporary VS Code data folder. --timeout: per wait, default 90.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensureChromium } = require('./setup');
const { startCodeServer } = require('./codeServer');
const { prepare, missingBuildOutputs, ROOT } = require('./start');

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--disable-breakpad', '--disable-crash-reporter'];

function log(m) { console.error(`[tandem smoke] ${m}`); }

function parseArgs(argv) {
  const o = { build: true, allowUnbuilt: false, keep: false, timeoutS: 90, complete: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--model': o.model = val(); break;
      case '--folder': o.folder = val(); break;
      case '--extension': o.extension = val(); break;
      case '--no-build': o.build = false; break;
      case '--allow-unbuilt': o.allowUnbuilt = true; break;
      case '--keep': o.keep = true; break;
      case '--no-complete': o.complete = false; break;
      case '--timeout': o.timeoutS = Number(val()); break;
      case '-h': case '--help': o.help = true; break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help) {
    console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 15).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
    return 0;
  }
  const t0 = Date.now();
  const mark = (label) => log(`${label} (+${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const { chromium } = require('playwright-core');
  const chromiumPath = ensureChromium({ log: (m) => log(`chromium: ${m}`) });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-smoke-'));
  const extDir = path.resolve(o.extension || ROOT);
  // A private copy of the sample workspace: the smoke types into a file and VS Code web auto-saves.
  const sampleWorkspace = path.join(runDir, 'workspace');

  let prep;
  let full;
  let unbuilt = [];
  try {
    try {
      prep = await prepare({ ...o, dataDir: runDir, strictModel: true, sampleWorkspace });
    } catch (err) {
      if (!o.allowUnbuilt) throw err;
      log(`build failed (${err.message.split('\n')[0]}); --allow-unbuilt: continuing without it`);
      prep = await prepare({ ...o, dataDir: runDir, build: false, strictModel: true, sampleWorkspace });
    }
    unbuilt = missingBuildOutputs(extDir);
    full = unbuilt.length === 0;
    if (!full && !o.allowUnbuilt) {
      throw new Error(`extension not built (${unbuilt.join(', ')} missing); run \`npm run build\` or pass --allow-unbuilt`);
    }
  } catch (err) {
    if (!o.keep) fs.rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  mark(`prepared: ${prep.ext.id}@${prep.ext.version}, model ${prep.model.path} (${prep.model.source})` +
    (full ? '' : `; UNBUILT (${unbuilt.join(', ')} missing): reduced check`));

  let cs = null;
  let browser = null;
  const cleanup = async () => {
    if (browser) await browser.close().catch(() => {});
    if (cs) await cs.stop();
    if (!o.keep) fs.rmSync(runDir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => { log(`${sig}: cleaning up`); cleanup().finally(() => process.exit(1)); });
  }

  const shot = path.join(ARTIFACTS, 'smoke-workbench.png');
  let page = null;
  try {
    cs = await startCodeServer({
      dir: runDir,
      userDataDir: prep.dirs.userDataDir,
      extensionsDir: prep.dirs.extensionsDir,
      logFile: path.join(ARTIFACTS, 'smoke-code-server.log'),
      folder: prep.folder,
    });
    mark(`code-server listening at ${cs.url} (${cs.startupMs} ms)`);

    // Chromium writes crash-report folders under $XDG_CONFIG_HOME even with its own profile dir.
    const xdg = path.join(runDir, 'chromium-xdg');
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_FLAGS,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(xdg, 'config'), XDG_CACHE_HOME: path.join(xdg, 'cache') } });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    const timeout = o.timeoutS * 1000;
    await page.goto(cs.workbenchUrl, { waitUntil: 'domcontentloaded', timeout });
    await page.waitForSelector('.monaco-workbench', { timeout });
    mark('workbench rendered');
    // Wait for the remote extension host to connect and the explorer to show the workspace.
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout }).catch(() => {});

    // Open a sample source file: language activation events fire and the screenshot shows an editor.
    const sample = ['geometry.py', 'queue.ts'].find((f) => fs.existsSync(path.join(prep.folder, f)));
    if (sample) {
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: sample }).first()
        .click({ timeout: 15000 }).catch((e) => log(`could not open ${sample}: ${e.message.split('\n')[0]}`));
      await page.waitForSelector('.monaco-editor .view-lines', { timeout: 15000 }).catch(() => {});
    }

    let ok;
    if (full) {
      // Activated = the extension's status bar item is shown. Then wait (same timeout) for it to
      // leave the spinning "starting/loading" state, and fail if it settles on an error.
      const readItem = () => page.evaluate(() => {
        for (const el of document.querySelectorAll('.statusbar-item')) {
          const label = el.querySelector('.statusbar-item-label') || el;
          const aria = label.getAttribute('aria-label') || el.getAttribute('aria-label') || '';
          const text = (el.textContent || '').trim();
          if (!/tandem/i.test(`${text} ${aria} ${el.id}`)) continue;
          const icons = [...el.querySelectorAll('[class*="codicon-"]')]
            .flatMap((i) => [...i.classList].filter((c) => c.startsWith('codicon-')));
          return { id: el.id, text, aria, icons };
        }
        return null;
      });
      const deadline = Date.now() + timeout;
      let item = null;
      for (;;) {
        item = await readItem().catch(() => null);
        const spinning = item && item.icons.some((c) => /spin|loading/.test(c));
        if ((item && !spinning) || Date.now() > deadline) break;
        await page.waitForTimeout(250);
      }
      const isError = !!item && item.icons.some((c) => c === 'codicon-error');
      ok = !!item && !isError;
      const desc = item ? `"${item.text}" [${item.icons.join(' ')}] (${item.aria || item.id})` : '';
      mark(!item ? 'FAIL: no Tandem status bar item (extension not activated)'
        : isError ? `FAIL: extension activated but its status bar shows an error: ${desc}`
          : `extension activated: status bar ${desc}`);

      if (ok && o.complete) {
        // Ask for a completion at the end of the sample file: the engine host starts, loads the
        // model and answers. Pass = status settles on "ready" with the model loaded (no error).
        // Ghost text is reported, not required: random-weight test models may produce nothing.
        const tc = Date.now();
        await page.locator('.monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+End');
        await page.keyboard.type('r', { delay: 50 });
        await page.keyboard.press('Escape'); // close the word-based suggest widget
        await page.keyboard.press('Alt+Backslash'); // editor.action.inlineSuggest.trigger
        let ghost = '';
        let state = item;
        let toast = '';
        let loadedAt = 0;
        let lastTrigger = Date.now();
        const settleMs = 20000; // after the model loaded, how long to wait for a finished completion
        for (;;) {
          state = await readItem().catch(() => null) || state;
          ghost = await page.evaluate(() => [...document.querySelectorAll('.monaco-editor [class*="ghost-text"]')]
            .map((e) => e.textContent).join('').replace(/\u00a0/g, ' ').trim()).catch(() => '');
          // The extension reports load/completion failures as error notifications.
          toast = await page.evaluate(() => [...document.querySelectorAll('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item')]
            .filter((e) => e.querySelector('.codicon-error') && /tandem/i.test(e.textContent || ''))
            .map((e) => (e.querySelector('.notification-list-item-message') || e).textContent.trim())[0] || '').catch(() => '');
          const spinning = state.icons.some((c) => /spin|loading/.test(c));
          const errored = state.icons.includes('codicon-error') || !!toast;
          const loaded = !spinning && !errored && !/loads on first completion/.test(state.aria);
          if (loaded && !loadedAt) loadedAt = Date.now();
          const done = /Last completion/i.test(state.aria) || !!ghost;
          if (errored || (loaded && done) || (loadedAt && Date.now() - loadedAt > settleMs) || Date.now() > deadline) break;
          if (loaded && Date.now() - lastTrigger > 4000) { // ask again once the model is there
            lastTrigger = Date.now();
            await page.keyboard.press('Alt+Backslash');
          }
          await page.waitForTimeout(250);
        }
        const spinning = state.icons.some((c) => /spin|loading/.test(c));
        const errored = state.icons.includes('codicon-error') || !!toast;
        const loaded = !spinning && !errored && !/loads on first completion/.test(state.aria);
        const stats = (state.aria.match(/Last completion:([^\n]*)/i) || [])[1];
        ok = loaded;
        mark(`${ok ? 'completion round trip' : 'FAIL: completion round trip'} in ${((Date.now() - tc) / 1000).toFixed(1)} s: ` +
          `status [${state.icons.join(' ')}] ${state.aria.replace(/\s+/g, ' ')}` +
          (toast ? `; error notification: ${JSON.stringify(toast)}` : '') +
          `; ghost text: ${ghost ? JSON.stringify(ghost.slice(0, 80)) : '(none)'}` +
          (ok && !stats && !ghost ? ' (model loaded; no completion finished within the wait)' : ''));
      }
    } else {
      // Reduced check: VS Code lists the extension among the installed ones.
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Shift+X');
      const search = page.locator('.extensions-viewlet .suggest-input-container textarea, .extensions-viewlet .monaco-editor textarea').first();
      await search.waitFor({ timeout: 20000 });
      await search.focus();
      await page.keyboard.type(`@installed ${prep.ext.displayName}`);
      const item = page.locator('.extensions-viewlet .extension-list-item', { hasText: prep.ext.displayName }).first();
      ok = await item.waitFor({ timeout: 30000 }).then(() => true, () => false);
      mark(ok ? `extension "${prep.ext.displayName}" listed as installed` : 'FAIL: extension not listed as installed');
    }
    await page.waitForTimeout(1000);
    await page.screenshot({ path: shot });
    mark(`screenshot: ${path.relative(ROOT, shot)}`);
    if (!ok) {
      const relevant = consoleErrors.filter((e) => /tandem/i.test(e)).slice(0, 10).map((e) => e.split('\n')[0].slice(0, 300));
      if (relevant.length) log(`browser console errors mentioning tandem:\n  ${relevant.join('\n  ')}`);
      log(`logs: ${cs.logFile}; VS Code logs (extension host: exthost*/): ${o.keep ? path.join(prep.dirs.userDataDir, 'logs') : path.join(ARTIFACTS, 'smoke-vscode-logs')}`);
    }
    log(`${ok ? 'PASS' : 'FAIL'}${full ? '' : ' (reduced: extension not built)'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return ok ? 0 : 1;
  } catch (err) {
    if (page) await page.screenshot({ path: shot }).catch(() => {});
    throw err;
  } finally {
    if (!o.keep) {
      // Keep VS Code's own logs (extension host output) with the artifacts before the run dir goes.
      const logs = path.join(prep.dirs.userDataDir, 'logs');
      if (fs.existsSync(logs)) {
        fs.rmSync(path.join(ARTIFACTS, 'smoke-vscode-logs'), { recursive: true, force: true });
        fs.cpSync(logs, path.join(ARTIFACTS, 'smoke-vscode-logs'), { recursive: true });
      }
    } else log(`kept ${runDir}`);
    await cleanup();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(`[tandem smoke] FAIL: ${err.message}`);
  process.exit(1);
});
