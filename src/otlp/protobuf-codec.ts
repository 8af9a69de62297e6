/**
 * Binary protobuf codec for `ExportMetricsServiceRequest` / `ExportMetricsServiceResponse`
 * (OTLP/HTTP with `Content-Type: application/x-protobuf`). Field numbers are those of
 * opentelemetry-proto; unknown fields are skipped, as protobuf requires. A known field
 * with the wrong wire type is an error, except that repeated numeric fields are accepted
 * both packed and unpacked (the protobuf encoding guide requires parsers to take both).
 *
 * Singular message fields that occur twice are merged (repeated parts appended), which is
 * what protobuf specifies for concatenated messages. Exemplars are skipped unread.
 *
 * Decoded scalar KeyValues may be shared between points and are frozen (see `keyValue`).
 */

import {
  DEFAULT_DECODE_OPTIONS,
  type OtlpAnyValue,
  type OtlpHistogramDataPoint,
  type OtlpIssue,
  type OtlpKeyValue,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  type OtlpOtherDataPoint,
  type OtlpPartialSuccess,
  type OtlpResourceMetrics,
  type OtlpResult,
  type OtlpScopeMetrics,
  type ResolvedDecodeOptions,
  type WireInt64,
} from './model.ts';
import { ProtoReader, ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT, WireError } from './protobuf-wire.ts';

type Budget = Pick<ResolvedDecodeOptions, 'maxDataPoints' | 'maxElements' | 'maxAttributeDepth'>;

/**
 * Decodes a protobuf `ExportMetricsServiceRequest` into the wire model, failing with a
 * byte offset on malformed input and with a `limit.*` issue when a bound is exceeded.
 * @example decodeMetricsRequestProtobuf(new Uint8Array()) // { ok: true, value: { resourceMetrics: [] } }
 */
export function decodeMetricsRequestProtobuf(
  bytes: Uint8Array,
  budget: Budget = DEFAULT_DECODE_OPTIONS,
): OtlpResult<OtlpMetricsRequest> {
  const decoder = new RequestDecoder(bytes, budget);
  try {
    return { ok: true, value: decoder.request() };
  } catch (thrown) {
    return { ok: false, issues: [toIssue(thrown)] };
  }
}

function toIssue(thrown: unknown): OtlpIssue {
  if (thrown instanceof WireError)
    return { code: thrown.code, message: thrown.message, offset: thrown.offset };
  // A RangeError here would be a bug (every recursion is depth-limited); report, never throw.
  const message = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  return { code: 'internal', message };
}

class RequestDecoder {
  private readonly r: ProtoReader;
  /** Scalar KeyValues decoded so far, by a hash of their bytes. */
  private readonly interned = new Map<number, { bytes: Uint8Array; kv: OtlpKeyValue }>();
  private elementsLeft: number;
  private pointsLeft: number;
  private readonly budget: Budget;

  constructor(bytes: Uint8Array, budget: Budget) {
    this.r = new ProtoReader(bytes);
    this.budget = budget;
    this.elementsLeft = budget.maxElements;
    this.pointsLeft = budget.maxDataPoints;
  }

  private element(at: number): void {
    if (--this.elementsLeft < 0) {
      throw new WireError(
        'limit.elements',
        `the request decodes to more than ${this.budget.maxElements} objects (resources, scopes, metrics, points, attributes)`,
        at,
      );
    }
  }

  private point(at: number): void {
    if (--this.pointsLeft < 0) {
      throw new WireError(
        'limit.data-points',
        `the request has more than ${this.budget.maxDataPoints} data points; send smaller batches`,
        at,
      );
    }
    this.element(at);
  }

  /** Throws unless `wireType` is `expected`. */
  private expect(wireType: number, expected: number, field: string, tagOffset: number): void {
    if (wireType !== expected) {
      throw new WireError(
        'protobuf.wire-type',
        `${field} has wire type ${wireType}, expected ${expected}`,
        tagOffset,
      );
    }
  }

