import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AttributeInput,
  attributesOf,
  metricOf,
  requestOf,
  resourceMetricsOf,
  scopeMetricsOf,
} from './build.ts';
import {
  type OtlpDecodeOptions,
  type OtlpHistogramDataPoint,
  type OtlpMetricData,
  type OtlpMetricsBatch,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  resolveOptions,
} from './model.ts';
import { nanosToMs, normalizeMetricsRequest } from './normalize.ts';

/** 2023-11-14T22:13:20.123456789Z in Unix nanoseconds; 1700000000123 ms. */
const T = 1_700_000_000_123_456_789n;

function numberPoint(fields: Partial<OtlpNumberDataPoint> & { attrs?: Record<string, AttributeInput> } = {}) {
  const { attrs = {}, ...rest } = fields;
  return { attributes: attributesOf(attrs), startTimeUnixNano: 0, timeUnixNano: T, flags: 0, ...rest };
}

function histogramPoint(fields: Partial<OtlpHistogramDataPoint> = {}): OtlpHistogramDataPoint {
  return {
    attributes: [],
    startTimeUnixNano: 0,
    timeUnixNano: T,
    flags: 0,
    count: 0,
    bucketCounts: [],
    explicitBounds: [],
    ...fields,
  };
}

/** One resource, one scope, the given metrics. */
function single(
  data: OtlpMetricData | OtlpMetricData[],
  resource: Record<string, AttributeInput> = { 'service.name': 'api' },
  name = 'm',
): OtlpMetricsRequest {
  const list = Array.isArray(data) ? data : [data];
  return requestOf(
    resourceMetricsOf(resource, [scopeMetricsOf(list.map((d, i) => metricOf(`${name}${i || ''}`, d)))]),
  );
}

function normalize(request: OtlpMetricsRequest, options: OtlpDecodeOptions = {}): OtlpMetricsBatch {
  const result = normalizeMetricsRequest(request, resolveOptions(options));
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.issues));
  return result.value;
}

const gauge = (...points: OtlpNumberDataPoint[]): OtlpMetricData => ({ type: 'gauge', dataPoints: points });

describe('labels from the resource (spec: Resource Attributes)', () => {
  test('service.namespace/service.name become job and service.instance.id becomes instance', () => {
    const batch = normalize(
      single(gauge(numberPoint({ asDouble: 1 })), {
        'service.name': 'checkout',
        'service.namespace': 'shop',
        'service.instance.id': 'pod-7',
      }),
    );
    assert.deepEqual(batch.points[0]!.labels, { job: 'shop/checkout', instance: 'pod-7' });
  });

  test('job is service.name alone when the namespace is empty', () => {
    const batch = normalize(
      single(gauge(numberPoint({ asDouble: 1 })), { 'service.name': 'a', 'service.namespace': '' }),
    );
    assert.deepEqual(batch.points[0]!.labels, { job: 'a' });
  });

  test('without service.name there is no job label', () => {
    const batch = normalize(single(gauge(numberPoint({ asDouble: 1 })), { 'service.namespace': 'shop' }));
    assert.deepEqual(batch.points[0]!.labels, {});
  });

  test('other resource attributes are dropped by default', () => {
    const batch = normalize(
      single(gauge(numberPoint({ asDouble: 1 })), { 'service.name': 'a', 'host.name': 'h1' }),
    );
    assert.deepEqual(batch.points[0]!.labels, { job: 'a' });
  });

  test('promoted resource attributes become labels but never override a point attribute', () => {
    const request = single(gauge(numberPoint({ asDouble: 1, attrs: { region: 'from-point' } })), {
      'service.name': 'a',
      'deployment.environment.name': 'prod',
      region: 'from-resource',
      'host.name': 'h1',
    });
    const listed = normalize(request, {
      promoteResourceAttributes: ['deployment.environment.name', 'region'],
    });
    assert.deepEqual(listed.points[0]!.labels, {
      region: 'from-point',
      job: 'a',
      deployment_environment_name: 'prod',
    });
    const all = normalize(request, { promoteResourceAttributes: 'all' });
    assert.equal(all.points[0]!.labels['host_name'], 'h1');
  });

  test('job and instance win over point attributes of the same name', () => {
    const request = single(gauge(numberPoint({ asDouble: 1, attrs: { job: 'x', instance: 'y' } })), {
      'service.name': 'a',
      'service.instance.id': 'i',
    });
    assert.deepEqual(normalize(request).points[0]!.labels, { job: 'a', instance: 'i' });
  });
});

