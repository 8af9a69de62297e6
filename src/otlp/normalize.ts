/**
 * From the decoded OTLP request to the batch the SLI reducer reads: one flat record per
 * usable data point, with Prometheus-style labels, whole-millisecond times and plain
 * numbers; every point that cannot be used is counted, with why, for `partial_success`.
 *
 * Labels, following "Prometheus and OpenMetrics Compatibility" (OTLP to Prometheus):
 * - point attributes -> sanitized names (`labelName`), non-string values stringified per
 *   "AnyValue representation for non-OTLP protocols"; names that collide are joined with
 *   `;` in the lexicographic order of their original keys;
 * - scope -> `otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url` and
 *   `otel_scope_<attribute>` (those that would shadow the first three are dropped), which
 *   take part in the same collision rule;
 * - resource -> `job` = `<service.namespace>/<service.name>` (or `<service.name>`) and
 *   `instance` = `service.instance.id`; these win over any attribute of the same name,
 *   as in Prometheus's OTLP translator. Other resource attributes are dropped unless
 *   `promoteResourceAttributes` names them; promoted ones never override a label.
 */

import {
  FLAG_NO_RECORDED_VALUE,
  type OtlpGaugePoint,
  type OtlpHistogramDataPoint,
  type OtlpHistogramPoint,
  type OtlpKeyValue,
  type OtlpMetric,
  type OtlpMetricsBatch,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  type OtlpPoint,
  type OtlpRejection,
  type OtlpResourceMetrics,
  type OtlpResult,
  type OtlpScopeMetrics,
  type OtlpSumPoint,
  type OtlpTemporality,
  REJECTION_CODES,
  type RejectionCode,
  type ResolvedDecodeOptions,
  type WireInt64,
} from './model.ts';
import {
  anyValueToString,
  labelName,
  type MetricNameKind,
  prometheusMetricName,
} from './prometheus-names.ts';

/** A label contributed by the scope or the resource, with the key it sorts by on collision. */
interface LabelEntry {
  name: string;
  sortKey: string;
  value: string;
}

/** What every point of one scope shares. */
interface ScopeContext {
  scopeLabels: LabelEntry[];
  job: string | undefined;
  instance: string | undefined;
  promoted: LabelEntry[];
}

/** Thrown (and caught below) when a point would exceed `maxLabelsPerPoint`. */
class LabelLimitError extends Error {}

const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
const MAX_REASONS_IN_MESSAGE = 5;

/**
 * Normalizes a decoded request. Fails only on `limit.labels`; everything else that is
 * wrong with a point rejects that point and is counted in the batch.
 */
export function normalizeMetricsRequest(
  request: OtlpMetricsRequest,
  options: ResolvedDecodeOptions,
): OtlpResult<OtlpMetricsBatch> {
  const run = new Normalizer(options);
  try {
    for (let ri = 0; ri < request.resourceMetrics.length; ri++)
      run.resource(request.resourceMetrics[ri]!, ri);
  } catch (thrown) {
    if (thrown instanceof LabelLimitError) {
      return { ok: false, issues: [{ code: 'limit.labels', message: thrown.message, path: run.lastPath() }] };
    }
    throw thrown;
  }
  return { ok: true, value: run.batch() };
}

class Normalizer {
  private readonly options: ResolvedDecodeOptions;
  private readonly points: OtlpPoint[] = [];
  private readonly rejections = new Map<string, OtlpRejection>();
  private rejected = 0;
  /** Sanitized label names by attribute key: a handful of keys repeat on every point. */
  private readonly names = new Map<string, string>();
  private ri = 0;
  private si = 0;
  private mi = 0;
  private pi = 0;
  private dataKey = '';

  constructor(options: ResolvedDecodeOptions) {
    this.options = options;
  }

  lastPath(): (string | number)[] {
    return [
      'resourceMetrics',
      this.ri,
      'scopeMetrics',
      this.si,
      'metrics',
      this.mi,
      this.dataKey,
      'dataPoints',
      this.pi,
    ];
  }

  batch(): OtlpMetricsBatch {
    const rejections = [...this.rejections.values()];
    return {
      points: this.points,
      rejectedDataPoints: this.rejected,
      errorMessage: summarize(rejections, this.rejected, this.points.length),
      rejections,
    };
  }

  private labelName(key: string): string {
    let name = this.names.get(key);
    if (name === undefined) {
      name = labelName(key);
      this.names.set(key, name);
    }
    return name;
  }

