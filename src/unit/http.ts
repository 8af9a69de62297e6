/**
 * The unit's HTTP surface: ingest endpoints (remote-write, OTLP, events), the local read
 * API, and the operational endpoints. Answers follow what senders expect: 2xx only when
 * the data is durable, 4xx for data that will never be accepted (senders do not retry
 * those), 429/503 with Retry-After when the unit is busy or its disk is in trouble.
 */

import type { IncomingMessage } from 'node:http';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { type Catalog, closestName, type Slo } from '../catalog/index.ts';
import type { BatchReducer, IngestPlan } from '../ingest/index.ts';
import { decodeMetricsJson, decodeMetricsProtobuf, encodeMetricsResponse } from '../otlp/index.ts';
import { LabelInterner, type SeriesView, visitRemoteWriteBody } from '../remote-write/index.ts';
import type { SloStatus } from '../slo/index.ts';
import { toError } from '../util/index.ts';
import type { UnitConfig } from './config.ts';
import { catalogSlos, type Evaluator, sloSeries } from './evaluator.ts';
import type { MetricsRegistry } from './metrics.ts';
import { feedOtlp } from './otlp-feed.ts';
import { BodyPool, readBody } from './request-body.ts';
import type { ApplyResult, UnitState } from './state.ts';

/** What the HTTP layer needs from the running unit. */
export interface UnitHttpContext {
  config: UnitConfig;
  state: UnitState;
  metrics: MetricsRegistry;
  evaluator: Evaluator;
  catalog(): Catalog;
  plan(): IngestPlan;
  now(): number;
  /** Why the unit is not ready, or an empty list. */
  notReady(): string[];
  /** Applies one batch under the unit's single-writer discipline. */
  ingest(source: string, feed: (reducer: BatchReducer) => void): ApplyResult;
}

/** Storage failures that a sender should retry later rather than drop. */
function isTransientStorageError(error: Error): boolean {
  return /SQLITE_(FULL|BUSY|LOCKED|IOERR)|database is locked|disk is full|disk I\/O error/i.test(
    error.message,
  );
}

const eventsSchema = z.strictObject({
  events: z
    .array(
      z.strictObject({
        sli: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'write service/sli'),
        labels: z.record(z.string(), z.string()).default({}),
        time: z.iso.datetime({ offset: true }),
        good: z.number().finite().nonnegative(),
        total: z.number().finite().nonnegative(),
      }),
    )
    .min(1)
    .max(10_000),
});

