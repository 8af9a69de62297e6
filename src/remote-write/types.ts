/**
 * Data shapes of Prometheus remote write 1.0 (`prometheus.WriteRequest`) and 2.0
 * (`io.prometheus.write.v2.Request`), and the issues their codecs report.
 *
 * Field numbers follow prompb/types.proto, prompb/remote.proto and
 * prompb/io/prometheus/write/v2/types.proto in prometheus/prometheus.
 */

/** Stable issue codes with their one-line meaning (safe to grep for and to document). */
export const REMOTE_WRITE_ISSUE_CODES = {
  'request.content-type':
    'The Content-Type is not application/x-protobuf with proto prometheus.WriteRequest or io.prometheus.write.v2.Request.',
  'request.content-encoding': 'The Content-Encoding is not snappy.',
  'snappy.preamble': 'The uncompressed-length varint of a snappy block is truncated or above 2^32-1.',
  'snappy.too-large': 'The declared uncompressed length is above the receiver limit.',
  'snappy.truncated': 'A snappy literal or copy runs past the end of the compressed input.',
  'snappy.bad-copy': 'A snappy copy has offset 0 or points before the start of the output.',
  'snappy.overflow': 'A snappy element would write past the declared uncompressed length.',
  'snappy.short': 'The snappy block ended before producing the declared uncompressed length.',
  'proto.truncated': 'The message ends inside a varint or a fixed-width field.',
  'proto.varint': 'A varint is longer than 10 bytes or overflows 64 bits.',
  'proto.length': 'A length-delimited field runs past the end of its enclosing message.',
  'proto.field-number': 'A field number is 0 or above 2^29-1.',
  'proto.wire-type':
    'A field has a wire type its schema does not allow, or a group (wire types 3/4, absent from proto3).',
  'proto.int-range': 'An integer (timestamp, count, bucket delta) is outside ±(2^53-1), the safe range.',
  'utf8.invalid': 'A string (label name or value, symbol, metadata) is not valid UTF-8.',
  'series.no-labels': 'A series has no labels (spec: the complete label set MUST be sent).',
  'labels.empty-name': 'A label has an empty name (spec: MUST NOT contain empty label names).',
  'labels.empty-value': 'A label has an empty value (spec: MUST NOT contain empty label values).',
  'labels.unsorted': 'Label names are not in lexicographic byte order (spec: MUST be sorted).',
  'labels.duplicate': 'A label name appears twice in one series (spec: MUST NOT repeat).',
  'symbols.first-not-empty': 'The v2 symbols table does not start with the empty string.',
  'symbols.ref-out-of-range': 'A v2 symbol reference points past the end of the symbols table.',
  'symbols.odd-refs': 'A v2 labels_refs list has an odd length (refs come in name/value pairs).',
  'series.samples-and-histograms': 'A v2 series has both samples and histograms (spec: MUST NOT).',
} as const;

/** One of `REMOTE_WRITE_ISSUE_CODES`. */
export type RemoteWriteIssueCode = keyof typeof REMOTE_WRITE_ISSUE_CODES;

/**
 * A precise complaint about a payload. `offset` is the byte offset of the culprit in the
 * buffer that was being read: the compressed body for `snappy.*` codes, the
 * decompressed protobuf for every other code.
 */
export interface RemoteWriteIssue {
  code: RemoteWriteIssueCode;
  message: string;
  offset: number;
  path: (string | number)[];
}

/** Success with a value, or failure with every issue found. */
export type Result<T> = { ok: true; value: T } | { ok: false; issues: RemoteWriteIssue[] };

/** A label pair. */
export interface Label {
  name: string;
  value: string;
}

/**
 * A float sample. `stale` is true only for the stale marker, the NaN with bit pattern
 * 0x7ff0000000000002 (remote write spec, "Stale Markers"); `value` is then NaN. Any
 * other NaN is an ordinary value and has `stale: false`.
 */
export interface Sample {
  value: number;
  timestampMs: number;
  stale: boolean;
}

/** A sample as given to the encoders; `stale: true` writes the stale-marker bits. */
export interface SampleInput {
  value: number;
  timestampMs: number;
  stale?: boolean;
}

/** A run of consecutive native-histogram buckets (prompb BucketSpan). */
export interface BucketSpan {
  offset: number;
  length: number;
}

/** Histogram.ResetHint, by name. */
export type HistogramResetHint = 'unknown' | 'yes' | 'no' | 'gauge';

/**
 * A native histogram sample, field for field (the Histogram message is identical in
 * v1 and v2). Integer histograms carry `count_int`/`*_deltas`, float histograms
 * `count_float`/`*_counts`; the `...IsFloat` flags say which member of each oneof was set.
 */
export interface Histogram {
  count: number;
  countIsFloat: boolean;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  zeroCountIsFloat: boolean;
  negativeSpans: BucketSpan[];
  negativeDeltas: number[];
  negativeCounts: number[];
  positiveSpans: BucketSpan[];
  positiveDeltas: number[];
  positiveCounts: number[];
  resetHint: HistogramResetHint;
  timestampMs: number;
  customValues: number[];
}

/** An exemplar: an example observation (often a trace id) attached to a series. */
export interface Exemplar {
  labels: Label[];
  value: number;
  timestampMs: number;
}

/** MetricMetadata.MetricType (v1) / Metadata.MetricType (v2), by name; 0 is 'unknown'. */
export type MetricType =
  | 'unknown'
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset';

/** The wire numbers of `MetricType`, in enum order. */
export const METRIC_TYPES: readonly MetricType[] = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
];

/** v1 WriteRequest.metadata entry (prompb MetricMetadata). */
export interface MetricMetadata {
  type: MetricType;
  metricFamilyName: string;
  help: string;
  unit: string;
}

/** v2 per-series metadata with its symbol references resolved ('' when unset). */
export interface SeriesMetadata {
  type: MetricType;
  help: string;
  unit: string;
}

/** A v1 time series, fully materialised. */
export interface TimeSeries {
  labels: Label[];
  samples: Sample[];
  exemplars: Exemplar[];
  histograms: Histogram[];
}

/** A fully materialised v1 WriteRequest. */
export interface WriteRequest {
  timeseries: TimeSeries[];
  metadata: MetricMetadata[];
}

/** A v2 time series with symbol references resolved to strings. */
export interface TimeSeriesV2 extends TimeSeries {
  metadata: SeriesMetadata;
  /** 0 means unset (v2 types.proto: "Zero value means value not set"). */
  createdTimestampMs: number;
}

/** A fully materialised v2 Request, symbols resolved. */
export interface WriteRequestV2 {
  timeseries: TimeSeriesV2[];
}

/** Encoder input for one v1 series; omitted lists are empty. */
export interface TimeSeriesInput {
  labels: readonly Label[];
  samples?: readonly SampleInput[];
  exemplars?: readonly Exemplar[];
  histograms?: readonly Histogram[];
}

/** Encoder input for one v2 series. */
export interface TimeSeriesV2Input extends TimeSeriesInput {
  metadata?: Partial<SeriesMetadata>;
  createdTimestampMs?: number;
}
