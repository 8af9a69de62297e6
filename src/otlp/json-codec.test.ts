import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeMetricsRequestJson,
  decodeMetricsResponseJson,
  encodeMetricsRequestJson,
  encodeMetricsResponseJson,
} from './json-codec.ts';
import { DEFAULT_DECODE_OPTIONS, type OtlpNumberDataPoint } from './model.ts';

const decode = (text: string) => decodeMetricsRequestJson(text, DEFAULT_DECODE_OPTIONS);

function issueOf(text: string, options = DEFAULT_DECODE_OPTIONS) {
  const result = decodeMetricsRequestJson(text, options);
  assert.equal(result.ok, false, 'expected the decode to fail');
  if (result.ok) throw new Error('unreachable');
  return result.issues[0]!;
}

/** A gauge request around one data point given as JSON. */
function gaugeWith(point: string): string {
  return `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[${point}]}}]}]}]}`;
}

function firstPoint(text: string): OtlpNumberDataPoint {
  const result = decode(text);
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.issues));
  const data = result.value.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
  assert.ok(data?.type === 'gauge' || data?.type === 'sum');
  return data.dataPoints[0]!;
}

describe('the spec example (opentelemetry-proto examples/metrics.json)', () => {
  // Timestamps as bare JSON numbers, as in the example; 1544712660300000000 > 2^53.
  const EXAMPLE = `{
    "resourceMetrics": [{
      "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "my.service" } }] },
      "scopeMetrics": [{
        "scope": { "name": "my.library", "version": "1.0.0",
          "attributes": [{ "key": "my.scope.attribute", "value": { "stringValue": "some scope attribute" } }] },
        "metrics": [
          { "name": "my.counter", "unit": "1", "description": "I am a Counter",
            "sum": { "aggregationTemporality": 1, "isMonotonic": true,
              "dataPoints": [{ "asDouble": 5, "startTimeUnixNano": 1544712660300000000,
                "timeUnixNano": 1544712660300000000,
                "attributes": [{ "key": "my.counter.attr", "value": { "stringValue": "some value" } }] }] } },
          { "name": "my.gauge", "unit": "1", "description": "I am a Gauge",
            "gauge": { "dataPoints": [{ "asDouble": 10, "timeUnixNano": 1544712660300000000,
              "attributes": [{ "key": "my.gauge.attr", "value": { "stringValue": "some value" } }] }] } },
          { "name": "my.histogram", "unit": "1", "description": "I am a Histogram",
            "histogram": { "aggregationTemporality": 1,
              "dataPoints": [{ "startTimeUnixNano": 1544712660300000000, "timeUnixNano": 1544712660300000000,
                "count": 2, "sum": 2, "bucketCounts": [1, 1], "explicitBounds": [1], "min": 0, "max": 2,
                "attributes": [{ "key": "my.histogram.attr", "value": { "stringValue": "some value" } }] }] } }
        ]
      }]
    }]
  }`;

  test('decodes resource, scope and the three metrics with exact nanosecond timestamps', () => {
    const result = decode(EXAMPLE);
    assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.issues));
    const rm = result.value.resourceMetrics[0]!;
    assert.deepEqual(rm.resource.attributes, [
      { key: 'service.name', value: { type: 'string', value: 'my.service' } },
    ]);
    const sm = rm.scopeMetrics[0]!;
    assert.equal(sm.scope.name, 'my.library');
    assert.equal(sm.scope.version, '1.0.0');
    const [counter, gauge, histogram] = sm.metrics;
    assert.deepEqual(counter?.data, {
      type: 'sum',
      aggregationTemporality: 1,
      isMonotonic: true,
      dataPoints: [
        {
          attributes: [{ key: 'my.counter.attr', value: { type: 'string', value: 'some value' } }],
          startTimeUnixNano: 1_544_712_660_300_000_000n,
          timeUnixNano: 1_544_712_660_300_000_000n,
          flags: 0,
          asDouble: 5,
        },
      ],
    });
    assert.equal(gauge?.data?.type, 'gauge');
    assert.deepEqual(histogram?.data?.type === 'histogram' && histogram.data.dataPoints[0], {
      attributes: [{ key: 'my.histogram.attr', value: { type: 'string', value: 'some value' } }],
      startTimeUnixNano: 1_544_712_660_300_000_000n,
      timeUnixNano: 1_544_712_660_300_000_000n,
      flags: 0,
      count: 2,
      bucketCounts: [1, 1],
      explicitBounds: [1],
      sum: 2,
      min: 0,
      max: 2,
    });
  });
});

