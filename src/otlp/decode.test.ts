import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attributesOf, metricOf, requestOf, resourceMetricsOf, scopeMetricsOf } from './build.ts';
import { decodeMetricsJson, decodeMetricsProtobuf, encodeMetricsResponse } from './decode.ts';
import { encodeMetricsRequestJson } from './json-codec.ts';
import { encodeMetricsRequestProtobuf } from './protobuf-codec.ts';

const T = 1_700_000_000_123_456_789n;

const REQUEST = requestOf(
  resourceMetricsOf(
    { 'service.name': 'checkout', 'service.namespace': 'shop', 'service.instance.id': 'pod-1' },
    [
      scopeMetricsOf(
        [
          metricOf(
            'http.server.request.duration',
            {
              type: 'histogram',
              aggregationTemporality: 2,
              dataPoints: [
                {
                  attributes: attributesOf({ 'http.response.status_code': 200, 'http.route': '/pay' }),
                  startTimeUnixNano: T - 60_000_000_000n,
                  timeUnixNano: T,
                  flags: 0,
                  count: 10,
                  sum: 2.5,
                  bucketCounts: [7, 2, 1],
                  explicitBounds: [0.1, 1],
                },
              ],
            },
            { unit: 's' },
          ),
          metricOf('http.server.requests', {
            type: 'sum',
            aggregationTemporality: 1,
            isMonotonic: true,
            dataPoints: [{ attributes: [], startTimeUnixNano: 0, timeUnixNano: T, flags: 0, asInt: 10 }],
          }),
          metricOf('jvm.gc.duration', {
            type: 'exponentialHistogram',
            aggregationTemporality: 2,
            dataPoints: [{ attributes: [], startTimeUnixNano: 0, timeUnixNano: T, flags: 0, count: 3 }],
          }),
        ],
        { name: 'io.opentelemetry.http', version: '2.0.0' },
      ),
    ],
  ),
);

describe('decodeMetricsProtobuf and decodeMetricsJson', () => {
  test('the same request in either encoding gives the same batch', () => {
    const fromProtobuf = decodeMetricsProtobuf(encodeMetricsRequestProtobuf(REQUEST));
    const fromJson = decodeMetricsJson(encodeMetricsRequestJson(REQUEST));
    assert.ok(fromProtobuf.ok);
    assert.deepEqual(fromJson, fromProtobuf);
  });

  test('a realistic request: a histogram, a delta counter and an unsupported exponential histogram', () => {
    const result = decodeMetricsProtobuf(encodeMetricsRequestProtobuf(REQUEST));
    assert.ok(result.ok);
    const { points, rejectedDataPoints, rejections } = result.value;
    assert.deepEqual(points[0], {
      type: 'histogram',
      metric: 'http.server.request.duration',
      promName: 'http_server_request_duration_seconds',
      unit: 's',
      labels: {
        http_response_status_code: '200',
        http_route: '/pay',
        otel_scope_name: 'io.opentelemetry.http',
        otel_scope_version: '2.0.0',
        job: 'shop/checkout',
        instance: 'pod-1',
      },
      startMs: 1_700_000_000_123 - 60_000,
      timeMs: 1_700_000_000_123,
      stale: false,
      temporality: 'cumulative',
      count: 10,
      sum: 2.5,
      explicitBounds: [0.1, 1],
      bucketCounts: [7, 2, 1],
    });
    assert.equal(points[1]?.type === 'sum' && points[1].temporality, 'delta');
    assert.equal(rejectedDataPoints, 1);
    assert.equal(rejections[0]!.code, 'point.unsupported-type');
  });

  test('the batch answers partial success in both encodings', () => {
    const result = decodeMetricsProtobuf(encodeMetricsRequestProtobuf(REQUEST));
    assert.ok(result.ok);
    const json = JSON.parse(encodeMetricsResponse(result.value, 'json'));
    assert.equal(json.partialSuccess.rejectedDataPoints, '1');
    assert.match(json.partialSuccess.errorMessage, /jvm\.gc\.duration/);
    assert.ok(encodeMetricsResponse(result.value, 'protobuf').length > 0);
  });

  test('a limit failure comes back as an issue, never as a throw', () => {
    const result = decodeMetricsJson(encodeMetricsRequestJson(REQUEST), { maxDataPoints: 2 });
    assert.equal(!result.ok && result.issues[0]!.code, 'limit.data-points');
  });

  test('garbage is answered with an issue', () => {
    assert.equal(decodeMetricsProtobuf(new TextEncoder().encode('{"not":"protobuf"}')).ok, false);
    assert.equal(decodeMetricsJson('\u0000').ok, false);
  });

  test('the spec example verbatim: its histogram has 3 buckets for 1 bound, so that point is rejected', () => {
    // opentelemetry-proto examples/metrics.json, unchanged apart from whitespace.
    const example = `{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
      "scopeMetrics":[{"scope":{"name":"my.library","version":"1.0.0","attributes":[{"key":"my.scope.attribute",
      "value":{"stringValue":"some scope attribute"}}]},"metrics":[{"name":"my.counter","unit":"1",
      "description":"I'm a Counter","sum":{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[{"asDouble":5,
      "startTimeUnixNano":1544712660300000000,"timeUnixNano":1544712660300000000,"attributes":[{"key":"my.counter.attr",
      "value":{"stringValue":"some value"}}]}]}},{"name":"my.gauge","unit":"1","description":"I'm a Gauge","gauge":{
      "dataPoints":[{"asDouble":10,"timeUnixNano":1544712660300000000,"attributes":[{"key":"my.gauge.attr",
      "value":{"stringValue":"some value"}}]}]}},{"name":"my.histogram","unit":"1","description":"I'm a Histogram",
      "histogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":1544712660300000000,
      "timeUnixNano":1544712660300000000,"count":3,"sum":3,"bucketCounts":[1,1,1],"explicitBounds":[1],"min":1,"max":1,
      "attributes":[{"key":"my.histogram.attr","value":{"stringValue":"some value"}}]}]}}]}]}]}`;
    const result = decodeMetricsJson(example);
    assert.ok(result.ok);
    const { points, rejectedDataPoints, errorMessage } = result.value;
    // 1544712660300000000 ns = 1544712660300 ms (2018-12-13T14:51:00.300Z).
    assert.deepEqual(
      points.map((p) => [p.promName, p.timeMs, p.labels]),
      [
        [
          'my_counter_total',
          1_544_712_660_300,
          {
            my_counter_attr: 'some value',
            otel_scope_name: 'my.library',
            otel_scope_version: '1.0.0',
            otel_scope_my_scope_attribute: 'some scope attribute',
            job: 'my.service',
          },
        ],
        [
          'my_gauge_ratio',
          1_544_712_660_300,
          {
            my_gauge_attr: 'some value',
            otel_scope_name: 'my.library',
            otel_scope_version: '1.0.0',
            otel_scope_my_scope_attribute: 'some scope attribute',
            job: 'my.service',
          },
        ],
      ],
    );
    assert.equal(rejectedDataPoints, 1);
    assert.match(
      errorMessage,
      /"my\.histogram" \(point\.histogram-shape\): bucket_counts has 3 buckets; 1 explicit_bounds need 2/,
    );
  });
});
