import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_DECODE_OPTIONS, type OtlpMetricsRequest } from './model.ts';
import {
  decodeMetricsRequestProtobuf,
  decodeMetricsResponseProtobuf,
  encodeMetricsRequestProtobuf,
  encodeMetricsResponseProtobuf,
} from './protobuf-codec.ts';

function hex(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
}

function ascii(text: string): string {
  return [...text].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');
}

/**
 * A tiny request worked out by hand from the protobuf encoding guide (tag = field << 3 |
 * wire type; wire types VARINT 0, I64 1, LEN 2) and the field numbers of metrics.proto:
 *
 *   resource { attributes { key: "service.name" value { string_value: "api" } } }
 *   scope_metrics { metrics { name: "req" sum {
 *     data_points { time_unix_nano: 1700000000123456789 as_int: 7
 *                   attributes { key: "code" value { string_value: "200" } } }
 *     aggregation_temporality: CUMULATIVE (2) is_monotonic: true } } }
 *
 * 1700000000123456789 = 0x17979cfe3d85cd15 (Python `hex()`), little-endian
 * 15 cd 85 3d fe 9c 97 17. Lengths, innermost first:
 *   AnyValue "200"            0a 03 '200'                    =  5
 *   KeyValue code             0a 04 'code' + 12 05 (5)       = 13
 *   NumberDataPoint           19 (8) + 31 (8) + 3a 0d (13)   = 33
 *   Sum                       0a 21 (33) + 10 02 + 18 01     = 39
 *   Metric                    0a 03 'req' + 3a 27 (39)       = 46
 *   ScopeMetrics              12 2e (46)                     = 48
 *   KeyValue service.name     0a 0c 'service.name' + 12 05 (0a 03 'api') = 21
 *   Resource                  0a 15 (21)                     = 23
 *   ResourceMetrics           0a 17 (23) + 12 30 (48)        = 75
 *   ExportMetricsServiceRequest 0a 4b (75)                   = 77
 */
const GOLDEN = hex(`
  0a 4b                                   # resource_metrics, 75 bytes
    0a 17                                 # resource, 23 bytes
      0a 15                               # attributes, 21 bytes
        0a 0c ${ascii('service.name')}
        12 05 0a 03 ${ascii('api')}
    12 30                                 # scope_metrics, 48 bytes
      12 2e                               # metrics, 46 bytes
        0a 03 ${ascii('req')}
        3a 27                             # sum (field 7), 39 bytes
          0a 21                           # data_points, 33 bytes
            19 15 cd 85 3d fe 9c 97 17    # time_unix_nano (field 3, fixed64)
            31 07 00 00 00 00 00 00 00    # as_int (field 6, sfixed64) = 7
            3a 0d                         # attributes (field 7), 13 bytes
              0a 04 ${ascii('code')}
              12 05 0a 03 ${ascii('200')}
          10 02                           # aggregation_temporality = CUMULATIVE
          18 01                           # is_monotonic = true
`);

const GOLDEN_REQUEST: OtlpMetricsRequest = {
  resourceMetrics: [
    {
      resource: {
        attributes: [{ key: 'service.name', value: { type: 'string', value: 'api' } }],
        droppedAttributesCount: 0,
      },
      scopeMetrics: [
        {
          scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
          metrics: [
            {
              name: 'req',
              description: '',
              unit: '',
              metadata: [],
              data: {
                type: 'sum',
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [
                  {
                    attributes: [{ key: 'code', value: { type: 'string', value: '200' } }],
                    startTimeUnixNano: 0,
                    timeUnixNano: 1_700_000_000_123_456_789n,
                    asInt: 7,
                    flags: 0,
                  },
                ],
              },
            },
          ],
          schemaUrl: '',
        },
      ],
      schemaUrl: '',
    },
  ],
};

const decode = (bytes: Uint8Array) => decodeMetricsRequestProtobuf(bytes, DEFAULT_DECODE_OPTIONS);

function issueOf(bytes: Uint8Array, options = DEFAULT_DECODE_OPTIONS) {
  const result = decodeMetricsRequestProtobuf(bytes, options);
  assert.equal(result.ok, false, 'expected the decode to fail');
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.issues.length, 1);
  return result.issues[0]!;
}

