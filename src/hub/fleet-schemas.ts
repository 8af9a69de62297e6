/**
 * The fleet query API's boundary schemas (docs/hub.md, "Fleet queries"): the URL query
 * parameters of each query (strings in, typed values out) and the answers. One schema gives
 * the TypeScript type `fleet.ts` builds, the validation of the HTTP layer, and the OpenAPI
 * document (`z.toJSONSchema`, `io: 'input'` for the parameters, `'output'` for the answers).
 *
 * The parameter schemas check shape only; what needs the catalog or the store (an unknown
 * service, a step that is not a multiple of the hub's step) is checked by the query
 * functions and comes back as `{ ok: false, issues }`.
 */

import { z } from 'zod';
import { parseDurationMinutes } from '../catalog/index.ts';

// ---------------------------------------------------------------------------------------
// Issues

/** The closed set of issue codes the fleet queries answer with. */
export const FLEET_ISSUE_CODES = {
  unknownService: 'unknown_service',
  unknownTeam: 'unknown_team',
  unknownSli: 'unknown_sli',
  /** A tenant or unit filter that names nothing the caller may see (whether or not it exists). */
  notInScope: 'not_in_scope',
  invalidWindow: 'invalid_window',
  invalidTimeZone: 'invalid_time_zone',
  invalidMonth: 'invalid_month',
  invalidRange: 'invalid_range',
  invalidStep: 'invalid_step',
  invalidLimit: 'invalid_limit',
  tooManyPoints: 'too_many_points',
  tooManySeries: 'too_many_series',
  invalidDefinition: 'invalid_definition',
} as const;
export type FleetIssueCode = (typeof FLEET_ISSUE_CODES)[keyof typeof FLEET_ISSUE_CODES];
const issueCodes = Object.values(FLEET_ISSUE_CODES) as [FleetIssueCode, ...FleetIssueCode[]];

/** A precise complaint about a query: what is wrong and which parameter (`path`). */
export const fleetIssue = z.object({
  code: z.enum(issueCodes),
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
export type FleetIssue = z.infer<typeof fleetIssue>;

/** A fleet answer, or every problem with the query. */
export type FleetResult<T> = { ok: true; value: T } | { ok: false; issues: FleetIssue[] };

// ---------------------------------------------------------------------------------------
// Query parameters (URL query strings)

/** Most points one series of `sliSeries` may have. */
export const MAX_SERIES_POINTS = 2000;
/** Most series `sliSeries` returns with `groupBy=unit`. */
export const MAX_UNIT_SERIES = 50;
/** Most per-step series reads one query may need (slice-based budgets, weighted availability). */
export const MAX_SERIES_QUERIES = 500;

export const GROUP_BYS = ['slo', 'service', 'team', 'tenant', 'unit', 'journey'] as const;
export type FleetGroupBy = (typeof GROUP_BYS)[number];

const WINDOW_PATTERN = /^(?:(?:\d+[wdhm])+|month|quarter)$/;
const name = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a name of a-z, 0-9 and - (1-63)');
const sliId = z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'an SLI id such as "checkout/availability"');
const window = z
  .string()
  .regex(WINDOW_PATTERN, 'a rolling duration (28d, 4w, 1h) or month or quarter')
  .meta({
    description:
      'A rolling window (28d, 7d, 4w, 1h) or the current calendar month or quarter. Default: each SLO its own window.',
    examples: ['28d', 'month'],
  });
const zone = z.string().min(1).max(64).meta({
  description:
    'IANA time zone of calendar windows, e.g. Europe/Berlin. Default: the SLO own zone when its window is a calendar one, else UTC.',
});
const filters = {
  service: name.optional().meta({ description: 'Only SLOs of this service (and journeys using its SLIs).' }),
  team: name.optional().meta({ description: 'Only SLOs answerable to this team or a team below it.' }),
  tenant: name.optional().meta({ description: 'Only units of this tenant.' }),
  unit: name.optional().meta({ description: 'Only this unit.' }),
};

/** A count in a URL: digits only. */
const integerText = (min: number, max: number, description: string) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .meta({ description });

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp or epoch milliseconds; undefined when it is neither. */
export function parseInstantMs(text: string): number | undefined {
  if (/^\d{1,16}$/.test(text)) return Number(text);
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text.replace(' ', 'T').toUpperCase());
  return Number.isFinite(ms) ? ms : undefined;
}

const instant = (description: string) =>
  z
    .string()
    .refine((text) => parseInstantMs(text) !== undefined, {
      message: 'an RFC 3339 time (2026-10-01T00:00:00Z) or epoch milliseconds',
    })
    .transform((text) => parseInstantMs(text) as number)
    .meta({ description, examples: ['2026-10-01T00:00:00Z', '1790812800000'] });