  private reject(
    code: RejectionCode,
    metric: string,
    count: number,
    message: string = REJECTION_CODES[code],
  ): void {
    if (count === 0) return;
    this.rejected += count;
    const key = `${code}\u0000${metric}`;
    const existing = this.rejections.get(key);
    if (existing !== undefined) {
      existing.dataPoints += count;
      return;
    }
    this.rejections.set(key, {
      code,
      message,
      metric,
      dataPoints: count,
      path: this.lastPath(),
    });
  }

  resource(rm: OtlpResourceMetrics, ri: number): void {
    this.ri = ri;
    let serviceName: string | undefined;
    let serviceNamespace: string | undefined;
    let instance: string | undefined;
    const promote = this.options.promoteResourceAttributes;
    const promoted: LabelEntry[] = [];
    for (const kv of rm.resource.attributes) {
      if (kv.key === SERVICE_NAME) serviceName = anyValueToString(kv.value);
      else if (kv.key === SERVICE_NAMESPACE) serviceNamespace = anyValueToString(kv.value);
      else if (kv.key === SERVICE_INSTANCE_ID) instance = anyValueToString(kv.value);
      else if (kv.key !== '' && (promote === 'all' || promote.includes(kv.key))) {
        promoted.push({ name: this.labelName(kv.key), sortKey: kv.key, value: anyValueToString(kv.value) });
      }
    }
    const job =
      serviceName === undefined
        ? undefined
        : serviceNamespace !== undefined && serviceNamespace !== ''
          ? `${serviceNamespace}/${serviceName}`
          : serviceName;
    for (let si = 0; si < rm.scopeMetrics.length; si++) {
      this.si = si;
      const sm = rm.scopeMetrics[si]!;
      this.scope(sm, { scopeLabels: this.scopeLabels(sm), job, instance, promoted });
    }
  }

  private scopeLabels(sm: OtlpScopeMetrics): LabelEntry[] {
    if (!this.options.scopeLabels) return [];
    const out: LabelEntry[] = [];
    const fixed: [string, string][] = [
      ['otel_scope_name', sm.scope.name],
      ['otel_scope_version', sm.scope.version],
      ['otel_scope_schema_url', sm.schemaUrl],
    ];
    for (const [name, value] of fixed) if (value !== '') out.push({ name, sortKey: name, value });
    for (const kv of sm.scope.attributes) {
      if (kv.key === '') continue;
      const name = labelName(`otel_scope_${kv.key}`);
      // Spec: scope attributes that would become one of the three labels above MUST be dropped.
      if (name === 'otel_scope_name' || name === 'otel_scope_version' || name === 'otel_scope_schema_url')
        continue;
      out.push({ name, sortKey: `otel_scope_${kv.key}`, value: anyValueToString(kv.value) });
    }
    return out;
  }

  private scope(sm: OtlpScopeMetrics, ctx: ScopeContext): void {
    for (let mi = 0; mi < sm.metrics.length; mi++) {
      this.mi = mi;
      this.metric(sm.metrics[mi]!, ctx);
    }
  }

  private metric(metric: OtlpMetric, ctx: ScopeContext): void {
    const data = metric.data;
    if (data === undefined) return;
    this.dataKey = data.type;
    this.pi = 0;
    if (metric.name === '') {
      this.reject('metric.no-name', '', data.dataPoints.length);
      return;
    }
    switch (data.type) {
      case 'gauge': {
        const promName = prometheusMetricName(metric.name, metric.unit, 'gauge');
        for (let pi = 0; pi < data.dataPoints.length; pi++) {
          this.pi = pi;
          const p = data.dataPoints[pi]!;
          const value = this.numberValue(p, metric.name);
          if (value === undefined) continue;
          const point: OtlpGaugePoint = {
            type: 'gauge',
            metric: metric.name,
            promName,
            unit: metric.unit,
            labels: this.labels(p.attributes, ctx),
            timeMs: nanosToMs(p.timeUnixNano),
            stale: (p.flags & FLAG_NO_RECORDED_VALUE) !== 0,
            value,
          };
          if (!isZero(p.startTimeUnixNano)) point.startMs = nanosToMs(p.startTimeUnixNano);
          this.points.push(point);
        }
        return;
      }
      case 'sum': {
        const temporality = this.temporality(
          data.aggregationTemporality,
          metric.name,
          data.dataPoints.length,
        );
        if (temporality === undefined) return;
        const kind: MetricNameKind = data.isMonotonic ? 'counter' : 'sum';
        const promName = prometheusMetricName(metric.name, metric.unit, kind);
        for (let pi = 0; pi < data.dataPoints.length; pi++) {
          this.pi = pi;
          const p = data.dataPoints[pi]!;
          const value = this.numberValue(p, metric.name);
          if (value === undefined) continue;
          const point: OtlpSumPoint = {
            type: 'sum',
            metric: metric.name,
            promName,
            unit: metric.unit,
            labels: this.labels(p.attributes, ctx),
            timeMs: nanosToMs(p.timeUnixNano),
            stale: (p.flags & FLAG_NO_RECORDED_VALUE) !== 0,
            temporality,
            monotonic: data.isMonotonic,
            value,
          };
          if (!isZero(p.startTimeUnixNano)) point.startMs = nanosToMs(p.startTimeUnixNano);
          this.points.push(point);
        }
        return;
      }
      case 'histogram': {
        const temporality = this.temporality(
          data.aggregationTemporality,
          metric.name,
          data.dataPoints.length,
        );
        if (temporality === undefined) return;
        const promName = prometheusMetricName(metric.name, metric.unit, 'histogram');
        for (let pi = 0; pi < data.dataPoints.length; pi++) {
          this.pi = pi;
          const point = this.histogram(data.dataPoints[pi]!, metric, promName, ctx, temporality);
          if (point !== undefined) this.points.push(point);
        }
        return;
      }
      case 'exponentialHistogram':
      case 'summary':
        this.reject('point.unsupported-type', metric.name, data.dataPoints.length);
        return;
    }
  }

