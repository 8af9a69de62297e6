/**
 * Sextant manifest shapes as written (zod input types of the catalog schema), and the
 * pieces both directions need: alert tiers relative to the defaults, budgeting and windows
 * from the normalized model, annotation keys.
 */

import type { z } from 'zod';
import type { CatalogSchemas, Slo, Tier } from '../../catalog/index.ts';
import { formatMinutes } from '../../catalog/index.ts';
import {
  type AlertTier,
  DEFAULT_ALERT_TIERS,
  DEFAULT_MIN_EVENTS,
  type SloDefinition,
} from '../../slo/index.ts';

export type ServiceDoc = z.input<CatalogSchemas['serviceManifest']>;
export type TeamDoc = z.input<CatalogSchemas['teamManifest']>;
export type JourneyDoc = z.input<CatalogSchemas['journeyManifest']>;
export type SliDoc = z.input<CatalogSchemas['sli']>;
export type SloDoc = z.input<CatalogSchemas['slo']>;
export type JourneySloDoc = Omit<SloDoc, 'sli'>;
export type WindowDoc = z.input<CatalogSchemas['window']>;
export type BudgetingDoc = z.input<CatalogSchemas['budgeting']>;
export type AlertingDoc = z.input<CatalogSchemas['alerting']>;
export type AlertTierDoc = z.input<CatalogSchemas['alertTier']>;

export const SEXTANT_API_VERSION = 'sextant.dev/v1';

/**
 * Annotation keys that carry what OpenSLO v1 cannot say, so Sextant -> OpenSLO -> Sextant
 * restores it. Values are plain strings or JSON.
 */
export const ANNOTATIONS = {
  /** Any object: the Sextant name when the OpenSLO name had to be qualified (SLI `api-availability`). */
  name: 'sextant.dev/name',
  /** Service: `Journey` when the OpenSLO Service only carries a Sextant journey. */
  kind: 'sextant.dev/kind',
  owner: 'sextant.dev/owner',
  /** Service: JSON list of Team manifests ({metadata, spec}): the owner and its parent teams. */
  ownerTeam: 'sextant.dev/owner-team',
  /** SLI: the Sextant service of an SLI that no SLO uses (journeys may). */
  service: 'sextant.dev/service',
  /** SLI: JSON {operator, bound} of a threshold SLI, for when no objective says op and value. */
  threshold: 'sextant.dev/threshold',
  tier: 'sextant.dev/tier',
  lifecycle: 'sextant.dev/lifecycle',
  /** Service: JSON of the Sextant labels exactly (OpenSLO labels gain team and serviceTier). */
  labels: 'sextant.dev/labels',
  dependsOn: 'sextant.dev/depends-on',
  instances: 'sextant.dev/instances',
  paths: 'sextant.dev/paths',
  links: 'sextant.dev/links',
  saturationPoints: 'sextant.dev/saturation-points',
  maintenance: 'sextant.dev/maintenance',
  /** Service: JSON list of OpenSLO AlertNotificationTargets ({name, target, description}). */
  notificationTargets: 'sextant.dev/notification-targets',
  /** Service: JSON journey spec (owner, parts, slos). */
  journey: 'sextant.dev/journey',
  /** SLI: `latency` or `events` when the ratioMetric only approximates the Sextant SLI. */
  sliKind: 'sextant.dev/sli-kind',
  /** SLI: JSON {histogram | promql, satisfiedSeconds, toleratedSeconds} (apdex has no OpenSLO form). */
  latency: 'sextant.dev/latency',
  significantLabels: 'sextant.dev/significant-labels',
  userImpacting: 'sextant.dev/user-impacting',
  severity: 'sextant.dev/severity',
  team: 'sextant.dev/team',
  aggregation: 'sextant.dev/aggregation',
  /** SLI: JSON {good, bad, total, gauge} of exact expressions when the exported query does not convert back. */
  promql: 'sextant.dev/promql',
  /** SLO: JSON {enabled, minEvents, wilsonConfidence, budgetExhausted, trafficCessation}; its presence also means "exactly these tiers". */
  alerting: 'sextant.dev/alerting',
  emptySlice: 'sextant.dev/empty-slice',
  /** AlertCondition: the Sextant tier name. */
  alertTier: 'sextant.dev/alert-tier',
  shortWindow: 'sextant.dev/short-window',
  /** AlertCondition: the tier's budget share in percent. */
  budgetPercent: 'sextant.dev/budget-percent',
  /** AlertCondition: present when the tier's factor is explicit rather than derived from the share. */
  factor: 'sextant.dev/factor',
} as const;

