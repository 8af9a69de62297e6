/**
 * The SLO engine's normalized definition. The catalog maps YAML/OpenSLO manifests to it;
 * the engine never sees raw manifests.
 */

/** How the error budget is counted (OpenSLO `budgetingMethod`, SLO-MATH.md "Objective and budget"). */
export type Budgeting =
  | { method: 'occurrences' }
  | { method: 'timeslices'; sliceMinutes: number; sliceTargetRatio: number; emptySlice: 'good' | 'bad' }
  | { method: 'ratioTimeslices'; sliceMinutes: number };

/** The compliance window: rolling minutes, or a calendar period in an IANA time zone. */
export type SloWindow =
  | { kind: 'rolling'; minutes: number }
  | { kind: 'calendar'; unit: 'month' | 'quarter'; timeZone: string };

/** One multi-window burn-rate alert tier (SRE Workbook, "Alerting on SLOs", table 5-8). */
export interface AlertTier {
  /** Unique within the SLO, e.g. 'page-1h'. */
  name: string;
  severity: 'page' | 'ticket';
  /** Share of the period's budget this tier guards, 0.02 for 2 %. */
  budgetShare: number;
  longMinutes: number;
  shortMinutes: number;
  forMinutes: number;
  /** Explicit burn-rate threshold; otherwise `budgetShare * periodMinutes / longMinutes`. */
  factor?: number;
}

/** Minutes removed from the SLO: a one-off range, or a 5-field cron start plus a duration. */
export type MaintenanceWindow =
  | { kind: 'once'; startMinute: number; endMinute: number }
  | { kind: 'recurring'; cron: string; durationMinutes: number; timeZone: string };

/** Everything the engine needs to evaluate one SLO. */
export interface SloDefinition {
  /** 'service/slo'. */
  id: string;
  /** 0.999 for 99.9 %. */
  objectiveRatio: number;
  window: SloWindow;
  budgeting: Budgeting;
  alerting: {
    enabled: boolean;
    tiers: AlertTier[];
    /** Low-traffic gating: a tier fires only when `T(long) >= minEvents`. Default 3600. */
    minEvents: number;
    /** When set (e.g. 0.95), burn-rate gating uses the Wilson score upper bound of the error ratio. */
    wilsonConfidence?: number;
    budgetExhausted: boolean;
    trafficCessation: boolean;
  };
  maintenance: MaintenanceWindow[];
}

/** Default `minEvents`: one event per second over an hour (SLO-MATH.md). */
export const DEFAULT_MIN_EVENTS = 3600;

/**
 * The SRE Workbook's recommended multiwindow, multi-burn-rate tiers ("Alerting on SLOs"): page 2 %/1h/5m, page 5 %/6h/30m,
 * ticket 10 %/1d/2h, ticket 10 %/3d/6h. `for` durations follow SLO-MATH.md.
 */
export const DEFAULT_ALERT_TIERS: readonly Readonly<AlertTier>[] = Object.freeze(
  (
    [
      {
        name: 'page-1h',
        severity: 'page',
        budgetShare: 0.02,
        longMinutes: 60,
        shortMinutes: 5,
        forMinutes: 2,
      },
      {
        name: 'page-6h',
        severity: 'page',
        budgetShare: 0.05,
        longMinutes: 360,
        shortMinutes: 30,
        forMinutes: 15,
      },
      {
        name: 'ticket-1d',
        severity: 'ticket',
        budgetShare: 0.1,
        longMinutes: 1440,
        shortMinutes: 120,
        forMinutes: 60,
      },
      {
        name: 'ticket-3d',
        severity: 'ticket',
        budgetShare: 0.1,
        longMinutes: 4320,
        shortMinutes: 360,
        forMinutes: 60,
      },
    ] satisfies AlertTier[]
  ).map((tier) => Object.freeze(tier)),
);

/**
 * The burn-rate threshold of a tier: its explicit `factor`, or `p * P / L` (SLO-MATH.md)
 * where `P` is the period in minutes (the rolling window, or the current calendar period).
 * @example alertFactor(DEFAULT_ALERT_TIERS[0]!, 30 * 1440) // 14.4
 */
export function alertFactor(tier: AlertTier, periodMinutes: number): number {
  if (tier.factor !== undefined) return tier.factor;
  return (tier.budgetShare * periodMinutes) / tier.longMinutes;
}
