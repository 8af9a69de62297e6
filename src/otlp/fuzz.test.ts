/**
 * Property tests: any request survives encode -> decode unchanged in both encodings, both
 * encodings normalize to the same batch, and any mutation or truncation of a valid body
 * is answered (ok, or located issues) without a throw, an internal error or a slow decode.
 * Seeded; FUZZ_RUNS / FUZZ_SEED search longer or elsewhere (see test/support/fuzz.ts).
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../../test/support/fuzz.ts';
import { decodeMetricsJson, decodeMetricsProtobuf } from './decode.ts';
import { decodeMetricsRequestJson, encodeMetricsRequestJson } from './json-codec.ts';
import { jsonErrorOffset } from './json-syntax.ts';
import {
  DEFAULT_DECODE_OPTIONS,
  ISSUE_CODES,
  type OtlpAnyValue,
  type OtlpHistogramDataPoint,
  type OtlpKeyValue,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  type OtlpOtherDataPoint,
  type OtlpResult,
  type WireInt64,
} from './model.ts';
import { decodeMetricsRequestProtobuf, encodeMetricsRequestProtobuf } from './protobuf-codec.ts';

/** Per-input time bound; FUZZ_MAX_MS loosens it on a slow or busy machine. */
const MAX_MS = Number(process.env['FUZZ_MAX_MS'] ?? 500);

// ---------------------------------------------------------------------------------------
// Arbitrary requests, in the canonical form decoders produce.

const canonical = (value: bigint): WireInt64 => (Number.isSafeInteger(Number(value)) ? Number(value) : value);

const int64 = fc
  .oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -1000n, max: 1000n }))
  .map(canonical);
const uint64 = fc
  .oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 1000n }))
  .map(canonical);
const nanos = fc.oneof(
  fc.constant<WireInt64>(0),
  fc.bigInt({ min: 1_500_000_000_000_000_000n, max: 1_900_000_000_000_000_000n }).map(canonical),
  uint64,
);
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const text = fc.string({ unit: 'grapheme', maxLength: 12 });

const anyValue: fc.Arbitrary<OtlpAnyValue> = fc.letrec<{ value: OtlpAnyValue; kv: OtlpKeyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((value) => ({ type: 'string', value }) as const),
    fc.boolean().map((value) => ({ type: 'bool', value }) as const),
    int64.map((value) => ({ type: 'int', value }) as const),
    fc.double().map((value) => ({ type: 'double', value }) as const),
    fc.uint8Array({ maxLength: 8 }).map((value) => ({ type: 'bytes', value }) as const),
    fc.constant({ type: 'empty' } as const),
    fc.array(tie('value'), { maxLength: 3 }).map((values) => ({ type: 'array', values }) as const),
    fc.array(tie('kv'), { maxLength: 3 }).map((values) => ({ type: 'kvlist', values }) as const),
  ),
  kv: fc.record({ key: text, value: tie('value') }),
})).value;

const attributes = fc.array(fc.record({ key: text, value: anyValue }), { maxLength: 4 });

const common = { attributes, startTimeUnixNano: nanos, timeUnixNano: nanos, flags: uint32 };

const numberPoint: fc.Arbitrary<OtlpNumberDataPoint> = fc
  .tuple(
    fc.record(common),
    fc.oneof(
      fc.constant({}),
      fc.double().map((asDouble) => ({ asDouble })),
      int64.map((asInt) => ({ asInt })),
    ),
  )
  .map(([point, value]) => ({ ...point, ...value }));

const histogramPoint: fc.Arbitrary<OtlpHistogramDataPoint> = fc
  .record({
    ...common,
    count: uint64,
    bucketCounts: fc.array(uint64, { maxLength: 4 }),
    explicitBounds: fc.array(fc.double(), { maxLength: 3 }),
    sum: fc.option(fc.double(), { nil: undefined }),
    min: fc.option(fc.double(), { nil: undefined }),
    max: fc.option(fc.double(), { nil: undefined }),
  })
  .map(({ sum, min, max, ...rest }) => {
    const out: OtlpHistogramDataPoint = rest;
    if (sum !== undefined) out.sum = sum;
    if (min !== undefined) out.min = min;
    if (max !== undefined) out.max = max;
    return out;
  });

const otherPoint: fc.Arbitrary<OtlpOtherDataPoint> = fc.record({ ...common, count: uint64 });
const temporality = fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const points = <T>(point: fc.Arbitrary<T>) => fc.array(point, { maxLength: 3 });

