// Benchmark workloads made at run time from real code that nobody here wrote: the packages in
// node_modules (or any folder given with --source). A trace is one completion request as an editor
// would send it: the code after the cursor's line start is cut out (the "reference" — the lines
// the developer is about to write), prefix and suffix are what surrounds it, and sibling files of
// the same folder play the other open files. Fixed seeds make runs comparable.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Trace {
  /** file the trace was cut from, relative to the source root */
  file: string;
  /** 1-based line of the cursor (start of the first reference line) */
  line: number;
  prefix: string;
  suffix: string;
  /** the real next lines: stands in for the model's output in model-free benches */
  reference: string;
  /** other files of the same folder (open editors) */
  context: { file: string; text: string }[];
  /** share of the reference's lines (≥ 8 characters) that occur verbatim in prefix, suffix or
   *  context: ≥ 0.5 is 'related', 0 is 'novel', anything between 'partial' */
  overlap: number;
  kind: 'related' | 'partial' | 'novel';
}

export interface WorkloadOptions {
  /** folders searched for source files */
  sources: string[];
  seed?: number;
  /** number of traces to produce */
  count?: number;
  /** lines in a reference continuation */
  referenceLines?: number;
  /** most characters of prefix / suffix kept around the cursor */
  prefixChars?: number;
  suffixChars?: number;
  /** most sibling files (and characters of each) used as context */
  contextFiles?: number;
  contextChars?: number;
  extensions?: string[];
}

/** Deterministic PRNG (mulberry32): the same seed gives the same traces on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEFAULT_EXTENSIONS = ['.js', '.ts', '.mjs', '.cjs'];
const MIN_FILE = 2_000;
const MAX_FILE = 400_000;

/** Source files under `dir`, sorted so the listing does not depend on the file system. Minified
 *  and generated files (very long lines) are skipped: nobody types them. */
export function listSourceFiles(dir: string, extensions = DEFAULT_EXTENSIONS): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.bin' && e.name !== 'test' && e.name !== '__tests__') walk(p);
      } else if (e.isFile() && extensions.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.min.js')) {
        const size = fs.statSync(p).size;
        if (size >= MIN_FILE && size <= MAX_FILE) out.push(p);
      }
    }
  };
  walk(dir);
  return out;
}

function looksGenerated(text: string): boolean {
  const lines = text.split('\n');
  return lines.some((l) => l.length > 500);
}

/** Cursor candidates: starts of indented, non-blank code lines inside bodies (the line before is
 *  code too), followed by enough lines for a reference. Comment lines are not cursor positions. */
export function cursorLines(lines: string[], referenceLines: number): number[] {
  const out: number[] = [];
  for (let i = 1; i + referenceLines <= lines.length; i++) {
    const l = lines[i];
    const prev = lines[i - 1];
    if (!/^\s+\S/.test(l) || prev.trim() === '') continue;
    const t = l.trim();
    if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*')) continue;
    out.push(i);
  }
  return out;
}

function overlapOf(reference: string, haystacks: string[]): number {
  const refLines = reference
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 8);
  if (refLines.length === 0) return 0;
  let hits = 0;
  for (const l of refLines) if (haystacks.some((h) => h.includes(l))) hits++;
  return hits / refLines.length;
}

export function makeWorkload(options: WorkloadOptions): Trace[] {
  const {
    sources,
    seed = 1,
    count = 100,
    referenceLines = 4,
    prefixChars = 4_000,
    suffixChars = 1_000,
    contextFiles = 3,
    contextChars = 8_000,
    extensions = DEFAULT_EXTENSIONS,
  } = options;
  const rand = prng(seed);
  const files = sources.flatMap((s) => listSourceFiles(s, extensions).map((f) => ({ root: s, file: f })));
  if (files.length === 0) throw new Error(`no source files (${extensions.join(', ')}) under ${sources.join(', ')}`);
  const byDir = new Map<string, string[]>();
  for (const { file } of files) {
    const d = path.dirname(file);
    byDir.set(d, [...(byDir.get(d) ?? []), file]);
  }
  const traces: Trace[] = [];
  const used = new Set<string>();
  for (let attempt = 0; traces.length < count && attempt < count * 20; attempt++) {
    const { root, file } = files[Math.floor(rand() * files.length)];
    const text = fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
    if (looksGenerated(text)) continue;
    const lines = text.split('\n');
    const candidates = cursorLines(lines, referenceLines);
    if (candidates.length === 0) continue;
    const at = candidates[Math.floor(rand() * candidates.length)];
    const key = `${file}:${at}`;
    if (used.has(key)) continue;
    used.add(key);
    const prefix = lines.slice(0, at).join('\n') + '\n';
    const reference = lines.slice(at, at + referenceLines).join('\n') + '\n';
    const suffix = lines.slice(at + referenceLines).join('\n');
    const context = (byDir.get(path.dirname(file)) ?? [])
      .filter((f) => f !== file)
      .map((f) => ({ file: path.relative(root, f), text: fs.readFileSync(f, 'utf8') }))
      .filter((c) => !looksGenerated(c.text))
      .slice(0, contextFiles)
      .map((c) => ({ file: c.file, text: c.text.slice(0, contextChars) }));
    const keptPrefix = prefix.slice(-prefixChars);
    const keptSuffix = suffix.slice(0, suffixChars);
    const overlap = overlapOf(reference, [keptPrefix, keptSuffix, ...context.map((c) => c.text)]);
    traces.push({
      file: path.relative(root, file),
      line: at + 1,
      prefix: keptPrefix,
      suffix: keptSuffix,
      reference,
      context,
      overlap,
      kind: overlap >= 0.5 ? 'related' : overlap === 0 ? 'novel' : 'partial',
    });
  }
  return traces;
}