/** `GET /api/v1/fleet/budgets` query. */
export const fleetBudgetsParams = z.strictObject({
  window: window.optional(),
  zone: zone.optional(),
  groupBy: z.enum(GROUP_BYS).optional().meta({ description: 'How rows are grouped. Default slo.' }),
  ...filters,
});
export type FleetBudgetsQuery = z.output<typeof fleetBudgetsParams>;

/** `GET /api/v1/fleet/burning` query. */
export const burningNowParams = z.strictObject({
  limit: integerText(1, 1000, 'Most entries to return, hottest first. Default 50.').optional(),
  ...filters,
});
export type BurningNowQuery = z.output<typeof burningNowParams>;

/** `GET /api/v1/fleet/availability` query. */
export const availabilityParams = z.strictObject({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
    .meta({ description: 'The calendar month, YYYY-MM.', examples: ['2026-10'] }),
  zone: zone.optional().meta({ description: 'IANA time zone the month is counted in. Default UTC.' }),
  tenant: filters.tenant,
  service: filters.service,
});
export type AvailabilityQuery = z.output<typeof availabilityParams>;

/** `GET /api/v1/fleet/sli-series` query, as URL parameters; `toSliSeriesQuery` names the units. */
export const sliSeriesParams = z.strictObject({
  sli: sliId.meta({ description: 'service/sli', examples: ['checkout/availability'] }),
  from: instant('Start of the range (inclusive), rounded down to the step.'),
  to: instant('End of the range (exclusive), rounded up to the step.'),
  step: z
    .string()
    .refine((text) => parseDurationMinutes(text).ok, { message: 'a duration such as 5m, 1h, 1d' })
    .transform((text) => {
      const parsed = parseDurationMinutes(text);
      return parsed.ok ? parsed.value : 0;
    })
    .optional()
    .meta({
      description: 'Point spacing, a multiple of the hub step. Default: the hub step.',
      examples: ['5m'],
    }),
  groupBy: z
    .enum(['fleet', 'unit'])
    .optional()
    .meta({ description: 'One series, or one per unit. Default fleet.' }),
  tenant: filters.tenant,
  unit: filters.unit,
});
export type SliSeriesParams = z.output<typeof sliSeriesParams>;

/** What `sliSeries` takes: the parsed URL parameters with their units in the names. */
export interface SliSeriesQuery {
  sli: string;
  fromMs: number;
  toMs: number;
  stepMinutes?: number | undefined;
  groupBy?: 'fleet' | 'unit' | undefined;
  tenant?: string | undefined;
  unit?: string | undefined;
}

/** Maps parsed `sliSeriesParams` to the query `sliSeries` takes. */
export function toSliSeriesQuery(params: SliSeriesParams): SliSeriesQuery {
  return {
    sli: params.sli,
    fromMs: params.from,
    toMs: params.to,
    stepMinutes: params.step,
    groupBy: params.groupBy,
    tenant: params.tenant,
    unit: params.unit,
  };
}

// ---------------------------------------------------------------------------------------
// Answers

/** Why a number may not be the whole truth: the data the hub has does not cover everything. */
export const COVERAGE_NOTE_CODES = [
  'before_retention',
  'hourly_resolution',
  'window_aligned',
  'units_never_pushed',
  'units_stale',
  'units_joined_during_window',
  'no_applicable_units',
  'instance_selector_not_checked',
  'maintenance_excluded',
  'slices_at_hub_step',
  'weighted_availability_skipped',
  'slos_not_in_catalog',
] as const;
export type CoverageNoteCode = (typeof COVERAGE_NOTE_CODES)[number];

export const coverageNote = z.object({
  code: z.enum(COVERAGE_NOTE_CODES),
  message: z.string(),
  /** How many units the note is about, when it is about units. */
  unitCount: z.number().int().min(0).nullable(),
  /** Up to ten of those units, by id. */
  units: z.array(z.string()),
});
export type CoverageNote = z.infer<typeof coverageNote>;

const ratio = z.number().nullable();
const count = z.number().min(0);

/** A budget and its use in the method's unit, as `src/slo` computes it (`BudgetAmount`). */
export const budgetAmountView = z.object({
  total: z.number(),
  consumed: z.number(),
  /** Negative when overspent: never clamped. */
  remaining: z.number(),
  consumedRatio: z.number(),
  remainingRatio: z.number(),
});

/** The window a number was computed over, as the hub resolved and aligned it. */
export const windowView = z.object({
  /** `28d`, `month Europe/Berlin`, ... */
  text: z.string(),
  kind: z.enum(['rolling', 'calendar']),
  timeZone: z.string().nullable(),
  /** The elapsed window `[fromMs, toMs)` the counts are summed over. */
  fromMs: z.number().int(),
  toMs: z.number().int(),
  /** The whole period the budget belongs to (rolling: the same range). */
  periodFromMs: z.number().int(),
  periodToMs: z.number().int(),
  /** Minutes of the elapsed window outside maintenance. */
  includedMinutes: z.number().int(),
  excludedMinutes: z.number().int(),
});
export type WindowView = z.infer<typeof windowView>;