const metricData: fc.Arbitrary<OtlpMetricData> = fc.oneof(
  points(numberPoint).map((dataPoints) => ({ type: 'gauge', dataPoints }) as const),
  fc
    .record({
      dataPoints: points(numberPoint),
      aggregationTemporality: temporality,
      isMonotonic: fc.boolean(),
    })
    .map((d) => ({ type: 'sum', ...d }) as const),
  fc
    .record({ dataPoints: points(histogramPoint), aggregationTemporality: temporality })
    .map((d) => ({ type: 'histogram', ...d }) as const),
  fc
    .record({ dataPoints: points(otherPoint), aggregationTemporality: temporality })
    .map((d) => ({ type: 'exponentialHistogram', ...d }) as const),
  points(otherPoint).map((dataPoints) => ({ type: 'summary', dataPoints }) as const),
);

const metric: fc.Arbitrary<OtlpMetric> = fc
  .record({
    name: fc.oneof(text, fc.constantFrom('http.server.request.duration', 'rpc.calls')),
    description: text,
    unit: fc.oneof(text, fc.constantFrom('s', 'By/s', '{request}', '1')),
    data: fc.option(metricData, { nil: undefined }),
    metadata: attributes,
  })
  .map((m) => {
    if (m.data !== undefined) return m;
    const { data: _, ...rest } = m;
    return rest;
  });

const request: fc.Arbitrary<OtlpMetricsRequest> = fc.record({
  resourceMetrics: fc.array(
    fc.record({
      resource: fc.record({
        attributes: fc.oneof(
          attributes,
          fc.constant<OtlpKeyValue[]>([{ key: 'service.name', value: { type: 'string', value: 'svc' } }]),
        ),
        droppedAttributesCount: uint32,
      }),
      scopeMetrics: fc.array(
        fc.record({
          scope: fc.record({ name: text, version: text, attributes, droppedAttributesCount: uint32 }),
          metrics: fc.array(metric, { maxLength: 3 }),
          schemaUrl: text,
        }),
        { maxLength: 2 },
      ),
      schemaUrl: text,
    }),
    { maxLength: 2 },
  ),
});

// ---------------------------------------------------------------------------------------
// Round trips

describe('round trips', () => {
  test('protobuf: decode(encode(request)) is the request', () => {
    fc.assert(
      fc.property(request, (req) => {
        const decoded = decodeMetricsRequestProtobuf(
          encodeMetricsRequestProtobuf(req),
          DEFAULT_DECODE_OPTIONS,
        );
        // structuredClone: fast-check records have a null prototype, decoded objects do not.
        assert.deepStrictEqual(decoded, { ok: true, value: structuredClone(req) });
      }),
      fuzzParameters(300),
    );
  });

  test('JSON: decode(encode(request)) is the request', () => {
    fc.assert(
      fc.property(request, (req) => {
        const decoded = decodeMetricsRequestJson(encodeMetricsRequestJson(req), DEFAULT_DECODE_OPTIONS);
        // structuredClone: fast-check records have a null prototype, decoded objects do not.
        assert.deepStrictEqual(decoded, { ok: true, value: structuredClone(req) });
      }),
      fuzzParameters(300),
    );
  });

  test('both encodings of a request normalize to the same batch', () => {
    fc.assert(
      fc.property(request, (req) => {
        const fromProtobuf = decodeMetricsProtobuf(encodeMetricsRequestProtobuf(req));
        const fromJson = decodeMetricsJson(encodeMetricsRequestJson(req));
        assert.deepStrictEqual(fromJson, fromProtobuf);
        assert.ok(fromProtobuf.ok || fromProtobuf.issues[0]!.code === 'limit.labels');
        if (fromProtobuf.ok) {
          const { points, rejectedDataPoints, rejections } = fromProtobuf.value;
          assert.equal(
            rejections.reduce((n, r) => n + r.dataPoints, 0),
            rejectedDataPoints,
          );
          assert.equal(points.length + rejectedDataPoints, countPoints(req));
        }
      }),
      fuzzParameters(300),
    );
  });
});

function countPoints(req: OtlpMetricsRequest): number {
  let n = 0;
  for (const rm of req.resourceMetrics)
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.data?.dataPoints.length ?? 0;
  return n;
}

// ---------------------------------------------------------------------------------------
// Mutations

