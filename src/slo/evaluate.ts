/**
 * `evaluateSlo`: from exact counts to everything an SRE acts on, for one SLO at one instant.
 * Occurrences cost a fixed number of `sum()` calls (window, two per tier, 1h, cessation),
 * whatever the window length; maintenance adds one per overlapping excluded range.
 */
import { type AlertCondition, type AlertState, type AlertStep, stepAlerts } from './alerts.ts';
import {
  type BudgetAmount,
  occurrencesBudget,
  ratioTimeslicesBudget,
  type SliceSummary,
  summarizeSlices,
  timeslicesBudget,
} from './budget.ts';
import { burnRate, confidenceZ, errorBudgetRatio, wilsonLowerBound } from './burn-rate.ts';
import type { CountSeries } from './counts.ts';
import {
  clipRanges,
  expandMaintenance,
  type MinuteRange,
  overlapMinutes,
  sumExcluding,
} from './maintenance.ts';
import { issue, type Result } from './result.ts';
import { toMinute } from './time-zone.ts';
import { alertFactor, type Budgeting, type SloDefinition } from './types.ts';
import { validateSloDefinition } from './validate.ts';
import { type ResolvedWindow, resolveWindow } from './windows.ts';

/** Counts and burn rate over one alert window `[at - minutes, at)`, maintenance removed. */
export interface WindowBurn {
  minutes: number;
  good: number;
  total: number;
  bad: number;
  /** Observed `b(w) = (bad / total) / e`; 0 without traffic. */
  burnRate: number;
  /**
   * The burn rate the alert condition compares: with `wilsonConfidence`, the lower end of the
   * Wilson interval of the error ratio (issue 4; SLO-MATH.md words it as a bound of the
   * success side), so a handful of failures in a small sample does not page.
   */
  gatingBurnRate: number;
}

/** One alert tier at one evaluation. */
export interface TierStatus {
  name: string;
  severity: 'page' | 'ticket';
  factor: number;
  forMinutes: number;
  long: WindowBurn;
  short: WindowBurn;
  /** Low-traffic gating: `T(long) >= minEvents`. */
  enoughTraffic: boolean;
  /** `b(long) > factor && b(short) > factor && enoughTraffic`, with alerting enabled. */
  conditionMet: boolean;
}

/** The error budget in the method's unit: events (occurrences) or minutes (timeslices). */
export interface BudgetStatus {
  method: Budgeting['method'];
  unit: 'events' | 'minutes';
  /** Budget of the elapsed window `[fromMinute, toMinute)`. */
  soFar: BudgetAmount;
  /**
   * Budget of the whole period; the same as `soFar` for rolling windows. For occurrences
   * over a calendar period the period's events are not known yet: its budget is `e` times
   * the events so far scaled to the whole period (`projectedPeriodTotal`).
   */
  period: BudgetAmount;
  projectedPeriodTotal: number | null;
  /** How slices without traffic count (timeslices only). */
  emptySlice: 'good' | 'bad' | null;
  slices: SliceSummary | null;
}

/** Traffic-cessation check: `T(30m) = 0` while `T` of the same 30m an hour earlier was >= 300. */
export interface TrafficCessationStatus {
  recentTotal: number;
  baselineTotal: number;
  /** False when the recent 30 minutes touch maintenance: silence there is expected. */
  conditionMet: boolean;
}

/** Full status of one SLO at one instant. Every number is finite; "no data" is null. */
export interface SloStatus {
  id: string;
  atMs: number;
  objectiveRatio: number;
  /** `e = 1 - objectiveRatio`, the allowed bad ratio: the budget as a ratio of events or time. */
  errorBudgetRatio: number;
  window: ResolvedWindow;
  /** Length of the period used for alert factors (rolling: the window; calendar: this period). */
  periodMinutes: number;
  /** Minutes of `[fromMinute, toMinute)` outside maintenance. */
  includedMinutes: number;
  /** Maintenance inside `[fromMinute, toMinute)`. */
  excluded: { minutes: number; ranges: MinuteRange[] };
  good: number;
  total: number;
  bad: number;
  /** `G / T` over the window; null when `T = 0` ("no data"). */
  eventRatio: number | null;
  /** The SLI as the budgeting method defines it (occurrences: `G / T`; timeslices: good-slice time share; ratioTimeslices: mean slice ratio). */
  sliRatio: number | null;
  budget: BudgetStatus;
  /** Burn rate over the last hour. */
  burnRate1h: number;
  /** Minutes until the period's budget is gone at `burnRate1h`: `remaining * P / b`; null when not burning. */
  timeToExhaustionMinutes: number | null;
  tiers: TierStatus[];
  /** Remaining budget of the period `<= 0`. */
  budgetExhausted: boolean;
  trafficCessation: TrafficCessationStatus;
  alerts: AlertStep;
}

