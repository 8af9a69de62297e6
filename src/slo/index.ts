/**
 * The pure SLO engine: exact per-minute counts in, error budgets, burn rates and alert
 * transitions out. No I/O, no clock reads: time is always a parameter.
 */

export type {
  AlertCondition,
  AlertInstance,
  AlertPhase,
  AlertState,
  AlertStep,
  AlertTransition,
} from './alerts.ts';
export { INITIAL_ALERT_STATE, stepAlerts } from './alerts.ts';
export type { BudgetAmount, SliceSummary } from './budget.ts';
export {
  budgetAmount,
  occurrencesBudget,
  ratioTimeslicesBudget,
  summarizeSlices,
  timeslicesBudget,
} from './budget.ts';
export {
  burnRate,
  confidenceZ,
  errorBudgetRatio,
  normalQuantile,
  wilsonLowerBound,
  wilsonUpperBound,
} from './burn-rate.ts';
export type {
  AvailabilityReport,
  AvailabilityService,
  AvailabilitySlo,
  ServiceAvailability,
  WeightedPart,
} from './composite.ts';
export { journeySeries, weightedAvailability } from './composite.ts';
export type { CountSeries, CountTotals } from './counts.ts';
export type { CronSchedule } from './cron.ts';
export { cronMatches, cronMatchesDay, cronOccurrences, parseCron } from './cron.ts';
export type { BudgetStatus, SloStatus, TierStatus, TrafficCessationStatus, WindowBurn } from './evaluate.ts';
export { evaluateSlo } from './evaluate.ts';
export type { MinuteRange } from './maintenance.ts';
export {
  clipRanges,
  expandMaintenance,
  mergeRanges,
  overlapMinutes,
  sumExcluding,
  validateMaintenanceWindow,
} from './maintenance.ts';
export type { MinuteCounts, PrefixSeriesOptions } from './prefix-series.ts';
export {
  createPrefixSeries,
  createPrefixSeriesFromDense,
  DEFAULT_MAX_SPAN_MINUTES,
  PrefixSeries,
  sumSeries,
} from './prefix-series.ts';
export type { Issue, Result, SloIssueCode } from './result.ts';
export { SLO_ISSUE_CODES } from './result.ts';
export type { LocalDateTime } from './time-zone.ts';
export { isValidTimeZone, localDateTime, localToEpochMs, zoneOffsetMs } from './time-zone.ts';
export type { AlertTier, Budgeting, MaintenanceWindow, SloDefinition, SloWindow } from './types.ts';
export { alertFactor, DEFAULT_ALERT_TIERS, DEFAULT_MIN_EVENTS } from './types.ts';
export { validateSloDefinition } from './validate.ts';
export type { CalendarPeriod, ResolvedWindow } from './windows.ts';
export { calendarPeriod, resolveWindow } from './windows.ts';