  private temporality(value: number, metric: string, points: number): OtlpTemporality | undefined {
    if (value === 2) return 'cumulative';
    if (value === 1) return 'delta';
    this.reject('point.temporality', metric, points);
    return undefined;
  }

  /** The point's value, NaN when it is a stale marker, or undefined after rejecting it. */
  private numberValue(p: OtlpNumberDataPoint, metric: string): number | undefined {
    if (isZero(p.timeUnixNano)) {
      this.reject('point.no-time', metric, 1);
      return undefined;
    }
    if ((p.flags & FLAG_NO_RECORDED_VALUE) !== 0) return Number.NaN;
    if (p.asDouble !== undefined) return p.asDouble;
    if (p.asInt !== undefined) {
      if (typeof p.asInt === 'bigint') {
        this.reject('point.int-precision', metric, 1);
        return undefined;
      }
      return p.asInt;
    }
    this.reject('point.no-value', metric, 1);
    return undefined;
  }

  private histogram(
    p: OtlpHistogramDataPoint,
    metric: OtlpMetric,
    promName: string,
    ctx: ScopeContext,
    temporality: OtlpTemporality,
  ): OtlpHistogramPoint | undefined {
    if (isZero(p.timeUnixNano)) {
      this.reject('point.no-time', metric.name, 1);
      return undefined;
    }
    const stale = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
    let count = Number.NaN;
    let bucketCounts: number[] = [];
    let explicitBounds: number[] = [];
    if (!stale) {
      if (typeof p.count === 'bigint' || p.bucketCounts.some((c) => typeof c === 'bigint')) {
        this.reject('point.int-precision', metric.name, 1);
        return undefined;
      }
      count = p.count;
      bucketCounts = p.bucketCounts as number[];
      explicitBounds = p.explicitBounds;
      const shapeError = histogramShapeError(count, bucketCounts, explicitBounds);
      if (shapeError !== undefined) {
        this.reject('point.histogram-shape', metric.name, 1, shapeError);
        return undefined;
      }
    }
    const out: OtlpHistogramPoint = {
      type: 'histogram',
      metric: metric.name,
      promName,
      unit: metric.unit,
      labels: this.labels(p.attributes, ctx),
      timeMs: nanosToMs(p.timeUnixNano),
      stale,
      temporality,
      count,
      explicitBounds,
      bucketCounts,
    };
    if (!isZero(p.startTimeUnixNano)) out.startMs = nanosToMs(p.startTimeUnixNano);
    if (!stale) {
      if (p.sum !== undefined) out.sum = p.sum;
      if (p.min !== undefined) out.min = p.min;
      if (p.max !== undefined) out.max = p.max;
    }
    return out;
  }