  request(): OtlpMetricsRequest {
    const r = this.r;
    const end = r.buf.length;
    const out: OtlpMetricsRequest = { resourceMetrics: [] };
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      if (tag >>> 3 === 1) {
        this.expect(wt, WIRE_LEN, 'ExportMetricsServiceRequest.resource_metrics', at);
        this.element(at);
        out.resourceMetrics.push(this.resourceMetrics(r.length(end)));
      } else r.skip(wt, end, at);
    }
    return out;
  }

  private resourceMetrics(end: number): OtlpResourceMetrics {
    const r = this.r;
    const out: OtlpResourceMetrics = {
      resource: { attributes: [], droppedAttributesCount: 0 },
      scopeMetrics: [],
      schemaUrl: '',
    };
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 1: {
          this.expect(wt, WIRE_LEN, 'ResourceMetrics.resource', at);
          const stop = r.length(end);
          while (r.pos < stop) {
            const fieldAt = r.pos;
            const t = r.tag(stop);
            const w = t & 7;
            if (t >>> 3 === 1) {
              this.expect(w, WIRE_LEN, 'Resource.attributes', fieldAt);
              out.resource.attributes.push(this.keyValue(r.length(stop), fieldAt, 0));
            } else if (t >>> 3 === 2) {
              this.expect(w, WIRE_VARINT, 'Resource.dropped_attributes_count', fieldAt);
              out.resource.droppedAttributesCount = r.uint32(stop);
            } else r.skip(w, stop, fieldAt);
          }
          break;
        }
        case 2:
          this.expect(wt, WIRE_LEN, 'ResourceMetrics.scope_metrics', at);
          this.element(at);
          out.scopeMetrics.push(this.scopeMetrics(r.length(end)));
          break;
        case 3:
          this.expect(wt, WIRE_LEN, 'ResourceMetrics.schema_url', at);
          out.schemaUrl = r.string(end);
          break;
        default:
          r.skip(wt, end, at);
      }
    }
    return out;
  }

  private scopeMetrics(end: number): OtlpScopeMetrics {
    const r = this.r;
    const out: OtlpScopeMetrics = {
      scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
      metrics: [],
      schemaUrl: '',
    };
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 1: {
          this.expect(wt, WIRE_LEN, 'ScopeMetrics.scope', at);
          const stop = r.length(end);
          const scope = out.scope;
          while (r.pos < stop) {
            const fieldAt = r.pos;
            const t = r.tag(stop);
            const w = t & 7;
            switch (t >>> 3) {
              case 1:
                this.expect(w, WIRE_LEN, 'InstrumentationScope.name', fieldAt);
                scope.name = r.string(stop);
                break;
              case 2:
                this.expect(w, WIRE_LEN, 'InstrumentationScope.version', fieldAt);
                scope.version = r.string(stop);
                break;
              case 3:
                this.expect(w, WIRE_LEN, 'InstrumentationScope.attributes', fieldAt);
                scope.attributes.push(this.keyValue(r.length(stop), fieldAt, 0));
                break;
              case 4:
                this.expect(w, WIRE_VARINT, 'InstrumentationScope.dropped_attributes_count', fieldAt);
                scope.droppedAttributesCount = r.uint32(stop);
                break;
              default:
                r.skip(w, stop, fieldAt);
            }
          }
          break;
        }
        case 2:
          this.expect(wt, WIRE_LEN, 'ScopeMetrics.metrics', at);
          this.element(at);
          out.metrics.push(this.metric(r.length(end)));
          break;
        case 3:
          this.expect(wt, WIRE_LEN, 'ScopeMetrics.schema_url', at);
          out.schemaUrl = r.string(end);
          break;
        default:
          r.skip(wt, end, at);
      }
    }
    return out;
  }

  private metric(end: number): OtlpMetric {
    const r = this.r;
    const out: OtlpMetric = { name: '', description: '', unit: '', metadata: [] };
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      const field = tag >>> 3;
      switch (field) {
        case 1:
          this.expect(wt, WIRE_LEN, 'Metric.name', at);
          out.name = r.string(end);
          break;
        case 2:
          this.expect(wt, WIRE_LEN, 'Metric.description', at);
          out.description = r.string(end);
          break;
        case 3:
          this.expect(wt, WIRE_LEN, 'Metric.unit', at);
          out.unit = r.string(end);
          break;
        case 5:
        case 7:
        case 9:
        case 10:
        case 11: {
          this.expect(wt, WIRE_LEN, 'Metric.data', at);
          const data = this.metricData(field, r.length(end), out.data);
          out.data = data;
          break;
        }
        case 12:
          this.expect(wt, WIRE_LEN, 'Metric.metadata', at);
          out.metadata.push(this.keyValue(r.length(end), at, 0));
          break;
        default:
          r.skip(wt, end, at);
      }
    }
    return out;
  }

  /** Decodes one member of the `data` oneof, merging into `previous` when it is the same member. */
  private metricData(field: number, end: number, previous: OtlpMetricData | undefined): OtlpMetricData {
    const type = DATA_FIELDS[field as keyof typeof DATA_FIELDS];
    const data = previous?.type === type ? previous : emptyData(type);
    const r = this.r;
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      const f = tag >>> 3;
      if (f === 1) {
        if (wt !== WIRE_LEN) this.expect(wt, WIRE_LEN, `${type}.data_points`, at);
        this.point(at);
        const stop = r.length(end);
        switch (data.type) {
          case 'gauge':
          case 'sum':
            data.dataPoints.push(this.numberPoint(stop));
            break;
          case 'histogram':
            data.dataPoints.push(this.histogramPoint(stop));
            break;
          case 'exponentialHistogram':
            data.dataPoints.push(this.otherPoint(stop, EXPONENTIAL_FIELDS));
            break;
          case 'summary':
            data.dataPoints.push(this.otherPoint(stop, SUMMARY_FIELDS));
            break;
        }
      } else if (f === 2 && data.type !== 'gauge' && data.type !== 'summary') {
        if (wt !== WIRE_VARINT) this.expect(wt, WIRE_VARINT, `${type}.aggregation_temporality`, at);
        data.aggregationTemporality = r.int32(end);
      } else if (f === 3 && data.type === 'sum') {
        this.expect(wt, WIRE_VARINT, 'Sum.is_monotonic', at);
        data.isMonotonic = r.uint32(end) !== 0;
      } else r.skip(wt, end, at);
    }
    return data;
  }

  private numberPoint(end: number): OtlpNumberDataPoint {
    const r = this.r;
    const out: OtlpNumberDataPoint = { attributes: [], startTimeUnixNano: 0, timeUnixNano: 0, flags: 0 };
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 7:
          this.expect(wt, WIRE_LEN, 'NumberDataPoint.attributes', at);
          out.attributes.push(this.keyValue(r.length(end), at, 0));
          break;
        case 2:
          this.expect(wt, WIRE_I64, 'NumberDataPoint.start_time_unix_nano', at);
          out.startTimeUnixNano = r.fixed64(end);
          break;
        case 3:
          this.expect(wt, WIRE_I64, 'NumberDataPoint.time_unix_nano', at);
          out.timeUnixNano = r.fixed64(end);
          break;
        case 4:
          this.expect(wt, WIRE_I64, 'NumberDataPoint.as_double', at);
          out.asDouble = r.double(end);
          delete out.asInt;
          break;
        case 6:
          this.expect(wt, WIRE_I64, 'NumberDataPoint.as_int', at);
          out.asInt = r.sfixed64(end);
          delete out.asDouble;
          break;
        case 8:
          this.expect(wt, WIRE_VARINT, 'NumberDataPoint.flags', at);
          out.flags = r.uint32(end);
          break;
        default:
          r.skip(wt, end, at);
      }
    }
    return out;
  }

  private histogramPoint(end: number): OtlpHistogramDataPoint {
    const r = this.r;
    const out: OtlpHistogramDataPoint = {
      attributes: [],
      startTimeUnixNano: 0,
      timeUnixNano: 0,
      flags: 0,
      count: 0,
      bucketCounts: [],
      explicitBounds: [],
    };
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 9:
          this.expect(wt, WIRE_LEN, 'HistogramDataPoint.attributes', at);
          out.attributes.push(this.keyValue(r.length(end), at, 0));
          break;
        case 2:
          this.expect(wt, WIRE_I64, 'HistogramDataPoint.start_time_unix_nano', at);
          out.startTimeUnixNano = r.fixed64(end);
          break;
        case 3:
          this.expect(wt, WIRE_I64, 'HistogramDataPoint.time_unix_nano', at);
          out.timeUnixNano = r.fixed64(end);
          break;
        case 4:
          this.expect(wt, WIRE_I64, 'HistogramDataPoint.count', at);
          out.count = r.fixed64(end);
          break;
        case 5:
          this.expect(wt, WIRE_I64, 'HistogramDataPoint.sum', at);
          out.sum = r.double(end);
          break;
        case 6:
          if (wt === WIRE_LEN) {
            const stop = r.length(end);
            if ((stop - r.pos) % 8 !== 0) {
              throw new WireError('protobuf.length', 'packed bucket_counts is not a multiple of 8 bytes', at);
            }
            while (r.pos < stop) out.bucketCounts.push(r.fixed64(stop));
          } else {
            this.expect(wt, WIRE_I64, 'HistogramDataPoint.bucket_counts', at);
            out.bucketCounts.push(r.fixed64(end));
          }
          break;
        case 7:
          if (wt === WIRE_LEN) {
            const stop = r.length(end);
            if ((stop - r.pos) % 8 !== 0) {
              throw new WireError(
                'protobuf.length',
                'packed explicit_bounds is not a multiple of 8 bytes',
                at,
              );
            }
            while (r.pos < stop) out.explicitBounds.push(r.double(stop));
          } else {
            this.expect(wt, WIRE_I64, 'HistogramDataPoint.explicit_bounds', at);
            out.explicitBounds.push(r.double(end));
          }
          break;
        case 10:
          this.expect(wt, WIRE_VARINT, 'HistogramDataPoint.flags', at);
          out.flags = r.uint32(end);
          break;
        case 11:
          this.expect(wt, WIRE_I64, 'HistogramDataPoint.min', at);
          out.min = r.double(end);
          break;
        case 12:
          this.expect(wt, WIRE_I64, 'HistogramDataPoint.max', at);
          out.max = r.double(end);
          break;
        default:
          r.skip(wt, end, at);
      }
    }
    return out;
  }

  /** The common fields of exponential-histogram and summary points; the rest is skipped. */
  private otherPoint(end: number, fields: OtherPointFields): OtlpOtherDataPoint {
    const r = this.r;
    const out: OtlpOtherDataPoint = {
      attributes: [],
      startTimeUnixNano: 0,
      timeUnixNano: 0,
      flags: 0,
      count: 0,
    };
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      const f = tag >>> 3;
      if (f === fields.attributes) {
        this.expect(wt, WIRE_LEN, 'attributes', at);
        out.attributes.push(this.keyValue(r.length(end), at, 0));
      } else if (f === 2) {
        this.expect(wt, WIRE_I64, 'start_time_unix_nano', at);
        out.startTimeUnixNano = r.fixed64(end);
      } else if (f === 3) {
        this.expect(wt, WIRE_I64, 'time_unix_nano', at);
        out.timeUnixNano = r.fixed64(end);
      } else if (f === 4) {
        this.expect(wt, WIRE_I64, 'count', at);
        out.count = r.fixed64(end);
      } else if (f === fields.flags) {
        this.expect(wt, WIRE_VARINT, 'flags', at);
        out.flags = r.uint32(end);
      } else r.skip(wt, end, at);
    }
    return out;
  }

  /**
   * A KeyValue. Attribute sets repeat from point to point, so a scalar KeyValue whose
   * exact bytes were already decoded in this request is shared, frozen, instead of
   * decoded again: same bytes, same value, and far fewer objects for the GC to move.
   */
  private keyValue(end: number, at: number, depth: number): OtlpKeyValue {
    this.element(at);
    const r = this.r;
    const start = r.pos;
    const internable = end - start <= MAX_INTERNED_BYTES;
    let hash = 0;
    if (internable) {
      hash = hashBytes(r.buf, start, end);
      const hit = this.interned.get(hash);
      if (hit !== undefined && sameBytes(hit.bytes, r.buf, start, end)) {
        r.pos = end;
        return hit.kv;
      }
    }
    let key = '';
    let value: OtlpAnyValue = EMPTY;
    while (r.pos < end) {
      const fieldAt = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      const f = tag >>> 3;
      if (f === 1) {
        this.expect(wt, WIRE_LEN, 'KeyValue.key', fieldAt);
        key = r.string(end);
      } else if (f === 2) {
        this.expect(wt, WIRE_LEN, 'KeyValue.value', fieldAt);
        value = this.anyValue(r.length(end), depth);
      } else r.skip(wt, end, fieldAt);
    }
    if (internable && SCALAR_TYPES.has(value.type) && this.interned.size < MAX_INTERNED_VALUES) {
      const kv: OtlpKeyValue = Object.freeze({ key, value: Object.freeze(value) });
      this.interned.set(hash, { bytes: r.buf.slice(start, end), kv });
      return kv;
    }
    return { key, value };
  }

  /** `AnyValue`; the last oneof member present wins, as in every protobuf implementation. */
  private anyValue(end: number, depth: number): OtlpAnyValue {
    const r = this.r;
    let value: OtlpAnyValue = EMPTY;
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 1:
          this.expect(wt, WIRE_LEN, 'AnyValue.string_value', at);
          value = { type: 'string', value: r.string(end) };
          break;
        case 2:
          this.expect(wt, WIRE_VARINT, 'AnyValue.bool_value', at);
          r.varint64(end);
          value = { type: 'bool', value: r.lo !== 0 || r.hi !== 0 };
          break;
        case 3:
          this.expect(wt, WIRE_VARINT, 'AnyValue.int_value', at);
          value = { type: 'int', value: r.int64(end) };
          break;
        case 4:
          this.expect(wt, WIRE_I64, 'AnyValue.double_value', at);
          value = { type: 'double', value: r.double(end) };
          break;
        case 5:
        case 6: {
          const kvlist = tag >>> 3 === 6;
          this.expect(wt, WIRE_LEN, kvlist ? 'AnyValue.kvlist_value' : 'AnyValue.array_value', at);
          if (depth >= this.budget.maxAttributeDepth) {
            throw new WireError(
              'limit.depth',
              `an attribute value nests arrays/kvlists more than ${this.budget.maxAttributeDepth} deep`,
              at,
            );
          }
          value = kvlist ? this.kvlist(r.length(end), depth + 1) : this.array(r.length(end), depth + 1);
          break;
        }
        case 7:
          this.expect(wt, WIRE_LEN, 'AnyValue.bytes_value', at);
          value = { type: 'bytes', value: r.bytes(end) };
          break;
        default:
          r.skip(wt, end, at);
      }
    }
    return value;
  }

  private array(end: number, depth: number): OtlpAnyValue {
    const r = this.r;
    const values: OtlpAnyValue[] = [];
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      if (tag >>> 3 === 1) {
        this.expect(wt, WIRE_LEN, 'ArrayValue.values', at);
        this.element(at);
        values.push(this.anyValue(r.length(end), depth));
      } else r.skip(wt, end, at);
    }
    return { type: 'array', values };
  }

  private kvlist(end: number, depth: number): OtlpAnyValue {
    const r = this.r;
    const values: OtlpKeyValue[] = [];
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      const wt = tag & 7;
      if (tag >>> 3 === 1) {
        this.expect(wt, WIRE_LEN, 'KeyValueList.values', at);
        values.push(this.keyValue(r.length(end), at, depth));
      } else r.skip(wt, end, at);
    }
    return { type: 'kvlist', values };
  }
}

