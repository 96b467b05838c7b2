// Entry point of the engine host: a Node child process, forked by EngineClient with an IPC
// channel, that loads the native addon and serves the protocol in protocol.ts. Keeping the addon
// here means a crash or out-of-memory in native code takes down this process, never the editor.
//   node engineHost.js [--addon PATH]      (TANDEM_ADDON also names the addon)
//   TANDEM_LOG_LEVEL=none|error|warn|info|debug   llama.cpp log lines on stderr (default warn)
import { EngineHostService } from './hostService';
import { NativeAddon, findAddon, loadAddon } from './native';
import type { HostMessage, WireError } from './protocol';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 3000;

function addonPathFromArgs(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--addon');
  return i >= 0 ? argv[i + 1] : undefined;
}

function openAddon(): NativeAddon | WireError {
  try {
    // a path named explicitly is used as is: falling back to another build would hide the mistake
    const explicit = addonPathFromArgs(process.argv) ?? process.env.TANDEM_ADDON;
    const addon = loadAddon(explicit || findAddon(__dirname));
    addon.setLogLevel(process.env.TANDEM_LOG_LEVEL || 'warn');
    return addon;
  } catch (err) {
    return {
      code: 'ADDON_UNAVAILABLE',
      message: `Tandem's native engine could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

function main(): void {
  if (!process.send) {
    process.stderr.write('tandem engine host: start it through EngineClient (it needs an IPC channel)\n');
    process.exitCode = 2;
    return;
  }
  const send = (message: HostMessage): void => {
    // with a callback, a closed channel reports here instead of throwing or emitting 'error'
    process.send?.(message, undefined, {}, (err) => {
      if (err) process.stderr.write(`tandem engine host: send failed: ${err.message}\n`);
    });
  };
  const service = new EngineHostService(openAddon(), send);
  // attached synchronously, before any await, so no early message is missed
  process.on('message', (message) => service.handle(message));
  process.on('disconnect', () => {
    // the editor went away (or disposed us): free the model and leave
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    void service.shutdown().finally(() => process.exit(0));
  });
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`tandem engine host: unhandled rejection: ${String(reason)}\n`);
  });
  send(service.hello(process.pid));
}

main();
