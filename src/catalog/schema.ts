/**
 * The service manifest, `apiVersion: sextant.dev/v1`, defined once: these zod schemas
 * give the TypeScript types, the shape validation and the published JSON Schema
 * (`schema/sextant.v1.json`). Rules that need more than shape (durations, references,
 * objectives, cycles) live in `checks.ts` and `cross-checks.ts`, which return issues
 * with stable codes.
 */

import { z } from 'zod';
import { heldWeakly } from '../util/index.ts';

export const API_VERSION = 'sextant.dev/v1';
export const KINDS = ['Service', 'Team', 'Journey', 'Tenant'] as const;
export type Kind = (typeof KINDS)[number];

const NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
const DURATION_PATTERN = '^([0-9]+[wdhm])+$';

export const TIERS = {
  critical:
    'Outage stops users from doing their core work; pages 24x7; change freeze when the budget is spent.',
  high: 'Outage degrades a core workflow; pages 24x7.',
  medium: 'Outage degrades a secondary feature; pages in business hours, otherwise tickets.',
  low: 'Internal or best-effort; tickets only.',
} as const;

export const LIFECYCLES = {
  experimental: 'Not yet used by customers; SLOs are informative.',
  beta: 'Used by some customers; SLOs alert but are not reported externally.',
  production: 'Fully supported; SLOs alert and are reported.',
  deprecated: 'Being removed; still measured until it is gone.',
} as const;

/**
 * Builds every schema of the manifest. Zod objects are heavy (each schema instance carries
 * its own methods: about 3 MB of heap for the whole manifest), and a long-running process
 * needs them only while it reads catalog files, so they are built on demand and held only
 * weakly between uses (`catalogSchemas`).
 */