const EMPTY: OtlpAnyValue = Object.freeze({ type: 'empty' }) as OtlpAnyValue;

/** KeyValues up to this size are interned; attribute pairs are rarely longer. */
const MAX_INTERNED_BYTES = 128;
/** Distinct KeyValues remembered per request (bounds the cache, not the request). */
const MAX_INTERNED_VALUES = 8192;
/** Values that cannot be mutated through a shared reference (bytes and lists can). */
const SCALAR_TYPES: ReadonlySet<OtlpAnyValue['type']> = new Set(['string', 'bool', 'int', 'double', 'empty']);

/** FNV-1a over a byte range, seeded with its length. */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let hash = 0x811c_9dc5 ^ (end - start);
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x0100_0193);
  return hash;
}

function sameBytes(known: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== buf[start + i]) return false;
  return true;
}

/** `Metric.data` oneof field numbers (4, 6 and 8 are reserved: the removed Int* types). */
const DATA_FIELDS = {
  5: 'gauge',
  7: 'sum',
  9: 'histogram',
  10: 'exponentialHistogram',
  11: 'summary',
} as const;

function emptyData(type: OtlpMetricData['type']): OtlpMetricData {
  switch (type) {
    case 'gauge':
      return { type, dataPoints: [] };
    case 'sum':
      return { type, dataPoints: [], aggregationTemporality: 0, isMonotonic: false };
    case 'histogram':
    case 'exponentialHistogram':
      return { type, dataPoints: [], aggregationTemporality: 0 };
    case 'summary':
      return { type, dataPoints: [] };
  }
}

