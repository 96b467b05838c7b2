// Glob patterns as VS Code's files.exclude writes them (**, *, ?, {a,b}, [abc]), matched against
// workspace-relative paths with forward slashes. A pattern without a slash also matches a path's
// last segments (VS Code treats "**/x" and "x" differently; close enough for skipping context).

export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inGroup = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      inGroup = true;
      re += '(?:';
    } else if (c === '}' && inGroup) {
      inGroup = false;
      re += ')';
    } else if (c === ',' && inGroup) re += '|';
    else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/\\/gu, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\/]/gu, (m) => `\\${m}`);
  }
  return new RegExp(`^${re}(?:/.*)?$`, 'u');
}

/** Matches paths against the enabled patterns of a files.exclude-style object. */
export class GlobSet {
  private readonly patterns: RegExp[];

  constructor(globs: Record<string, unknown> | undefined) {
    this.patterns = Object.entries(globs ?? {})
      .filter(([, enabled]) => enabled === true)
      .map(([glob]) => globToRegExp(glob.startsWith('/') ? glob.slice(1) : glob));
  }

  matches(relativePath: string): boolean {
    const p = relativePath.replace(/\\/gu, '/');
    return this.patterns.some((re) => re.test(p));
  }
}
