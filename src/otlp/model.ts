/**
 * Types of the OTLP metrics decoder: the wire request as decoded (a faithful, typed mirror
 * of `ExportMetricsServiceRequest`), the normalized batch the SLI reducer consumes, the
 * options that bound the work, and the issues returned instead of throwing.
 *
 * Field names and numbers follow opentelemetry-proto `collector/metrics/v1/metrics_service.proto`,
 * `metrics/v1/metrics.proto` and `common/v1/common.proto`.
 */

// ---------------------------------------------------------------------------------------
// Wire model: what the request says, before any interpretation.

/**
 * A 64-bit integer from the wire, exact: a `number` when it is a safe integer
 * (|n| <= 2^53 - 1), a `bigint` otherwise. Decoders always produce this canonical form,
 * so decoded requests compare equal with `deepStrictEqual`.
 */
export type WireInt64 = number | bigint;

/** `common.v1.AnyValue`; `empty` is the oneof left unset (an "empty" value, not an error). */
export type OtlpAnyValue =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: WireInt64 }
  | { type: 'double'; value: number }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'array'; values: OtlpAnyValue[] }
  | { type: 'kvlist'; values: OtlpKeyValue[] }
  | { type: 'empty' };

/** `common.v1.KeyValue`. */
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

/** `metrics.v1.AggregationTemporality` values (enums travel as integers, in JSON too). */
export const AGGREGATION_TEMPORALITY = { unspecified: 0, delta: 1, cumulative: 2 } as const;

/** `metrics.v1.DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK`. */
export const FLAG_NO_RECORDED_VALUE = 1;

/** Fields every data point type shares. Timestamps are Unix nanoseconds; 0 means unset. */
export interface OtlpPointCommon {
  attributes: OtlpKeyValue[];
  startTimeUnixNano: WireInt64;
  timeUnixNano: WireInt64;
  flags: number;
}

/** `NumberDataPoint`; at most one of `asDouble` / `asInt` (the `value` oneof) is set. */
export interface OtlpNumberDataPoint extends OtlpPointCommon {
  asDouble?: number;
  asInt?: WireInt64;
}

/** `HistogramDataPoint` (explicit bounds). `sum`, `min` and `max` are proto3 `optional`. */
export interface OtlpHistogramDataPoint extends OtlpPointCommon {
  count: WireInt64;
  sum?: number;
  bucketCounts: WireInt64[];
  explicitBounds: number[];
  min?: number;
  max?: number;
}

/**
 * `ExponentialHistogramDataPoint` or `SummaryDataPoint`, reduced to the fields Sextant
 * reads: these types cannot feed SLIs, so their buckets and quantiles are skipped
 * unread (and not re-encoded).
 */
export interface OtlpOtherDataPoint extends OtlpPointCommon {
  count: WireInt64;
}

/** The `data` oneof of `Metric`; `undefined` when the sender set none. */
export type OtlpMetricData =
  | { type: 'gauge'; dataPoints: OtlpNumberDataPoint[] }
  | { type: 'sum'; dataPoints: OtlpNumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean }
  | { type: 'histogram'; dataPoints: OtlpHistogramDataPoint[]; aggregationTemporality: number }
  | { type: 'exponentialHistogram'; dataPoints: OtlpOtherDataPoint[]; aggregationTemporality: number }
  | { type: 'summary'; dataPoints: OtlpOtherDataPoint[] };

/** `metrics.v1.Metric`. */
export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  data?: OtlpMetricData;
  metadata: OtlpKeyValue[];
}

/** `common.v1.InstrumentationScope`. */
export interface OtlpScope {
  name: string;
  version: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
}

/** `metrics.v1.ScopeMetrics`; an absent scope decodes as the empty scope (proto3 defaults). */
export interface OtlpScopeMetrics {
  scope: OtlpScope;
  metrics: OtlpMetric[];
  schemaUrl: string;
}

/** `resource.v1.Resource`. */
export interface OtlpResource {
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
}

/** `metrics.v1.ResourceMetrics`. */
export interface OtlpResourceMetrics {
  resource: OtlpResource;
  scopeMetrics: OtlpScopeMetrics[];
  schemaUrl: string;
}