interface OtherPointFields {
  attributes: number;
  flags: number;
}
const EXPONENTIAL_FIELDS: OtherPointFields = { attributes: 1, flags: 10 };
const SUMMARY_FIELDS: OtherPointFields = { attributes: 7, flags: 8 };

// ---------------------------------------------------------------------------------------
// Encoding (tests, the load generator, and responses)

/**
 * Encodes the wire model as a protobuf `ExportMetricsServiceRequest`. Default values
 * (0, '', false, empty lists) are omitted, as proto3 encoders do; `decodeMetricsRequestProtobuf`
 * inverts it exactly.
 */
export function encodeMetricsRequestProtobuf(request: OtlpMetricsRequest): Uint8Array {
  const w = new ProtoWriter();
  for (const rm of request.resourceMetrics) {
    const m1 = w.beginMessage(1);
    if (rm.resource.attributes.length > 0 || rm.resource.droppedAttributesCount !== 0) {
      const m2 = w.beginMessage(1);
      for (const kv of rm.resource.attributes) writeKeyValue(w, 1, kv);
      if (rm.resource.droppedAttributesCount !== 0) w.uint32(2, rm.resource.droppedAttributesCount);
      w.endMessage(m2);
    }
    for (const sm of rm.scopeMetrics) writeScopeMetrics(w, sm);
    if (rm.schemaUrl !== '') w.string(3, rm.schemaUrl);
    w.endMessage(m1);
  }
  return w.finish();
}