/** Builds the unit's Hono app. */
export function unitApp(context: UnitHttpContext): Hono {
  const app = new Hono();
  const { config, metrics } = context;
  const interner = new LabelInterner();
  const bodies = new BodyPool();

  app.onError((thrown, c) => {
    const error = toError(thrown);
    if (isTransientStorageError(error)) {
      metrics.inc('sextant_unit_storage_errors_total', 'Writes that failed in the store.');
      c.header('Retry-After', '30');
      return c.json({ error: `storage unavailable, retry later: ${error.message}` }, 503);
    }
    process.stderr.write(
      `${JSON.stringify({ level: 'error', msg: 'request failed', path: c.req.path, error: error.message })}\n`,
    );
    return c.json({ error: error.message }, 500);
  });

  const limit = bodyLimit({
    maxSize: config.limits.maxBodyBytes,
    onError: (c) => c.json({ error: `body larger than ${config.limits.maxBodyBytes} bytes` }, 413),
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const reasons = context.notReady();
    return reasons.length === 0 ? c.json({ status: 'ready' }) : c.json({ status: 'not ready', reasons }, 503);
  });
  app.get('/metrics', (c) =>
    c.text(metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );

  if (config.sources.remoteWrite) {
    // No `limit` middleware here: it builds the web Request and its body stream for every
    // request (`c.req.raw.body`); `readBody` enforces the same limit as it reads.
    app.post('/api/v1/write', async (c) => {
      // Under @hono/node-server the socket's request is `c.env.incoming`; `app.request()` has none.
      const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
      let release = () => {};
      let body: Uint8Array;
      if (incoming === undefined) {
        body = new Uint8Array(await c.req.arrayBuffer());
        if (body.length > config.limits.maxBodyBytes)
          return c.json({ error: `body larger than ${config.limits.maxBodyBytes} bytes` }, 413);
      } else {
        const read = await readBody(incoming, bodies, config.limits.maxBodyBytes);
        if (!read.ok) return c.json({ error: read.message }, read.reason === 'too-large' ? 413 : 400);
        body = read.body;
        release = read.release;
      }
      try {
        return handleWrite(c, body);
      } finally {
        release();
      }
    });
    const handleWrite = (c: Context, body: Uint8Array) => {
      const plan = context.plan();
      const wanted = plan.wantedMetrics;
      let decode: ReturnType<typeof visitRemoteWriteBody> | undefined;
      const applied = context.ingest('remote_write', (reducer) => {
        decode = visitRemoteWriteBody(
          body,
          {
            ...optional('contentType', c.req.header('content-type')),
            ...optional('contentEncoding', c.req.header('content-encoding')),
          },
          { onSeries: (series) => feedSeries(reducer, series) },
          {
            maxDecompressedBytes: config.limits.maxDecompressedBytes,
            interner,
            ...(wanted ? { acceptMetricName: (name: string) => wanted.has(name) } : {}),
          },
        );
      });
      const result = decode!;
      const stats = result.ok ? result.value : result.stats;
      metrics.inc('sextant_unit_remote_write_requests_total', 'Remote-write requests by outcome.', {
        outcome: result.ok ? 'ok' : 'rejected',
      });
      metrics.inc(
        'sextant_unit_samples_received_total',
        'Samples received, by source.',
        { source: 'remote_write' },
        stats.samples,
      );
      metrics.inc(
        'sextant_unit_series_skipped_total',
        'Series dropped because no SLI uses them.',
        {},
        stats.skippedSeries,
      );
      // Remote-write 2.0 asks for these on every answer; 1.0 senders ignore them.
      c.header('X-Prometheus-Remote-Write-Samples-Written', String(stats.acceptedSamples));
      c.header('X-Prometheus-Remote-Write-Histograms-Written', String(stats.acceptedHistograms));
      c.header('X-Prometheus-Remote-Write-Exemplars-Written', String(stats.acceptedExemplars));
      if (!result.ok) {
        const unsupported = result.issues.some((issue) => issue.code.startsWith('request.'));
        return c.json(
          {
            error: result.issues.map((issue) => issue.message).join('; '),
            issues: result.issues,
            applied: applied.buckets,
          },
          unsupported ? 415 : 400,
        );
      }
      return c.body(null, 204);
    };
  }

  if (config.sources.otlp) {
    // OTLP/HTTP (opentelemetry-proto, otlp.md): protobuf or JSON in, the same encoding
    // out; partial success in a 200; only 429/502/503/504 are retryable for senders.
    app.post('/v1/metrics', limit, async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const format =
        type === 'application/x-protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : undefined;
      if (format === undefined) {
        return c.json({ error: 'Content-Type must be application/x-protobuf or application/json' }, 415);
      }
      const body = new Uint8Array(await c.req.arrayBuffer());
      let bytes = body;
      if ((c.req.header('content-encoding') ?? '').toLowerCase() === 'gzip') {
        try {
          bytes = new Uint8Array(
            await new Response(
              new Blob([body]).stream().pipeThrough(new DecompressionStream('gzip')),
            ).arrayBuffer(),
          );
        } catch (error) {
          return c.json({ error: `invalid gzip body: ${(error as Error).message}` }, 400);
        }
        if (bytes.length > config.limits.maxDecompressedBytes)
          return c.json({ error: 'decompressed body too large' }, 413);
      }
      const decoded =
        format === 'protobuf'
          ? decodeMetricsProtobuf(bytes)
          : decodeMetricsJson(new TextDecoder().decode(bytes));
      if (!decoded.ok) {
        const tooLarge = decoded.issues.some((issue) => issue.code.startsWith('limit.'));
        return c.json(
          { error: decoded.issues.map((issue) => issue.message).join('; '), issues: decoded.issues },
          tooLarge ? 413 : 400,
        );
      }
      const batch = decoded.value;
      context.ingest('otlp', (reducer) => feedOtlp(reducer, batch));
      metrics.inc(
        'sextant_unit_samples_received_total',
        'Samples received, by source.',
        { source: 'otlp' },
        batch.points.length,
      );
      if (batch.rejectedDataPoints > 0) {
        metrics.inc(
          'sextant_unit_otlp_rejected_points_total',
          'OTLP data points rejected (partial success).',
          {},
          batch.rejectedDataPoints,
        );
      }
      const partial = { rejectedDataPoints: batch.rejectedDataPoints, errorMessage: batch.errorMessage };
      return format === 'protobuf'
        ? c.body(encodeMetricsResponse(partial, 'protobuf') as Uint8Array<ArrayBuffer>, 200, {
            'Content-Type': 'application/x-protobuf',
          })
        : c.body(encodeMetricsResponse(partial, 'json'), 200, { 'Content-Type': 'application/json' });
    });
  }

  if (config.sources.events) {
    app.post('/api/v1/events', limit, async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch (error) {
        return c.json({ error: `the body is not JSON: ${(error as Error).message}` }, 400);
      }
      const parsed = eventsSchema.safeParse(body);
      if (!parsed.success) {
        return c.json(
          {
            error: 'invalid events',
            issues: parsed.error.issues.map((issue) => ({
              path: issue.path.join('.'),
              message: issue.message,
            })),
          },
          400,
        );
      }
      const catalog = context.catalog();
      const problems: { path: string; message: string }[] = [];
      const events = parsed.data.events.map((event, index) => {
        const [serviceName, sliName] = event.sli.split('/') as [string, string];
        const service = catalog.services.get(serviceName);
        const sli = service?.slis.find((candidate) => candidate.name === sliName);
        const at = `events.${index}`;
        if (!sli) {
          const all = [...catalog.services.values()].flatMap((s) =>
            s.slis.filter((x) => x.kind === 'events').map((x) => x.id),
          );
          const hint = closestName(event.sli, all);
          problems.push({
            path: `${at}.sli`,
            message: `no SLI ${event.sli}${hint ? `; did you mean ${hint}?` : ''}`,
          });
        } else if (sli.kind !== 'events') {
          problems.push({
            path: `${at}.sli`,
            message: `${event.sli} is a ${sli.kind} SLI fed by metrics; push events only to SLIs of kind events`,
          });
        } else {
          const expected = [...sli.significantLabels].sort().join(',');
          const given = Object.keys(event.labels).sort().join(',');
          if (expected !== given) {
            problems.push({
              path: `${at}.labels`,
              message: `labels must be exactly {${expected}} (the SLI's significantLabels), got {${given}}`,
            });
          }
        }
        if (event.good > event.total)
          problems.push({
            path: `${at}.good`,
            message: `good (${event.good}) exceeds total (${event.total})`,
          });
        const ms = Date.parse(event.time);
        if (ms % 60_000 !== 0)
          problems.push({ path: `${at}.time`, message: 'time must be the start of a minute (seconds 00)' });
        return {
          sli,
          labels: event.labels,
          minute: Math.floor(ms / 60_000),
          good: event.good,
          total: event.total,
        };
      });
      if (problems.length > 0) return c.json({ error: 'invalid events', issues: problems }, 422);
      const applied = context.ingest('events', (reducer) => {
        for (const event of events)
          reducer.events(event.sli!, event.labels, event.minute, event.good, event.total);
      });
      if (applied.outcomes.too_old > 0) {
        return c.json(
          {
            error: `${applied.outcomes.too_old} event bucket(s) are older than the unit accepts`,
            applied: applied.buckets,
          },
          422,
        );
      }
      return c.json({ applied: applied.buckets });
    });
  }

  app.get('/api/v1/slos', (c) => {
    const report = context.evaluator.last;
    const slos = catalogSlos(context.catalog()).map((slo) => {
      const evaluation = report?.evaluations.get(slo.id);
      return {
        ...sloSummary(slo),
        ...(evaluation?.status ? statusSummary(evaluation.status) : {}),
        ...optional('error', evaluation?.error),
      };
    });
    return c.json({ evaluatedAt: report ? new Date(report.atMs).toISOString() : null, slos });
  });

  const findSlo = (owner: string, name: string): Slo | string => {
    const all = catalogSlos(context.catalog());
    const slo = all.find((candidate) => candidate.id === `${owner}/${name}`);
    if (slo) return slo;
    const hint = closestName(
      `${owner}/${name}`,
      all.map((candidate) => candidate.id),
    );
    return `no SLO ${owner}/${name}${hint ? `; did you mean ${hint}?` : ''}`;
  };

  app.get('/api/v1/slos/:owner/:slo', (c) => {
    const slo = findSlo(c.req.param('owner'), c.req.param('slo'));
    if (typeof slo === 'string') return c.json({ error: slo }, 404);
    const evaluation = context.evaluator.last?.evaluations.get(slo.id);
    return c.json({
      ...sloSummary(slo),
      definition: slo.definition,
      status: evaluation?.status ?? null,
      ...optional('error', evaluation?.error),
    });
  });

  app.get('/api/v1/slos/:owner/:slo/series', (c) => {
    const slo = findSlo(c.req.param('owner'), c.req.param('slo'));
    if (typeof slo === 'string') return c.json({ error: slo }, 404);
    const nowMinute = Math.floor(context.now() / 60_000);
    const stepMinutes = parseStep(c.req.query('step') ?? '5m');
    const to = c.req.query('to') ? Math.floor(Date.parse(c.req.query('to')!) / 60_000) : nowMinute;
    const from = c.req.query('from') ? Math.floor(Date.parse(c.req.query('from')!) / 60_000) : to - 24 * 60;
    if (stepMinutes === undefined || !Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
      return c.json({ error: 'give from < to as ISO 8601 times and step as 1m, 5m, 1h, 1d' }, 400);
    }
    const points = Math.ceil((to - from) / stepMinutes);
    if (points > 11_000)
      return c.json({ error: `${points} points requested; at most 11000 (raise step)` }, 400);
    const series = sloSeries(slo, context.catalog(), context.state.reader());
    if (typeof series === 'string') return c.json({ error: series }, 500);
    const out: { time: string; good: number; total: number; ratio: number | null }[] = [];
    for (let start = from; start < to; start += stepMinutes) {
      const sum = series.sum(start, Math.min(to, start + stepMinutes));
      out.push({
        time: new Date(start * 60_000).toISOString(),
        good: sum.good,
        total: sum.total,
        ratio: sum.total > 0 ? sum.good / sum.total : null,
      });
    }
    return c.json({ slo: slo.id, stepMinutes, objectiveRatio: slo.objectiveRatio, points: out });
  });

  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