function buildCatalogSchemas() {
  const name = z.string().meta({
    pattern: NAME_PATTERN,
    description: '1-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit.',
  });
  const duration = (description: string, example: string) =>
    z.string().meta({ pattern: DURATION_PATTERN, description, examples: [example] });
  const ref = (what: string) => z.string().meta({ description: `Name of a ${what} in the catalog.` });

  const link = z.strictObject({
    url: z.string().meta({ format: 'uri' }),
    title: z.string().optional(),
    type: z.enum(['runbook', 'dashboard', 'repo', 'docs', 'chat', 'other']).default('other'),
  });

  /** Metadata shared by every kind, in the Kubernetes/Backstage style. */
  const metadataSchema = z.strictObject({
    name,
    title: z.string().optional().meta({ description: 'Human-friendly name shown in the portal.' }),
    description: z.string().optional(),
    labels: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Identifying key/value pairs, used in selectors.' }),
    annotations: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Non-identifying metadata for tools.' }),
    links: z.array(link).optional(),
  });

  /**
   * Where a number comes from: a series selector for ingested data (and generated
   * PromQL), or a PromQL expression with `$window` for PromQL sources.
   */
  const metricSourceSchema = z.union([
    z.strictObject({
      selector: z.string().meta({
        description: 'PromQL series selector, e.g. http_requests_total{job="api",code=~"5.."}.',
      }),
    }),
    z.strictObject({
      promql: z.string().meta({
        description:
          'PromQL expression that counts events over `$window`, e.g. sum(increase(http_requests_total{job="api"}[$window])).',
      }),
    }),
  ]);

  const severity = z.enum(['s1', 's2', 's3', 's4']).meta({
    description:
      's1 (most severe) to s4. Defaults from the service tier: critical s1, high s2, medium s3, low s4.',
  });

  const sliCommon = {
    name,
    description: z.string().optional(),
    significantLabels: z
      .array(z.string())
      .optional()
      .meta({ description: 'Labels kept apart when counting (one SLI series per combination of values).' }),
    userImpacting: z.boolean().optional().meta({ description: 'Whether users feel this SLI. Default true.' }),
    severity: severity.optional(),
    team: ref('Team')
      .optional()
      .meta({ description: 'Team answerable for this SLI. Default: the service owner.' }),
  };

  /** `ratio`: good/total or bad/total event counters. */
  const ratioSliSchema = z.strictObject({
    ...sliCommon,
    kind: z.literal('ratio'),
    good: metricSourceSchema.optional(),
    bad: metricSourceSchema.optional(),
    total: metricSourceSchema,
  });

  /** `latency`: a histogram and a satisfied threshold, with apdex semantics for the tolerated one. */
  const latencySliSchema = z.strictObject({
    ...sliCommon,
    kind: z.literal('latency'),
    histogram: z.string().optional().meta({
      description:
        'Selector of the histogram base name (without _bucket), e.g. http_request_duration_seconds{job="api"}.',
    }),
    promql: z
      .strictObject({
        satisfied: z.string(),
        tolerated: z.string().optional(),
        total: z.string(),
      })
      .optional()
      .meta({
        description: 'PromQL counting requests under each threshold over $window, for PromQL sources.',
      }),
    satisfiedSeconds: z
      .number()
      .positive()
      .meta({ description: 'Requests at or under this duration are good.' }),
    toleratedSeconds: z
      .number()
      .positive()
      .optional()
      .meta({ description: 'Requests between satisfied and tolerated count half (apdex).' }),
  });

  /** `threshold`: a gauge compared against a bound, one verdict per time slice. */
  const thresholdSliSchema = z.strictObject({
    ...sliCommon,
    kind: z.literal('threshold'),
    gauge: metricSourceSchema,
    operator: z
      .enum(['<', '<=', '>', '>='])
      .meta({ description: 'A slice is good when `value operator bound`.' }),
    bound: z.number(),
    aggregation: z.enum(['max', 'min', 'avg', 'last']).optional().meta({
      description: 'How samples within a minute are combined. Default: the worst case for the operator.',
    }),
  });

  /** `events`: good/total counts pushed to Sextant's events API. */
  const eventsSliSchema = z.strictObject({
    ...sliCommon,
    kind: z.literal('events'),
  });

  const sliSchema = z.discriminatedUnion('kind', [
    ratioSliSchema,
    latencySliSchema,
    thresholdSliSchema,
    eventsSliSchema,
  ]);

  /** Rolling duration, or a calendar period in an IANA time zone. */
  const windowSchema = z.union([
    duration('Rolling window, e.g. 28d, 30d, 7d, 4w.', '28d'),
    z.strictObject({
      calendar: z.enum(['month', 'quarter']),
      timeZone: z.string().default('UTC').meta({ description: 'IANA time zone, e.g. Europe/Berlin.' }),
    }),
  ]);

  const budgetingSchema = z.union([
    z.enum(['occurrences', 'timeslices', 'ratioTimeslices']).meta({
      description: 'A method name; timeslices also needs a slice target, so write it in the object form.',
    }),
    z.strictObject({ method: z.literal('occurrences') }),
    z.strictObject({
      method: z.literal('timeslices'),
      slice: duration('Slice length.', '1m').optional(),
      sliceTargetPercent: z.number().optional(),
      sliceTargetRatio: z.number().optional(),
      emptySlice: z
        .enum(['good', 'bad'])
        .optional()
        .meta({ description: 'Verdict for a slice with no traffic. Default good.' }),
    }),
    z.strictObject({
      method: z.literal('ratioTimeslices'),
      slice: duration('Slice length.', '5m').optional(),
    }),
  ]);

  const alertTierSchema = z.strictObject({
    enabled: z.boolean().optional(),
    severity: z.enum(['page', 'ticket']).optional(),
    budgetPercent: z
      .number()
      .optional()
      .meta({ description: 'Share of the period budget consumed within the long window.' }),
    longWindow: duration('Long window.', '1h').optional(),
    shortWindow: duration('Short window. Default long/12.', '5m').optional(),
    for: duration('How long the condition must hold before firing.', '2m').optional(),
    factor: z
      .number()
      .optional()
      .meta({ description: 'Explicit burn-rate factor; default budget share x period / long window.' }),
  });

  const alertingSchema = z.strictObject({
    enabled: z.boolean().optional().meta({ description: 'Default true.' }),
    minEvents: z.number().int().nonnegative().optional().meta({
      description: 'A tier fires only when its long window holds at least this many events. Default 3600.',
    }),
    wilsonConfidence: z.number().optional().meta({
      description:
        'Gate tiers on the Wilson score lower bound of the error ratio at this confidence (e.g. 0.95).',
    }),
    budgetExhausted: z
      .boolean()
      .optional()
      .meta({ description: 'Alert when the budget is spent. Default true.' }),
    trafficCessation: z.boolean().optional().meta({ description: 'Alert when traffic stops. Default true.' }),
    tiers: z.record(z.string(), alertTierSchema).optional().meta({
      description:
        'Overrides by name of the default tiers page-1h, page-6h, ticket-1d, ticket-3d, or new tiers.',
    }),
  });

  const sloCommon = {
    name,
    description: z.string().optional(),
    objectivePercent: z.number().optional().meta({ description: 'Objective in percent, e.g. 99.9.' }),
    objectiveRatio: z.number().optional().meta({ description: 'Objective as a ratio, e.g. 0.999.' }),
    window: windowSchema.default('28d'),
    budgeting: budgetingSchema.default('occurrences'),
    alerting: alertingSchema.optional(),
  };

  const sloSchema = z.strictObject({
    ...sloCommon,
    sli: ref('SLI of this service'),
  });

  const journeySloSchema = z.strictObject(sloCommon);

  const saturationPointSchema = z.strictObject({
    name,
    description: z.string().optional(),
    utilization: metricSourceSchema.meta({ description: 'A value between 0 and 1 (1 = full).' }),
    soft: z.number().meta({ description: 'Utilization (0-1) that warrants a ticket.' }),
    hard: z.number().meta({ description: 'Utilization (0-1) at which the resource fails or throttles.' }),
    horizontallyScalable: z
      .boolean()
      .optional()
      .meta({ description: 'Capacity can be added by adding replicas.' }),
    forecast: z
      .strictObject({
        history: duration('History used to fit the trend.', '28d').optional(),
        horizon: duration('How far ahead to forecast.', '90d').optional(),
        method: z.enum(['linear', 'holt-winters']).optional(),
      })
      .optional(),
  });

  const maintenanceSchema = z.union([
    z.strictObject({
      name,
      slos: z
        .array(ref('SLO of this service'))
        .optional()
        .meta({ description: 'Default: every SLO of the service.' }),
      start: z.string().meta({ format: 'date-time' }),
      end: z.string().meta({ format: 'date-time' }),
    }),
    z.strictObject({
      name,
      slos: z.array(ref('SLO of this service')).optional(),
      cron: z
        .string()
        .meta({ description: 'Five-field cron expression for each start.', examples: ['0 2 * * SUN'] }),
      duration: duration('Length of each occurrence.', '2h'),
      timeZone: z.string().default('UTC'),
    }),
  ]);

  const dependency = z.union([
    ref('Service'),
    z.strictObject({
      service: ref('Service'),
      kind: z.enum(['hard', 'soft']).default('hard'),
      description: z.string().optional(),
    }),
  ]);

  const serviceSpecSchema = z.strictObject({
    owner: ref('Team'),
    tier: z.enum(Object.keys(TIERS) as [keyof typeof TIERS]).meta({
      description: Object.entries(TIERS)
        .map(([tier, meaning]) => `${tier}: ${meaning}`)
        .join(' '),
    }),
    lifecycle: z
      .enum(Object.keys(LIFECYCLES) as [keyof typeof LIFECYCLES])
      .default('production')
      .meta({
        description: Object.entries(LIFECYCLES)
          .map(([stage, meaning]) => `${stage}: ${meaning}`)
          .join(' '),
      }),
    dependsOn: z.array(dependency).default([]),
    instances: z
      .strictObject({
        tenants: z
          .array(z.string())
          .optional()
          .meta({ description: 'Tenant names or patterns like dedicated-*.' }),
        environments: z.array(z.string()).optional(),
        selector: z
          .record(z.string(), z.string())
          .optional()
          .meta({ description: 'Instance labels that must match.' }),
      })
      .optional()
      .meta({ description: 'Which instances run this service. Default: all.' }),
    paths: z
      .array(z.string())
      .default([])
      .meta({ description: 'Code-ownership globs (used for change risk).' }),
    slis: z.array(sliSchema).default([]),
    slos: z.array(sloSchema).default([]),
    saturationPoints: z.array(saturationPointSchema).default([]),
    maintenance: z.array(maintenanceSchema).default([]),
  });

  const teamSpecSchema = z.strictObject({
    parent: ref('Team').optional(),
    members: z
      .array(
        z.union([
          z.string(),
          z.strictObject({ name: z.string(), email: z.string().optional(), role: z.string().optional() }),
        ]),
      )
      .default([]),
    onCall: z
      .strictObject({
        schedule: z
          .string()
          .optional()
          .meta({ description: 'Name or URL of the rotation (PagerDuty, Opsgenie, ...).' }),
        email: z.string().optional(),
        phone: z.string().optional(),
        url: z.string().optional(),
      })
      .optional(),
    chat: z.string().optional().meta({ description: 'Chat channel, e.g. #team-git.' }),
  });

  const journeySpecSchema = z.strictObject({
    owner: ref('Team'),
    parts: z
      .array(
        z.strictObject({
          sli: z.string().meta({ description: 'service/sli' }),
          weight: z.number().positive().default(1),
        }),
      )
      .min(1),
    slos: z.array(journeySloSchema).default([]),
  });

  const tenantSpecSchema = z.strictObject({
    environment: z.string().default('production'),
    region: z.string().optional(),
    dedicated: z.boolean().default(false),
    productLine: z.string().optional(),
  });

  const manifest = <K extends Kind, S extends z.ZodType>(kind: K, spec: S) =>
    z.strictObject({
      apiVersion: z.literal(API_VERSION),
      kind: z.literal(kind),
      metadata: metadataSchema,
      spec,
    });

  const serviceManifestSchema = manifest('Service', serviceSpecSchema);
  const teamManifestSchema = manifest('Team', teamSpecSchema);
  const journeyManifestSchema = manifest('Journey', journeySpecSchema);
  const tenantManifestSchema = manifest(
    'Tenant',
    tenantSpecSchema.default({ environment: 'production', dedicated: false }),
  );
  return {
    metadata: metadataSchema,
    metricSource: metricSourceSchema,
    ratioSli: ratioSliSchema,
    latencySli: latencySliSchema,
    thresholdSli: thresholdSliSchema,
    eventsSli: eventsSliSchema,
    sli: sliSchema,
    window: windowSchema,
    budgeting: budgetingSchema,
    alertTier: alertTierSchema,
    alerting: alertingSchema,
    slo: sloSchema,
    journeySlo: journeySloSchema,
    saturationPoint: saturationPointSchema,
    maintenance: maintenanceSchema,
    serviceSpec: serviceSpecSchema,
    teamSpec: teamSpecSchema,
    journeySpec: journeySpecSchema,
    tenantSpec: tenantSpecSchema,
    serviceManifest: serviceManifestSchema,
    teamManifest: teamManifestSchema,
    journeyManifest: journeyManifestSchema,
    tenantManifest: tenantManifestSchema,
  };
}

