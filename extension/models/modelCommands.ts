// VS Code adapter for choosing a model: "Tandem: Select Model" (models already on this machine,
// or a file picker) and "Tandem: Download Recommended Model" (resumable, verified, cancellable).
// Both end by writing `tandem.model.path`; ActiveModel reloads on that change. "Tandem: Select
// Explain Model" picks the same way for `tandem.explain.modelPath` (or back to the completion model).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { discoverModels, FoundModel } from './discovery';
import { DownloadError, downloadModel } from './download';
import { DEFAULT_DOWNLOAD_BASE_URL, maxDownloadBytes, modelUrl, recommendedModel } from './recommended';

export const COMMAND_SELECT_MODEL = 'tandem.selectModel';
export const COMMAND_DOWNLOAD_MODEL = 'tandem.downloadModel';
export const COMMAND_SELECT_EXPLAIN_MODEL = 'tandem.selectExplainModel';

const BROWSE = '$(folder-opened) Browse for a GGUF file…';
const DOWNLOAD = '$(cloud-download) Download the recommended model…';
const USE_COMPLETION_MODEL = '$(close) Explain with the completion model';

/** Which setting a pick writes, and what the picker offers for it. */
interface ModelTarget {
  setting: 'model.path' | 'explain.modelPath';
  title: string;
  /** The recommended download is a base code model: offered for completions only. */
  offerDownload: boolean;
}

const COMPLETION_TARGET: ModelTarget = { setting: 'model.path', title: 'Tandem: Select Model', offerDownload: true };
const EXPLAIN_TARGET: ModelTarget = {
  setting: 'explain.modelPath',
  title: 'Tandem: Select Explain Model (an instruct model with a chat template)',
  offerDownload: false,
};

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} kB`;
}

async function useModel(file: string, setting: ModelTarget['setting'] = 'model.path'): Promise<void> {
  await vscode.workspace.getConfiguration('tandem').update(setting, file, vscode.ConfigurationTarget.Global);
}

/** `modelDir`: where downloaded models go (the extension's global storage). */
export async function selectModel(modelDir: string, target: ModelTarget = COMPLETION_TARGET): Promise<string | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const found = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Tandem: looking for GGUF models' },
    () => discoverModels({ folders }),
  );
  type Item = vscode.QuickPickItem & { model?: FoundModel };
  const items: Item[] = found.map((m) => ({
    label: m.label,
    description: [m.quantization, formatBytes(m.sizeBytes), m.source].filter(Boolean).join(' · '),
    detail: m.path,
    model: m,
  }));
  items.push({ label: BROWSE });
  if (target.offerDownload) items.push({ label: DOWNLOAD });
  else items.push({ label: USE_COMPLETION_MODEL });
  const pick = await vscode.window.showQuickPick(items, {
    title: target.title,
    placeHolder: found.length ? 'GGUF models found on this machine' : 'No GGUF models found in the usual places',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!pick) return undefined;
  if (pick.label === DOWNLOAD) return downloadRecommendedModel(modelDir);
  if (pick.label === USE_COMPLETION_MODEL) {
    await useModel('', target.setting);
    return '';
  }
  let file = pick.model?.path;
  if (pick.label === BROWSE) {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Use this model',
      filters: { 'GGUF models': ['gguf'], 'All files': ['*'] },
    });
    file = uris?.[0]?.fsPath;
  }
  if (file) await useModel(file, target.setting);
  return file;
}

export async function downloadRecommendedModel(modelDir: string): Promise<string | undefined> {
  const model = recommendedModel();
  // where models come from is the user's choice alone (application scope; only the user's value is
  // read, whatever a workspace says)
  const baseUrl =
    vscode.workspace.getConfiguration('tandem').inspect<string>('model.downloadBaseUrl')?.globalValue || DEFAULT_DOWNLOAD_BASE_URL;
  const dest = path.join(modelDir, model.file);
  const url = modelUrl(model, baseUrl);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Downloading ${model.label}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        try {
          return await downloadModel({
            url,
            dest,
            sha256: model.sha256,
            sizeBytes: model.sizeBytes,
            maxBytes: maxDownloadBytes(model),
            signal: abort.signal,
            onProgress: (received, total) => {
              const size = total ?? model.approxBytes;
              const pct = Math.min(100, (received / size) * 100);
              progress.report({ increment: pct - reported, message: `${formatBytes(received)} of ${formatBytes(size)}` });
              reported = pct;
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    await useModel(result.path);
    void vscode.window.showInformationMessage(`Tandem now uses ${model.label} (${formatBytes(result.bytes)}, SHA-256 verified).`);
    return result.path;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof DownloadError && err.code === 'ABORTED') {
      void vscode.window.showInformationMessage('Tandem: download paused. Run "Download Recommended Model" again to resume.');
      return undefined;
    }
    const choice = await vscode.window.showErrorMessage(`Tandem could not download ${model.label}: ${message}`, 'Retry', 'Select Model');
    if (choice === 'Retry') return downloadRecommendedModel(modelDir);
    if (choice === 'Select Model') return selectModel(modelDir);
    return undefined;
  }
}

/** Registers both commands; models are downloaded into the extension's global storage. */
export function registerModelCommands(context: vscode.ExtensionContext): vscode.Disposable[] {
  const modelDir = path.join(context.globalStorageUri.fsPath, 'models');
  return [
    vscode.commands.registerCommand(COMMAND_SELECT_MODEL, () => selectModel(modelDir)),
    vscode.commands.registerCommand(COMMAND_DOWNLOAD_MODEL, () => downloadRecommendedModel(modelDir)),
    vscode.commands.registerCommand(COMMAND_SELECT_EXPLAIN_MODEL, () => selectModel(modelDir, EXPLAIN_TARGET)),
  ];
}
