// Helpers for the integration tests (they run inside VS Code's extension host).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { engineSpy, EngineCall } from './engineSpy';

export const EXTENSION_ID = 'tandem-dev.tandem';

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration tests need the fixture workspace open');
  return folder.uri.fsPath;
}

export function testModelPath(): string {
  const p = process.env.TANDEM_IT_MODEL;
  if (!p || !fs.existsSync(p)) throw new Error(`TANDEM_IT_MODEL (${p}) is not a file; run the suite with test/integration/runTests.js`);
  return p;
}

/** A scratch folder for files the tests make (models, copies). */
export function scratchDir(): string {
  const d = process.env.TANDEM_IT_SCRATCH || path.join(workspaceDir(), '..', 'scratch');
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function activateTandem(): Promise<vscode.Extension<any>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded in this VS Code`);
  await ext.activate();
  return ext;
}

export async function openFixture(rel: string, column = vscode.ViewColumn.One): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(path.join(workspaceDir(), rel));
  return vscode.window.showTextDocument(doc, { viewColumn: column, preview: false });
}

/** Places the cursor at the end of the line that contains `needle` (or at the document end). */
export function cursorAfter(editor: vscode.TextEditor, needle?: string): vscode.Position {
  const doc = editor.document;
  let pos = doc.lineAt(doc.lineCount - 1).range.end;
  if (needle) {
    const at = doc.getText().indexOf(needle);
    if (at < 0) throw new Error(`"${needle}" not in ${doc.fileName}`);
    pos = doc.lineAt(doc.positionAt(at).line).range.end;
  }
  editor.selection = new vscode.Selection(pos, pos);
  return pos;
}

let spotCounter = 0;

/** Cursor at the end of the line containing `needle`, then a new line with a unique identifier
 *  typed: a prompt the extension has not seen, so its completion cache cannot answer it and the
 *  request must reach the engine. Returns the cursor position after the typed text. */
export async function freshSpot(editor: vscode.TextEditor, needle?: string): Promise<vscode.Position> {
  cursorAfter(editor, needle);
  const id = `item${Date.now() % 100000}_${++spotCounter}`;
  await vscode.commands.executeCommand('type', { text: `\n${id} ` });
  return editor.selection.active;
}

const config = () => vscode.workspace.getConfiguration();

/** Settings only the user sets (machine or application scope): a workspace value is ignored. */
const USER_ONLY = new Set([
  'tandem.model.path',
  'tandem.explain.modelPath',
  'tandem.model.downloadBaseUrl',
  'tandem.engine.contextSize',
  'tandem.engine.threads',
  'tandem.engine.documentCacheMB',
  'tandem.device',
  'tandem.prefillDevice',
  'tandem.decodeDevice',
]);

/** Sets settings in the workspace (user settings for the user-only ones); returns a function that
 *  restores the previous values. */
export async function withSettings(values: Record<string, unknown>): Promise<() => Promise<void>> {
  const before: [string, unknown, vscode.ConfigurationTarget][] = [];
  for (const [key, value] of Object.entries(values)) {
    const target = USER_ONLY.has(key) ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace;
    const inspected = config().inspect(key);
    before.push([key, target === vscode.ConfigurationTarget.Global ? inspected?.globalValue : inspected?.workspaceValue, target]);
    await config().update(key, value, target);
  }
  await sleep(50);
  return async () => {
    for (const [key, value, target] of before) await config().update(key, value, target);
    await sleep(50);
  };
}

/** Triggers inline suggestions and waits for a completion request sent after `since` to be answered. */
export async function triggerAndWait(since: number, timeoutMs = 60_000, what = 'a completion answered by the engine'): Promise<EngineCall> {
  const spy = engineSpy();
  const deadline = Date.now() + timeoutMs;
  let lastTrigger = 0;
  for (;;) {
    if (Date.now() - lastTrigger > 3000) {
      // re-trigger: the first may have raced the model load
      lastTrigger = Date.now();
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    }
    const done = spy
      .completions(since)
      .filter((c) => c.result || c.error)
      .pop();
    if (done) return done;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; engine calls since: ${describeCalls(spy.callsSince(since))}`);
    await sleep(100);
  }
}

/** One line per engine call, for failure messages. */
export function describeCalls(calls: EngineCall[]): string {
  if (!calls.length) return '(none)';
  return calls
    .map(
      (c) =>
        `#${c.id}@${c.pid} ${c.method}${c.params?.session ? `/${c.params.session}` : ''}` +
        `${c.cancelledAt ? ' cancel-sent' : ''} → ${
          c.error
            ? `error ${c.error.code}`
            : c.result !== undefined
              ? c.method === 'complete'
                ? `${c.result?.stats?.stopReason}/${c.result?.stats?.generatedTokens}t(max ${c.params?.request?.maxTokens}) ${JSON.stringify(String(c.result?.text).slice(0, 30))}`
                : 'ok'
              : 'pending'
        }`,
    )
    .join('; ');
}

/** Error notifications shown by any code using this extension's `vscode` API object. Tests and
 *  the extension under test share that object (same extension), so wrapping it sees Tandem's. */
export class NotificationSpy implements vscode.Disposable {
  readonly errors: { at: number; message: string }[] = [];
  private readonly original = vscode.window.showErrorMessage;
  constructor() {
    (vscode.window as any).showErrorMessage = (message: string, ...rest: any[]) => {
      this.errors.push({ at: Date.now(), message });
      return (this.original as any).call(vscode.window, message, ...rest);
    };
  }
  since(t: number): string[] {
    return this.errors.filter((e) => e.at >= t).map((e) => e.message);
  }
  dispose(): void {
    (vscode.window as any).showErrorMessage = this.original;
  }
}

/** Closes all editors (reverting unsaved changes) so each test starts alike. */
export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.files.revert').then(undefined, () => undefined);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Writes a file into the fixture workspace (restores happen by the runner's fresh copy). */
export function writeScratch(name: string, content: string | Buffer): string {
  const p = path.join(scratchDir(), name);
  fs.writeFileSync(p, content);
  return p;
}
