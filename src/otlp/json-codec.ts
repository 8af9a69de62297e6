/**
 * JSON codec for `ExportMetricsServiceRequest` / `ExportMetricsServiceResponse`
 * (OTLP/HTTP with `Content-Type: application/json`), per the OTLP spec's "JSON Protobuf
 * Encoding": the proto3 JSON mapping with lowerCamelCase keys, enums as integers, 64-bit
 * integers as decimal strings (numbers accepted too), unknown fields ignored.
 *
 * Leniencies, all from the proto3 JSON mapping itself: `null` means "default", original
 * snake_case field names are accepted beside lowerCamelCase, enum names are accepted
 * beside integers, doubles may be strings ("NaN", "Infinity", "1.5").
 *
 * Exactness: `JSON.parse` rounds integer literals beyond 2^53 (the spec's own example
 * writes `"timeUnixNano": 1544712660300000000` as a number). When the text holds a long
 * integer literal, the parse uses a reviver that reads each number's source text and
 * keeps big integers as their exact decimal string.
 */

import { decodeBase64, encodeBase64 } from './base64.ts';
import { jsonErrorOffset } from './json-syntax.ts';
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

type Budget = Pick<ResolvedDecodeOptions, 'maxDataPoints' | 'maxElements' | 'maxAttributeDepth'>;
type Json = Record<string, unknown>;

/** A malformed-input failure inside the JSON walker, located by field path. */
class JsonError extends Error {
  readonly code: OtlpIssue['code'];
  readonly path: (string | number)[];
  constructor(code: OtlpIssue['code'], message: string, path: (string | number)[]) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

/** A number literal of 16+ digits (>= 10^15, so possibly beyond 2^53) after `:`, `[` or `,`. */
const LONG_INTEGER_LITERAL = /[:[,]\s*-?\d{16}/;
const INTEGER_TEXT = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
const parseWithReviver = JSON.parse as (text: string, reviver: Reviver) => unknown;

/** Keeps integer literals that a double cannot hold exactly as their decimal text. */
function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    const source = context?.source;
    if (source !== undefined && INTEGER_TEXT.test(source)) return source;
  }
  return value;
}

/**
 * Decodes an OTLP/JSON `ExportMetricsServiceRequest` into the wire model.
 * Scalar KeyValues may be shared between points and are frozen (see `intern`).
 * @example decodeMetricsRequestJson('{}') // { ok: true, value: { resourceMetrics: [] } }
 */
export function decodeMetricsRequestJson(
  text: string,
  budget: Budget = DEFAULT_DECODE_OPTIONS,
): OtlpResult<OtlpMetricsRequest> {
  let parsed: unknown;
  try {
    parsed = LONG_INTEGER_LITERAL.test(text) ? parseWithReviver(text, exactIntegers) : JSON.parse(text);
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    const issue: OtlpIssue = { code: 'json.syntax', message: `the body is not valid JSON: ${message}` };
    const offset = jsonErrorOffset(text);
    if (offset !== undefined) issue.offset = offset;
    return { ok: false, issues: [issue] };
  }
  try {
    return { ok: true, value: new JsonWalker(budget).request(parsed) };
  } catch (thrown) {
    if (thrown instanceof JsonError) {
      return { ok: false, issues: [{ code: thrown.code, message: thrown.message, path: thrown.path }] };
    }
    const message = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    return { ok: false, issues: [{ code: 'internal', message }] };
  }
}

class JsonWalker {
  private readonly budget: Budget;
  private elementsLeft: number;
  private pointsLeft: number;
  /** Interned scalar KeyValues: by key, then [string, int, bool] maps by value. */
  private readonly interned = new Map<string, Map<unknown, OtlpKeyValue>[]>();
  private internedCount = 0;
  /** Field path of the value being read; copied only when an error is raised. */
  private readonly path: (string | number)[] = [];

  constructor(budget: Budget) {
    this.budget = budget;
    this.elementsLeft = budget.maxElements;
    this.pointsLeft = budget.maxDataPoints;
  }

  private fail(code: OtlpIssue['code'], message: string, key?: string | number): never {
    const path = [...this.path];
    if (key !== undefined) path.push(key);
    throw new JsonError(code, message, path);
  }

  private element(): void {
    if (--this.elementsLeft < 0) {
      this.fail(
        'limit.elements',
        `the request decodes to more than ${this.budget.maxElements} objects (resources, scopes, metrics, points, attributes)`,
      );
    }
  }