describe('labels from the scope (spec: Instrumentation Scope)', () => {
  const request = requestOf(
    resourceMetricsOf({}, [
      scopeMetricsOf(
        [metricOf('m', gauge(numberPoint({ asDouble: 1 })))],
        {
          name: 'io.otel.http',
          version: '1.2.0',
          attributes: attributesOf({ 'library.mascot': 'bear', name: 'shadow' }),
        },
        'https://opentelemetry.io/schemas/1.31.0',
      ),
    ]),
  );

  test('name, version, schema URL and prefixed attributes become otel_scope_* labels', () => {
    assert.deepEqual(normalize(request).points[0]!.labels, {
      otel_scope_name: 'io.otel.http',
      otel_scope_version: '1.2.0',
      otel_scope_schema_url: 'https://opentelemetry.io/schemas/1.31.0',
      otel_scope_library_mascot: 'bear',
    });
  });

  test('scopeLabels: false leaves them out', () => {
    assert.deepEqual(normalize(request, { scopeLabels: false }).points[0]!.labels, {});
  });
});

describe('labels from point attributes (spec: Metric Attributes)', () => {
  test('attributes of every AnyValue type become strings', () => {
    const attrs = {
      's.str': 'x',
      bool: true,
      int: 200,
      big: 2n ** 62n,
      dbl: 0.25,
      nan: Number.NaN,
      arr: ['a', 1, null],
      map: { k: false },
      bin: new Uint8Array([0xff, 0x00]),
      none: null,
    };
    const batch = normalize(single(gauge(numberPoint({ asDouble: 1, attrs })), {}));
    assert.deepEqual(batch.points[0]!.labels, {
      s_str: 'x',
      bool: 'true',
      int: '200',
      big: '4611686018427387904',
      dbl: '0.25',
      nan: 'NaN',
      arr: '["a",1,null]',
      map: '{"k":false}',
      bin: '/wA=', // 0xff 0x00 -> 111111 110000 0000(00) -> "/", "w", "A", "="
      none: '',
    });
  });

  test('keys that sanitize to one label join their values with ; in original key order', () => {
    // Original keys sort as "a-b" (0x2d) < "a.b" (0x2e) < "a_b" (0x5f).
    const attrs = { 'a.b': 'first', a_b: 'second', 'a-b': 'third' };
    const batch = normalize(single(gauge(numberPoint({ asDouble: 1, attrs })), {}));
    assert.deepEqual(batch.points[0]!.labels, { a_b: 'third;first;second' });
  });

  test('a point attribute that collides with a scope label is joined with it too', () => {
    const request = requestOf(
      resourceMetricsOf({}, [
        scopeMetricsOf(
          [metricOf('m', gauge(numberPoint({ asDouble: 1, attrs: { 'otel.scope.name': 'p' } })))],
          {
            name: 's',
          },
        ),
      ]),
    );
    // "otel.scope.name" < "otel_scope_name": the attribute's value comes first.
    assert.deepEqual(normalize(request).points[0]!.labels, { otel_scope_name: 'p;s' });
  });

  test('attributes with an empty key are dropped', () => {
    const batch = normalize(single(gauge(numberPoint({ asDouble: 1, attrs: { '': 'x', ok: 'y' } })), {}));
    assert.deepEqual(batch.points[0]!.labels, { ok: 'y' });
  });

  test('a point with more labels than maxLabelsPerPoint fails the request with limit.labels', () => {
    const attrs = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'v']));
    const request = single(gauge(numberPoint({ asDouble: 1, attrs })), { 'service.name': 'a' });
    assert.ok(normalizeMetricsRequest(request, resolveOptions({ maxLabelsPerPoint: 6 })).ok);
    const result = normalizeMetricsRequest(request, resolveOptions({ maxLabelsPerPoint: 5 }));
    assert.equal(!result.ok && result.issues[0]!.code, 'limit.labels');
  });
});

