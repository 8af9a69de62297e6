import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anyValueOf } from './build.ts';
import type { OtlpAnyValue } from './model.ts';
import { anyValueToString, labelName, prometheusMetricName } from './prometheus-names.ts';

const HELLO_WORLD = new TextEncoder().encode('hello world');

describe('attribute values as label values (spec: AnyValue representation for non-OTLP protocols)', () => {
  const cases: [string, OtlpAnyValue, string][] = [
    ['a string as-is, unquoted', { type: 'string', value: 'hello world' }, 'hello world'],
    ['the empty string', { type: 'string', value: '' }, ''],
    ['a boolean as a JSON boolean', { type: 'bool', value: false }, 'false'],
    ['an integer as a JSON number', { type: 'int', value: -123 }, '-123'],
    ['an int64 beyond 2^53 exactly', { type: 'int', value: 2n ** 63n - 1n }, '9223372036854775807'],
    ['a double as a JSON number', { type: 'double', value: 2.5e-7 }, '2.5e-7'],
    ['NaN bare', { type: 'double', value: Number.NaN }, 'NaN'],
    ['-Infinity bare', { type: 'double', value: Number.NEGATIVE_INFINITY }, '-Infinity'],
    ['bytes as base64 (the spec example)', { type: 'bytes', value: HELLO_WORLD }, 'aGVsbG8gd29ybGQ='],
    ['the empty value as the empty string', { type: 'empty' }, ''],
  ];
  for (const [name, value, expected] of cases) {
    test(name, () => assert.equal(anyValueToString(value), expected));
  }

  test('the spec array example: [1, "-Infinity", "a", true, {"nested": "aGVsbG8gd29ybGQ="}]', () => {
    const value = anyValueOf([1, Number.NEGATIVE_INFINITY, 'a', true, { nested: HELLO_WORLD }]);
    assert.equal(anyValueToString(value), '[1,"-Infinity","a",true,{"nested":"aGVsbG8gd29ybGQ="}]');
  });

  test('the spec map example: {"a": "-Infinity", "b": 2, "c": [3, null]}', () => {
    const value = anyValueOf({ a: Number.NEGATIVE_INFINITY, b: 2, c: [3, null] });
    assert.equal(anyValueToString(value), '{"a":"-Infinity","b":2,"c":[3,null]}');
  });

  test('strings inside arrays are JSON-escaped', () => {
    assert.equal(anyValueToString(anyValueOf(['say "hi"\n'])), '["say \\"hi\\"\\n"]');
  });
});

describe('label names', () => {
  test('dots become underscores: http.response.status_code', () => {
    assert.equal(labelName('http.response.status_code'), 'http_response_status_code');
  });

  test('runs of invalid characters and underscores collapse to one underscore', () => {
    assert.equal(labelName('a..b__c/-d'), 'a_b_c_d');
  });

  test('a leading digit gets key_ (otlptranslator: "123invalid" -> "key_123invalid")', () => {
    assert.equal(labelName('123invalid'), 'key_123invalid');
  });

  test('a leading underscore gets key, so __name__ cannot be forged', () => {
    assert.equal(labelName('_private'), 'key_private');
    assert.equal(labelName('__name__'), 'key_name_');
  });

  test('non-ASCII letters are invalid label characters', () => {
    assert.equal(labelName('größe'), 'gr_e');
  });
});

describe('metric names (spec: OTLP Metric points to Prometheus, Metric Metadata)', () => {
  const cases: [string, string, Parameters<typeof prometheusMetricName>[2], string][] = [
    // Examples from prometheus/otlptranslator's documentation.
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['requests.count', '1', 'counter', 'requests_count_total'],
    ['memory.usage', 'By', 'gauge', 'memory_usage_bytes'],
    ['network.io', 'By/s', 'sum', 'network_io_bytes_per_second'],
    // Gauges in unit "1" are ratios.
    ['system.cpu.utilization', '1', 'gauge', 'system_cpu_utilization_ratio'],
    // Bracketed units are annotations and are dropped.
    ['http.server.active_requests', '{request}', 'sum', 'http_server_active_requests'],
    ['packets', '{packet}/s', 'gauge', 'packets_per_second'],
    // A name already ending in its unit or its type suffix keeps a single copy.
    ['process.runtime.seconds', 's', 'gauge', 'process_runtime_seconds'],
    ['requests_total', '', 'counter', 'requests_total'],
    ['io_bytes', 'By/s', 'gauge', 'io_bytes_per_second'],
    ['latency_seconds_total', 's', 'counter', 'latency_seconds_total'],
    // Units outside the table are kept, sanitized.
    ['queue.depth', 'msg', 'gauge', 'queue_depth_msg'],
    // The spec table: TiBy is tebibytes.
    ['disk.size', 'TiBy', 'gauge', 'disk_size_tebibytes'],
    // Units are looked up as data: Object.prototype's names are just unknown units (found by fuzzing).
    ['m', 'valueOf', 'gauge', 'm_valueOf'],
    ['m', 'x/constructor', 'gauge', 'm_x_per_constructor'],
    // Invalid characters, collapsed; a leading digit gets an underscore.
    ['2xx.responses', '', 'counter', '_2xx_responses_total'],
    ['a..b__c', '', 'gauge', 'a_b_c'],
  ];
  for (const [name, unit, kind, expected] of cases) {
    test(`${name} [${unit}] as ${kind} is ${expected}`, () => {
      assert.equal(prometheusMetricName(name, unit, kind), expected);
    });
  }
});
