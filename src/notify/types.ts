/**
 * What a notification says about one SLO alert, independent of where it goes: the
 * formatters (Alertmanager, webhook JSON, Slack) and the dispatcher all read `AlertNotice`.
 * Plain JSON, so a unit can persist it in its delivery queue and send it after a restart.
 */

/**
 * The three alerts the SLO engine raises, by their Alertmanager `alertname`: the same
 * names as the rendered Prometheus rules (src/rules), so both paths merge in Alertmanager.
 */
export const ALERT_NAMES = {
  'burn-rate': 'SextantSloBurnRate',
  'budget-exhausted': 'SextantSloBudgetExhausted',
  'traffic-cessation': 'SextantSloTrafficCessation',
} as const;

/** Which of the engine's alerts a notice is about. */
export type SloAlertKind = keyof typeof ALERT_NAMES;

/** The Alertmanager `alertname` of a kind. */
export type AlertName = (typeof ALERT_NAMES)[SloAlertKind];

/** The Observability Unit that raised the alert: a shared Alertmanager routes on these. */
export interface NotifyUnit {
  id: string;
  tenant?: string;
  environment?: string;
}

/** Who and what an alert is about, flattened from the catalog (see `noticeContext`). */
export interface NoticeContext {
  unit: NotifyUnit;
  slo: {
    /** `service/slo` or `journey/slo`. */
    id: string;
    name: string;
    /** 0.999 for 99.9 %. */
    objectiveRatio: number;
    /** The window as written in the manifest, e.g. `28d` or `calendar month`. */
    windowText: string;
  };
  /** The owning service (or journey) name. */
  service: string;
  team: { name: string; chat?: string; onCallUrl?: string };
  links: {
    runbookUrl?: string;
    dashboardUrl?: string;
    /** The SLO's page in the Sextant portal; Alertmanager's `generatorURL`. */
    sloUrl?: string;
  };
}

/**
 * `firing`: the alert started firing at this evaluation. `refresh`: it is still firing (a
 * state-based receiver such as Alertmanager must hear it again each evaluation, or the alert
 * expires there). `resolved`: it stopped firing at this evaluation.
 */
export type NoticeEvent = 'firing' | 'refresh' | 'resolved';

/** The two burn-rate windows of a tier at the evaluation (SLO-MATH.md, "Burn rate"). */
export interface BurnRateDetail {
  /** The tier's threshold `f = p * P / L`. */
  factor: number;
  longWindow: string;
  longBurnRate: number;
  shortWindow: string;
  shortBurnRate: number;
}

/** One alert's news at one evaluation, with everything a human needs to act on it. */
export interface AlertNotice {
  kind: SloAlertKind;
  /** A tier name (`page-1h`), `budget-exhausted` or `traffic-cessation`: unique within the SLO. */
  name: string;
  severity: 'page' | 'ticket';
  event: NoticeEvent;
  /** The evaluation that produced this notice. */
  atMs: number;
  /** When the alert started firing. */
  startsAtMs: number;
  /** When it stopped firing; null while it fires. */
  resolvedAtMs: number | null;
  /** The window the condition is judged over: the tier's long window, the SLO window, or `30m`. */
  window: string;
  /** Burn-rate alerts only. */
  burn: BurnRateDetail | null;
  budget: {
    /** Remaining share of the period's budget; negative when overspent. */
    remainingRatio: number;
    burnRate1h: number;
    /** At `burnRate1h`; null when not burning. */
    timeToExhaustionMinutes: number | null;
  };
  /** Traffic-cessation alerts only: events in the last 30m and in the same 30m an hour earlier. */
  traffic: { recentTotal: number; baselineTotal: number } | null;
  context: NoticeContext;
}

/**
 * An alert about the unit itself rather than an SLO (`SextantOutboxNearQuota`,
 * `SextantUnitStoreDamaged`): it goes through the same durable queue as SLO notices, with
 * its own formats (unit-alert.ts). The sender keeps it alive with `refresh` notices.
 */
export interface UnitAlertNotice {
  kind: 'unit';
  /** The Alertmanager `alertname`. */
  alertname: string;
  severity: 'page' | 'ticket';
  event: NoticeEvent;
  atMs: number;
  startsAtMs: number;
  /** When it stopped firing; null while it fires. */
  resolvedAtMs: number | null;
  summary: string;
  description: string;
  unit: NotifyUnit;
  /** `endsAt - atMs` of a firing alert in Alertmanager: longer than the sender's refresh interval. */
  firingValidForMs: number;
}

/** Whatever the dispatcher delivers: an SLO alert's notice or a unit alert's. */
export type Notice = AlertNotice | UnitAlertNotice;