  private point(): void {
    if (--this.pointsLeft < 0) {
      this.fail(
        'limit.data-points',
        `the request has more than ${this.budget.maxDataPoints} data points; send smaller batches`,
      );
    }
    this.element();
  }

  // --- field readers: `key` names the field inside the current path, for error paths.

  private object(value: unknown, key: string | number): Json | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value))
      this.fail('json.type', `expected an object, got ${kind(value)}`, key);
    return value as Json;
  }

  private list(value: unknown, key: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail('json.type', `expected a list, got ${kind(value)}`, key);
    return value;
  }

  private string(value: unknown, key: string): string {
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') this.fail('json.type', `expected a string, got ${kind(value)}`, key);
    return value;
  }

  private bool(value: unknown, key: string): boolean {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') this.fail('json.type', `expected true or false, got ${kind(value)}`, key);
    return value;
  }

  /** uint32 / int32 / enum: an integer number, or its decimal string. */
  private int32(
    value: unknown,
    key: string,
    min: number,
    max: number,
    names?: ReadonlyMap<string, number>,
  ): number {
    if (value === undefined || value === null) return 0;
    let n: number;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'string') {
      const named = names?.get(value);
      n = named !== undefined ? named : INTEGER_TEXT.test(value) ? Number(value) : Number.NaN;
    } else this.fail('json.type', `expected an integer, got ${kind(value)}`, key);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.fail('json.value', `expected an integer in [${min}, ${max}], got ${JSON.stringify(value)}`, key);
    }
    return n;
  }

  /** int64 (`signed`) or fixed64: a decimal string (the spec's form) or a number. */
  private int64(value: unknown, key: string | number, signed: boolean): WireInt64 {
    if (value === undefined || value === null) return 0;
    let big: bigint;
    if (typeof value === 'string') {
      if (!INTEGER_TEXT.test(value))
        this.fail('json.value', `expected a decimal integer string, got ${JSON.stringify(value)}`, key);
      // Up to 15 characters is below 2^53 in magnitude: a double holds it exactly.
      if (value.length <= 15 && (signed || value.charCodeAt(0) !== 45)) return Number(value) + 0;
      big = BigInt(value);
    } else if (typeof value === 'number') {
      if (!Number.isInteger(value)) this.fail('json.value', `expected an integer, got ${value}`, key);
      if (Number.isSafeInteger(value) && (signed || value >= 0)) return value + 0; // +0 turns -0 into 0
      big = BigInt(value);
    } else this.fail('json.type', `expected an integer (as a string or number), got ${kind(value)}`, key);
    if (signed ? big < INT64_MIN || big > INT64_MAX : big < 0n || big > UINT64_MAX) {
      this.fail('json.value', `${value} is outside the ${signed ? 'int64' : 'uint64'} range`, key);
    }
    const n = Number(big);
    return Number.isSafeInteger(n) ? n : big;
  }

  /** double: a number, or a string holding one ("NaN", "Infinity", "-Infinity", "1.5"). */
  private double(value: unknown, key: string | number): number {
    if (typeof value === 'number') return value;
    if (typeof value === 'string') {
      if (value === 'NaN') return Number.NaN;
      if (value === 'Infinity') return Number.POSITIVE_INFINITY;
      if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
      const n = value.trim() === '' ? Number.NaN : Number(value);
      if (!Number.isNaN(n)) return n;
      this.fail('json.value', `expected a number, got ${JSON.stringify(value)}`, key);
    }
    return this.fail('json.type', `expected a number, got ${kind(value)}`, key);
  }

  private optionalDouble(value: unknown, key: string): number | undefined {
    return value === undefined || value === null ? undefined : this.double(value, key);
  }

  // --- messages

  response(value: unknown): OtlpPartialSuccess {
    const obj = this.object(value, 'response') ?? {};
    const partial = this.object(field(obj, 'partialSuccess', 'partial_success'), 'partialSuccess') ?? {};
    this.path.push('partialSuccess');
    const rejected = this.int64(
      field(partial, 'rejectedDataPoints', 'rejected_data_points'),
      'rejectedDataPoints',
      true,
    );
    const errorMessage = this.string(field(partial, 'errorMessage', 'error_message'), 'errorMessage');
    this.path.pop();
    return { rejectedDataPoints: Number(rejected), errorMessage };
  }

  request(value: unknown): OtlpMetricsRequest {
    const obj = this.object(value, 'request') ?? {};
    const items = this.list(field(obj, 'resourceMetrics', 'resource_metrics'), 'resourceMetrics');
    const out: OtlpMetricsRequest = { resourceMetrics: [] };
    this.path.push('resourceMetrics');
    for (let i = 0; i < items.length; i++) {
      this.element();
      out.resourceMetrics.push(this.resourceMetrics(this.object(items[i], i) ?? {}, i));
    }
    this.path.pop();
    return out;
  }

  private resourceMetrics(obj: Json, index: number): OtlpResourceMetrics {
    this.path.push(index);
    const resource = this.object(obj['resource'], 'resource') ?? {};
    this.path.push('resource');
    const out: OtlpResourceMetrics = {
      resource: {
        attributes: this.attributes(resource['attributes'], 'attributes', 0),
        droppedAttributesCount: this.int32(
          field(resource, 'droppedAttributesCount', 'dropped_attributes_count'),
          'droppedAttributesCount',
          0,
          0xffff_ffff,
        ),
      },
      scopeMetrics: [],
      schemaUrl: this.string(field(obj, 'schemaUrl', 'schema_url'), 'schemaUrl'),
    };
    this.path.pop();
    const items = this.list(field(obj, 'scopeMetrics', 'scope_metrics'), 'scopeMetrics');
    this.path.push('scopeMetrics');
    for (let i = 0; i < items.length; i++) {
      this.element();
      out.scopeMetrics.push(this.scopeMetrics(this.object(items[i], i) ?? {}, i));
    }
    this.path.pop();
    this.path.pop();
    return out;
  }

  private scopeMetrics(obj: Json, index: number): OtlpScopeMetrics {
    this.path.push(index);
    const scope = this.object(obj['scope'], 'scope') ?? {};
    this.path.push('scope');
    const out: OtlpScopeMetrics = {
      scope: {
        name: this.string(scope['name'], 'name'),
        version: this.string(scope['version'], 'version'),
        attributes: this.attributes(scope['attributes'], 'attributes', 0),
        droppedAttributesCount: this.int32(
          field(scope, 'droppedAttributesCount', 'dropped_attributes_count'),
          'droppedAttributesCount',
          0,
          0xffff_ffff,
        ),
      },
      metrics: [],
      schemaUrl: this.string(field(obj, 'schemaUrl', 'schema_url'), 'schemaUrl'),
    };
    this.path.pop();
    const items = this.list(obj['metrics'], 'metrics');
    this.path.push('metrics');
    for (let i = 0; i < items.length; i++) {
      this.element();
      out.metrics.push(this.metric(this.object(items[i], i) ?? {}, i));
    }
    this.path.pop();
    this.path.pop();
    return out;
  }

  private metric(obj: Json, index: number): OtlpMetric {
    this.path.push(index);
    const out: OtlpMetric = {
      name: this.string(obj['name'], 'name'),
      description: this.string(obj['description'], 'description'),
      unit: this.string(obj['unit'], 'unit'),
      metadata: this.attributes(obj['metadata'], 'metadata', 0),
    };
    let chosen: string | undefined;
    for (const [camel, snake, type] of DATA_MEMBERS) {
      const member = this.object(field(obj, camel, snake), camel);
      if (member === undefined) continue;
      if (chosen !== undefined) {
        this.fail('json.value', `a metric has both ${chosen} and ${camel}; the data oneof allows one`, camel);
      }
      chosen = camel;
      this.path.push(camel);
      out.data = this.metricData(type, member);
      this.path.pop();
    }
    this.path.pop();
    return out;
  }

  private metricData(type: OtlpMetricData['type'], obj: Json): OtlpMetricData {
    const points = this.list(field(obj, 'dataPoints', 'data_points'), 'dataPoints');
    const temporality = (): number =>
      this.int32(
        field(obj, 'aggregationTemporality', 'aggregation_temporality'),
        'aggregationTemporality',
        -0x8000_0000,
        0x7fff_ffff,
        TEMPORALITY_NAMES,
      );
    this.path.push('dataPoints');
    let data: OtlpMetricData;
    switch (type) {
      case 'gauge':
      case 'sum': {
        const dataPoints = points.map((p, i) => this.numberPoint(p, i));
        this.path.pop();
        data =
          type === 'gauge'
            ? { type, dataPoints }
            : {
                type,
                dataPoints,
                aggregationTemporality: temporality(),
                isMonotonic: this.bool(field(obj, 'isMonotonic', 'is_monotonic'), 'isMonotonic'),
              };
        break;
      }
      case 'histogram': {
        const dataPoints = points.map((p, i) => this.histogramPoint(p, i));
        this.path.pop();
        data = { type, dataPoints, aggregationTemporality: temporality() };
        break;
      }
      case 'exponentialHistogram': {
        const dataPoints = points.map((p, i) => this.otherPoint(p, i));
        this.path.pop();
        data = { type, dataPoints, aggregationTemporality: temporality() };
        break;
      }
      case 'summary': {
        const dataPoints = points.map((p, i) => this.otherPoint(p, i));
        this.path.pop();
        data = { type, dataPoints };
        break;
      }
    }
    return data;
  }

  private pointStart(value: unknown, index: number): Json {
    this.point();
    const obj = this.object(value, index) ?? {};
    this.path.push(index);
    return obj;
  }

  private numberPoint(value: unknown, index: number): OtlpNumberDataPoint {
    const obj = this.pointStart(value, index);
    const out: OtlpNumberDataPoint = {
      attributes: this.attributes(obj['attributes'], 'attributes', 0),
      startTimeUnixNano: this.int64(
        field(obj, 'startTimeUnixNano', 'start_time_unix_nano'),
        'startTimeUnixNano',
        false,
      ),
      timeUnixNano: this.int64(field(obj, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano', false),
      flags: this.int32(obj['flags'], 'flags', 0, 0xffff_ffff),
    };
    const asDouble = field(obj, 'asDouble', 'as_double');
    const asInt = field(obj, 'asInt', 'as_int');
    const hasDouble = asDouble !== undefined && asDouble !== null;
    const hasInt = asInt !== undefined && asInt !== null;
    if (hasDouble && hasInt)
      this.fail(
        'json.value',
        'a data point has both asDouble and asInt; the value oneof allows one',
        'asInt',
      );
    if (hasDouble) out.asDouble = this.double(asDouble, 'asDouble');
    if (hasInt) out.asInt = this.int64(asInt, 'asInt', true);
    this.path.pop();
    return out;
  }

  private histogramPoint(value: unknown, index: number): OtlpHistogramDataPoint {
    const obj = this.pointStart(value, index);
    const counts = this.list(field(obj, 'bucketCounts', 'bucket_counts'), 'bucketCounts');
    const bounds = this.list(field(obj, 'explicitBounds', 'explicit_bounds'), 'explicitBounds');
    const out: OtlpHistogramDataPoint = {
      attributes: this.attributes(obj['attributes'], 'attributes', 0),
      startTimeUnixNano: this.int64(
        field(obj, 'startTimeUnixNano', 'start_time_unix_nano'),
        'startTimeUnixNano',
        false,
      ),
      timeUnixNano: this.int64(field(obj, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano', false),
      flags: this.int32(obj['flags'], 'flags', 0, 0xffff_ffff),
      count: this.int64(obj['count'], 'count', false),
      bucketCounts: [],
      explicitBounds: [],
    };
    this.path.push('bucketCounts');
    for (let i = 0; i < counts.length; i++) out.bucketCounts.push(this.int64(counts[i], i, false));
    this.path.pop();
    this.path.push('explicitBounds');
    for (let i = 0; i < bounds.length; i++) out.explicitBounds.push(this.double(bounds[i], i));
    this.path.pop();
    const sum = this.optionalDouble(obj['sum'], 'sum');
    if (sum !== undefined) out.sum = sum;
    const min = this.optionalDouble(obj['min'], 'min');
    if (min !== undefined) out.min = min;
    const max = this.optionalDouble(obj['max'], 'max');
    if (max !== undefined) out.max = max;
    this.path.pop();
    return out;
  }

  private otherPoint(value: unknown, index: number): OtlpOtherDataPoint {
    const obj = this.pointStart(value, index);
    const out: OtlpOtherDataPoint = {
      attributes: this.attributes(obj['attributes'], 'attributes', 0),
      startTimeUnixNano: this.int64(
        field(obj, 'startTimeUnixNano', 'start_time_unix_nano'),
        'startTimeUnixNano',
        false,
      ),
      timeUnixNano: this.int64(field(obj, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano', false),
      flags: this.int32(obj['flags'], 'flags', 0, 0xffff_ffff),
      count: this.int64(obj['count'], 'count', false),
    };
    this.path.pop();
    return out;
  }

  private attributes(value: unknown, key: string, depth: number): OtlpKeyValue[] {
    const items = this.list(value, key);
    if (items.length === 0) return [];
    this.path.push(key);
    const out: OtlpKeyValue[] = [];
    for (let i = 0; i < items.length; i++) {
      this.element();
      const kv = this.object(items[i], i) ?? {};
      this.path.push(i);
      const key = this.string(kv['key'], 'key');
      const anyValue = this.object(kv['value'], 'value');
      let decoded: OtlpAnyValue = EMPTY;
      if (anyValue !== undefined) {
        this.path.push('value');
        decoded = this.anyValue(anyValue, depth);
        this.path.pop();
      }
      out.push(this.intern(key, decoded));
      this.path.pop();
    }
    this.path.pop();
    return out;
  }

  /**
   * Shares one frozen KeyValue per distinct scalar attribute in a request: attribute sets
   * repeat from point to point, and shared objects die young instead of filling the heap.
   * (Doubles are not shared: a Map cannot tell 0 from -0.)
   */
  private intern(key: string, value: OtlpAnyValue): OtlpKeyValue {
    const slot = value.type === 'string' ? 0 : value.type === 'int' ? 1 : value.type === 'bool' ? 2 : -1;
    if (slot < 0 || this.internedCount >= MAX_INTERNED_VALUES) return { key, value };
    let byType = this.interned.get(key);
    if (byType === undefined) {
      byType = [new Map(), new Map(), new Map()];
      this.interned.set(key, byType);
    }
    const map = byType[slot]!;
    const primitive = (value as { value: unknown }).value;
    const hit = map.get(primitive);
    if (hit !== undefined) return hit;
    const kv: OtlpKeyValue = Object.freeze({ key, value: Object.freeze(value) });
    map.set(primitive, kv);
    this.internedCount++;
    return kv;
  }

  /** `AnyValue`; proto3 JSON allows at most one oneof member. */
  private anyValue(obj: Json, depth: number): OtlpAnyValue {
    let out: OtlpAnyValue = EMPTY;
    let chosen: string | undefined;
    const take = (name: string, value: OtlpAnyValue): void => {
      if (chosen !== undefined) this.fail('json.value', `an AnyValue has both ${chosen} and ${name}`, name);
      chosen = name;
      out = value;
    };
    for (const [camel, snake] of ANY_VALUE_MEMBERS) {
      const v = field(obj, camel, snake);
      if (v === undefined || v === null) continue;
      switch (camel) {
        case 'stringValue':
          take(camel, { type: 'string', value: this.string(v, camel) });
          break;
        case 'boolValue':
          take(camel, { type: 'bool', value: this.bool(v, camel) });
          break;
        case 'intValue':
          take(camel, { type: 'int', value: this.int64(v, camel, true) });
          break;
        case 'doubleValue':
          take(camel, { type: 'double', value: this.double(v, camel) });
          break;
        case 'bytesValue': {
          const bytes = decodeBase64(this.string(v, camel));
          if (bytes === undefined) this.fail('json.value', 'bytesValue is not base64', camel);
          take(camel, { type: 'bytes', value: bytes });
          break;
        }
        case 'arrayValue':
        case 'kvlistValue': {
          if (depth >= this.budget.maxAttributeDepth) {
            this.fail(
              'limit.depth',
              `an attribute value nests arrays/kvlists more than ${this.budget.maxAttributeDepth} deep`,
              camel,
            );
          }
          const wrapper = this.object(v, camel) ?? {};
          this.path.push(camel);
          if (camel === 'kvlistValue') {
            take(camel, { type: 'kvlist', values: this.attributes(wrapper['values'], 'values', depth + 1) });
          } else {
            const items = this.list(wrapper['values'], 'values');
            this.path.push('values');
            const values: OtlpAnyValue[] = [];
            for (let i = 0; i < items.length; i++) {
              this.element();
              const item = this.object(items[i], i) ?? {};
              this.path.push(i);
              values.push(this.anyValue(item, depth + 1));
              this.path.pop();
            }
            this.path.pop();
            take(camel, { type: 'array', values });
          }
          this.path.pop();
          break;
        }
      }
    }
    return out;
  }
}

const EMPTY: OtlpAnyValue = Object.freeze({ type: 'empty' }) as OtlpAnyValue;
/** Distinct KeyValues interned per request (bounds the cache, not the request). */
const MAX_INTERNED_VALUES = 8192;

const DATA_MEMBERS: readonly (readonly [string, string | undefined, OtlpMetricData['type']])[] = [
  ['gauge', undefined, 'gauge'],
  ['sum', undefined, 'sum'],
  ['histogram', undefined, 'histogram'],
  ['exponentialHistogram', 'exponential_histogram', 'exponentialHistogram'],
  ['summary', undefined, 'summary'],
];

const ANY_VALUE_MEMBERS: readonly (readonly [string, string])[] = [
  ['stringValue', 'string_value'],
  ['boolValue', 'bool_value'],
  ['intValue', 'int_value'],
  ['doubleValue', 'double_value'],
  ['arrayValue', 'array_value'],
  ['kvlistValue', 'kvlist_value'],
  ['bytesValue', 'bytes_value'],
];

const TEMPORALITY_NAMES: ReadonlyMap<string, number> = new Map([
  ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 0],
  ['AGGREGATION_TEMPORALITY_DELTA', 1],
  ['AGGREGATION_TEMPORALITY_CUMULATIVE', 2],
]);

/** Reads a field by its lowerCamelCase name, falling back to the proto field name. */
function field(obj: Json, camel: string, snake: string | undefined): unknown {
  const value = obj[camel];
  return value === undefined && snake !== undefined ? obj[snake] : value;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

// ---------------------------------------------------------------------------------------
// Encoding

/**
 * Encodes the wire model as OTLP/JSON. Defaults are omitted (as proto3 JSON printers do),
 * 64-bit integers are decimal strings, non-finite doubles are "NaN"/"Infinity"/"-Infinity".
 */
export function encodeMetricsRequestJson(request: OtlpMetricsRequest): string {
  return JSON.stringify({ resourceMetrics: request.resourceMetrics.map(resourceMetricsJson) });
}

function resourceMetricsJson(rm: OtlpResourceMetrics): Json {
  const out: Json = {};
  const resource: Json = {};
  if (rm.resource.attributes.length > 0) resource['attributes'] = rm.resource.attributes.map(keyValueJson);
  if (rm.resource.droppedAttributesCount !== 0)
    resource['droppedAttributesCount'] = rm.resource.droppedAttributesCount;
  if (Object.keys(resource).length > 0) out['resource'] = resource;
  if (rm.scopeMetrics.length > 0) out['scopeMetrics'] = rm.scopeMetrics.map(scopeMetricsJson);
  if (rm.schemaUrl !== '') out['schemaUrl'] = rm.schemaUrl;
  return out;
}

function scopeMetricsJson(sm: OtlpScopeMetrics): Json {
  const out: Json = {};
  const scope: Json = {};
  if (sm.scope.name !== '') scope['name'] = sm.scope.name;
  if (sm.scope.version !== '') scope['version'] = sm.scope.version;
  if (sm.scope.attributes.length > 0) scope['attributes'] = sm.scope.attributes.map(keyValueJson);
  if (sm.scope.droppedAttributesCount !== 0)
    scope['droppedAttributesCount'] = sm.scope.droppedAttributesCount;
  if (Object.keys(scope).length > 0) out['scope'] = scope;
  if (sm.metrics.length > 0) out['metrics'] = sm.metrics.map(metricJson);
  if (sm.schemaUrl !== '') out['schemaUrl'] = sm.schemaUrl;
  return out;
}

function metricJson(metric: OtlpMetric): Json {
  const out: Json = {};
  if (metric.name !== '') out['name'] = metric.name;
  if (metric.description !== '') out['description'] = metric.description;
  if (metric.unit !== '') out['unit'] = metric.unit;
  const data = metric.data;
  if (data !== undefined) {
    const body: Json = {};
    switch (data.type) {
      case 'gauge':
      case 'sum':
        if (data.dataPoints.length > 0) body['dataPoints'] = data.dataPoints.map(numberPointJson);
        break;
      case 'histogram':
        if (data.dataPoints.length > 0) body['dataPoints'] = data.dataPoints.map(histogramPointJson);
        break;
      case 'exponentialHistogram':
      case 'summary':
        if (data.dataPoints.length > 0) body['dataPoints'] = data.dataPoints.map(otherPointJson);
        break;
    }
    if (data.type !== 'gauge' && data.type !== 'summary' && data.aggregationTemporality !== 0) {
      body['aggregationTemporality'] = data.aggregationTemporality;
    }
    if (data.type === 'sum' && data.isMonotonic) body['isMonotonic'] = true;
    out[data.type] = body;
  }
  if (metric.metadata.length > 0) out['metadata'] = metric.metadata.map(keyValueJson);
  return out;
}

function int64Json(value: WireInt64): string {
  return String(value);
}

function doubleJson(value: number): number | string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

function commonJson(p: OtlpNumberDataPoint | OtlpHistogramDataPoint | OtlpOtherDataPoint, out: Json): Json {
  if (p.attributes.length > 0) out['attributes'] = p.attributes.map(keyValueJson);
  if (p.startTimeUnixNano !== 0) out['startTimeUnixNano'] = int64Json(p.startTimeUnixNano);
  if (p.timeUnixNano !== 0) out['timeUnixNano'] = int64Json(p.timeUnixNano);
  if (p.flags !== 0) out['flags'] = p.flags;
  return out;
}

function numberPointJson(p: OtlpNumberDataPoint): Json {
  const out = commonJson(p, {});
  if (p.asDouble !== undefined) out['asDouble'] = doubleJson(p.asDouble);
  if (p.asInt !== undefined) out['asInt'] = int64Json(p.asInt);
  return out;
}

function histogramPointJson(p: OtlpHistogramDataPoint): Json {
  const out = commonJson(p, {});
  if (p.count !== 0) out['count'] = int64Json(p.count);
  if (p.sum !== undefined) out['sum'] = doubleJson(p.sum);
  if (p.bucketCounts.length > 0) out['bucketCounts'] = p.bucketCounts.map(int64Json);
  if (p.explicitBounds.length > 0) out['explicitBounds'] = p.explicitBounds.map(doubleJson);
  if (p.min !== undefined) out['min'] = doubleJson(p.min);
  if (p.max !== undefined) out['max'] = doubleJson(p.max);
  return out;
}

function otherPointJson(p: OtlpOtherDataPoint): Json {
  const out = commonJson(p, {});
  if (p.count !== 0) out['count'] = int64Json(p.count);
  return out;
}

function keyValueJson(kv: OtlpKeyValue): Json {
  const out: Json = { key: kv.key };
  if (kv.value.type !== 'empty') out['value'] = anyValueJson(kv.value);
  return out;
}

function anyValueJson(value: OtlpAnyValue): Json {
  switch (value.type) {
    case 'string':
      return { stringValue: value.value };
    case 'bool':
      return { boolValue: value.value };
    case 'int':
      return { intValue: int64Json(value.value) };
    case 'double':
      return { doubleValue: doubleJson(value.value) };
    case 'bytes':
      return { bytesValue: encodeBase64(value.value) };
    case 'array':
      return { arrayValue: { values: value.values.map(anyValueJson) } };
    case 'kvlist':
      return { kvlistValue: { values: value.values.map(keyValueJson) } };
    case 'empty':
      return {};
  }
}

/**
 * Encodes an `ExportMetricsServiceResponse` as JSON: `{}` on full success, else
 * `{"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"..."}}` (int64 as a string).
 */
export function encodeMetricsResponseJson(partial: OtlpPartialSuccess): string {
  if (partial.rejectedDataPoints === 0 && partial.errorMessage === '') return '{}';
  const body: Json = {};
  if (partial.rejectedDataPoints !== 0) body['rejectedDataPoints'] = String(partial.rejectedDataPoints);
  if (partial.errorMessage !== '') body['errorMessage'] = partial.errorMessage;
  return JSON.stringify({ partialSuccess: body });
}

/** Decodes an OTLP/JSON `ExportMetricsServiceResponse` (for clients: the load generator, tests). */
export function decodeMetricsResponseJson(text: string): OtlpResult<OtlpPartialSuccess> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (thrown) {
    return { ok: false, issues: [{ code: 'json.syntax', message: String(thrown) }] };
  }
  try {
    const walker = new JsonWalker({ maxDataPoints: 0, maxElements: 0, maxAttributeDepth: 0 });
    return { ok: true, value: walker.response(parsed) };
  } catch (thrown) {
    if (thrown instanceof JsonError) {
      return { ok: false, issues: [{ code: thrown.code, message: thrown.message, path: thrown.path }] };
    }
    return { ok: false, issues: [{ code: 'internal', message: String(thrown) }] };
  }
}