describe('64-bit integers', () => {
  test('a nanosecond string is read exactly, not through a double', () => {
    // 1700000000123456789 is 0x17979cfe3d85cd15: 61 bits, beyond a double's 53.
    const p = firstPoint(gaugeWith('{"timeUnixNano":"1700000000123456789","asDouble":1}'));
    assert.equal(p.timeUnixNano, 1_700_000_000_123_456_789n);
  });

  test('a nanosecond JSON number is read exactly too (its source text is kept)', () => {
    const p = firstPoint(gaugeWith('{"timeUnixNano":1700000000123456789,"asDouble":1}'));
    assert.equal(p.timeUnixNano, 1_700_000_000_123_456_789n);
  });

  test('asInt is accepted as a string and as a number', () => {
    assert.equal(firstPoint(gaugeWith('{"timeUnixNano":"1","asInt":"-42"}')).asInt, -42);
    assert.equal(firstPoint(gaugeWith('{"timeUnixNano":"1","asInt":-42}')).asInt, -42);
  });

  test('asInt beyond 2^53 stays exact, as a string or a number', () => {
    assert.equal(
      firstPoint(gaugeWith('{"timeUnixNano":"1","asInt":"9007199254740993"}')).asInt,
      2n ** 53n + 1n,
    );
    assert.equal(
      firstPoint(gaugeWith('{"timeUnixNano":"1","asInt":9007199254740993}')).asInt,
      2n ** 53n + 1n,
    );
  });

  test('a big integer inside a string value is left alone', () => {
    const text = `{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":{"stringValue":"id: 12345678901234567890"}}]}}]}`;
    const result = decode(text);
    assert.ok(result.ok);
    assert.deepEqual(result.value.resourceMetrics[0]!.resource.attributes[0]!.value, {
      type: 'string',
      value: 'id: 12345678901234567890',
    });
  });

  test('an int64 outside the int64 range is refused with its path', () => {
    const issue = issueOf(gaugeWith('{"timeUnixNano":"1","asInt":"9223372036854775808"}'));
    assert.equal(issue.code, 'json.value');
    assert.deepEqual(issue.path, [
      'resourceMetrics',
      0,
      'scopeMetrics',
      0,
      'metrics',
      0,
      'gauge',
      'dataPoints',
      0,
      'asInt',
    ]);
  });

  test('a negative fixed64 timestamp is refused', () => {
    assert.equal(issueOf(gaugeWith('{"timeUnixNano":"-1"}')).code, 'json.value');
  });

  test('a non-integer string where an int64 belongs is refused', () => {
    assert.equal(issueOf(gaugeWith('{"timeUnixNano":"12x"}')).code, 'json.value');
    assert.equal(issueOf(gaugeWith('{"timeUnixNano":1.5}')).code, 'json.value');
  });
});