/** A mutation as data, so a failure prints a readable, replayable case. */
type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    // Bytes that matter to the wire format: continuation bits, big lengths, groups, field 0.
    bytes: fc.array(fc.oneof(fc.constantFrom(0x80, 0xff, 0x0b, 0x0c, 0x00, 0x7f, 0x0a, 0x12), fc.nat(255)), {
      minLength: 1,
      maxLength: 6,
    }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 64 }),
  }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = [...bytes];
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    switch (m.kind) {
      case 'truncate':
        out = out.slice(0, at);
        break;
      case 'flip':
        if (at < out.length) out[at] = out[at]! ^ m.mask;
        break;
      case 'insert':
        out.splice(at, 0, ...m.bytes);
        break;
      case 'delete':
        out.splice(at, m.length);
        break;
      case 'duplicate':
        out.splice(at, 0, ...out.slice(at, at + m.length));
        break;
    }
  }
  return Uint8Array.from(out);
}

/** JSON-significant fragments spliced into text. */
const JSON_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  'null',
  '-',
  '1e999',
  '99999999999999999999999',
  '\\u00',
  '"x":',
  '{}',
];

type TextMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; drop: number; token: string };

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    drop: fc.integer({ min: 0, max: 4 }),
    token: fc.constantFrom(...JSON_TOKENS),
  }),
);

function mutateText(source: string, mutations: readonly TextMutation[]): string {
  let out = source;
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    out = m.kind === 'truncate' ? out.slice(0, at) : out.slice(0, at) + m.token + out.slice(at + m.drop);
  }
  return out;
}

/** Checks that a decode answered properly and quickly; returns its result. */
function answered<T>(decode: () => OtlpResult<T>, length: number): OtlpResult<T> {
  const started = performance.now();
  const result = decode();
  const ms = performance.now() - started;
  assert.ok(ms < MAX_MS, `decode took ${ms.toFixed(0)} ms`);
  if (result.ok) return result;
  assert.ok(result.issues.length > 0);
  for (const issue of result.issues) {
    assert.notEqual(issue.code, 'internal', issue.message);
    assert.ok(issue.code in ISSUE_CODES, issue.code);
    if (issue.offset !== undefined)
      assert.ok(issue.offset >= 0 && issue.offset <= length, `offset ${issue.offset}`);
  }
  return result;
}

describe('mutated and truncated bodies are answered, never thrown', () => {
  test('protobuf', () => {
    fc.assert(
      fc.property(request, fc.array(mutation, { minLength: 1, maxLength: 4 }), (req, mutations) => {
        const body = mutate(encodeMetricsRequestProtobuf(req), mutations);
        answered(() => decodeMetricsProtobuf(body, { maxDataPoints: 50, maxElements: 2000 }), body.length);
      }),
      fuzzParameters(1000),
    );
  });

  test('protobuf: random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (body) => {
        answered(() => decodeMetricsProtobuf(body), body.length);
      }),
      fuzzParameters(1000),
    );
  });

  test('JSON', () => {
    fc.assert(
      fc.property(request, fc.array(textMutation, { minLength: 1, maxLength: 4 }), (req, mutations) => {
        const body = mutateText(encodeMetricsRequestJson(req), mutations);
        const result = answered(
          () => decodeMetricsJson(body, { maxDataPoints: 50, maxElements: 2000 }),
          body.length,
        );
        // The offset finder and V8's JSON.parse must agree on what is JSON.
        const syntaxError = !result.ok && result.issues[0]!.code === 'json.syntax';
        assert.equal(syntaxError, jsonErrorOffset(body) !== undefined);
      }),
      fuzzParameters(1000),
    );
  });

  test('a body of one million empty data points stops at the point limit, quickly', () => {
    // gauge { data_points {} x N }: each empty point is 2 bytes (0a 00).
    const n = 1_000_000;
    const gauge = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) gauge[2 * i] = 0x0a;
    const wrap = (field: number, inner: Uint8Array): Uint8Array => {
      const header: number[] = [(field << 3) | 2];
      let len = inner.length;
      for (; len >= 0x80; len >>>= 7) header.push((len & 0x7f) | 0x80);
      header.push(len);
      const out = new Uint8Array(header.length + inner.length);
      out.set(header);
      out.set(inner, header.length);
      return out;
    };
    const body = wrap(1, wrap(2, wrap(2, wrap(5, gauge))));
    const started = performance.now();
    const result = decodeMetricsProtobuf(body);
    assert.ok(performance.now() - started < 2000);
    assert.equal(!result.ok && result.issues[0]!.code, 'limit.data-points');
  });
});
