/**
 * The small glob dialect Location targets use (`./teams/*.yaml`, `./**\/catalog-info.yaml`):
 * `*` is any run of characters within one path segment, `?` one character, `**` a whole
 * segment matching zero or more directories. As in shells, wildcards do not match a
 * leading dot, so hidden files and directories stay hidden.
 */

/** Whether a path contains glob wildcards. */
export function hasWildcard(path: string): boolean {
  return /[*?]/.test(path);
}

/**
 * Whether one path segment (no `/`) matches one pattern segment.
 * @example matchSegment('*.yaml', 'team-a.yaml') // true
 */
export function matchSegment(pattern: string, segment: string): boolean {
  if (segment.startsWith('.') && !pattern.startsWith('.')) return false;
  let source = '^';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 's').test(segment);
}

/**
 * Whether a relative path (segments joined by `/`) matches a pattern.
 * @example matchGlob('teams/*.yaml', 'teams/a.yaml') // true
 * @example matchGlob('**\/catalog-info.yaml', 'a/b/catalog-info.yaml') // true
 */
export function matchGlob(pattern: string, path: string): boolean {
  return matchParts(pattern.split('/').filter(Boolean), path.split('/').filter(Boolean));
}

function matchParts(pattern: readonly string[], parts: readonly string[]): boolean {
  // Memoised over (pattern index, path index) so `**/**/...` stays polynomial.
  const memo = new Map<number, boolean>();
  const go = (p: number, s: number): boolean => {
    const key = p * (parts.length + 1) + s;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const head = pattern[p];
    if (head === undefined) result = s === parts.length;
    else if (head === '**') {
      result = go(p + 1, s) || (s < parts.length && !parts[s]!.startsWith('.') && go(p, s + 1));
    } else {
      result = s < parts.length && matchSegment(head, parts[s]!) && go(p + 1, s + 1);
    }
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** Lists directory entries: their names, or undefined when `dir` is not a directory. */
export type ListDirectory = (dir: string) => Promise<string[] | undefined>;

/**
 * The files matching an absolute or relative glob, found through `list`, sorted.
 * The fixed directories before the first wildcard are not listed, only entered.
 */
export async function expandGlob(pattern: string, list: ListDirectory): Promise<string[]> {
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((segment) => segment !== '' && segment !== '.');
  const firstWild = segments.findIndex(hasWildcard);
  if (firstWild === -1) return [pattern];
  const base = segments.slice(0, firstWild);
  const start = base.length === 0 ? (absolute ? '/' : '.') : `${absolute ? '/' : ''}${base.join('/')}`;
  const rest = segments.slice(firstWild);
  const found = new Set<string>();
  const visited = new Set<string>();

  const walk = async (dir: string, p: number): Promise<void> => {
    const visitKey = `${p}\u0000${dir}`;
    if (visited.has(visitKey)) return;
    visited.add(visitKey);
    const head = rest[p];
    if (head === undefined) return;
    if (head === '**') {
      // Zero directories...
      await walk(dir, p + 1);
      if (p + 1 === rest.length) return;
    }
    const entries = await list(dir);
    if (entries === undefined) return;
    for (const entry of [...entries].sort()) {
      const child = dir === '.' ? entry : dir.endsWith('/') ? `${dir}${entry}` : `${dir}/${entry}`;
      if (head === '**') {
        // ...or one more, staying on `**`.
        if (!entry.startsWith('.') && (await list(child)) !== undefined) await walk(child, p);
        continue;
      }
      if (!matchSegment(head, entry)) continue;
      if (p === rest.length - 1) {
        if ((await list(child)) === undefined) found.add(child);
      } else {
        await walk(child, p + 1);
      }
    }
  };
  await walk(start, 0);
  return [...found].sort();
}