/** The unit's own latest evaluation of an SLO (its `slo_status` record), for comparison. */
export const unitReportedView = z.object({
  atMs: z.number().int(),
  windowMinutes: z.number().int(),
  sliRatio: ratio,
  budgetRemainingRatio: ratio,
  firing: z.array(z.string()),
});
export type UnitReportedView = z.infer<typeof unitReportedView>;

const sloIdentity = {
  slo: z.string(),
  name: z.string(),
  owner: z.object({ kind: z.enum(['service', 'journey']), name: z.string() }),
  /** The SLI of a service SLO; null for journeys. */
  sli: z.string().nullable(),
  team: z.string(),
  objectiveRatio: z.number(),
};

/** One SLO over one group of units. */
export const sloBudgetView = z.object({
  ...sloIdentity,
  /** `e = 1 - objectiveRatio`. */
  errorBudgetRatio: z.number(),
  method: z.enum(['occurrences', 'timeslices', 'ratioTimeslices']),
  /** `exact`: sums of the units' counts; `hub-step`: slices cut at the hub's step resolution. */
  resolution: z.enum(['exact', 'hub-step']),
  window: windowView,
  good: count,
  total: count,
  bad: count,
  /** `G / T`; null without traffic ("no data"). */
  eventRatio: ratio,
  /** The SLI as the budgeting method defines it; null without data. */
  sliRatio: ratio,
  budget: z.object({
    unit: z.enum(['events', 'minutes']),
    soFar: budgetAmountView,
    /** The whole period's budget (rolling: the same as soFar). */
    period: budgetAmountView,
    /** Occurrences over a calendar period: the period's events extrapolated from so far. */
    projectedPeriodTotal: z.number().nullable(),
  }),
  /** The rate the elapsed window's budget was spent at: 1 spends exactly the budget. */
  burnRate: z.number(),
  /** Slice tallies of the slice-based methods; null for occurrences. */
  slices: z
    .object({
      /** The slice length the SLO defines. */
      definedSliceMinutes: z.number().int(),
      /** The slice length used: the defined one when the hub's resolution allows, else coarser. */
      sliceMinutes: z.number().int(),
      emptySlice: z.enum(['good', 'bad']).nullable(),
      slices: z.number().int(),
      goodSlices: z.number().int(),
      badSlices: z.number().int(),
      emptySlices: z.number().int(),
    })
    .nullable(),
  units: z.object({
    /** Units in the group that run this SLO (catalog `instances`). */
    applicable: z.number().int(),
    /** Of those, units with traffic in the window. */
    withData: z.number().int(),
  }),
  /** When the row covers exactly one unit: that unit's own latest evaluation. */
  unitReported: unitReportedView.nullable(),
  notes: z.array(coverageNote),
});
export type SloBudgetView = z.infer<typeof sloBudgetView>;

/** How the SLOs of one group compose (docs/hub.md, "Fleet queries"). */
export const groupSummaryView = z.object({
  slos: z.number().int(),
  slosWithData: z.number().int(),
  /** SLOs whose period budget is spent (remaining ratio <= 0). */
  exhausted: z.number().int(),
  /** The SLO with the least period budget left. */
  worst: z.object({ slo: z.string(), remainingRatio: z.number() }).nullable(),
  /**
   * Occurrence SLOs pooled: `sum(bad) / sum(e * T)` over their periods, GitLab's stage-group
   * budget generalised to objectives that differ. Null without occurrence SLOs with traffic.
   */
  pooled: z
    .object({
      slos: z.number().int(),
      badEvents: z.number(),
      allowedBadEvents: z.number(),
      consumedRatio: z.number(),
      remainingRatio: z.number(),
    })
    .nullable(),
});
export type GroupSummaryView = z.infer<typeof groupSummaryView>;

export const budgetGroupView = z.object({
  /** The slo id, service, team, tenant, unit id or journey the group is about. */
  key: z.string(),
  slos: z.array(sloBudgetView),
  summary: groupSummaryView,
});
export type BudgetGroupView = z.infer<typeof budgetGroupView>;

/** The answer of `GET /api/v1/fleet/budgets`. */
export const fleetBudgetsView = z.object({
  atMs: z.number().int(),
  stepMinutes: z.number().int(),
  groupBy: z.enum(GROUP_BYS),
  /** The window asked for; null: each SLO its own. */
  window: z.string().nullable(),
  groups: z.array(budgetGroupView),
});
export type FleetBudgetsView = z.infer<typeof fleetBudgetsView>;

