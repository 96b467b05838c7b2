// A minimal stand-in for the `vscode` module, enough to activate the extension in plain Node and
// drive its adapters (provider, status bar, settings, commands). Installed by hooking require.
/* eslint-disable @typescript-eslint/no-explicit-any */
import Module from 'node:module';

type Listener = (value: any) => void;

export class Position {
  constructor(readonly line: number, readonly character: number) {}
}
export class Range {
  constructor(readonly start: Position, readonly end: Position) {}
}
export class InlineCompletionItem {
  constructor(readonly insertText: string, readonly range?: Range) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}

export class CancellationTokenSource {
  private listeners: Listener[] = [];
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: (listener: Listener) => {
      this.listeners.push(listener);
      return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
    },
  };
  cancel(): void {
    this.token.isCancellationRequested = true;
    for (const l of this.listeners) l(undefined);
  }
}

export class TextDocument {
  constructor(readonly text: string) {}
  private lines(): string[] {
    return this.text.split('\n');
  }
  lineAt(line: number) {
    return { text: this.lines()[line] ?? '' };
  }
  offsetAt(p: Position): number {
    const lines = this.lines();
    let offset = 0;
    for (let i = 0; i < p.line; i++) offset += lines[i].length + 1;
    return offset + p.character;
  }
  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    const before = this.text.slice(0, clamped).split('\n');
    return new Position(before.length - 1, before[before.length - 1].length);
  }
  getText(range?: Range): string {
    if (!range) return this.text;
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }
}

export function createVscodeMock() {
  const settings = new Map<string, unknown>();
  const configListeners: Listener[] = [];
  const commands = new Map<string, (...args: any[]) => any>();
  const errorMessages: { message: string; actions: string[] }[] = [];
  const infoMessages: string[] = [];
  /** What the next dialogs answer (tests set these before running a command). */
  const answers: {
    quickPick?: (items: any[]) => any;
    openDialog?: string[];
    errorAction?: string;
    cancelProgressAfterMs?: number;
  } = {};
  const progressReports: { message?: string; increment?: number }[] = [];
  const workspaceFolders: { uri: { fsPath: string } }[] = [];
  const providers: any[] = [];
  const statusItems: any[] = [];
  const logLines: string[] = [];
  const disposable = { dispose: () => undefined };

  const vscode = {
    Position, Range, InlineCompletionItem, ThemeColor, CancellationTokenSource,
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    workspace: {
      workspaceFolders,
      getConfiguration: (section: string) => ({
        get: (key: string, fallback?: unknown) => (settings.has(`${section}.${key}`) ? settings.get(`${section}.${key}`) : fallback),
        update: async (key: string, value: unknown) => {
          settings.set(`${section}.${key}`, value);
          for (const l of configListeners) l({ affectsConfiguration: (s: string) => `${section}.${key}`.startsWith(s) });
        },
      }),
      onDidChangeConfiguration: (listener: Listener) => {
        configListeners.push(listener);
        return disposable;
      },
    },
    window: {
      createOutputChannel: () => ({
        info: (l: string) => logLines.push(l), error: (l: string) => logLines.push(`ERROR ${l}`), show: () => undefined, dispose: () => undefined,
      }),
      createStatusBarItem: () => {
        const item = { text: '', tooltip: '', show: () => undefined, dispose: () => undefined };
        statusItems.push(item);
        return item;
      },
      showErrorMessage: async (message: string, ...actions: string[]) => {
        errorMessages.push({ message, actions });
        const answer = answers.errorAction;
        answers.errorAction = undefined;
        return answer;
      },
      showInformationMessage: async (message: string) => {
        infoMessages.push(message);
        return undefined;
      },
      showQuickPick: async (items: any[]) => answers.quickPick?.(await items),
      showOpenDialog: async () => answers.openDialog?.map((fsPath) => ({ fsPath })),
      withProgress: async (_options: unknown, task: (progress: any, token: any) => Promise<unknown>) => {
        const source = new CancellationTokenSource();
        const timer = answers.cancelProgressAfterMs !== undefined
          ? setTimeout(() => source.cancel(), answers.cancelProgressAfterMs) : undefined;
        try {
          return await task({ report: (r: { message?: string; increment?: number }) => progressReports.push(r) }, source.token);
        } finally {
          if (timer) clearTimeout(timer);
        }
      },
    },
    languages: {
      registerInlineCompletionItemProvider: (_selector: unknown, provider: unknown) => {
        providers.push(provider);
        return disposable;
      },
    },
    commands: {
      registerCommand: (id: string, fn: (...args: any[]) => any) => {
        commands.set(id, fn);
        return disposable;
      },
      executeCommand: async (id: string, ...args: any[]) => commands.get(id)?.(...args),
    },
  };

  /** Sets a setting and fires onDidChangeConfiguration, as the settings editor would. */
  const setSetting = (key: string, value: unknown) => {
    settings.set(key, value);
    for (const l of configListeners) l({ affectsConfiguration: (s: string) => key.startsWith(s) });
  };
  return {
    vscode, settings, setSetting, commands, errorMessages, infoMessages, answers, progressReports, workspaceFolders,
    providers, statusItems, logLines,
  };
}

/** Makes `require('vscode')` return `mock` until the returned function is called. */
export function installVscodeMock(mock: object): () => void {
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') return mock;
    return original.call(this, request, ...rest);
  };
  return () => {
    loader._load = original;
  };
}