export const SEXTANT_PREFIX = 'sextant.dev/';

/** An alert tier as Sextant evaluates it, with the short window only when it is not L/12. */
export interface TierPlan {
  name: string;
  severity: 'page' | 'ticket';
  budgetPercent: number;
  longMinutes: number;
  shortMinutes?: number;
  forMinutes: number;
  factor?: number;
}

/** Settings of `alerting` other than tiers, with Sextant's defaults. */
export interface AlertSettings {
  enabled: boolean;
  minEvents: number;
  wilsonConfidence?: number;
  budgetExhausted: boolean;
  trafficCessation: boolean;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  enabled: true,
  minEvents: DEFAULT_MIN_EVENTS,
  budgetExhausted: true,
  trafficCessation: true,
};

/** The default tiers as they apply to a service of `tier` (low-tier services do not page). */
export function defaultTiers(tier: Tier | undefined): AlertTier[] {
  return DEFAULT_ALERT_TIERS.map((t) => ({ ...t, severity: tier === 'low' ? 'ticket' : t.severity }));
}

/** The short window Sextant derives for a tier given only its long window (Workbook: L/12). */
export function derivedShortMinutes(longMinutes: number): number {
  return Math.max(1, Math.round(longMinutes / 12));
}

/** Rounds away binary noise (0.02 * 100 = 2.0000000000000004) without losing real digits. */
export function round(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * The shortest `alerting` block that gives exactly `tiers` (undefined: the defaults) and
 * `settings`: defaults left out, defaults not wanted disabled, the rest spelled out.
 */
export function alertingDoc(
  tiers: readonly TierPlan[] | undefined,
  settings: AlertSettings,
  serviceTier: Tier | undefined,
): { doc?: AlertingDoc; renamed: { from: string; to: string }[] } {
  const doc: AlertingDoc = {};
  const renamed: { from: string; to: string }[] = [];
  if (!settings.enabled) doc.enabled = false;
  if (settings.minEvents !== DEFAULT_MIN_EVENTS) doc.minEvents = settings.minEvents;
  if (settings.wilsonConfidence !== undefined) doc.wilsonConfidence = settings.wilsonConfidence;
  if (!settings.budgetExhausted) doc.budgetExhausted = false;
  if (!settings.trafficCessation) doc.trafficCessation = false;
  if (tiers !== undefined) {
    const defaults = defaultTiers(serviceTier);
    const out: Record<string, AlertTierDoc> = {};
    const wanted = new Set(tiers.map((t) => t.name));
    for (const base of defaults) if (!wanted.has(base.name)) out[base.name] = { enabled: false };
    for (const tier of tiers) {
      const base = defaults.find((d) => d.name === tier.name);
      if (base && sameAsDefault(tier, base)) continue;
      let name = tier.name;
      // A default tier cannot be overridden to fire at once: a `for` of 0m is not a duration.
      if (base && tier.forMinutes === 0) {
        name = `${tier.name}-immediate`;
        out[tier.name] = { enabled: false };
        renamed.push({ from: tier.name, to: name });
      }
      const spec: AlertTierDoc = {
        severity: tier.severity,
        budgetPercent: tier.budgetPercent,
        longWindow: formatMinutes(tier.longMinutes),
      };
      if (tier.shortMinutes !== undefined && tier.shortMinutes !== derivedShortMinutes(tier.longMinutes)) {
        spec.shortWindow = formatMinutes(tier.shortMinutes);
      }
      if (tier.forMinutes > 0) spec.for = formatMinutes(tier.forMinutes);
      if (tier.factor !== undefined) spec.factor = tier.factor;
      out[name] = spec;
    }
    if (Object.keys(out).length > 0) doc.tiers = out;
  }
  return Object.keys(doc).length > 0 ? { doc, renamed } : { renamed };
}

function sameAsDefault(tier: TierPlan, base: AlertTier): boolean {
  return (
    tier.factor === undefined &&
    tier.severity === base.severity &&
    round(tier.budgetPercent) === round(base.budgetShare * 100) &&
    tier.longMinutes === base.longMinutes &&
    (tier.shortMinutes ?? derivedShortMinutes(tier.longMinutes)) === base.shortMinutes &&
    tier.forMinutes === base.forMinutes
  );
}

/** A normalized tier as a plan (the short window kept only when it differs from L/12). */
export function tierPlan(tier: AlertTier): TierPlan {
  const plan: TierPlan = {
    name: tier.name,
    severity: tier.severity,
    budgetPercent: round(tier.budgetShare * 100),
    longMinutes: tier.longMinutes,
    forMinutes: tier.forMinutes,
  };
  if (tier.shortMinutes !== derivedShortMinutes(tier.longMinutes)) plan.shortMinutes = tier.shortMinutes;
  if (tier.factor !== undefined) plan.factor = tier.factor;
  return plan;
}

/** The settings part of a normalized `alerting`. */
export function alertSettings(alerting: SloDefinition['alerting']): AlertSettings {
  const settings: AlertSettings = {
    enabled: alerting.enabled,
    minEvents: alerting.minEvents,
    budgetExhausted: alerting.budgetExhausted,
    trafficCessation: alerting.trafficCessation,
  };
  if (alerting.wilsonConfidence !== undefined) settings.wilsonConfidence = alerting.wilsonConfidence;
  return settings;
}

export function isDefaultSettings(settings: AlertSettings): boolean {
  return (
    settings.enabled &&
    settings.minEvents === DEFAULT_MIN_EVENTS &&
    settings.wilsonConfidence === undefined &&
    settings.budgetExhausted &&
    settings.trafficCessation
  );
}

/** The manifest window of a normalized SLO. */
export function windowDoc(slo: Slo): WindowDoc {
  const window = slo.definition.window;
  if (window.kind === 'calendar') return { calendar: window.unit, timeZone: window.timeZone };
  return /^[0-9]+[wdhm]$/.test(slo.windowText) ? slo.windowText : formatMinutes(window.minutes);
}

/** The manifest budgeting of a normalized SLO. */
export function budgetingDoc(slo: Slo): BudgetingDoc {
  const budgeting = slo.definition.budgeting;
  switch (budgeting.method) {
    case 'occurrences':
      return 'occurrences';
    case 'ratioTimeslices':
      return { method: 'ratioTimeslices', slice: formatMinutes(budgeting.sliceMinutes) };
    case 'timeslices': {
      const doc: BudgetingDoc = {
        method: 'timeslices',
        slice: formatMinutes(budgeting.sliceMinutes),
        sliceTargetRatio: budgeting.sliceTargetRatio,
      };
      if (budgeting.emptySlice === 'bad') doc.emptySlice = 'bad';
      return doc;
    }
  }
}

/** A normalized SLO written back as a manifest SLO (journeys travel this way in annotations). */
export function sloDoc(slo: Slo, serviceTier: Tier | undefined): JourneySloDoc {
  const doc: JourneySloDoc = { name: slo.name };
  if (slo.description !== undefined) doc.description = slo.description;
  doc.objectiveRatio = slo.objectiveRatio;
  doc.window = windowDoc(slo);
  doc.budgeting = budgetingDoc(slo);
  const { alerting } = slo.definition;
  const alertingPart = alertingDoc(alerting.tiers.map(tierPlan), alertSettings(alerting), serviceTier).doc;
  if (alertingPart) doc.alerting = alertingPart;
  return doc;
}
