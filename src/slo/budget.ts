/**
 * Error budgets for the three OpenSLO budgeting methods (SLO-MATH.md, "Objective and
 * budget"). Remaining budget is never clamped: an overspent budget reports below 0.
 */
import type { CountSeries } from './counts.ts';
import { type MinuteRange, overlapMinutes, sumExcluding } from './maintenance.ts';

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
  const summary: SliceSummary = {
    sliceMinutes,
    slices: 0,
    goodSlices: 0,
    badSlices: 0,
    emptySlices: 0,
    goodMinutes: 0,
    badMinutes: 0,
    meanRatio: null,
  };
  let ratioSum = 0;
  let trafficSlices = 0;
  for (let start = fromMinute; start < toMinute; start += sliceMinutes) {
    const end = Math.min(start + sliceMinutes, toMinute);
    const minutes = excluded.length === 0 ? end - start : end - start - overlapMinutes(excluded, start, end);
    if (minutes <= 0) continue;
    summary.slices++;
    const s = sumExcluding(series, start, end, excluded);
    let good: boolean;
    if (s.total > 0) {
      const ratio = Math.min(1, s.good / s.total);
      ratioSum += ratio;
      trafficSlices++;
      good = ratio >= sliceTargetRatio;
    } else {
      summary.emptySlices++;
      good = emptySlice === 'good';
    }
    if (good) {
      summary.goodSlices++;
      summary.goodMinutes += minutes;
    } else {
      summary.badSlices++;
      summary.badMinutes += minutes;
    }
  }
  summary.meanRatio = trafficSlices > 0 ? ratioSum / trafficSlices : null;
  return summary;
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
