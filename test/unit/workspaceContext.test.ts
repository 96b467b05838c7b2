// The workspace context (workspaceContext.ts) through a mocked vscode: which open documents are
// context and draft sources (those in tabs; only the current file in an untrusted workspace), the
// repository name, and the clipboard — read in the background, sent as a draft document and
// offered as a prompt chunk; never read where the setting is off or in a browser workbench (where
// a read shows the user a permission error toast).
import * as assert from 'node:assert/strict';
import type { CursorWindow } from '../../extension/context/cursorWindow';
import { TextDocument, createVscodeMock, forgetModules, installVscodeMock, requireFresh } from './support/vscodeMock';

describe('workspace context (mocked vscode)', () => {
  let mock: ReturnType<typeof createVscodeMock>;
  let uninstall: () => void;
  let WorkspaceContext: typeof import('../../extension/context/workspaceContext').WorkspaceContext;
  const doc = new TextDocument('function total(items) {\n  \n}\n', 'javascript', '/work/total.js');
  const window: CursorWindow = {
    prefix: 'function total(items) {\n  ',
    suffix: '\n}\n',
    linePrefix: '  ',
    lineSuffix: '',
    prefixAtDocumentStart: true,
    firstLine: 0,
    lastLine: 2,
  };
  const modulePath = require.resolve('../../extension/context/workspaceContext');
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    mock = createVscodeMock();
    uninstall = installVscodeMock(mock.vscode);
    // a copy bound to this test's mock (the module reads vscode.env when it runs)
    ({ WorkspaceContext } = requireFresh<typeof import('../../extension/context/workspaceContext')>(modulePath));
    mock.clipboard.text = 'return items.reduce((sum, item) => sum + item.price * item.count, 0);';
  });
  afterEach(() => {
    uninstall();
    forgetModules(modulePath);
  });

  it('other documents open in tabs are context and draft sources; one open without a tab is not', () => {
    const context = new WorkspaceContext(() => false);
    try {
      mock.openDocument(doc);
      mock.openDocument(new TextDocument('function totalPrice(items) {\n  return items.length;\n}\n', 'javascript', '/work/price.js'));
      mock.openDocument(new TextDocument('function totalCount(items) {\n  return items.length;\n}\n', 'javascript', '/work/hidden.js'), {
        tab: false,
      });
      const request = context.forCursor(doc as never, window, 512);
      assert.deepEqual(
        request.documents().map((d) => d.id),
        ['file:///work/total.js#snapshot', 'file:///work/price.js'],
      );
      assert.deepEqual([...new Set(request.chunks().map((c) => c.path))], ['work/price.js']);
    } finally {
      context.dispose();
    }
  });

  it('in an untrusted workspace only the current file is read', () => {
    const context = new WorkspaceContext(() => true);
    try {
      (mock.vscode.workspace as { isTrusted: boolean }).isTrusted = false;
      mock.openDocument(doc);
      mock.openDocument(new TextDocument('function totalPrice(items) {}\n', 'javascript', '/work/price.js'));
      const request = context.forCursor(doc as never, window, 512);
      assert.deepEqual(request.documents(), []);
      assert.deepEqual(request.chunks(), []);
      assert.equal(mock.clipboard.reads, 0);
    } finally {
      context.dispose();
    }
  });

  it('names the repository after the workspace folder of the document', () => {
    const context = new WorkspaceContext(() => false);
    try {
      assert.equal(context.forCursor(doc as never, window, 512).repoName, undefined, 'outside any folder');
      mock.workspaceFolders.push({ uri: { fsPath: '/work' }, name: 'shop' });
      const request = context.forCursor(doc as never, window, 512);
      assert.equal(request.repoName, 'shop');
      assert.equal(request.path, 'work/total.js');
    } finally {
      context.dispose();
    }
  });

  const clipboardDocuments = (context: InstanceType<typeof WorkspaceContext>) =>
    context
      .forCursor(doc as never, window, 512)
      .documents()
      .filter((d) => d.source === 'clipboard');

  it('in desktop VS Code: read in the background, then sent as a draft document and offered as a chunk', async () => {
    const context = new WorkspaceContext(() => true);
    try {
      assert.deepEqual(clipboardDocuments(context), [], 'the first request does not wait for the read');
      await tick();
      const [clip] = clipboardDocuments(context);
      assert.equal(clip?.id, 'tandem:clipboard');
      assert.equal((clip as { text?: string }).text, mock.clipboard.text);
      const chunks = context.forCursor(doc as never, window, 512).chunks();
      assert.ok(
        chunks.some((c) => c.text.includes('item.price')),
        JSON.stringify(chunks),
      );
      assert.equal(mock.clipboard.reads, 1, 'read once, not on every request (re-read only when stale)');
    } finally {
      context.dispose();
    }
  });

  const neverRead: [string, () => boolean][] = [
    [
      'in a browser workbench (code-server, vscode.dev)',
      () => {
        (mock.vscode.env as { uiKind: number }).uiKind = mock.vscode.UIKind.Web;
        return true;
      },
    ],
    ['with tandem.completion.clipboardContext off', () => false],
  ];
  for (const [name, setUp] of neverRead) {
    it(`${name}: never read`, async () => {
      const enabled = setUp();
      const context = new WorkspaceContext(() => enabled);
      try {
        clipboardDocuments(context);
        await tick();
        assert.deepEqual(clipboardDocuments(context), []);
        assert.equal(mock.clipboard.reads, 0);
      } finally {
        context.dispose();
      }
    });
  }
});
