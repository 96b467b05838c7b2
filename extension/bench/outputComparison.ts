// The e2e bench's lossless check: every mode must produce exactly the text of the baseline mode
// (off = plain greedy) for every prompt. Pure, so the check itself is unit-tested.

export interface OutputMismatch {
  prompt: number;
  mode: string;
  /** first differing UTF-16 offset (the shorter length when one text is a prefix of the other) */
  offset: number;
  expected: string;
  actual: string;
}

/** Excerpts start a little before the first difference, so the report shows it in context. */
const EXCERPT_BEFORE = 16;
const EXCERPT_LENGTH = 48;

/** texts[mode][prompt] → the (prompt, mode) pairs whose text differs from the baseline's. A missing
 *  text (a completion that failed) counts as a mismatch too. */
export function findMismatches(texts: Record<string, (string | undefined)[]>, baseline = 'off'): OutputMismatch[] {
  const expected = texts[baseline];
  if (!expected) throw new Error(`the baseline mode ${baseline} was not run`);
  const out: OutputMismatch[] = [];
  for (const [mode, list] of Object.entries(texts)) {
    if (mode === baseline) continue;
    for (let i = 0; i < expected.length; i++) {
      const a = expected[i],
        b = list[i];
      if (a !== undefined && a === b) continue;
      const offset = firstDifference(a ?? '', b ?? '');
      const from = Math.max(0, offset - EXCERPT_BEFORE);
      out.push({
        prompt: i,
        mode,
        offset,
        expected: a === undefined ? '(no output)' : a.slice(from, from + EXCERPT_LENGTH),
        actual: b === undefined ? '(no output)' : b.slice(from, from + EXCERPT_LENGTH),
      });
    }
  }
  return out;
}

export function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return i;
  return n;
}
