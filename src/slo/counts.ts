/**
 * Exact SLI counts, the SLO engine's only input.
 *
 * Time is in epoch minutes (`Math.floor(ms / 60_000)`); a window is the half-open range
 * `[fromMinute, toMinute)`. See SLO-MATH.md, "Counts".
 */

/** Good and total events summed over a window. `good <= total`, both non-negative. */
export interface CountTotals {
  good: number;
  total: number;
}

/**
 * One SLI series (an SLI plus the values of its significant labels) as exact per-minute
 * counts. Implementations keep prefix sums so `sum` costs the same for 5 minutes and
 * for a quarter.
 */
export interface CountSeries {
  /** Sums of good and total over `[fromMinute, toMinute)`; zero where nothing was recorded. */
  sum(fromMinute: number, toMinute: number): CountTotals;
  /**
   * Calls `visit` for every minute in `[fromMinute, toMinute)` that holds data, in
   * ascending order. Used by the timeslice budgeting methods.
   */
  forEachMinute(
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void;
}
