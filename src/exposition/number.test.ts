import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatCanonicalFloat,
  formatMsAsSeconds,
  formatValue,
  parseFloatToken,
  parseInt64,
  parseSecondsToMs,
} from './number.ts';

const float = (text: string, allowHex = false) => parseFloatToken(text, 0, text.length, allowHex);
const seconds = (text: string) => parseSecondsToMs(text, 0, text.length);
const int64 = (text: string) => parseInt64(text, 0, text.length);

describe('canonical numbers for le and quantile (OpenMetrics "Canonical Numbers")', () => {
  test('0.0 to 10.0 render like the spec examples', () => {
    const spec = [
      '0.0',
      '0.001',
      '0.002',
      '0.01',
      '0.1',
      '0.9',
      '0.95',
      '0.99',
      '0.999',
      '1.0',
      '1.7',
      '10.0',
    ];
    for (const text of spec) assert.equal(formatCanonicalFloat(Number(text)), text);
  });

  test('powers of ten switch to exponents below 1e-4 and from 1e+06, as in the spec', () => {
    const spec = ['1e-10', '1e-09', '1e-05', '0.0001', '0.1', '1.0', '100000.0', '1e+06', '1e+10'];
    for (const text of spec) assert.equal(formatCanonicalFloat(Number(text)), text);
  });

  test('the histogram example values keep their written form', () => {
    for (const text of ['1e+23', '1.1e+23', '+Inf'])
      assert.equal(formatCanonicalFloat(float(text) as number), text);
  });

  test('1 and 1.0 and 1e0 canonicalise to the same string', () => {
    assert.equal(formatCanonicalFloat(float('1') as number), '1.0');
    assert.equal(formatCanonicalFloat(float('1e0') as number), '1.0');
    assert.equal(formatCanonicalFloat(float('1.000') as number), '1.0');
  });

  test('non-canonical input like 1.1e-4 is accepted and rendered canonically', () => {
    assert.equal(formatCanonicalFloat(float('1.1e-4') as number), '0.00011');
  });
});

describe('sample values', () => {
  test('OpenMetrics numbers: decimals, exponents, leading zeros, case-insensitive inf and nan', () => {
    assert.equal(float('0042'), 42);
    assert.equal(float('8903.123421'), 8903.123421);
    assert.equal(float('1.89e-7'), 1.89e-7);
    assert.equal(float('1.'), 1);
    assert.equal(float('.5'), 0.5);
    assert.equal(float('-.5E3'), -500);
    assert.equal(float('+Inf'), Number.POSITIVE_INFINITY);
    assert.equal(float('-infinity'), Number.NEGATIVE_INFINITY);
    assert.equal(float('INF'), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(float('NaN')));
    assert.ok(Number.isNaN(float('nan')));
  });

  test('malformed numbers are rejected', () => {
    for (const text of [
      '',
      '+',
      '.',
      'e5',
      '1e',
      '1e+',
      '1..2',
      '1,5',
      '0x1p-3',
      '+nan',
      'infin',
      '1_000',
      '1e400',
    ]) {
      assert.equal(float(text), undefined, text);
    }
  });

  test('hex floats are Prometheus (Go ParseFloat) only', () => {
    assert.equal(float('0x1p-3', true), 0.125);
    assert.equal(float('-0X1.8P1', true), -3);
    assert.equal(float('0x1', true), undefined);
  });

  test('values format so that they read back exactly', () => {
    for (const value of [0, -0, 1, -1.5, 0.1, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 1 / 3]) {
      assert.ok(Object.is(float(formatValue(value)), value), String(value));
    }
    assert.equal(formatValue(Number.POSITIVE_INFINITY), '+Inf');
    assert.equal(formatValue(Number.NEGATIVE_INFINITY), '-Inf');
    assert.equal(formatValue(Number.NaN), 'NaN');
  });
});

describe('timestamps', () => {
  test('OpenMetrics seconds become exact milliseconds', () => {
    // 1520879607.789 s × 1000 is 1520879607789 ms; a float multiply gives ...789.0002.
    assert.equal(seconds('1520879607.789'), 1520879607789);
    assert.equal(seconds('123'), 123000);
    assert.equal(seconds('-1.5'), -1500);
    assert.equal(seconds('1.520879607789e9'), 1520879607789);
    assert.equal(seconds('0.0005'), 0.5);
  });

  test('OpenMetrics timestamps are real numbers only', () => {
    for (const text of ['NaN', '+Inf', '-Inf', 'abc', '1e']) assert.equal(seconds(text), undefined, text);
  });

  test('Prometheus timestamps are int64 milliseconds', () => {
    assert.equal(int64('1395066363000'), 1395066363000);
    assert.equal(int64('-3982045'), -3982045);
    assert.equal(int64('+5'), 5);
    assert.equal(int64('9223372036854775807'), 2 ** 63); // the nearest float64
    assert.equal(int64('9223372036854775808'), undefined);
    assert.equal(int64('-9223372036854775808'), -(2 ** 63));
    assert.equal(int64('1.5'), undefined);
    assert.equal(int64('1e3'), undefined);
  });

  test('milliseconds format as seconds that read back to the same milliseconds', () => {
    assert.equal(formatMsAsSeconds(1520879607789), '1520879607.789');
    assert.equal(formatMsAsSeconds(1520879607000), '1520879607');
    assert.equal(formatMsAsSeconds(5), '0.005');
    assert.equal(formatMsAsSeconds(-1500), '-1.5');
    for (const ms of [0.5, 1604676851123.4568, 1e25, 1e-20, -7, 123456789012345.67]) {
      const text = formatMsAsSeconds(ms);
      assert.equal(seconds(text), ms, text);
    }
  });
});