describe('sums', () => {
  test('a cumulative monotonic sum is a counter: cumulative, monotonic, _total', () => {
    const data: OtlpMetricData = {
      type: 'sum',
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: [numberPoint({ asInt: 42, startTimeUnixNano: 1_699_999_999_000_000_001n })],
    };
    const [point] = normalize(single(data, {}, 'http.server.requests')).points;
    assert.deepEqual(point, {
      type: 'sum',
      metric: 'http.server.requests',
      promName: 'http_server_requests_total',
      unit: '',
      labels: {},
      timeMs: 1_700_000_000_123,
      startMs: 1_699_999_999_000,
      stale: false,
      temporality: 'cumulative',
      monotonic: true,
      value: 42,
    });
  });

  test('a delta monotonic sum keeps its temporality', () => {
    const data: OtlpMetricData = {
      type: 'sum',
      aggregationTemporality: 1,
      isMonotonic: true,
      dataPoints: [numberPoint({ asDouble: 3 })],
    };
    const [point] = normalize(single(data)).points;
    assert.equal(point?.type === 'sum' && point.temporality, 'delta');
  });

  test('a non-monotonic sum has no _total suffix', () => {
    const data: OtlpMetricData = {
      type: 'sum',
      aggregationTemporality: 2,
      isMonotonic: false,
      dataPoints: [numberPoint({ asDouble: -3 })],
    };
    const [point] = normalize(single(data, {}, 'queue.size')).points;
    assert.equal(point?.promName, 'queue_size');
    assert.equal(point?.type === 'sum' && point.monotonic, false);
  });

  test('AGGREGATION_TEMPORALITY_UNSPECIFIED rejects every point of the metric', () => {
    const data: OtlpMetricData = {
      type: 'sum',
      aggregationTemporality: 0,
      isMonotonic: true,
      dataPoints: [numberPoint({ asInt: 1 }), numberPoint({ asInt: 2 })],
    };
    const batch = normalize(single(data));
    assert.equal(batch.points.length, 0);
    assert.equal(batch.rejectedDataPoints, 2);
    assert.equal(batch.rejections[0]!.code, 'point.temporality');
  });
});

describe('histograms', () => {
  const histogram = (...points: OtlpHistogramDataPoint[]): OtlpMetricData => ({
    type: 'histogram',
    aggregationTemporality: 2,
    dataPoints: points,
  });

  test('explicit bounds and bucket counts pass through with count, sum, min and max', () => {
    const p = histogramPoint({
      count: 6,
      sum: 1.5,
      bucketCounts: [1, 2, 3],
      explicitBounds: [0.1, 0.5],
      min: 0.01,
      max: 2,
    });
    const [point] = normalize(single(histogram(p), {}, 'rpc.duration')).points;
    assert.ok(point?.type === 'histogram');
    assert.equal(point.promName, 'rpc_duration');
    assert.deepEqual(
      {
        count: point.count,
        sum: point.sum,
        min: point.min,
        max: point.max,
        b: point.bucketCounts,
        e: point.explicitBounds,
      },
      { count: 6, sum: 1.5, min: 0.01, max: 2, b: [1, 2, 3], e: [0.1, 0.5] },
    );
  });

  test('a histogram with only count and sum is accepted with empty buckets', () => {
    const [point] = normalize(single(histogram(histogramPoint({ count: 4, sum: 2 })))).points;
    assert.ok(point?.type === 'histogram');
    assert.deepEqual([point.count, point.bucketCounts], [4, []]);
  });

  const invalid: [string, Partial<OtlpHistogramDataPoint>, RegExp][] = [
    [
      'buckets not one more than bounds',
      { count: 3, bucketCounts: [1, 1, 1], explicitBounds: [1] },
      /3 buckets; 1/,
    ],
    ['bounds without buckets', { explicitBounds: [1] }, /bucket_counts is empty/],
    [
      'bounds not strictly increasing',
      { count: 3, bucketCounts: [1, 1, 1], explicitBounds: [1, 1] },
      /index 1/,
    ],
    ['a NaN bound', { count: 2, bucketCounts: [1, 1], explicitBounds: [Number.NaN] }, /NaN/],
    [
      'buckets not adding up to count',
      { count: 5, bucketCounts: [1, 1], explicitBounds: [1] },
      /add up to 2 but count is 5/,
    ],
  ];
  for (const [name, fields, message] of invalid) {
    test(`${name} is rejected with point.histogram-shape`, () => {
      const batch = normalize(single(histogram(histogramPoint(fields))));
      assert.equal(batch.points.length, 0);
      assert.equal(batch.rejections[0]!.code, 'point.histogram-shape');
      assert.match(batch.rejections[0]!.message, message);
    });
  }

  test('a bucket count beyond 2^53 is rejected, not rounded', () => {
    const p = histogramPoint({ count: 2n ** 53n + 1n, bucketCounts: [2n ** 53n + 1n], explicitBounds: [] });
    const batch = normalize(single(histogram(p)));
    assert.equal(batch.rejections[0]!.code, 'point.int-precision');
  });
});