/** `collector.metrics.v1.ExportMetricsServiceRequest`: the body of `POST /v1/metrics`. */
export interface OtlpMetricsRequest {
  resourceMetrics: OtlpResourceMetrics[];
}

/** `ExportMetricsPartialSuccess` as the HTTP layer fills it; both zero/empty means full success. */
export interface OtlpPartialSuccess {
  rejectedDataPoints: number;
  errorMessage: string;
}

// ---------------------------------------------------------------------------------------
// Normalized batch: what the SLI reducer reads.

/** How a sum or histogram relates successive points: running totals or per-interval changes. */
export type OtlpTemporality = 'cumulative' | 'delta';

interface OtlpPointBase {
  /** The OTLP metric name as sent, e.g. `http.server.request.duration`. */
  metric: string;
  /**
   * The Prometheus name the OTLP compatibility spec derives (unit and `_total` suffixes),
   * e.g. `http_server_request_duration_seconds`; histograms get no `_bucket` suffix here.
   */
  promName: string;
  /** UCUM unit as sent (`s`, `By`, `{request}`), '' when none. */
  unit: string;
  /** Resource identity, scope and point attributes as Prometheus labels (mapping: `normalize.ts`). */
  labels: Record<string, string>;
  /** Start of the aggregation interval, whole ms (nanoseconds floored); absent when unset (0). */
  startMs?: number;
  /** End of the interval / observation time, whole ms (nanoseconds floored). */
  timeMs: number;
  /**
   * The NO_RECORDED_VALUE flag was set: the series has no value now, like a Prometheus
   * stale marker. Numeric fields are then NaN and bucket arrays empty.
   */
  stale: boolean;
}

/** A gauge sample. */
export interface OtlpGaugePoint extends OtlpPointBase {
  type: 'gauge';
  value: number;
}

/** A sum sample; `monotonic` sums are counters (cumulative) or increments (delta). */
export interface OtlpSumPoint extends OtlpPointBase {
  type: 'sum';
  temporality: OtlpTemporality;
  monotonic: boolean;
  value: number;
}

/**
 * An explicit-bounds histogram. `bucketCounts[i]` counts values in
 * (`explicitBounds[i-1]`, `explicitBounds[i]`], the last bucket is (last bound, +Inf);
 * both arrays are empty when the sender sent only count and sum.
 */
export interface OtlpHistogramPoint extends OtlpPointBase {
  type: 'histogram';
  temporality: OtlpTemporality;
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  explicitBounds: number[];
  bucketCounts: number[];
}

/** One accepted data point. */
export type OtlpPoint = OtlpGaugePoint | OtlpSumPoint | OtlpHistogramPoint;

/** Points dropped for one reason from one metric, with where the first one was. */
export interface OtlpRejection {
  code: RejectionCode;
  message: string;
  metric: string;
  dataPoints: number;
  /** lowerCamelCase field path of the first rejected point, valid for JSON and protobuf alike. */
  path: (string | number)[];
}

/** The decoded, normalized request: accepted points and a count of what was dropped and why. */
export interface OtlpMetricsBatch {
  points: OtlpPoint[];
  /** Points dropped (unsupported types, invalid points), for `partial_success.rejected_data_points`. */
  rejectedDataPoints: number;
  /** English summary of `rejections` for `partial_success.error_message`; '' when nothing was dropped. */
  errorMessage: string;
  rejections: OtlpRejection[];
}

// ---------------------------------------------------------------------------------------
// Options and limits.

/** Bounds and mapping choices; every field has a default (`DEFAULT_DECODE_OPTIONS`). */
export interface OtlpDecodeOptions {
  /** Most data points (of every type) in one request; more fails the whole request with `limit.data-points`. */
  maxDataPoints?: number;
  /**
   * Most decoded objects (resources, scopes, metrics, points, attributes, nested values):
   * without it a 20 MiB body of 2-byte empty messages would expand to 10 million objects.
   */
  maxElements?: number;
  /** Deepest nesting of array/kvlist attribute values. */
  maxAttributeDepth?: number;
  /** Most labels one point may end up with after flattening. */
  maxLabelsPerPoint?: number;
  /**
   * Resource attributes copied to point labels besides `job`/`instance`. The spec says
   * other resource attributes belong in `target_info` or are dropped, and MAY be copied
   * when configured: 'all' copies every one, a list copies those keys.
   */
  promoteResourceAttributes?: 'all' | readonly string[];
  /** Add `otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url` and `otel_scope_<attr>` labels. */
  scopeLabels?: boolean;
}