/** The manifest schemas; see `buildCatalogSchemas`. */
export type CatalogSchemas = ReturnType<typeof buildCatalogSchemas>;

/**
 * The manifest schemas, built on first use and rebuilt only after the garbage collector
 * took them (nothing held them since): a unit keeps none between catalog reloads.
 * @example catalogSchemas().service.safeParse(document)
 */
export const catalogSchemas: () => CatalogSchemas = heldWeakly(buildCatalogSchemas);

export type MetricSource = z.infer<CatalogSchemas['metricSource']>;
export type SliManifest = z.infer<CatalogSchemas['sli']>;
export type SloManifest = z.infer<CatalogSchemas['slo']>;
export type ServiceManifest = z.infer<CatalogSchemas['serviceManifest']>;
export type TeamManifest = z.infer<CatalogSchemas['teamManifest']>;
export type JourneyManifest = z.infer<CatalogSchemas['journeyManifest']>;
export type TenantManifest = z.infer<CatalogSchemas['tenantManifest']>;
export type Manifest = ServiceManifest | TeamManifest | JourneyManifest | TenantManifest;

/** The schema of each kind of manifest. */
export function manifestSchemas() {
  const schemas = catalogSchemas();
  return {
    Service: schemas.serviceManifest,
    Team: schemas.teamManifest,
    Journey: schemas.journeyManifest,
    Tenant: schemas.tenantManifest,
  } as const;
}

/** The JSON Schema editors use for completion and inline validation of manifests. */
export function manifestJsonSchema(): Record<string, unknown> {
  const schemas = catalogSchemas();
  const union = z.discriminatedUnion('kind', [
    schemas.serviceManifest,
    schemas.teamManifest,
    schemas.journeyManifest,
    schemas.tenantManifest,
  ]);
  return {
    ...z.toJSONSchema(union, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://sextant.dev/schema/sextant.v1.json',
    title: 'Sextant manifest (sextant.dev/v1)',
  };
}
