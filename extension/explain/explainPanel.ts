// "Tandem: Explain Selection": the VS Code side. Reads the selection (with the code around it),
// hands it to the ExplainController and shows the streamed result in one reusable webview panel:
// a new explanation replaces the one shown (cancelling it), closing the panel cancels too.
// Copy writes the Markdown to the clipboard from the extension host (webviews may lack
// clipboard access); Stop aborts the engine request.
import * as vscode from 'vscode';
import { windowFimText } from '../context/fimPrompt';
import { ExplainController, ExplainDeps, ExplainState } from './explainController';
import type { ExplainInput } from './prompt';
import { explainHtml, makeNonce } from './webviewHtml';

export const COMMAND_EXPLAIN_SELECTION = 'tandem.explainSelection';
export const EXPLAIN_VIEW_TYPE = 'tandem.explain';

/** Code around the selection that goes into the prompt (characters, cut at line boundaries). */
export const EXPLAIN_CONTEXT_WINDOW = { maxPrefixChars: 3000, maxSuffixChars: 1500 };

/** Messages the webview may send. Anything else is ignored. */
type FromWebview = { type: 'ready' } | { type: 'stop' } | { type: 'copy' };

export interface ExplainPanelContext {
  /** context.extensionUri (read when the panel is first opened). */
  readonly extensionUri: vscode.Uri;
}

export class ExplainPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private panelDisposables: vscode.Disposable[] = [];
  readonly controller: ExplainController;

  constructor(
    private readonly context: ExplainPanelContext,
    deps: ExplainDeps,
  ) {
    this.controller = new ExplainController(deps, (state) => this.post(state));
  }

  /** Explains the active editor's selection; tells the user when there is none. */
  async explainActiveSelection(): Promise<ExplainState | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty || !editor.document.getText(editor.selection).trim()) {
      void vscode.window.showInformationMessage('Select some code to explain first.');
      return undefined;
    }
    return this.explain(readSelection(editor.document, editor.selection), titleFor(editor.document, editor.selection));
  }

  /** Shows (or reuses) the panel and explains `input` there, replacing what it showed. */
  explain(input: ExplainInput, title: string): Promise<ExplainState> {
    this.ensurePanel(title);
    return this.controller.explain(input, title);
  }

  /** The open panel (tests and the "ready" handshake). */
  get webviewPanel(): vscode.WebviewPanel | undefined {
    return this.panel;
  }

  dispose(): void {
    this.controller.dispose();
    this.panel?.dispose();
    this.disposePanelListeners();
  }

  private ensurePanel(title: string): void {
    if (this.panel) {
      this.panel.title = `Explain: ${title}`;
      this.panel.reveal(undefined, true);
      return;
    }
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(
      EXPLAIN_VIEW_TYPE,
      `Explain: ${title}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, enableCommandUris: false, enableForms: false, localResourceRoots: [media] },
    );
    const webview = panel.webview;
    webview.html = explainHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'explain.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'explain.css')).toString(),
    });
    this.panel = panel;
    this.panelDisposables = [
      webview.onDidReceiveMessage((message: unknown) => this.onMessage(message)),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.controller.stop(); // closing the panel cancels the explanation
        this.disposePanelListeners();
      }),
    ];
  }

  private onMessage(raw: unknown): void {
    const type = raw && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
    switch (type as FromWebview['type'] | undefined) {
      case 'ready': {
        // a (re)loaded webview — first open, or shown again after being hidden — gets the state
        const state = this.controller.state;
        if (state) this.post(state);
        return;
      }
      case 'stop':
        this.controller.stop();
        return;
      case 'copy': {
        const markdown = this.controller.state?.markdown;
        if (!markdown) return;
        void Promise.resolve(vscode.env.clipboard.writeText(markdown)).then(
          () => this.postToWebview({ type: 'copied' }),
          () => undefined,
        );
        return;
      }
      default:
        return;
    }
  }

  private post(state: ExplainState): void {
    // a render failure's note goes with the other notes (the text itself shows as plain text)
    const message = [state.message, state.renderError].filter(Boolean).join(' ') || undefined;
    this.postToWebview({
      type: 'state',
      state: { id: state.id, title: state.title, status: state.status, html: state.html, message, hasText: !!state.markdown },
    });
  }

  /** Posts to the webview if it is open; a webview disposed meanwhile rejects, and has nothing
   *  left to show. */
  private postToWebview(message: unknown): void {
    const posted = this.panel?.webview.postMessage(message);
    void Promise.resolve(posted).then(undefined, () => undefined);
  }

  private disposePanelListeners(): void {
    for (const d of this.panelDisposables.splice(0)) d.dispose();
  }
}

/** The selection and the code around it (windowed like FIM context). */
export function readSelection(document: vscode.TextDocument, selection: vscode.Range): ExplainInput {
  const start = document.offsetAt(selection.start);
  const end = document.offsetAt(selection.end);
  const window = EXPLAIN_CONTEXT_WINDOW;
  const before = document.getText(new vscode.Range(document.positionAt(Math.max(0, start - window.maxPrefixChars - 1)), selection.start));
  const after = document.getText(new vscode.Range(selection.end, document.positionAt(end + window.maxSuffixChars + 1)));
  const windowed = windowFimText({ prefix: before, suffix: after }, window);
  return {
    code: document.getText(selection),
    languageId: document.languageId,
    fileName: relativeName(document),
    before: windowed.prefix,
    after: windowed.suffix,
  };
}

function relativeName(document: vscode.TextDocument): string {
  if (document.isUntitled) return '';
  try {
    return vscode.workspace.asRelativePath(document.uri, false);
  } catch {
    return document.fileName.split(/[\\/]/).pop() ?? '';
  }
}

function titleFor(document: vscode.TextDocument, selection: vscode.Range): string {
  const name = document.fileName.split(/[\\/]/).pop() || 'untitled';
  const first = selection.start.line + 1;
  const last = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line : selection.end.line + 1;
  return first === last ? `${name}:${first}` : `${name}:${first}-${last}`;
}

/**
 * Registers "Tandem: Explain Selection". `deps.model` decides which model explains
 * (tandem.explain.modelPath, else the completion model); `deps.applyChatTemplate` renders chat
 * templates in the engine host (absent: built-in ChatML / Llama 3 renderers, else plain prompt).
 */
export function registerExplain(context: ExplainPanelContext, deps: ExplainDeps): vscode.Disposable[] {
  const panel = new ExplainPanel(context, deps);
  return [panel, vscode.commands.registerCommand(COMMAND_EXPLAIN_SELECTION, () => panel.explainActiveSelection())];
}
