/**
 * "Did you mean …?" for a mistyped command or flag: the closest of the known names by edit
 * distance (an insertion, deletion, substitution or swap of two neighbours each count one),
 * when it is close enough to be what was meant.
 */

/** Optimal string alignment distance: Levenshtein plus the swap of two adjacent characters. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * The name in `known` that `typed` most likely meant, or undefined: the nearest by
 * {@link editDistance} when it is at most 1 for names of up to three letters, else at most 2
 * or a third of the longer name's length, or the only name that starts with `typed`.
 */
export function closest(typed: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const prefixed: string[] = [];
  for (const name of known) {
    if (name.startsWith(typed)) prefixed.push(name);
    const d = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  // Two slips in a name of four or more letters ("traom" for "train"), one in a shorter one, a third of a long one.
  const limit = (n: number) => (n <= 3 ? 1 : Math.max(2, Math.floor(n / 3)));
  if (best !== undefined && bestDistance <= limit(Math.max(typed.length, best.length))) return best;
  return typed.length >= 2 && prefixed.length === 1 ? prefixed[0] : undefined;
}

/** " Did you mean 'train'?" (with `quote` around it), or '' when nothing is close. */
export function didYouMean(typed: string, known: Iterable<string>, show = (s: string) => `'${s}'`): string {
  const c = closest(typed, known);
  return c === undefined ? '' : ` Did you mean ${show(c)}?`;
}
