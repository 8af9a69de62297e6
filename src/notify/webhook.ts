/**
 * The generic webhook body: one JSON object per alert event (`firing` or `resolved`),
 * defined by one zod schema that gives the TypeScript type, runtime validation and the
 * published JSON Schema (`webhookJsonSchema()`).
 *
 * Stability: `version` is 1. Fields may be added within version 1; removing, renaming or
 * changing the meaning of a field makes version 2. Absent values are `null`, never missing,
 * so every field is always there. Times are RFC 3339 UTC strings. `id` is the same for
 * every retry of one event, so a receiver can drop duplicates (delivery is at least once).
 */
import { z } from 'zod';
import { alertmanagerAnnotations, alertmanagerLabels } from './alertmanager.ts';
import { ALERT_NAMES, type AlertNotice } from './types.ts';

/** The current schema version; see the module comment for what may change within it. */
export const WEBHOOK_SCHEMA_VERSION = 1;

const iso = z.iso.datetime({ offset: false }).describe('RFC 3339 UTC time');
const stringMap = z.record(z.string(), z.string());

/** The webhook body, version 1. */
export const webhookPayloadSchema = z
  .strictObject({
    version: z.literal(WEBHOOK_SCHEMA_VERSION),
    kind: z.literal('sextant.slo-alert'),
    id: z.string().describe('Identifies this event of this alert; equal across retries.'),
    event: z.enum(['firing', 'resolved']),
    evaluatedAt: iso,
    alert: z.strictObject({
      alertname: z.enum(Object.values(ALERT_NAMES) as [string, ...string[]]),
      kind: z.enum(['burn-rate', 'budget-exhausted', 'traffic-cessation']),
      tier: z.string().describe('Tier name, budget-exhausted or traffic-cessation'),
      severity: z.enum(['page', 'ticket']),
      window: z.string(),
      startsAt: iso,
      resolvedAt: iso.nullable(),
      summary: z.string(),
      description: z.string(),
      labels: stringMap.describe('The Alertmanager label set of the alert'),
      annotations: stringMap.describe('The Alertmanager annotations of the alert'),
    }),
    slo: z.strictObject({
      id: z.string(),
      name: z.string(),
      objectiveRatio: z.number(),
      window: z.string(),
    }),
    service: z.strictObject({ name: z.string() }),
    team: z.strictObject({ name: z.string(), chat: z.string().nullable(), onCallUrl: z.string().nullable() }),
    unit: z.strictObject({
      id: z.string(),
      tenant: z.string().nullable(),
      environment: z.string().nullable(),
    }),
    burnRate: z
      .strictObject({
        factor: z.number(),
        longWindow: z.string(),
        long: z.number(),
        shortWindow: z.string(),
        short: z.number(),
      })
      .nullable(),
    budget: z.strictObject({
      remainingRatio: z.number(),
      burnRate1h: z.number(),
      timeToExhaustionMinutes: z.number().nullable(),
    }),
    traffic: z.strictObject({ recentTotal: z.number(), baselineTotal: z.number() }).nullable(),
    links: z.strictObject({
      runbook: z.string().nullable(),
      dashboard: z.string().nullable(),
      slo: z.string().nullable(),
    }),
  })
  .meta({ title: 'Sextant SLO alert webhook (version 1)' });

/** The webhook body, version 1. */
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** The JSON Schema of the webhook body, for receivers to validate against. */
export function webhookJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(webhookPayloadSchema, { io: 'output' }),
    $id: 'https://sextant.dev/schema/notify-webhook.v1.json',
  };
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A stable identity of one event of one alert: the same notice always gives the same id,
 * a later firing of the same alert a different one.
 */
export function noticeEventId(notice: AlertNotice): string {
  const { unit, slo } = notice.context;
  const event = notice.event === 'resolved' ? 'resolved' : 'firing';
  return [unit.id, unit.tenant ?? '', slo.id, notice.name, event, isoTime(notice.startsAtMs)]
    .map(encodeURIComponent)
    .join('/');
}

/**
 * A firing or resolved notice as the generic webhook body. Refresh notices are not events:
 * webhooks are not sent them (the dispatcher skips them), and they format as `firing`.
 */
export function toWebhookPayload(notice: AlertNotice): WebhookPayload {
  const { context } = notice;
  const annotations = alertmanagerAnnotations(notice);
  return {
    version: WEBHOOK_SCHEMA_VERSION,
    kind: 'sextant.slo-alert',
    id: noticeEventId(notice),
    event: notice.event === 'resolved' ? 'resolved' : 'firing',
    evaluatedAt: isoTime(notice.atMs),
    alert: {
      alertname: ALERT_NAMES[notice.kind],
      kind: notice.kind,
      tier: notice.name,
      severity: notice.severity,
      window: notice.window,
      startsAt: isoTime(notice.startsAtMs),
      resolvedAt: notice.resolvedAtMs === null ? null : isoTime(notice.resolvedAtMs),
      summary: annotations['summary'] ?? '',
      description: annotations['description'] ?? '',
      labels: alertmanagerLabels(notice),
      annotations,
    },
    slo: {
      id: context.slo.id,
      name: context.slo.name,
      objectiveRatio: context.slo.objectiveRatio,
      window: context.slo.windowText,
    },
    service: { name: context.service },
    team: {
      name: context.team.name,
      chat: context.team.chat ?? null,
      onCallUrl: context.team.onCallUrl ?? null,
    },
    unit: {
      id: context.unit.id,
      tenant: context.unit.tenant ?? null,
      environment: context.unit.environment ?? null,
    },
    burnRate:
      notice.burn === null
        ? null
        : {
            factor: notice.burn.factor,
            longWindow: notice.burn.longWindow,
            long: notice.burn.longBurnRate,
            shortWindow: notice.burn.shortWindow,
            short: notice.burn.shortBurnRate,
          },
    budget: { ...notice.budget },
    traffic: notice.traffic === null ? null : { ...notice.traffic },
    links: {
      runbook: context.links.runbookUrl ?? null,
      dashboard: context.links.dashboardUrl ?? null,
      slo: context.links.sloUrl ?? null,
    },
  };
}