  private labels(attributes: readonly OtlpKeyValue[], ctx: ScopeContext): Record<string, string> {
    const max = this.options.maxLabelsPerPoint;
    if (ctx.scopeLabels.length > max) {
      throw new LabelLimitError(
        `the scope alone carries ${ctx.scopeLabels.length} labels (at most ${max} per point)`,
      );
    }
    let labels: Record<string, string> = {};
    let count = 0;
    let collided = false;
    for (const kv of attributes) {
      if (kv.key === '') continue;
      const name = this.labelName(kv.key);
      if (labels[name] !== undefined) collided = true;
      else count++;
      labels[name] = anyValueToString(kv.value);
    }
    for (const e of ctx.scopeLabels) {
      if (labels[e.name] !== undefined) collided = true;
      else count++;
      labels[e.name] = e.value;
    }
    if (collided) ({ labels, count } = this.joinCollisions(attributes, ctx));
    if (ctx.job !== undefined) {
      if (!Object.hasOwn(labels, 'job')) count++;
      labels['job'] = ctx.job;
    }
    if (ctx.instance !== undefined) {
      if (!Object.hasOwn(labels, 'instance')) count++;
      labels['instance'] = ctx.instance;
    }
    for (const e of ctx.promoted) {
      if (Object.hasOwn(labels, e.name)) continue;
      labels[e.name] = e.value;
      count++;
    }
    if (count > max) throw new LabelLimitError(`a data point would carry ${count} labels (at most ${max})`);
    return labels;
  }

  /** The slow path: labels whose names collide are joined with `;` by original key order. */
  private joinCollisions(
    attributes: readonly OtlpKeyValue[],
    ctx: ScopeContext,
  ): { labels: Record<string, string>; count: number } {
    const groups = new Map<string, LabelEntry[]>();
    const add = (e: LabelEntry) => {
      const group = groups.get(e.name);
      if (group === undefined) groups.set(e.name, [e]);
      else group.push(e);
    };
    // Duplicate keys inside one collection are invalid OTLP; the last one wins, as in a map.
    const last = new Map<string, OtlpKeyValue>();
    for (const kv of attributes) if (kv.key !== '') last.set(kv.key, kv);
    for (const kv of last.values()) {
      add({ name: this.labelName(kv.key), sortKey: kv.key, value: anyValueToString(kv.value) });
    }
    for (const e of ctx.scopeLabels) add(e);
    const labels: Record<string, string> = {};
    for (const [name, group] of groups) {
      group.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
      labels[name] = group.map((e) => e.value).join(';');
    }
    return { labels, count: groups.size };
  }
}

function isZero(value: WireInt64): boolean {
  return value === 0 || value === 0n;
}

/**
 * Unix nanoseconds to whole milliseconds, floored, exactly. A bigint divides exactly. For
 * a safe integer n, n / 1e6 is below 2^33, where doubles are spaced at most 2^-20 apart:
 * a non-integer quotient is at least 1e-6 from the next integer, more than half that
 * spacing, so rounding cannot carry it across and the floor is exact.
 * @example nanosToMs(1_700_000_000_123_456_789n) // 1_700_000_000_123
 */
export function nanosToMs(nanos: WireInt64): number {
  return typeof nanos === 'bigint' ? Number(nanos / 1_000_000n) : Math.floor(nanos / 1e6);
}

/**
 * What is wrong with a histogram's shape, per metrics.proto: bucket_counts has one more
 * element than explicit_bounds (or both are empty: count and sum only), bounds are
 * strictly increasing, and the buckets add up to count.
 */
function histogramShapeError(
  count: number,
  bucketCounts: readonly number[],
  bounds: readonly number[],
): string | undefined {
  if (bucketCounts.length === 0) {
    return bounds.length === 0
      ? undefined
      : `explicit_bounds has ${bounds.length} bounds but bucket_counts is empty`;
  }
  if (bucketCounts.length !== bounds.length + 1) {
    return `bucket_counts has ${bucketCounts.length} buckets; ${bounds.length} explicit_bounds need ${bounds.length + 1}`;
  }
  if (bounds.length > 0 && Number.isNaN(bounds[0])) return 'explicit_bounds contains NaN';
  for (let i = 1; i < bounds.length; i++) {
    if (!(bounds[i]! > bounds[i - 1]!)) return `explicit_bounds is not strictly increasing at index ${i}`;
  }
  let total = 0;
  for (const c of bucketCounts) total += c;
  return total === count ? undefined : `bucket_counts add up to ${total} but count is ${count}`;
}

function summarize(rejections: readonly OtlpRejection[], rejected: number, accepted: number): string {
  if (rejected === 0) return '';
  const reasons = rejections
    .slice(0, MAX_REASONS_IN_MESSAGE)
    .map(
      (r) =>
        `${r.dataPoints} of ${r.metric === '' ? 'an unnamed metric' : `"${r.metric}"`} (${r.code}): ${r.message}`,
    );
  const more = rejections.length - MAX_REASONS_IN_MESSAGE;
  if (more > 0) reasons.push(`and ${more} more`);
  return `rejected ${rejected} of ${rejected + accepted} data points: ${reasons.join('; ')}`;
}
