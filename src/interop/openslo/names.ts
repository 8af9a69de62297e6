/** Names: OpenSLO allows more than Sextant's 1-63 characters of a-z, 0-9 and -. */

import type { Path, View } from './source.ts';

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A valid Sextant name from any string, or undefined when nothing usable is left. */
export function slug(text: string): string | undefined {
  if (NAME.test(text)) return text;
  const fixed = text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return fixed === '' ? undefined : fixed;
}

export function unique(name: string, taken: readonly string[]): string {
  if (!taken.includes(name)) return name;
  for (let n = 2; ; n++) {
    const candidate = `${name.slice(0, 60)}-${n}`;
    if (!taken.includes(candidate)) return candidate;
  }
}

/** A valid Sextant name for an OpenSLO name, with a note when it had to change. */
export function sextantName(view: View, name: string, path: Path): string {
  const fixed = slug(name) ?? 'unnamed';
  if (fixed !== name) {
    const at = path.reduce<View>((v, part) => v.child(part), view);
    at.note('info', `"${name}" is not a Sextant name (a-z, 0-9 and -, at most 63); imported as "${fixed}"`);
  }
  return fixed;
}
