// A stand-in for the `vscode` module, enough to activate the extension in plain Node and drive its
// adapters (provider, status bar, settings, commands, workspace context). Installed by hooking
// require. Product code uses the real API as it is (no optional chaining or existence checks for
// the mock's sake): whatever of the API it uses, this mock provides.

import Module from 'node:module';

type Listener = (value: any) => void;

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
}
export class Selection extends Range {
  constructor(
    readonly anchor: Position,
    readonly active: Position,
  ) {
    const anchorFirst = anchor.line < active.line || (anchor.line === active.line && anchor.character <= active.character);
    super(anchorFirst ? anchor : active, anchorFirst ? active : anchor);
  }
}
/** Enough of vscode.Uri for paths and webview resource URIs. */
export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static file(fsPath: string): Uri {
    return new Uri('file', fsPath.replace(/\\/g, '/'));
  }
  /** "scheme://authority/path" or "scheme:path" (the authority is kept in the path). */
  static parse(value: string): Uri {
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/)?(.*)$/su.exec(value);
    if (!m) throw new Error(`Uri.parse: not a URI: ${value}`);
    return new Uri(m[1], m[2]);
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, [base.path.replace(/\/+$/, ''), ...segments].join('/'));
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { scheme?: string; path?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
  toString(): string {
    return `${this.scheme}://${this.path.startsWith('/') ? '' : '/'}${this.path}`;
  }
}
export class InlineCompletionItem {
  constructor(
    readonly insertText: string,
    readonly range?: Range,
  ) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
/** The input of a tab showing a text editor. */
export class TabInputText {
  constructor(readonly uri: Uri) {}
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
  version = 1;
  isClosed = false;
  private content: string;
  private lineCache: string[];
  private lineStarts?: number[];
  constructor(
    text: string,
    readonly languageId = 'plaintext',
    readonly fileName = '/work/untitled.txt',
  ) {
    this.content = text;
    this.lineCache = text.split('\n');
  }
  get text(): string {
    return this.content;
  }
  get uri(): Uri {
    return Uri.file(this.fileName);
  }
  get lineCount(): number {
    return this.lineCache.length;
  }
  /** Replaces the whole text (a new version). Lines are split once per version, as in VS Code. */
  setText(text: string): void {
    this.content = text;
    this.lineCache = text.split('\n');
    this.lineStarts = undefined;
    this.version++;
  }
  private lines(): string[] {
    return this.lineCache;
  }
  lineAt(line: number) {
    return { text: this.lines()[line] ?? '' };
  }
  offsetAt(p: Position): number {
    if (!this.lineStarts) {
      this.lineStarts = [];
      let offset = 0;
      for (const line of this.lineCache) {
        this.lineStarts.push(offset);
        offset += line.length + 1;
      }
    }
    return (this.lineStarts[p.line] ?? this.content.length) + p.character;
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

/** A text editor on a document: its selections and its indentation options. */
export class TextEditor {
  selections: Selection[];
  options: { insertSpaces: boolean | string; tabSize: number | string } = { insertSpaces: true, tabSize: 4 };
  constructor(
    readonly document: TextDocument,
    selection = new Selection(new Position(0, 0), new Position(0, 0)),
  ) {
    this.selections = [selection];
  }
  get selection(): Selection {
    return this.selections[0];
  }
  set selection(selection: Selection) {
    this.selections = [selection];
  }
}

export function createVscodeMock() {
  const settings = new Map<string, unknown>();
  /** Values from the workspace's .vscode/settings.json. */
  const workspaceSettings = new Map<string, unknown>();
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
  const workspaceFolders: { uri: { fsPath: string }; name?: string }[] = [];
  const providers: any[] = [];
  const statusItems: any[] = [];
  const logLines: string[] = [];
  const disposable = { dispose: () => undefined };
  /** Webview panels created (see createWebviewPanel below). */
  const panels: MockWebviewPanel[] = [];
  const clipboard: { text: string; reads: number } = { text: '', reads: 0 };
  /** Options each quick pick was shown with. */
  const quickPickOptions: any[] = [];

  // documents, edits and selection events (the completion pipeline's workspace context)
  const textDocuments: TextDocument[] = [];
  /** Open documents without a tab (opened by an extension, or their tab closed). */
  const tablessDocuments = new Set<TextDocument>();
  const documentChangeListeners: Listener[] = [];
  const documentCloseListeners: Listener[] = [];
  const selectionListeners: Listener[] = [];
  const activeEditorListeners: Listener[] = [];
  const executedCommands: string[] = [];
  const listen = (list: Listener[]) => (listener: Listener) => {
    list.push(listener);
    return { dispose: () => list.splice(list.indexOf(listener) >>> 0, 1) };
  };

  const vscode = {
    TextEditorSelectionChangeKind: { Keyboard: 1, Mouse: 2, Command: 3 },
    InlineCompletionTriggerKind: { Invoke: 0, Automatic: 1 },
    NotebookCellKind: { Markup: 1, Code: 2 },
    Position,
    Range,
    Selection,
    Uri,
    InlineCompletionItem,
    ThemeColor,
    CancellationTokenSource,
    TabInputText,
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2, Three: 3 },
    UIKind: { Desktop: 1, Web: 2 },
    env: {
      uiKind: 1,
      clipboard: {
        writeText: async (text: string) => {
          clipboard.text = text;
        },
        readText: async () => {
          clipboard.reads++;
          return clipboard.text;
        },
      },
    },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    workspace: {
      workspaceFolders,
      textDocuments,
      /** Open notebooks (tests push { uri, isClosed, getCells() } objects; cells' documents need a
       *  vscode-notebook-cell URI). */
      notebookDocuments: [] as unknown[],
      isTrusted: true,
      asRelativePath: (uri: Uri) => uri.path.replace(/^\//u, ''),
      /** The workspace folder whose path the URI starts with. */
      getWorkspaceFolder: (uri: Uri) =>
        workspaceFolders.find((f) => uri.path === f.uri.fsPath || uri.path.startsWith(`${f.uri.fsPath.replace(/\/+$/u, '')}/`)),
      onDidChangeTextDocument: listen(documentChangeListeners),
      onDidCloseTextDocument: listen(documentCloseListeners),
      getConfiguration: (section: string, scope?: { languageId?: string }) => ({
        // a workspace value wins in get(), as VS Code does for settings a workspace may set; code
        // that must not trust the workspace reads inspect().globalValue. With a scope that names a
        // language, "[language]" values win over both (VS Code's language overrides)
        get: (key: string, fallback?: unknown) => {
          const k = `${section}.${key}`;
          const language = scope?.languageId && `[${scope.languageId}]`;
          for (const level of [workspaceSettings, settings]) {
            const overrides = language ? (level.get(language) as Record<string, unknown> | undefined) : undefined;
            if (overrides && k in overrides) return overrides[k];
          }
          return workspaceSettings.has(k) ? workspaceSettings.get(k) : settings.has(k) ? settings.get(k) : fallback;
        },
        inspect: (key: string) => ({
          key: `${section}.${key}`,
          globalValue: settings.get(`${section}.${key}`),
          workspaceValue: workspaceSettings.get(`${section}.${key}`),
        }),
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
      onDidChangeTextEditorSelection: listen(selectionListeners),
      onDidChangeActiveTextEditor: listen(activeEditorListeners),
      createOutputChannel: () => ({
        info: (l: string) => logLines.push(l),
        error: (l: string) => logLines.push(`ERROR ${l}`),
        show: () => undefined,
        dispose: () => undefined,
        warn: (l: string) => logLines.push(`WARN ${l}`),
        debug: (l: string) => logLines.push(`DEBUG ${l}`),
        logLevel: 3,
      }),
      /** The editor commands act on (tests assign it: a TextEditor, or just what a command reads). */
      activeTextEditor: undefined as (Pick<TextEditor, 'document' | 'selection'> & Partial<TextEditor>) | undefined,
      /** One group with a tab for each open document (but those opened without one). */
      tabGroups: {
        get all() {
          const tabs = textDocuments
            .filter((d) => !tablessDocuments.has(d))
            .map((d) => ({ label: d.fileName, input: new TabInputText(d.uri) }));
          return [{ isActive: true, tabs }];
        },
      },
      createWebviewPanel: (viewType: string, title: string, showOptions: unknown, options: unknown) => {
        const panel = new MockWebviewPanel(viewType, title, showOptions, options);
        panels.push(panel);
        return panel;
      },
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
      showQuickPick: async (items: any[] | Promise<any[]>, options?: unknown) => {
        quickPickOptions.push(options);
        return answers.quickPick?.(await items);
      },
      showOpenDialog: async () => answers.openDialog?.map((fsPath) => ({ fsPath })),
      withProgress: async (_options: unknown, task: (progress: any, token: any) => Promise<unknown>) => {
        const source = new CancellationTokenSource();
        const timer =
          answers.cancelProgressAfterMs !== undefined ? setTimeout(() => source.cancel(), answers.cancelProgressAfterMs) : undefined;
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
      executeCommand: async (id: string, ...args: any[]) => {
        executedCommands.push(id);
        return commands.get(id)?.(...args);
      },
    },
  };

  /** Sets a setting and fires onDidChangeConfiguration, as the settings editor would. */
  const setSetting = (key: string, value: unknown) => {
    settings.set(key, value);
    for (const l of configListeners) l({ affectsConfiguration: (s: string) => key.startsWith(s) });
  };
  /** Opens a document (it joins workspace.textDocuments), in a tab unless `tab` is false. */
  const openDocument = (doc: TextDocument, { tab = true } = {}) => {
    textDocuments.push(doc);
    if (!tab) tablessDocuments.add(doc);
    return doc;
  };
  /** Replaces a document's text and fires onDidChangeTextDocument for an edit at `line`. */
  const editDocument = (doc: TextDocument, text: string, line = 0) => {
    doc.setText(text);
    const position = new Position(line, 0);
    for (const l of [...documentChangeListeners])
      l({ document: doc, contentChanges: [{ range: new Range(position, position), text: '' }] });
  };
  const closeDocument = (doc: TextDocument) => {
    textDocuments.splice(textDocuments.indexOf(doc), 1);
    tablessDocuments.delete(doc);
    doc.isClosed = true;
    for (const l of [...documentCloseListeners]) l(doc);
  };
  return {
    textDocuments,
    openDocument,
    editDocument,
    closeDocument,
    executedCommands,
    selectionListeners,
    activeEditorListeners,
    vscode,
    settings,
    workspaceSettings,
    setSetting,
    commands,
    errorMessages,
    infoMessages,
    answers,
    progressReports,
    workspaceFolders,
    providers,
    statusItems,
    logLines,
    panels,
    clipboard,
    quickPickOptions,
  };
}

/** A webview panel: records the HTML and posted messages; `receive` plays the webview's side. */
export class MockWebviewPanel {
  disposed = false;
  revealed = 0;
  readonly posted: any[] = [];
  private readonly messageListeners: Listener[] = [];
  private readonly disposeListeners: Listener[] = [];
  readonly webview = {
    html: '',
    cspSource: 'https://mock.vscode-cdn.net',
    options: {} as unknown,
    asWebviewUri: (uri: Uri) => uri.with({ scheme: 'https' }),
    postMessage: async (message: unknown) => {
      if (this.disposed) return false;
      this.posted.push(message);
      return true;
    },
    onDidReceiveMessage: (listener: Listener) => {
      this.messageListeners.push(listener);
      return { dispose: () => this.messageListeners.splice(this.messageListeners.indexOf(listener) >>> 0, 1) };
    },
  };
  constructor(
    readonly viewType: string,
    public title: string,
    readonly showOptions: unknown,
    readonly options: unknown,
  ) {
    this.webview.options = options;
  }
  reveal(): void {
    this.revealed++;
  }
  onDidDispose(listener: Listener) {
    this.disposeListeners.push(listener);
    return { dispose: () => this.disposeListeners.splice(this.disposeListeners.indexOf(listener) >>> 0, 1) };
  }
  /** A message from the webview's script. */
  receive(message: unknown): void {
    for (const l of [...this.messageListeners]) l(message);
  }
  /** The user closed the panel. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of [...this.disposeListeners]) l(undefined);
  }
}

/** Requires `modulePath` afresh (it and `alsoReload` dropped from the require cache first), so
 *  modules that import `vscode` bind to the mock installed now, not to another suite's.
 *  Pass absolute paths (require.resolve in the calling test). */
export function requireFresh<T>(modulePath: string, alsoReload: string[] = []): T {
  for (const p of [...alsoReload, modulePath]) delete require.cache[require.resolve(p)];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(modulePath) as T;
}

/** Drops modules from the require cache (call in `after` for what requireFresh loaded), so a
 *  later suite that requires them gets copies bound to its own mock. */
export function forgetModules(...modulePaths: string[]): void {
  for (const p of modulePaths) delete require.cache[require.resolve(p)];
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