function writeScopeMetrics(w: ProtoWriter, sm: OtlpScopeMetrics): void {
  const mark = w.beginMessage(2);
  const scope = sm.scope;
  if (
    scope.name !== '' ||
    scope.version !== '' ||
    scope.attributes.length > 0 ||
    scope.droppedAttributesCount !== 0
  ) {
    const s = w.beginMessage(1);
    if (scope.name !== '') w.string(1, scope.name);
    if (scope.version !== '') w.string(2, scope.version);
    for (const kv of scope.attributes) writeKeyValue(w, 3, kv);
    if (scope.droppedAttributesCount !== 0) w.uint32(4, scope.droppedAttributesCount);
    w.endMessage(s);
  }
  for (const metric of sm.metrics) writeMetric(w, metric);
  if (sm.schemaUrl !== '') w.string(3, sm.schemaUrl);
  w.endMessage(mark);
}

function writeMetric(w: ProtoWriter, metric: OtlpMetric): void {
  const mark = w.beginMessage(2);
  if (metric.name !== '') w.string(1, metric.name);
  if (metric.description !== '') w.string(2, metric.description);
  if (metric.unit !== '') w.string(3, metric.unit);
  const data = metric.data;
  if (data !== undefined) {
    const d = w.beginMessage(DATA_FIELD_OF[data.type]);
    switch (data.type) {
      case 'gauge':
      case 'sum':
        for (const p of data.dataPoints) writeNumberPoint(w, p);
        break;
      case 'histogram':
        for (const p of data.dataPoints) writeHistogramPoint(w, p);
        break;
      case 'exponentialHistogram':
        for (const p of data.dataPoints) writeOtherPoint(w, p, EXPONENTIAL_FIELDS);
        break;
      case 'summary':
        for (const p of data.dataPoints) writeOtherPoint(w, p, SUMMARY_FIELDS);
        break;
    }
    if (data.type !== 'gauge' && data.type !== 'summary' && data.aggregationTemporality !== 0) {
      w.int32(2, data.aggregationTemporality);
    }
    if (data.type === 'sum' && data.isMonotonic) w.uint32(3, 1);
    w.endMessage(d);
  }
  for (const kv of metric.metadata) writeKeyValue(w, 12, kv);
  w.endMessage(mark);
}

