// Tandem "Explain" webview. Receives the explanation as HTML already rendered by Tandem's safe
// Markdown renderer (extension/explain/markdown.ts: everything escaped, fixed tags only) and the
// panel's status; sends stop / copy / ready. The CSP allows no other script, no inline handlers.
// @ts-check
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const content = /** @type {HTMLElement} */ (document.getElementById('content'));
  const status = /** @type {HTMLElement} */ (document.getElementById('status'));
  const note = /** @type {HTMLElement} */ (document.getElementById('note'));
  const stop = /** @type {HTMLButtonElement} */ (document.getElementById('stop'));
  const copy = /** @type {HTMLButtonElement} */ (document.getElementById('copy'));

  const labels = { loading: 'Loading the model…', generating: 'Explaining…', done: 'Done', stopped: 'Stopped', error: 'Error' };
  let lastHtml = '';

  stop.addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
  copy.addEventListener('click', () => vscode.postMessage({ type: 'copy' }));

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (!message || typeof message !== 'object') return;
    if (message.type === 'state') render(message.state);
    else if (message.type === 'copied') {
      copy.textContent = 'Copied';
      setTimeout(() => (copy.textContent = 'Copy'), 1200);
    }
  });

  /** @param {{title: string, status: keyof typeof labels, html: string, message?: string, hasText: boolean}} state */
  function render(state) {
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 24;
    if (state.html !== lastHtml) {
      content.innerHTML = state.html; // sanitized by the extension (see above)
      lastHtml = state.html;
    }
    status.textContent = `${labels[state.status] || state.status} · ${state.title}`;
    note.textContent = state.message || '';
    note.className = state.status === 'error' ? 'note error' : 'note';
    const running = state.status === 'loading' || state.status === 'generating';
    stop.disabled = !running;
    copy.disabled = !state.hasText;
    document.body.classList.toggle('running', running);
    if (atBottom && running) window.scrollTo(0, document.body.scrollHeight);
  }

  vscode.postMessage({ type: 'ready' });
})();