const windowBurnView = z.object({
  minutes: z.number().int(),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  good: count,
  total: count,
  bad: count,
  /** `b(w) = (bad / total) / e`; 0 without traffic. */
  burnRate: z.number(),
  /** What the condition compares: the Wilson lower bound when the SLO configures it. */
  gatingBurnRate: z.number(),
});

export const tierBurnView = z.object({
  name: z.string(),
  severity: z.enum(['page', 'ticket']),
  /** The burn-rate threshold, as the unit computes it (`alertFactor`). */
  factor: z.number(),
  long: windowBurnView,
  short: windowBurnView,
  /** Low-traffic gating: `T(long) >= minEvents`. */
  enoughTraffic: z.boolean(),
  /** Both windows above the factor with enough traffic, alerting enabled: computed at the hub. */
  exceeded: z.boolean(),
});

export const firingAlertView = z.object({
  unit: z.string(),
  alert: z.string(),
  severity: z.string().nullable(),
  sinceMs: z.number().int().nullable(),
});

/** One (SLO, unit or fleet) pair. */
export const burningEntryView = z.object({
  ...sloIdentity,
  scope: z.enum(['fleet', 'unit']),
  /** The unit of a `unit` entry; null for the fleet. */
  unit: z.string().nullable(),
  tenant: z.string().nullable(),
  /** Units summed (fleet) or 1, counting only units with traffic in the longest window. */
  unitsWithData: z.number().int(),
  tiers: z.array(tierBurnView),
  /**
   * Max over page tiers with enough traffic of `min(b(long), b(short)) / factor` (gating burn
   * rates): above 1 the tier's condition holds. Entries are sorted by it.
   */
  pageScore: z.number(),
  /** The same over ticket tiers; the second sort key. */
  ticketScore: z.number(),
  /** Tier names exceeded by the hub's computation. */
  exceeded: z.array(z.string()),
  /** What the units report firing (alert records and slo_status), per unit. */
  firingOnUnit: z.array(firingAlertView),
});
export type BurningEntryView = z.infer<typeof burningEntryView>;

/** The answer of `GET /api/v1/fleet/burning`. */
export const burningNowView = z.object({
  atMs: z.number().int(),
  stepMinutes: z.number().int(),
  /** The windows end here: the last whole hub step. */
  windowsEndMs: z.number().int(),
  entries: z.array(burningEntryView),
  /** Entries left off beyond `limit`. */
  leftOff: z.number().int(),
  notes: z.array(coverageNote),
});
export type BurningNowView = z.infer<typeof burningNowView>;

export const tenantSloAvailabilityView = z.object({
  ...sloIdentity,
  good: count,
  total: count,
  /** `G / T` over the month (maintenance removed); null without traffic. */
  ratio,
  /** Whether `ratio >= objectiveRatio`; null without traffic. */
  met: z.boolean().nullable(),
  units: z.number().int(),
  notes: z.array(coverageNote),
});

export const weightedAvailabilityView = z.object({
  sliceMinutes: z.number().int(),
  /** `sum_s(w_s * available_s) / sum_s(w_s * slices_s)`; null without slices. */
  ratio,
  services: z.array(
    z.object({
      name: z.string(),
      weight: z.number(),
      slices: z.number().int(),
      availableSlices: z.number().int(),
      ratio,
    }),
  ),
});

export const tenantAvailabilityView = z.object({
  tenant: z.string(),
  units: z.number().int(),
  slos: z.array(tenantSloAvailabilityView),
  /** GitLab-style weighted availability over the tenant's services; null when skipped (see notes). */
  weighted: weightedAvailabilityView.nullable(),
  notes: z.array(coverageNote),
});
export type TenantAvailabilityView = z.infer<typeof tenantAvailabilityView>;

/** The answer of `GET /api/v1/fleet/availability`. */
export const availabilityView = z.object({
  month: z.string(),
  timeZone: z.string(),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  /** False while the month is in progress: the numbers cover `[fromMs, toMs)` so far. */
  complete: z.boolean(),
  stepMinutes: z.number().int(),
  tenants: z.array(tenantAvailabilityView),
});
export type AvailabilityView = z.infer<typeof availabilityView>;

export const sliPointView = z.object({
  startMs: z.number().int(),
  good: count,
  total: count,
  ratio,
});

/** The answer of `GET /api/v1/fleet/sli-series`. */
export const sliSeriesView = z.object({
  sli: z.string(),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  stepMinutes: z.number().int(),
  groupBy: z.enum(['fleet', 'unit']),
  series: z.array(
    z.object({
      /** The unit of a per-unit series; null for the fleet. */
      unit: z.string().nullable(),
      tenant: z.string().nullable(),
      points: z.array(sliPointView),
    }),
  ),
  notes: z.array(coverageNote),
});
export type SliSeriesView = z.infer<typeof sliSeriesView>;