/** The options with every default filled in. */
export type ResolvedDecodeOptions = Required<OtlpDecodeOptions>;

/**
 * Defaults: the point ceiling is ~12x a Collector batch (8192 items), the element ceiling
 * leaves room for ~15 attributes per point at that size, and 256 labels is twice the OTel
 * SDK's default attribute count limit (128).
 */
export const DEFAULT_DECODE_OPTIONS: ResolvedDecodeOptions = {
  maxDataPoints: 100_000,
  maxElements: 2_000_000,
  maxAttributeDepth: 8,
  maxLabelsPerPoint: 256,
  promoteResourceAttributes: [],
  scopeLabels: true,
};

// ---------------------------------------------------------------------------------------
// Issues.

/**
 * Codes of issues that fail a whole request. `limit.*` means the request is over a
 * configured bound (answer like an oversized body: 413); every other code means the
 * body cannot be decoded (400, not retryable).
 */
export const ISSUE_CODES = {
  'protobuf.truncated':
    'The body ends inside a field (a varint, a fixed-width value or a length-delimited field).',
  'protobuf.varint': 'A varint is longer than 10 bytes, or a tag is longer than 5.',
  'protobuf.length': 'A length prefix points past the end of the enclosing message.',
  'protobuf.wire-type': 'A field has an invalid wire type, a group, or a wire type its field does not allow.',
  'protobuf.field-number': 'A tag has field number 0.',
  'json.syntax': 'The body is not valid JSON.',
  'json.type': 'A field has the wrong JSON type (e.g. an object where a list belongs).',
  'json.value':
    'A field has a value of the right JSON type that cannot be converted (e.g. "12x" as an integer).',
  'limit.data-points': 'The request has more data points than the configured maximum.',
  'limit.elements': 'The request decodes to more objects than the configured maximum.',
  'limit.depth': 'An attribute value nests arrays/kvlists deeper than the configured maximum.',
  'limit.labels': 'A data point would carry more labels than the configured maximum.',
  internal: 'The decoder failed unexpectedly; this is a bug in Sextant.',
} as const;

/** A stable issue code. */
export type IssueCode = keyof typeof ISSUE_CODES;

/** Why a whole request was refused, located by byte `offset` (protobuf, JSON syntax) or field `path` (JSON). */
export interface OtlpIssue {
  code: IssueCode;
  message: string;
  path?: (string | number)[];
  offset?: number;
}

/** Codes of data points dropped from an otherwise accepted request (partial success). */
export const REJECTION_CODES = {
  'point.unsupported-type':
    'Exponential histograms and summaries cannot feed SLIs; their points are not used.',
  'point.no-time': 'time_unix_nano is 0; the spec says such points SHOULD be rejected.',
  'point.no-value': 'A number data point has neither as_double nor as_int (nor the NO_RECORDED_VALUE flag).',
  'point.int-precision':
    'An integer (as_int, count or a bucket count) is beyond 2^53 and cannot be counted exactly.',
  'point.histogram-shape':
    'bucket_counts is not one longer than explicit_bounds, bounds are not strictly increasing, or buckets do not add up to count.',
  'point.temporality': 'A sum or histogram has AGGREGATION_TEMPORALITY_UNSPECIFIED (or an unknown value).',
  'metric.no-name': 'A metric has an empty name.',
} as const;

/** A stable rejection code. */
export type RejectionCode = keyof typeof REJECTION_CODES;

/** Result of an operation whose expected failures are data, not exceptions. */
export type OtlpResult<T> = { ok: true; value: T } | { ok: false; issues: OtlpIssue[] };

/** Fills in the defaults of `options`. */
export function resolveOptions(options: OtlpDecodeOptions = {}): ResolvedDecodeOptions {
  return { ...DEFAULT_DECODE_OPTIONS, ...stripUndefined(options) };
}

function stripUndefined(options: OtlpDecodeOptions): OtlpDecodeOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as OtlpDecodeOptions;
}