/** Feeds one remote-write series (only those the plan wants reach here) to the reducer. */
function feedSeries(reducer: BatchReducer, series: SeriesView): void {
  const labels: Record<string, string> = {};
  for (let i = 0; i < series.labelCount; i++) labels[series.labelName(i)] = series.labelValue(i);
  const samples: { timestampMs: number; value: number; stale: boolean }[] = [];
  for (let i = 0; i < series.sampleCount; i++) {
    samples.push({
      timestampMs: series.sampleTimestampMs(i),
      value: series.sampleValue(i),
      stale: series.sampleIsStale(i),
    });
  }
  reducer.series(labels, samples);
}

function parseStep(text: string): number | undefined {
  const match = /^(\d+)(m|h|d)$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[1]) * { m: 1, h: 60, d: 1440 }[match[2] as 'm' | 'h' | 'd'];
  return minutes > 0 ? minutes : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function sloSummary(slo: Slo) {
  return {
    id: slo.id,
    owner: slo.owner,
    name: slo.name,
    ...optional('sli', slo.sli),
    objectiveRatio: slo.objectiveRatio,
    window: slo.windowText,
    budgeting: slo.definition.budgeting.method,
  };
}

function statusSummary(status: SloStatus) {
  return {
    sliRatio: status.sliRatio,
    budgetRemainingRatio: status.budget.period.remainingRatio,
    burnRate1h: status.burnRate1h,
    timeToExhaustionMinutes: status.timeToExhaustionMinutes,
    firing: status.alerts.state.alerts.filter((alert) => alert.phase === 'firing').map((alert) => alert.name),
  };
}