describe('number points', () => {
  test('as_int beyond 2^53 rejects that point and keeps the others', () => {
    const batch = normalize(single(gauge(numberPoint({ asInt: 2n ** 53n + 1n }), numberPoint({ asInt: 5 }))));
    assert.deepEqual(
      batch.points.map((p) => p.type === 'gauge' && p.value),
      [5],
    );
    assert.equal(batch.rejectedDataPoints, 1);
    assert.deepEqual(batch.rejections[0]!.path, [
      'resourceMetrics',
      0,
      'scopeMetrics',
      0,
      'metrics',
      0,
      'gauge',
      'dataPoints',
      0,
    ]);
    assert.equal(
      batch.errorMessage,
      'rejected 1 of 2 data points: 1 of "m" (point.int-precision): An integer (as_int, count or a bucket count) is beyond 2^53 and cannot be counted exactly.',
    );
  });

  test('NO_RECORDED_VALUE makes a stale point with a NaN value, even without a value', () => {
    const [point] = normalize(single(gauge(numberPoint({ flags: 1 })))).points;
    assert.ok(point?.type === 'gauge');
    assert.equal(point.stale, true);
    assert.ok(Number.isNaN(point.value));
  });

  test('a point with neither as_double nor as_int is rejected', () => {
    assert.equal(normalize(single(gauge(numberPoint()))).rejections[0]!.code, 'point.no-value');
  });

  test('a point with time_unix_nano 0 is rejected', () => {
    assert.equal(
      normalize(single(gauge(numberPoint({ asInt: 1, timeUnixNano: 0 })))).rejections[0]!.code,
      'point.no-time',
    );
  });

  test('a metric without a name has all its points rejected', () => {
    const request = requestOf(
      resourceMetricsOf({}, [scopeMetricsOf([metricOf('', gauge(numberPoint({ asInt: 1 })))])]),
    );
    assert.equal(normalize(request).rejections[0]!.code, 'metric.no-name');
  });
});

describe('unsupported types', () => {
  test('exponential histogram and summary points are counted as rejected, per metric', () => {
    const other = { attributes: [], startTimeUnixNano: 0, timeUnixNano: T, flags: 0, count: 1 };
    const request = single([
      { type: 'exponentialHistogram', aggregationTemporality: 2, dataPoints: [other, other] },
      { type: 'summary', dataPoints: [other] },
      gauge(numberPoint({ asInt: 1 })),
    ]);
    const batch = normalize(request);
    assert.equal(batch.points.length, 1);
    assert.equal(batch.rejectedDataPoints, 3);
    assert.deepEqual(
      batch.rejections.map((r) => [r.code, r.metric, r.dataPoints]),
      [
        ['point.unsupported-type', 'm', 2],
        ['point.unsupported-type', 'm1', 1],
      ],
    );
    assert.match(batch.errorMessage, /^rejected 3 of 4 data points: 2 of "m" \(point.unsupported-type\)/);
  });

  test('a fully accepted batch has no error message', () => {
    const batch = normalize(single(gauge(numberPoint({ asInt: 1 }))));
    assert.deepEqual([batch.rejectedDataPoints, batch.errorMessage, batch.rejections], [0, '', []]);
  });
});

describe('nanoseconds to milliseconds', () => {
  test('1700000000123456789 ns is 1700000000123 ms exactly', () => {
    assert.equal(nanosToMs(1_700_000_000_123_456_789n), 1_700_000_000_123);
  });

  test('the last nanosecond before a millisecond boundary floors down', () => {
    assert.equal(nanosToMs(1_700_000_000_123_999_999n), 1_700_000_000_123);
    // Largest safe integer below a ms boundary: 9007199254 ms * 1e6 - 1 < 2^53.
    assert.equal(nanosToMs(9_007_199_253_999_999), 9_007_199_253);
    assert.equal(nanosToMs(999_999), 0);
  });
});