const NO_RANGES: readonly MinuteRange[] = Object.freeze([]);
const CESSATION_RECENT_MINUTES = 30;
const CESSATION_BASELINE_MIN_TOTAL = 300;

/**
 * Evaluates one SLO at `atMs` over `series`, stepping its alerts from `state` (the
 * `alerts.state` of the previous evaluation, persisted by the caller).
 * @example const r = evaluateSlo(definition, series, Date.now(), previous?.alerts.state)
 */
export function evaluateSlo(
  definition: SloDefinition,
  series: CountSeries,
  atMs: number,
  state?: AlertState,
): Result<SloStatus> {
  const valid = validateSloDefinition(definition);
  if (!valid.ok) return valid;
  if (!Number.isFinite(atMs)) {
    return {
      ok: false,
      issues: [issue('invalid_value', ['atMs'], 'atMs must be a finite epoch millisecond')],
    };
  }
  const d = definition;
  const e = errorBudgetRatio(d.objectiveRatio);
  const atMinute = toMinute(atMs);
  const window = resolveWindow(d.window, atMs);
  const { fromMinute, toMinute: windowTo, periodFromMinute, periodToMinute } = window;
  const periodMinutes = periodToMinute - periodFromMinute;

  let excluded = NO_RANGES;
  if (d.maintenance.length > 0) {
    // Alert windows and the cessation baseline ([at - 90m, at - 60m)) reach back before the window.
    let lookback = 90;
    for (const t of d.alerting.tiers) lookback = Math.max(lookback, t.longMinutes, t.shortMinutes);
    const expanded = expandMaintenance(
      d.maintenance,
      Math.min(fromMinute, atMinute - lookback),
      Math.max(periodToMinute, atMinute),
    );
    if (!expanded.ok) return expanded;
    excluded = expanded.value;
  }

  const totals = sumExcluding(series, fromMinute, windowTo, excluded);
  const good = totals.good;
  const total = totals.total;
  const bad = total > good ? total - good : 0;
  const excludedMinutes = excluded.length === 0 ? 0 : overlapMinutes(excluded, fromMinute, windowTo);
  const includedMinutes = windowTo - fromMinute - excludedMinutes;
  const periodIncludedMinutes =
    excluded.length === 0
      ? periodMinutes
      : periodMinutes - overlapMinutes(excluded, periodFromMinute, periodToMinute);
  const rolling = d.window.kind === 'rolling';
  const eventRatio = total > 0 ? Math.min(1, good / total) : null;

  let budget: BudgetStatus;
  let sliRatio: number | null;
  const b = d.budgeting;
  if (b.method === 'occurrences') {
    const soFar = occurrencesBudget(bad, total, e);
    let projected: number | null = null;
    let period = soFar;
    if (!rolling) {
      projected = includedMinutes > 0 ? (total * periodIncludedMinutes) / includedMinutes : 0;
      period = occurrencesBudget(bad, projected, e);
    }
    budget = {
      method: b.method,
      unit: 'events',
      soFar,
      period,
      projectedPeriodTotal: projected,
      emptySlice: null,
      slices: null,
    };
    sliRatio = eventRatio;
  } else {
    const isTimeslices = b.method === 'timeslices';
    const slices = summarizeSlices(
      series,
      fromMinute,
      windowTo,
      excluded,
      b.sliceMinutes,
      isTimeslices ? b.sliceTargetRatio : 1,
      isTimeslices ? b.emptySlice : 'good',
    );
    const sliceMinutes = slices.goodMinutes + slices.badMinutes;
    let soFar: BudgetAmount;
    let period: BudgetAmount;
    if (isTimeslices) {
      soFar = timeslicesBudget(slices.badMinutes, sliceMinutes, e);
      period = rolling ? soFar : timeslicesBudget(slices.badMinutes, periodIncludedMinutes, e);
      sliRatio = sliceMinutes > 0 ? slices.goodMinutes / sliceMinutes : null;
    } else {
      soFar = ratioTimeslicesBudget(slices.meanRatio, sliceMinutes, sliceMinutes, e);
      period = rolling
        ? soFar
        : ratioTimeslicesBudget(slices.meanRatio, sliceMinutes, periodIncludedMinutes, e);
      sliRatio = slices.meanRatio;
    }
    budget = {
      method: b.method,
      unit: 'minutes',
      soFar,
      period,
      projectedPeriodTotal: null,
      emptySlice: isTimeslices ? b.emptySlice : null,
      slices,
    };
  }

  const a = d.alerting;
  const z = a.wilsonConfidence === undefined ? 0 : confidenceZ(a.wilsonConfidence);
  const windowBurn = (minutes: number): WindowBurn => {
    const s = sumExcluding(series, atMinute - minutes, atMinute, excluded);
    const wBad = s.total > s.good ? s.total - s.good : 0;
    const observed = burnRate(wBad, s.total, e);
    // The lower bound: page only when confident the error ratio is above the threshold
    // (SLO-MATH.md says upper bound; the issue says lower bound, and only the lower bound
    // suppresses pages on small samples, which is what the option is for).
    const gating = z === 0 ? observed : wilsonLowerBound(wBad, s.total, z) / e;
    return { minutes, good: s.good, total: s.total, bad: wBad, burnRate: observed, gatingBurnRate: gating };
  };

  const conditions: AlertCondition[] = [];
  const tiers: TierStatus[] = [];
  let burnRate1h: number | undefined;
  for (const tier of a.tiers) {
    const factor = alertFactor(tier, periodMinutes);
    const long = windowBurn(tier.longMinutes);
    const short = windowBurn(tier.shortMinutes);
    if (tier.longMinutes === 60) burnRate1h = long.burnRate;
    const enoughTraffic = long.total >= a.minEvents;
    const conditionMet =
      a.enabled && enoughTraffic && long.gatingBurnRate > factor && short.gatingBurnRate > factor;
    tiers.push({
      name: tier.name,
      severity: tier.severity,
      factor,
      forMinutes: tier.forMinutes,
      long,
      short,
      enoughTraffic,
      conditionMet,
    });
    if (a.enabled)
      conditions.push({
        name: tier.name,
        severity: tier.severity,
        active: conditionMet,
        forMinutes: tier.forMinutes,
      });
  }
  if (burnRate1h === undefined) burnRate1h = windowBurn(60).burnRate;

  const remaining = budget.period.remainingRatio;
  const timeToExhaustionMinutes =
    remaining <= 0 ? 0 : burnRate1h > 0 ? (remaining * periodIncludedMinutes) / burnRate1h : null;
  const budgetExhausted = remaining <= 0;

  const recent = sumExcluding(series, atMinute - CESSATION_RECENT_MINUTES, atMinute, excluded);
  const baseline = sumExcluding(series, atMinute - 90, atMinute - 60, excluded);
  const quietByMaintenance =
    excluded.length > 0 && overlapMinutes(excluded, atMinute - CESSATION_RECENT_MINUTES, atMinute) > 0;
  const trafficCessation: TrafficCessationStatus = {
    recentTotal: recent.total,
    baselineTotal: baseline.total,
    conditionMet:
      a.enabled &&
      recent.total === 0 &&
      baseline.total >= CESSATION_BASELINE_MIN_TOTAL &&
      !quietByMaintenance,
  };
  if (a.enabled && a.budgetExhausted) {
    // Low-traffic gating applies here too: a window holding a few hundred events has a
    // budget of a fraction of one event (a fresh unit, a new service), and one error
    // "exhausts" it. Slice-based budgets count time, so they are not gated.
    const enoughEvents = d.budgeting.method !== 'occurrences' || total >= a.minEvents;
    conditions.push({
      name: 'budget-exhausted',
      severity: 'ticket',
      active: budgetExhausted && enoughEvents,
      forMinutes: 0,
    });
  }
  if (a.enabled && a.trafficCessation) {
    conditions.push({
      name: 'traffic-cessation',
      severity: 'page',
      active: trafficCessation.conditionMet,
      forMinutes: 0,
    });
  }

  return {
    ok: true,
    value: {
      id: d.id,
      atMs,
      objectiveRatio: d.objectiveRatio,
      errorBudgetRatio: e,
      window,
      periodMinutes,
      includedMinutes,
      excluded: {
        minutes: excludedMinutes,
        ranges: excluded.length === 0 ? [] : clipRanges(excluded, fromMinute, windowTo),
      },
      good,
      total,
      bad,
      eventRatio,
      sliRatio,
      budget,
      burnRate1h,
      timeToExhaustionMinutes,
      tiers,
      budgetExhausted,
      trafficCessation,
      alerts: stepAlerts(state, conditions, atMs),
    },
  };
}
