/**
 * Seeded, random-access randomness: every draw is a pure function of (key, minute,
 * stream), so the value of minute m does not depend on which minutes were computed
 * before it, and a simulation can be advanced, rewound or skipped and stay identical.
 */

/** FNV-1a (32-bit) of a string, for turning names into keys. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Mixes two 32-bit integers (MurmurHash3's finaliser over a ^ b·φ). */
function mix32(a: number, b: number): number {
  let h = (a ^ Math.imul(b | 0, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform draw in [0, 1) for one key, minute and stream. */
export function uniform(key: number, minute: number, stream: number): number {
  return mix32(mix32(key, minute), stream + 1) / 2 ** 32;
}

/**
 * Standard normal CDF Φ(z) through erfc (Numerical Recipes' Chebyshev fit, relative
 * error below 1.2e-7), enough for spreading requests over histogram buckets.
 */
export function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return 0.5 * (x >= 0 ? erfc : 2 - erfc);
}

/** Rounds `x` up or down at random so that the expected result is `x` (stochastic rounding). */
export function roundRandomly(x: number, u: number): number {
  return Math.floor(x + u);
}