const DATA_FIELD_OF = { gauge: 5, sum: 7, histogram: 9, exponentialHistogram: 10, summary: 11 } as const;

function isZero(value: WireInt64): boolean {
  return value === 0 || value === 0n;
}

function writeNumberPoint(w: ProtoWriter, p: OtlpNumberDataPoint): void {
  const mark = w.beginMessage(1);
  if (!isZero(p.startTimeUnixNano)) w.fixed64(2, p.startTimeUnixNano);
  if (!isZero(p.timeUnixNano)) w.fixed64(3, p.timeUnixNano);
  if (p.asDouble !== undefined) w.double(4, p.asDouble);
  if (p.asInt !== undefined) w.fixed64(6, p.asInt);
  for (const kv of p.attributes) writeKeyValue(w, 7, kv);
  if (p.flags !== 0) w.uint32(8, p.flags);
  w.endMessage(mark);
}

function writeHistogramPoint(w: ProtoWriter, p: OtlpHistogramDataPoint): void {
  const mark = w.beginMessage(1);
  if (!isZero(p.startTimeUnixNano)) w.fixed64(2, p.startTimeUnixNano);
  if (!isZero(p.timeUnixNano)) w.fixed64(3, p.timeUnixNano);
  if (!isZero(p.count)) w.fixed64(4, p.count);
  if (p.sum !== undefined) w.double(5, p.sum);
  if (p.bucketCounts.length > 0) {
    const packed = w.beginMessage(6);
    for (const c of p.bucketCounts) w.rawFixed64(c);
    w.endMessage(packed);
  }
  if (p.explicitBounds.length > 0) {
    const packed = w.beginMessage(7);
    for (const b of p.explicitBounds) w.rawDouble(b);
    w.endMessage(packed);
  }
  for (const kv of p.attributes) writeKeyValue(w, 9, kv);
  if (p.flags !== 0) w.uint32(10, p.flags);
  if (p.min !== undefined) w.double(11, p.min);
  if (p.max !== undefined) w.double(12, p.max);
  w.endMessage(mark);
}

