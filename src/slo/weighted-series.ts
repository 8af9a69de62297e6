import type { CountSeries, CountTotals } from './counts.ts';

/** One part of a weighted sum of series. */
export interface WeightedPart {
  series: CountSeries;
  /** Non-negative, finite. */
  weight: number;
}

/**
 * A lazy `CountSeries` whose counts are `sum(w_i * G_i)` and `sum(w_i * T_i)` over its parts
 * (SLO-MATH.md, "Composites"): ratios are formed after summing, never averaged.
 * Callers validate the weights; see `journeySeries` and `sumSeries`.
 */
export class WeightedSumSeries implements CountSeries {
  readonly parts: readonly WeightedPart[];

  constructor(parts: readonly WeightedPart[]) {
    this.parts = parts;
  }

  sum(fromMinute: number, toMinute: number): CountTotals {
    let good = 0;
    let total = 0;
    for (const part of this.parts) {
      if (part.weight === 0) continue;
      const s = part.series.sum(fromMinute, toMinute);
      good += part.weight * s.good;
      total += part.weight * s.total;
    }
    return { good, total };
  }

  forEachMinute(
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void {
    // Parts visit their own minutes in ascending order; merge them through a map keyed by
    // minute, then replay in order. Only timeslice-style consumers use this path.
    const merged = new Map<number, { good: number; total: number }>();
    for (const part of this.parts) {
      if (part.weight === 0) continue;
      const w = part.weight;
      part.series.forEachMinute(fromMinute, toMinute, (minute, good, total) => {
        const cell = merged.get(minute);
        if (cell === undefined) merged.set(minute, { good: w * good, total: w * total });
        else {
          cell.good += w * good;
          cell.total += w * total;
        }
      });
    }
    const minutes = [...merged.keys()].sort((a, b) => a - b);
    for (const minute of minutes) {
      const cell = merged.get(minute)!;
      visit(minute, cell.good, cell.total);
    }
  }
}
