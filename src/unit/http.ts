/**
 * The unit's HTTP surface: ingest endpoints (remote-write, OTLP, events), the local read
 * API, and the operational endpoints. Answers follow what senders expect: 2xx only when
 * the data is durable, 4xx for data that will never be accepted (senders do not retry
 * those), 429/503 with Retry-After when the unit is busy or its disk is in trouble.
 *
 * Served straight on `node:http`, with no web `Request`/`Response` objects: those load
 * Node's fetch implementation (undici, about 10 MB resident) and copy every body, and the
 * unit is meant to sit beside an instance in a small memory footprint
 * (`npm run bench -- ingest`). The hub, which serves people, uses Hono.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type Catalog, closestName, type Slo } from '../catalog/index.ts';
import type { BatchReducer, IngestPlan } from '../ingest/index.ts';
import { LabelInterner, type SeriesView, visitRemoteWriteBody } from '../remote-write/index.ts';
import type { SloStatus } from '../slo/index.ts';
import { toError } from '../util/index.ts';
import type { UnitConfig } from './config.ts';
import { catalogSlos, type Evaluator, sloSeries } from './evaluator.ts';
import type { MetricsRegistry } from './metrics.ts';
import { BodyPool, readBody } from './request-body.ts';
import type { ApplyResult, UnitState } from './state.ts';

/** An answer: status, headers and an optional body. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** A JSON answer. */
export function jsonReply(value: unknown, status = 200, headers?: Record<string, string>): Reply {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

/** A Prometheus text-format answer. */
export function metricsReply(text: string): Reply {
  return { status: 200, headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }, body: text };
}

/** One request as a handler sees it. */
export interface UnitRequest {
  readonly incoming: IncomingMessage;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Values of the route's `:name` segments, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  header(name: string): string | undefined;
}

type Handler = (request: UnitRequest) => Reply | Promise<Reply>;

interface Route {
  method: 'GET' | 'POST';
  segments: readonly string[];
  handler: Handler;
}

/** Routes requests by method and path (`:name` segments capture) and writes the replies. */
export class UnitRouter {
  readonly #routes: Route[] = [];
  readonly #onError: (error: Error, path: string) => Reply;

  constructor(onError: (error: Error, path: string) => Reply) {
    this.#onError = onError;
  }

  get(path: string, handler: Handler): void {
    this.#routes.push({ method: 'GET', segments: path.split('/'), handler });
  }

  post(path: string, handler: Handler): void {
    this.#routes.push({ method: 'POST', segments: path.split('/'), handler });
  }

  /** The `request` listener of a `node:http` server. */
  readonly listener = (incoming: IncomingMessage, response: ServerResponse): void => {
    void this.#serve(incoming, response);
  };

  async #serve(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = incoming.url ?? '/';
    const mark = target.indexOf('?');
    const path = mark < 0 ? target : target.slice(0, mark);
    const method = incoming.method === 'HEAD' ? 'GET' : (incoming.method ?? 'GET');
    let reply: Reply;
    try {
      reply = await this.#dispatch(incoming, method, path, mark < 0 ? '' : target.slice(mark + 1));
    } catch (thrown) {
      reply = this.#onError(toError(thrown), path);
    }
    if (response.destroyed) return;
    const body =
      reply.body === undefined
        ? undefined
        : typeof reply.body === 'string'
          ? Buffer.from(reply.body)
          : reply.body;
    response.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(body?.length ?? 0) });
    // A request whose body was not read (404, 405, 413 before reading) must not leave it
    // in the socket for the next request on a keep-alive connection.
    if (!incoming.complete) incoming.resume();
    response.end(incoming.method === 'HEAD' ? undefined : body);
  }

  #dispatch(incoming: IncomingMessage, method: string, path: string, search: string): Reply | Promise<Reply> {
    const segments = path.split('/');
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (params instanceof Error) return jsonReply({ error: params.message }, 400);
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      return route.handler({
        incoming,
        path,
        query: new URLSearchParams(search),
        params,
        header: (name) => headerValue(incoming, name),
      });
    }
    if (allowed.length > 0) {
      const allow = [...new Set(allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))].join(', ');
      return jsonReply({ error: `${incoming.method} is not allowed on ${path}; use ${allow}` }, 405, {
        Allow: allow,
      });
    }
    return jsonReply({ error: `no route ${incoming.method} ${path}` }, 404);
  }
}