function writeOtherPoint(w: ProtoWriter, p: OtlpOtherDataPoint, fields: OtherPointFields): void {
  const mark = w.beginMessage(1);
  for (const kv of p.attributes) writeKeyValue(w, fields.attributes, kv);
  if (!isZero(p.startTimeUnixNano)) w.fixed64(2, p.startTimeUnixNano);
  if (!isZero(p.timeUnixNano)) w.fixed64(3, p.timeUnixNano);
  if (!isZero(p.count)) w.fixed64(4, p.count);
  if (p.flags !== 0) w.uint32(fields.flags, p.flags);
  w.endMessage(mark);
}

function writeKeyValue(w: ProtoWriter, field: number, kv: OtlpKeyValue): void {
  const mark = w.beginMessage(field);
  if (kv.key !== '') w.string(1, kv.key);
  if (kv.value.type !== 'empty') {
    const v = w.beginMessage(2);
    writeAnyValue(w, kv.value);
    w.endMessage(v);
  }
  w.endMessage(mark);
}

/** The fields of an AnyValue (not wrapped); oneof members are written even when default. */
function writeAnyValue(w: ProtoWriter, value: OtlpAnyValue): void {
  switch (value.type) {
    case 'string':
      w.string(1, value.value);
      return;
    case 'bool':
      w.uint32(2, value.value ? 1 : 0);
      return;
    case 'int':
      w.int64(3, value.value);
      return;
    case 'double':
      w.double(4, value.value);
      return;
    case 'array': {
      const mark = w.beginMessage(5);
      for (const item of value.values) {
        const m = w.beginMessage(1);
        writeAnyValue(w, item);
        w.endMessage(m);
      }
      w.endMessage(mark);
      return;
    }
    case 'kvlist': {
      const mark = w.beginMessage(6);
      for (const kv of value.values) writeKeyValue(w, 1, kv);
      w.endMessage(mark);
      return;
    }
    case 'bytes':
      w.bytes(7, value.value);
      return;
    case 'empty':
      return;
  }
}