describe('golden bytes', () => {
  test('the hand-encoded request is 77 bytes', () => {
    assert.equal(GOLDEN.length, 77);
  });

  test('encoding the tiny request gives exactly the hand-worked bytes', () => {
    assert.deepEqual(encodeMetricsRequestProtobuf(GOLDEN_REQUEST), GOLDEN);
  });

  test('decoding the hand-worked bytes gives the tiny request', () => {
    assert.deepEqual(decode(GOLDEN), { ok: true, value: GOLDEN_REQUEST });
  });

  test('an empty body is an empty request (proto3: every field at its default)', () => {
    assert.deepEqual(decode(new Uint8Array()), { ok: true, value: { resourceMetrics: [] } });
  });
});

describe('protobuf rules for readers', () => {
  test('unknown fields of every wire type are skipped', () => {
    // Before the request's field 1: field 15 varint 150, field 16 fixed64, field 17 LEN "xy", field 18 fixed32.
    const unknown = hex('78 96 01  81 01 0102030405060708  8a 01 02 7879  95 01 01020304');
    const result = decode(Uint8Array.from([...unknown, ...GOLDEN]));
    assert.deepEqual(result, { ok: true, value: GOLDEN_REQUEST });
  });

  test('concatenated requests merge: their resource_metrics lists are appended', () => {
    const result = decode(Uint8Array.from([...GOLDEN, ...GOLDEN]));
    assert.ok(result.ok);
    assert.equal(result.value.resourceMetrics.length, 2);
  });

  test('a sum sent in two pieces merges its data points; the later scalar fields win', () => {
    // Metric { name "m", sum { data_points {} temporality DELTA }, sum { data_points {} temporality CUMULATIVE } }
    const metric = hex(`0a 01 6d  3a 04 0a 00 10 01  3a 04 0a 00 10 02`);
    const body = [0x0a, metric.length + 4, 0x12, metric.length + 2, 0x12, metric.length];
    const result = decode(Uint8Array.from([...body, ...metric]));
    assert.ok(result.ok);
    const data = result.value.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
    assert.equal(data?.type, 'sum');
    assert.equal(data?.dataPoints.length, 2);
    assert.equal(data?.type === 'sum' && data.aggregationTemporality, 2);
  });

  test('bucket_counts and explicit_bounds are read packed and unpacked alike', () => {
    // HistogramDataPoint { bucket_counts: 1 (unpacked), bucket_counts: [2] (packed), explicit_bounds: 0.5 (unpacked) }
    const point = hex('31 0100000000000000  32 08 0200000000000000  39 000000000000e03f');
    const histogram = Uint8Array.from([0x0a, point.length, ...point]);
    const metric = Uint8Array.from([0x4a, histogram.length, ...histogram]);
    const scope = Uint8Array.from([0x12, metric.length, ...metric]);
    const rm = Uint8Array.from([0x12, scope.length, ...scope]);
    const result = decode(Uint8Array.from([0x0a, rm.length, ...rm]));
    assert.ok(result.ok);
    const data = result.value.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
    assert.ok(data?.type === 'histogram');
    assert.deepEqual(data.dataPoints[0]!.bucketCounts, [1, 2]);
    assert.deepEqual(data.dataPoints[0]!.explicitBounds, [0.5]);
  });

  test('as_double after as_int replaces it: the value oneof keeps the last member', () => {
    const point = hex('31 0700000000000000  21 000000000000f83f'); // as_int 7, then as_double 1.5
    const result = decodePoint(point);
    assert.equal(result.asDouble, 1.5);
    assert.equal(result.asInt, undefined);
  });

  test('an as_int of 2^53 + 1 is kept exactly as a bigint', () => {
    // 2^53 + 1 = 0x0020_0000_0000_0001, little-endian 01 00 00 00 00 00 20 00.
    const point = hex('31 01 00 00 00 00 00 20 00');
    assert.equal(decodePoint(point).asInt, 2n ** 53n + 1n);
  });
});

/** Wraps NumberDataPoint bytes in a gauge request and returns the decoded point. */
function decodePoint(point: Uint8Array) {
  const gauge = Uint8Array.from([0x0a, point.length, ...point]);
  const metric = Uint8Array.from([0x2a, gauge.length, ...gauge]);
  const scope = Uint8Array.from([0x12, metric.length, ...metric]);
  const rm = Uint8Array.from([0x12, scope.length, ...scope]);
  const result = decode(Uint8Array.from([0x0a, rm.length, ...rm]));
  assert.ok(result.ok);
  const data = result.value.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
  assert.ok(data?.type === 'gauge');
  return data.dataPoints[0]!;
}