/** The params of a path that fits the route's segments, undefined if it does not fit. */
function matchSegments(
  route: readonly string[],
  path: readonly string[],
): Record<string, string> | Error | undefined {
  if (route.length !== path.length) return undefined;
  for (let i = 0; i < route.length; i++) {
    if (route[i]!.startsWith(':') ? path[i] === '' : route[i] !== path[i]) return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < route.length; i++) {
    if (!route[i]!.startsWith(':')) continue;
    try {
      params[route[i]!.slice(1)] = decodeURIComponent(path[i]!);
    } catch {
      return new Error(`the path segment ${path[i]} is not valid percent-encoding`);
    }
  }
  return params;
}

function headerValue(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

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

/** Builds the unit's router; serve it with `createServer(router.listener)`. */
export function unitApp(context: UnitHttpContext): UnitRouter {
  const { config, metrics } = context;
  const app = new UnitRouter((error, path) => {
    if (isTransientStorageError(error)) {
      metrics.inc('sextant_unit_storage_errors_total', 'Writes that failed in the store.');
      return jsonReply({ error: `storage unavailable, retry later: ${error.message}` }, 503, {
        'Retry-After': '30',
      });
    }
    process.stderr.write(
      `${JSON.stringify({ level: 'error', msg: 'request failed', path, error: error.message })}\n`,
    );
    return jsonReply({ error: error.message }, 500);
  });
  const interner = new LabelInterner();
  const bodies = new BodyPool();

  /** Reads the request body (at most the configured size), hands it to `use`, then frees it. */
  const withBody = async (request: UnitRequest, use: (body: Uint8Array) => Reply | Promise<Reply>) => {
    const read = await readBody(request.incoming, bodies, config.limits.maxBodyBytes);
    if (!read.ok) return jsonReply({ error: read.message }, read.reason === 'too-large' ? 413 : 400);
    try {
      return await use(read.body);
    } finally {
      read.release();
    }
  };

  app.get('/healthz', () => jsonReply({ status: 'ok' }));
  app.get('/readyz', () => {
    const reasons = context.notReady();
    return reasons.length === 0
      ? jsonReply({ status: 'ready' })
      : jsonReply({ status: 'not ready', reasons }, 503);
  });
  app.get('/metrics', () => metricsReply(metrics.render()));

  if (config.sources.remoteWrite) {
    const handleWrite = (request: UnitRequest, body: Uint8Array): Reply => {
      const plan = context.plan();
      const wanted = plan.wantedMetrics;
      let decode: ReturnType<typeof visitRemoteWriteBody> | undefined;
      const applied = context.ingest('remote_write', (reducer) => {
        decode = visitRemoteWriteBody(
          body,
          {
            ...optional('contentType', request.header('content-type')),
            ...optional('contentEncoding', request.header('content-encoding')),
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
      const written = {
        'X-Prometheus-Remote-Write-Samples-Written': String(stats.acceptedSamples),
        'X-Prometheus-Remote-Write-Histograms-Written': String(stats.acceptedHistograms),
        'X-Prometheus-Remote-Write-Exemplars-Written': String(stats.acceptedExemplars),
      };
      if (!result.ok) {
        const unsupported = result.issues.some((issue) => issue.code.startsWith('request.'));
        return jsonReply(
          {
            error: result.issues.map((issue) => issue.message).join('; '),
            issues: result.issues,
            applied: applied.buckets,
          },
          unsupported ? 415 : 400,
          written,
        );
      }
      return { status: 204, headers: written };
    };
    app.post('/api/v1/write', (request) => withBody(request, (body) => handleWrite(request, body)));
  }

  if (config.sources.otlp) {
    // OTLP/HTTP (opentelemetry-proto, otlp.md): protobuf or JSON in, the same encoding
    // out; partial success in a 200; only 429/502/503/504 are retryable for senders.
    // The decoders are loaded at the first OTLP request: most units never get one.
    let otlpCode: Promise<[typeof import('../otlp/index.ts'), typeof import('./otlp-feed.ts')]> | undefined;
    app.post('/v1/metrics', async (request) => {
      const type = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const format =
        type === 'application/x-protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : undefined;
      if (format === undefined) {
        return jsonReply({ error: 'Content-Type must be application/x-protobuf or application/json' }, 415);
      }
      const encoding = (request.header('content-encoding') ?? 'identity').trim().toLowerCase();
      if (encoding !== 'gzip' && encoding !== 'identity') {
        return jsonReply({ error: `Content-Encoding ${encoding} is not supported; use gzip or none` }, 415);
      }
      return withBody(request, async (body) => {
        otlpCode ??= Promise.all([import('../otlp/index.ts'), import('./otlp-feed.ts')]);
        const [{ decodeMetricsJson, decodeMetricsProtobuf, encodeMetricsResponse }, { feedOtlp }] =
          await otlpCode;
        let bytes = body;
        if (encoding === 'gzip') {
          const inflated = await gunzipAtMost(body, config.limits.maxDecompressedBytes);
          if (!inflated.ok) return jsonReply({ error: inflated.message }, inflated.tooLarge ? 413 : 400);
          bytes = inflated.bytes;
        }
        const decoded =
          format === 'protobuf'
            ? decodeMetricsProtobuf(bytes)
            : decodeMetricsJson(new TextDecoder().decode(bytes));
        if (!decoded.ok) {
          const tooLarge = decoded.issues.some((issue) => issue.code.startsWith('limit.'));
          return jsonReply(
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
          ? {
              status: 200,
              headers: { 'Content-Type': 'application/x-protobuf' },
              body: encodeMetricsResponse(partial, 'protobuf'),
            }
          : {
              status: 200,
              headers: { 'Content-Type': 'application/json' },
              body: encodeMetricsResponse(partial, 'json'),
            };
      });
    });
  }

  if (config.sources.events) {
    app.post('/api/v1/events', (request) =>
      withBody(request, (bytes) => {
        let body: unknown;
        try {
          body = JSON.parse(new TextDecoder().decode(bytes));
        } catch (error) {
          return jsonReply({ error: `the body is not JSON: ${(error as Error).message}` }, 400);
        }
        return ingestEvents(context, body);
      }),
    );
  }

  app.get('/api/v1/slos', () => {
    const report = context.evaluator.last;
    const slos = catalogSlos(context.catalog()).map((slo) => {
      const evaluation = report?.evaluations.get(slo.id);
      return {
        ...sloSummary(slo),
        ...(evaluation?.status ? statusSummary(evaluation.status) : {}),
        ...optional('error', evaluation?.error),
      };
    });
    return jsonReply({ evaluatedAt: report ? new Date(report.atMs).toISOString() : null, slos });
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

  app.get('/api/v1/slos/:owner/:slo', ({ params }) => {
    const slo = findSlo(params['owner']!, params['slo']!);
    if (typeof slo === 'string') return jsonReply({ error: slo }, 404);
    const evaluation = context.evaluator.last?.evaluations.get(slo.id);
    return jsonReply({
      ...sloSummary(slo),
      definition: slo.definition,
      status: evaluation?.status ?? null,
      ...optional('error', evaluation?.error),
    });
  });

  app.get('/api/v1/slos/:owner/:slo/series', ({ params, query }) => {
    const slo = findSlo(params['owner']!, params['slo']!);
    if (typeof slo === 'string') return jsonReply({ error: slo }, 404);
    const nowMinute = Math.floor(context.now() / 60_000);
    const stepMinutes = parseStep(query.get('step') ?? '5m');
    const toText = query.get('to');
    const fromText = query.get('from');
    const to = toText ? Math.floor(Date.parse(toText) / 60_000) : nowMinute;
    const from = fromText ? Math.floor(Date.parse(fromText) / 60_000) : to - 24 * 60;
    if (stepMinutes === undefined || !Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
      return jsonReply({ error: 'give from < to as ISO 8601 times and step as 1m, 5m, 1h, 1d' }, 400);
    }
    const points = Math.ceil((to - from) / stepMinutes);
    if (points > 11_000)
      return jsonReply({ error: `${points} points requested; at most 11000 (raise step)` }, 400);
    const series = sloSeries(slo, context.catalog(), context.state.reader());
    if (typeof series === 'string') return jsonReply({ error: series }, 500);
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
    return jsonReply({ slo: slo.id, stepMinutes, objectiveRatio: slo.objectiveRatio, points: out });
  });

  return app;
}

/** Validates pushed events against the catalog and applies them (`POST /api/v1/events`). */
function ingestEvents(context: UnitHttpContext, body: unknown): Reply {
  const parsed = eventsSchema.safeParse(body);
  if (!parsed.success) {
    return jsonReply(
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
  if (problems.length > 0) return jsonReply({ error: 'invalid events', issues: problems }, 422);
  const applied = context.ingest('events', (reducer) => {
    for (const event of events)
      reducer.events(event.sli!, event.labels, event.minute, event.good, event.total);
  });
  if (applied.outcomes.too_old > 0) {
    return jsonReply(
      {
        error: `${applied.outcomes.too_old} event bucket(s) are older than the unit accepts`,
        applied: applied.buckets,
      },
      422,
    );
  }
  return jsonReply({ applied: applied.buckets });
}

/** Inflates a gzip body, refusing to produce more than `maxBytes` (gzip bombs). */
function gunzipAtMost(
  body: Uint8Array,
  maxBytes: number,
): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; tooLarge: boolean; message: string }> {
  // zlib is loaded only when a gzip body arrives.
  const { gunzip } = process.getBuiltinModule('node:zlib');
  return new Promise((resolve) => {
    gunzip(body, { maxOutputLength: maxBytes }, (error, bytes) => {
      if (!error) resolve({ ok: true, bytes });
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        resolve({ ok: false, tooLarge: true, message: `decompressed body larger than ${maxBytes} bytes` });
      else resolve({ ok: false, tooLarge: false, message: `invalid gzip body: ${error.message}` });
    });
  });
}

/** Sample objects `feedSeries` reuses: the reducer reads them during the call only. */
const sampleScratch: { timestampMs: number; value: number; stale: boolean }[] = [];

/** Feeds one remote-write series (only those the plan wants reach here) to the reducer. */
export function feedSeries(reducer: Pick<BatchReducer, 'series'>, series: SeriesView): void {
  const labels: Record<string, string> = {};
  // The series key (`rawSeriesKey`) built on the way: decoders deliver only series whose
  // label names are sorted, so no second pass has to list and sort them.
  let key = '';
  let previous = '';
  let sorted = true;
  for (let i = 0; i < series.labelCount; i++) {
    const name = series.labelName(i);
    const value = series.labelValue(i);
    labels[name] = value;
    key += `${name}\u0001${value}\u0002`;
    if (i > 0 && !(previous < name)) sorted = false;
    previous = name;
  }
  const count = series.sampleCount;
  for (let i = sampleScratch.length; i < count; i++)
    sampleScratch.push({ timestampMs: 0, value: 0, stale: false });
  const samples = sampleScratch.length === count ? sampleScratch : sampleScratch.slice(0, count);
  for (let i = 0; i < count; i++) {
    const sample = samples[i]!;
    sample.timestampMs = series.sampleTimestampMs(i);
    sample.value = series.sampleValue(i);
    sample.stale = series.sampleIsStale(i);
  }
  reducer.series(labels, samples, sorted ? key : undefined);
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