/**
 * Encodes an `ExportMetricsServiceResponse`. Full success (0 rejected, no message) leaves
 * `partial_success` unset, as the OTLP/HTTP spec requires, which is the empty message.
 */
export function encodeMetricsResponseProtobuf(partial: OtlpPartialSuccess): Uint8Array {
  const w = new ProtoWriter();
  if (partial.rejectedDataPoints !== 0 || partial.errorMessage !== '') {
    const mark = w.beginMessage(1);
    if (partial.rejectedDataPoints !== 0) w.int64(1, partial.rejectedDataPoints);
    if (partial.errorMessage !== '') w.string(2, partial.errorMessage);
    w.endMessage(mark);
  }
  return w.finish();
}

/** Decodes an `ExportMetricsServiceResponse` (for clients: the load generator, tests). */
export function decodeMetricsResponseProtobuf(bytes: Uint8Array): OtlpResult<OtlpPartialSuccess> {
  const r = new ProtoReader(bytes);
  const out: OtlpPartialSuccess = { rejectedDataPoints: 0, errorMessage: '' };
  try {
    const end = bytes.length;
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      if (tag === ((1 << 3) | WIRE_LEN)) {
        const stop = r.length(end);
        while (r.pos < stop) {
          const fieldAt = r.pos;
          const t = r.tag(stop);
          if (t === ((1 << 3) | WIRE_VARINT)) out.rejectedDataPoints = Number(r.int64(stop));
          else if (t === ((2 << 3) | WIRE_LEN)) out.errorMessage = r.string(stop);
          else r.skip(t & 7, stop, fieldAt);
        }
      } else r.skip(tag & 7, end, at);
    }
    return { ok: true, value: out };
  } catch (thrown) {
    return { ok: false, issues: [toIssue(thrown)] };
  }
}
