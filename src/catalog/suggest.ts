/** "Did you mean ...?" suggestions for misspelled references. */

/**
 * Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions),
 * in three rolling rows: memory is linear in the shorter string.
 */
export function editDistance(a: string, b: string): number {
  if (a.length < b.length) [a, b] = [b, a];
  const cols = b.length + 1;
  let before = new Array<number>(cols).fill(0);
  let previous = Array.from({ length: cols }, (_, j) => j);
  let current = new Array<number>(cols).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[cols - 1]!;
}

/**
 * The closest candidate to `name`, if it is close enough to be a plausible typo
 * (distance at most a third of the name's length, and at least 1).
 * @example closestName('paymnets', ['payments', 'search']) // 'payments'
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const allowed = Math.max(1, Math.floor(name.length / 3));
  for (const candidate of candidates) {
    // The distance is at least the length difference: skip hopeless candidates unmeasured,
    // and never compare very long strings (a 20,000-character name is no typo).
    if (Math.abs(candidate.length - name.length) > allowed || name.length > 256 || candidate.length > 256)
      continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= allowed ? best : undefined;
}

/** Appends ` Did you mean "x"?` when a close candidate exists. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const match = closestName(name, candidates);
  return match === undefined ? '' : ` Did you mean "${match}"?`;
}
