// Finds GGUF models already on this machine, where the common local-LLM tools keep them:
// the Hugging Face cache, LM Studio, Ollama's blob store (named through its manifests),
// llama.cpp's download cache, and folders the caller adds (the workspace). Async, bounded depth,
// never follows into node_modules or .git. Used by "Tandem: Select Model", not per keystroke.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readGgufHeader, summarize, GgufSummary } from './ggufHeader';

export type ModelSource = 'huggingface' | 'lmstudio' | 'ollama' | 'llama.cpp' | 'workspace';

export interface FoundModel extends Partial<GgufSummary> {
  path: string;
  source: ModelSource;
  /** what a person calls it: repo/file for HF, model:tag for Ollama, file name otherwise */
  label: string;
  sizeBytes: number;
}

export interface DiscoveryOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  platform?: NodeJS.Platform;
  /** extra folders searched (the workspace folders) */
  folders?: string[];
  maxDepth?: number;
}

export interface SearchRoot {
  source: ModelSource;
  dir: string;
}

/** Where each tool keeps models on this platform (environment overrides first). */
export function searchRoots(o: DiscoveryOptions = {}): SearchRoot[] {
  const env = o.env ?? process.env;
  const home = o.home ?? os.homedir();
  const platform = o.platform ?? process.platform;
  const roots: SearchRoot[] = [];
  const hfHub =
    env.HF_HUB_CACHE ?? path.join(env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'huggingface'), 'hub');
  roots.push({ source: 'huggingface', dir: hfHub });
  roots.push({ source: 'lmstudio', dir: path.join(home, '.lmstudio', 'models') });
  roots.push({ source: 'lmstudio', dir: path.join(home, '.cache', 'lm-studio', 'models') });
  roots.push({ source: 'ollama', dir: env.OLLAMA_MODELS ?? path.join(home, '.ollama', 'models') });
  if (platform === 'linux') roots.push({ source: 'ollama', dir: '/usr/share/ollama/.ollama/models' });
  const llamaCache =
    env.LLAMA_CACHE ??
    (platform === 'darwin'
      ? path.join(home, 'Library', 'Caches', 'llama.cpp')
      : platform === 'win32'
        ? path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'llama.cpp')
        : path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'llama.cpp'));
  roots.push({ source: 'llama.cpp', dir: llamaCache });
  for (const f of o.folders ?? []) roots.push({ source: 'workspace', dir: f });
  return roots;
}

async function findGgufFiles(dir: string, maxDepth: number): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth && e.name !== 'node_modules' && !e.name.startsWith('.')) await walk(p, depth + 1);
      } else if ((e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith('.gguf')) {
        out.push(p);
      }
    }
  };
  await walk(dir, 0);
  return out;
}

/** Ollama names blobs by digest; its manifests say which blob is the model of `name:tag`. */
async function ollamaModels(root: string): Promise<{ path: string; label: string }[]> {
  const manifests = path.join(root, 'manifests');
  const files: string[] = [];
  const walk = async (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 4) await walk(p, depth + 1);
      else if (e.isFile()) files.push(p);
    }
  };
  await walk(manifests, 0);
  const out: { path: string; label: string }[] = [];
  for (const file of files) {
    try {
      const m = JSON.parse(await fs.promises.readFile(file, 'utf8')) as { layers?: { mediaType?: string; digest?: string }[] };
      const layer = m.layers?.find((l) => l.mediaType === 'application/vnd.ollama.image.model');
      if (!layer?.digest) continue;
      const rel = path.relative(manifests, file).split(path.sep); // registry/namespace/model/tag
      const [model, tag] = rel.slice(-2);
      const ns = rel.length >= 4 ? rel[rel.length - 3] : '';
      out.push({
        path: path.join(root, 'blobs', layer.digest.replace(':', '-')),
        label: `${ns && ns !== 'library' ? `${ns}/` : ''}${model}:${tag}`,
      });
    } catch {
      /* not a manifest we understand */
    }
  }
  return out;
}

function labelFor(source: ModelSource, root: string, file: string): string {
  if (source === 'huggingface') {
    // models--org--name/snapshots/<rev>/file.gguf
    const rel = path.relative(root, file).split(path.sep);
    const repo = rel[0]?.startsWith('models--') ? rel[0].slice('models--'.length).replace(/--/g, '/') : '';
    return repo ? `${repo}/${rel.slice(3).join('/')}` : path.basename(file);
  }
  if (source === 'lmstudio') return path.relative(root, file).split(path.sep).join('/');
  return path.basename(file);
}

export async function discoverModels(o: DiscoveryOptions = {}): Promise<FoundModel[]> {
  const maxDepth = o.maxDepth ?? 5;
  const candidates: { path: string; source: ModelSource; label: string }[] = [];
  for (const root of searchRoots(o)) {
    if (root.source === 'ollama') {
      candidates.push(...(await ollamaModels(root.dir)).map((m) => ({ ...m, source: root.source })));
    } else {
      for (const f of await findGgufFiles(root.dir, maxDepth)) {
        candidates.push({ path: f, source: root.source, label: labelFor(root.source, root.dir, f) });
      }
    }
  }
  const seen = new Set<string>();
  const found: FoundModel[] = [];
  for (const c of candidates) {
    let real: string;
    let sizeBytes: number;
    try {
      real = await fs.promises.realpath(c.path);
      sizeBytes = (await fs.promises.stat(real)).size;
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    try {
      const summary = summarize(await readGgufHeader(real));
      if (summary.tensorCount === 0) continue; // vocab-only files are not models
      found.push({ ...c, sizeBytes, ...summary });
    } catch {
      /* not a readable GGUF: not offered */
    }
  }
  return found;
}
