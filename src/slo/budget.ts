/**
 * Error budgets for the three OpenSLO budgeting methods (SLO-MATH.md, "Objective and
 * budget"). Remaining budget is never clamped: an overspent budget reports below 0.
 */
import type { CountSeries } from './counts.ts';
import { type MinuteRange, overlapMinutes, sumExcluding } from './maintenance.ts';
import { PrefixSeries } from './prefix-series.ts';

/** A budget and its use, in the unit of the method (events or minutes) and as ratios. */
export interface BudgetAmount {
  total: number;
  consumed: number;
  /** `total - consumed`; negative when overspent. */
  remaining: number;
  /** `consumed / total`; 0 when there is no budget because nothing happened yet. */
  consumedRatio: number;
  /** `1 - consumedRatio`; negative when overspent. */
  remainingRatio: number;
}

/** A budget of `total` of which `consumed` is used; no traffic means nothing consumed. */
export function budgetAmount(total: number, consumed: number): BudgetAmount {
  const consumedRatio = total > 0 ? consumed / total : 0;
  return { total, consumed, remaining: total - consumed, consumedRatio, remainingRatio: 1 - consumedRatio };
}

/**
 * Occurrences: budget `e * T` events, consumed by `bad` events; `T = 0` consumes nothing
 * and leaves the whole budget.
 * @example occurrencesBudget(5, 10_000, 0.001) // 10 events of budget, half consumed
 */
export function occurrencesBudget(bad: number, total: number, errorBudget: number): BudgetAmount {
  return budgetAmount(errorBudget * total, bad);
}

/** Slice tallies over a window, for the timeslice budgeting methods. */
export interface SliceSummary {
  sliceMinutes: number;
  /** Slices with at least one minute outside maintenance. */
  slices: number;
  goodSlices: number;
  badSlices: number;
  /** Slices without traffic; `timeslices` counts them as `emptySlice` says. */
  emptySlices: number;
  /** Minutes outside maintenance of the good and the bad slices. */
  goodMinutes: number;
  badMinutes: number;
  /** RatioTimeslices: mean of per-slice ratios over slices with traffic; null without any. */
  meanRatio: number | null;
}

/**
 * Cuts `[fromMinute, toMinute)` into slices of `sliceMinutes` aligned on `fromMinute` (the
 * last one may be shorter) and tallies them. Excluded minutes are removed from each slice;
 * a slice with nothing left is not a slice. A slice is good when `G/T >= sliceTargetRatio`.
 */
export function summarizeSlices(
  series: CountSeries,
  fromMinute: number,
  toMinute: number,
  excluded: readonly MinuteRange[],
  sliceMinutes: number,
  sliceTargetRatio: number,
  emptySlice: 'good' | 'bad',
): SliceSummary {
  let slices = 0;
  let goodSlices = 0;
  let badSlices = 0;
  let emptySlices = 0;
  let goodMinutes = 0;
  let badMinutes = 0;
  let ratioSum = 0;
  let trafficSlices = 0;
  const emptyIsGood = emptySlice === 'good';
  // Hot loop (a 28d window of 1-minute slices is 40,320 slices): read prefix arrays directly
  // when possible, and take the exclusion path only for slices that touch maintenance.
  const prefix = series instanceof PrefixSeries ? series : null;
  const pg = prefix === null ? null : prefix.prefixGood;
  const pt = prefix === null ? null : prefix.prefixTotal;
  const base = prefix === null ? 0 : prefix.startMinute;
  const last = pg === null ? 0 : pg.length - 1;
  let next = 0; // first excluded range that ends after the current slice start
  for (let start = fromMinute; start < toMinute; start += sliceMinutes) {
    const end = start + sliceMinutes < toMinute ? start + sliceMinutes : toMinute;
    while (next < excluded.length && excluded[next]!.toMinute <= start) next++;
    let minutes = end - start;
    let sliceGood: number;
    let sliceTotal: number;
    if (next < excluded.length && excluded[next]!.fromMinute < end) {
      minutes -= overlapMinutes(excluded, start, end);
      if (minutes <= 0) continue;
      const cut = sumExcluding(series, start, end, excluded);
      sliceGood = cut.good;
      sliceTotal = cut.total;
    } else if (pg !== null && pt !== null) {
      let a = start - base;
      let b = end - base;
      a = a < 0 ? 0 : a > last ? last : a;
      b = b < 0 ? 0 : b > last ? last : b;
      sliceGood = pg[b]! - pg[a]!;
      sliceTotal = pt[b]! - pt[a]!;
    } else {
      const whole = series.sum(start, end);
      sliceGood = whole.good;
      sliceTotal = whole.total;
    }
    slices++;
    let good: boolean;
    if (sliceTotal > 0) {
      const ratio = sliceGood < sliceTotal ? sliceGood / sliceTotal : 1;
      ratioSum += ratio;
      trafficSlices++;
      good = ratio >= sliceTargetRatio;
    } else {
      emptySlices++;
      good = emptyIsGood;
    }
    if (good) {
      goodSlices++;
      goodMinutes += minutes;
    } else {
      badSlices++;
      badMinutes += minutes;
    }
  }
  return {
    sliceMinutes,
    slices,
    goodSlices,
    badSlices,
    emptySlices,
    goodMinutes,
    badMinutes,
    meanRatio: trafficSlices > 0 ? ratioSum / trafficSlices : null,
  };
}

/**
 * Timeslices: budget `e * |W|` minutes, consumed by the minutes of bad slices, i.e.
 * `bad_slices / (e * n)` when every slice is whole.
 * @example timeslicesBudget(20, 40_320, 0.001) // 40.32 minutes of budget, 20 used
 */
export function timeslicesBudget(
  badMinutes: number,
  windowMinutes: number,
  errorBudget: number,
): BudgetAmount {
  return budgetAmount(errorBudget * windowMinutes, badMinutes);
}

/**
 * RatioTimeslices: consumed `(1 - mean) / e` of a budget of `e * |W|` minutes, where `mean`
 * is the mean per-slice ratio over slices with traffic (`null`: nothing consumed).
 */
export function ratioTimeslicesBudget(
  meanRatio: number | null,
  elapsedMinutes: number,
  budgetMinutes: number,
  errorBudget: number,
): BudgetAmount {
  const consumed = meanRatio === null ? 0 : (1 - meanRatio) * elapsedMinutes;
  return budgetAmount(errorBudget * budgetMinutes, consumed);
}