describe('malformed bodies are answered with a located issue', () => {
  test('a body cut inside a length-delimited field', () => {
    const issue = issueOf(GOLDEN.subarray(0, 40));
    assert.equal(issue.code, 'protobuf.length');
    assert.equal(issue.offset, 1, 'the outer length prefix at offset 1 promises 75 bytes');
  });

  test('a body cut inside a varint tag', () => {
    const issue = issueOf(hex('80'));
    assert.equal(issue.code, 'protobuf.truncated');
    assert.equal(issue.offset, 0);
  });

  test('a known field with the wrong wire type', () => {
    // resource_metrics (field 1) sent as a varint: tag 08.
    const issue = issueOf(hex('08 01'));
    assert.equal(issue.code, 'protobuf.wire-type');
    assert.match(issue.message, /resource_metrics/);
  });

  test('a start-group wire type', () => {
    assert.equal(issueOf(hex('0b')).code, 'protobuf.wire-type');
  });

  test('wire type 7, which does not exist', () => {
    assert.equal(issueOf(hex('0f')).code, 'protobuf.wire-type');
  });

  test('a packed explicit_bounds whose length is not a multiple of 8', () => {
    const point = hex('3a 03 000000');
    const histogram = Uint8Array.from([0x0a, point.length, ...point]);
    const metric = Uint8Array.from([0x4a, histogram.length, ...histogram]);
    const scope = Uint8Array.from([0x12, metric.length, ...metric]);
    const rm = Uint8Array.from([0x12, scope.length, ...scope]);
    assert.equal(issueOf(Uint8Array.from([0x0a, rm.length, ...rm])).code, 'protobuf.length');
  });
});

describe('limits', () => {
  test('more data points than maxDataPoints fails the request with limit.data-points', () => {
    const issue = issueOf(GOLDEN, { ...DEFAULT_DECODE_OPTIONS, maxDataPoints: 0 });
    assert.equal(issue.code, 'limit.data-points');
  });

  test('more objects than maxElements fails with limit.elements', () => {
    // 1 resource, 1 attribute, 1 scope, 1 metric, 1 point, 1 attribute = 6 objects.
    assert.ok(decodeMetricsRequestProtobuf(GOLDEN, { ...DEFAULT_DECODE_OPTIONS, maxElements: 6 }).ok);
    assert.equal(issueOf(GOLDEN, { ...DEFAULT_DECODE_OPTIONS, maxElements: 5 }).code, 'limit.elements');
  });

  test('an attribute nesting arrays deeper than maxAttributeDepth fails with limit.depth', () => {
    // KeyValue { key "k" value: array [ array [ array [] ] ] }: three levels of array_value.
    let value = hex('2a 00'); // AnyValue { array_value {} }
    for (let i = 0; i < 2; i++)
      value = Uint8Array.from([0x2a, value.length + 2, 0x0a, value.length, ...value]);
    const kv = Uint8Array.from([0x0a, 0x01, 0x6b, 0x12, value.length, ...value]);
    const resource = Uint8Array.from([0x0a, kv.length, ...kv]);
    const rm = Uint8Array.from([0x0a, resource.length, ...resource]);
    const body = Uint8Array.from([0x0a, rm.length, ...rm]);
    assert.ok(decodeMetricsRequestProtobuf(body, { ...DEFAULT_DECODE_OPTIONS, maxAttributeDepth: 3 }).ok);
    assert.equal(issueOf(body, { ...DEFAULT_DECODE_OPTIONS, maxAttributeDepth: 2 }).code, 'limit.depth');
  });
});

describe('ExportMetricsServiceResponse', () => {
  test('full success is the empty message: partial_success stays unset', () => {
    assert.deepEqual(
      encodeMetricsResponseProtobuf({ rejectedDataPoints: 0, errorMessage: '' }),
      new Uint8Array(),
    );
  });

  test('3 rejected points with message "x" encode by hand to 0a 05 08 03 12 01 78', () => {
    // partial_success (field 1, LEN 5) { rejected_data_points (1, varint) 3, error_message (2, LEN 1) "x" }
    const bytes = encodeMetricsResponseProtobuf({ rejectedDataPoints: 3, errorMessage: 'x' });
    assert.deepEqual(bytes, hex('0a 05 08 03 12 01 78'));
    assert.deepEqual(decodeMetricsResponseProtobuf(bytes), {
      ok: true,
      value: { rejectedDataPoints: 3, errorMessage: 'x' },
    });
  });

  test('a warning with nothing rejected sets only error_message', () => {
    assert.deepEqual(
      encodeMetricsResponseProtobuf({ rejectedDataPoints: 0, errorMessage: 'x' }),
      hex('0a 03 12 01 78'),
    );
  });
});
