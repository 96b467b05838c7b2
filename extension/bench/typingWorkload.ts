// The editing that `tandem bench typing` replays, cut from real code nobody here wrote: three
// sibling files of one folder are open; the user writes lines inside function bodies character by
// character (the real lines of the file, so the continuation is real), with Enter between lines, a
// typo corrected with Backspace now and then, pauses between words, a jump to another place in the
// file now and then, and switches to the other open files — coming back to where they left off.
// A place is prepared by taking its lines out of the file (they are what the user is about to
// write) and leaving an empty line; when all of them are typed the file is whole again. Keystroke
// gaps are virtual milliseconds (the bench runs the debounce on a virtual clock). Fixed seeds make
// runs comparable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cursorLines, listSourceFiles, prng } from './workload';

export interface TypingFile {
  /** path relative to its source root */
  path: string;
  text: string;
}

/** How a burst began: a file's first place (open), a new place in a file typed in before (jump),
 *  back to where the user left off in another open file (switch). */
export type BurstStart = 'open' | 'jump' | 'switch';

export type TypingStep =
  /** The cursor goes to `file` (an index into files) at a place; `remove` lines from `line` on are
   *  taken out first (replaced by one empty line) when the place is new. */
  | { kind: 'place'; start: BurstStart; file: number; line: number; character: number; remove: number }
  | { kind: 'char'; text: string; gapMs: number }
  | { kind: 'enter'; gapMs: number }
  | { kind: 'backspace'; gapMs: number };

export interface TypingWorkload {
  files: TypingFile[];
  steps: TypingStep[];
  /** keystrokes (char, enter, backspace) */
  keystrokes: number;
  bursts: number;
}

export interface TypingWorkloadOptions {
  sources: string[];
  seed: number;
  /** edit bursts (each starts with an open, a jump or a switch) */
  bursts: number;
  /** share of bursts after the first that switch to another open file (default 0.5) */
  switchShare?: number;
  /** chance of a typo (a wrong character, then Backspace) per character */
  typoRate?: number;
}

const MIN_LINES = 120;
const MAX_LINES = 1500;
const OPEN_FILES = 3;

interface Site {
  /** line of the cursor now */
  line: number;
  character: number;
  /** lines still to type here */
  remaining: string[];
  typedAny: boolean;
}

/** A folder with OPEN_FILES usable sibling files, chosen by the seed. */
function chooseFiles(sources: readonly string[], rand: () => number): TypingFile[] {
  const byDir = new Map<string, { root: string; file: string }[]>();
  for (const root of sources) {
    for (const file of listSourceFiles(root)) {
      const dir = path.dirname(file);
      byDir.set(dir, [...(byDir.get(dir) ?? []), { root, file }]);
    }
  }
  const usable = (f: { file: string }) => {
    const text = fs.readFileSync(f.file, 'utf8');
    const lines = text.split('\n');
    return lines.length >= MIN_LINES && lines.length <= MAX_LINES && !lines.some((l) => l.length > 300)
      ? text.replace(/\r\n/g, '\n')
      : undefined;
  };
  const dirs = [...byDir.keys()].sort();
  for (let attempt = 0; attempt < dirs.length * 2; attempt++) {
    const dir = dirs[Math.floor(rand() * dirs.length)];
    const files = (byDir.get(dir) ?? [])
      .map((f) => ({ path: path.relative(f.root, f.file), text: usable(f) }))
      .filter((f): f is TypingFile => f.text !== undefined);
    if (files.length >= OPEN_FILES) {
      const picked: TypingFile[] = [];
      while (picked.length < OPEN_FILES) {
        const f = files.splice(Math.floor(rand() * files.length), 1)[0];
        picked.push(f);
      }
      return picked;
    }
  }
  throw new Error(`no folder under ${sources.join(', ')} has ${OPEN_FILES} source files of ${MIN_LINES}–${MAX_LINES} lines`);
}

/** A gap after typing `ch`: short inside a word, often a pause after one (then the debounce fires). */
function gapAfter(previous: string, rand: () => number): number {
  const between = (a: number, b: number) => Math.round(a + rand() * (b - a));
  if (previous === '\n') return between(500, 1200);
  if (/[A-Za-z0-9_$]/u.test(previous)) return between(70, 140);
  return rand() < 0.45 ? between(400, 900) : between(90, 180);
}

export function makeTypingWorkload(o: TypingWorkloadOptions): TypingWorkload {
  const rand = prng(o.seed);
  const files = chooseFiles(o.sources, rand);
  // each file's lines as they are now (places take lines out until they are typed back)
  const current = files.map((f) => f.text.split('\n'));
  const sites: (Site | undefined)[] = files.map(() => undefined);
  const steps: TypingStep[] = [];
  let keystrokes = 0;
  let file = 0;
  let previous = '\n';
  const visited = new Set<number>();

  const newSite = (f: number, start: BurstStart) => {
    const lines = current[f];
    const candidates = cursorLines(lines, 6).filter((l) => !sites[f] || Math.abs(l - sites[f].line) > 20);
    const line = candidates[Math.floor(rand() * candidates.length)];
    const count = 3 + Math.floor(rand() * 4); // 3–6 lines to write here, over one or more visits
    const remaining = lines.splice(line, count, '');
    sites[f] = { line, character: 0, remaining, typedAny: false };
    steps.push({ kind: 'place', start, file: f, line, character: 0, remove: count });
  };

  for (let burst = 0; burst < o.bursts; burst++) {
    let start: BurstStart = 'open';
    if (burst > 0) {
      start = rand() < (o.switchShare ?? 0.5) ? 'switch' : 'jump';
      if (start === 'switch') file = (file + 1 + Math.floor(rand() * (files.length - 1))) % files.length;
    }
    const site = sites[file];
    if (start === 'switch' && site && site.remaining.length > 0) {
      steps.push({ kind: 'place', start, file, line: site.line, character: site.character, remove: 0 });
    } else {
      // a new place: in a file typed in before (a jump), or the first time (open)
      newSite(file, visited.has(file) ? 'jump' : 'open');
    }
    visited.add(file);
    const here = sites[file]!;
    const lineCount = Math.min(here.remaining.length, 1 + Math.floor(rand() * 2));
    for (let i = 0; i < lineCount; i++) {
      const text = here.remaining.shift()!;
      const lines = current[file];
      if (here.typedAny) {
        // Enter at the end of the line typed last: a new line for this one
        steps.push({ kind: 'enter', gapMs: gapAfter(previous, rand) });
        lines.splice(here.line + 1, 0, '');
        here.line++;
        here.character = 0;
        previous = '\n';
        keystrokes++;
      }
      for (const ch of text) {
        if (o.typoRate !== 0 && rand() < (o.typoRate ?? 0.02) && /[a-z]/u.test(ch)) {
          const wrong = String.fromCharCode(((ch.charCodeAt(0) - 97 + 1) % 26) + 97);
          steps.push({ kind: 'char', text: wrong, gapMs: gapAfter(previous, rand) });
          steps.push({ kind: 'backspace', gapMs: 150 + Math.round(rand() * 150) });
          keystrokes += 2;
        }
        steps.push({ kind: 'char', text: ch, gapMs: gapAfter(previous, rand) });
        previous = ch;
        keystrokes++;
      }
      lines[here.line] = text;
      here.character = text.length;
      here.typedAny = true;
    }
  }
  return { files, steps, keystrokes, bursts: o.bursts };
}