describe('proto3 JSON mapping', () => {
  test('unknown fields are ignored at every level', () => {
    const text = `{"future":1,"resourceMetrics":[{"x":{},"scopeMetrics":[{"y":[],"metrics":[{"name":"g","z":"?",
      "gauge":{"w":null,"dataPoints":[{"timeUnixNano":"5","asDouble":1,"exemplars":[{"spanId":"00"}],"v":true}]}}]}]}]}`;
    const p = firstPoint(text);
    assert.equal(p.timeUnixNano, 5);
    assert.equal(p.asDouble, 1);
  });

  test('null means the default value', () => {
    const p = firstPoint(gaugeWith('{"timeUnixNano":"5","asDouble":2,"attributes":null,"flags":null}'));
    assert.deepEqual(p.attributes, []);
    assert.equal(p.flags, 0);
  });

  test('original proto field names are accepted beside lowerCamelCase', () => {
    const text = `{"resource_metrics":[{"scope_metrics":[{"metrics":[{"name":"s","sum":{"aggregation_temporality":2,
      "is_monotonic":true,"data_points":[{"time_unix_nano":"7","as_int":"3"}]}}]}]}]}`;
    const result = decode(text);
    assert.ok(result.ok);
    const data = result.value.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
    assert.ok(data?.type === 'sum');
    assert.equal(data.aggregationTemporality, 2);
    assert.equal(data.isMonotonic, true);
    assert.equal(data.dataPoints[0]!.asInt, 3);
  });

  test('doubles may be the strings NaN, Infinity, -Infinity or a decimal', () => {
    assert.ok(Number.isNaN(firstPoint(gaugeWith('{"timeUnixNano":"1","asDouble":"NaN"}')).asDouble));
    assert.equal(firstPoint(gaugeWith('{"timeUnixNano":"1","asDouble":"-Infinity"}')).asDouble, -Infinity);
    assert.equal(firstPoint(gaugeWith('{"timeUnixNano":"1","asDouble":"2.5"}')).asDouble, 2.5);
  });

  test('an enum name is accepted beside its integer', () => {
    const text = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"s","sum":{
      "aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE"}}]}]}]}`;
    const result = decode(text);
    assert.ok(result.ok);
    const data = result.value.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data;
    assert.equal(data?.type === 'sum' && data.aggregationTemporality, 2);
  });

  test('every AnyValue type decodes, bytes from base64', () => {
    const text = `{"resourceMetrics":[{"resource":{"attributes":[
      {"key":"s","value":{"stringValue":"x"}},
      {"key":"b","value":{"boolValue":true}},
      {"key":"i","value":{"intValue":"-7"}},
      {"key":"d","value":{"doubleValue":0.5}},
      {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"y"},{}]}}},
      {"key":"m","value":{"kvlistValue":{"values":[{"key":"n","value":{"intValue":1}}]}}},
      {"key":"y","value":{"bytesValue":"aGk="}},
      {"key":"e","value":{}},
      {"key":"none"}]}}]}`;
    const result = decode(text);
    assert.ok(result.ok);
    assert.deepEqual(result.value.resourceMetrics[0]!.resource.attributes, [
      { key: 's', value: { type: 'string', value: 'x' } },
      { key: 'b', value: { type: 'bool', value: true } },
      { key: 'i', value: { type: 'int', value: -7 } },
      { key: 'd', value: { type: 'double', value: 0.5 } },
      { key: 'a', value: { type: 'array', values: [{ type: 'string', value: 'y' }, { type: 'empty' }] } },
      { key: 'm', value: { type: 'kvlist', values: [{ key: 'n', value: { type: 'int', value: 1 } }] } },
      { key: 'y', value: { type: 'bytes', value: new TextEncoder().encode('hi') } },
      { key: 'e', value: { type: 'empty' } },
      { key: 'none', value: { type: 'empty' } },
    ]);
  });
});

describe('bad JSON is answered with a located issue', () => {
  test('a syntax error gives its character offset', () => {
    const issue = issueOf('{"resourceMetrics": [}');
    assert.equal(issue.code, 'json.syntax');
    assert.equal(issue.offset, 21);
  });

  test('a list where an object belongs gives the field path', () => {
    const issue = issueOf('{"resourceMetrics":[{"resource":[]}]}');
    assert.equal(issue.code, 'json.type');
    assert.deepEqual(issue.path, ['resourceMetrics', 0, 'resource']);
  });

  test('two members of the data oneof are refused', () => {
    const issue = issueOf('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{},"sum":{}}]}]}]}');
    assert.equal(issue.code, 'json.value');
    assert.deepEqual(issue.path, ['resourceMetrics', 0, 'scopeMetrics', 0, 'metrics', 0, 'sum']);
  });

  test('bytesValue that is not base64 is refused', () => {
    const issue = issueOf(
      '{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":{"bytesValue":"a*"}}]}}]}',
    );
    assert.equal(issue.code, 'json.value');
    assert.deepEqual(issue.path, ['resourceMetrics', 0, 'resource', 'attributes', 0, 'value', 'bytesValue']);
  });

  test('a top-level array is a type error, not a crash', () => {
    assert.equal(issueOf('[]').code, 'json.type');
    assert.equal(issueOf('42').code, 'json.type');
  });

  test('more data points than the limit fails with limit.data-points', () => {
    const issue = issueOf(gaugeWith('{},{}'), { ...DEFAULT_DECODE_OPTIONS, maxDataPoints: 1 });
    assert.equal(issue.code, 'limit.data-points');
    assert.deepEqual(issue.path, [
      'resourceMetrics',
      0,
      'scopeMetrics',
      0,
      'metrics',
      0,
      'gauge',
      'dataPoints',
    ]);
  });

  test('arrays nested deeper than maxAttributeDepth fail with limit.depth', () => {
    const nested = '{"arrayValue":{"values":['.repeat(3) + ']}}'.repeat(3);
    const text = `{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":${nested}}]}}]}`;
    assert.ok(decodeMetricsRequestJson(text, { ...DEFAULT_DECODE_OPTIONS, maxAttributeDepth: 3 }).ok);
    assert.equal(issueOf(text, { ...DEFAULT_DECODE_OPTIONS, maxAttributeDepth: 2 }).code, 'limit.depth');
  });

  test('100 000 nested brackets are answered, not thrown', () => {
    const result = decode('['.repeat(100_000) + ']'.repeat(100_000));
    assert.equal(result.ok, false);
  });
});

describe('encoding', () => {
  test('int64 values are written as decimal strings and non-finite doubles by name', () => {
    const text = encodeMetricsRequestJson({
      resourceMetrics: [
        {
          resource: { attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeMetrics: [
            {
              scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
              schemaUrl: '',
              metrics: [
                {
                  name: 'g',
                  description: '',
                  unit: '',
                  metadata: [],
                  data: {
                    type: 'gauge',
                    dataPoints: [
                      {
                        attributes: [],
                        startTimeUnixNano: 0,
                        timeUnixNano: 1_700_000_000_123_456_789n,
                        flags: 0,
                        asDouble: Number.NaN,
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(
      text,
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[{"timeUnixNano":"1700000000123456789","asDouble":"NaN"}]}}]}]}]}',
    );
  });

  test('the response is {} on full success and carries rejectedDataPoints as a string otherwise', () => {
    assert.equal(encodeMetricsResponseJson({ rejectedDataPoints: 0, errorMessage: '' }), '{}');
    const text = encodeMetricsResponseJson({ rejectedDataPoints: 3, errorMessage: 'x' });
    assert.equal(text, '{"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"x"}}');
    assert.deepEqual(decodeMetricsResponseJson(text), {
      ok: true,
      value: { rejectedDataPoints: 3, errorMessage: 'x' },
    });
  });
});
