import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goFloat, leMatcher, leVariants, promDurationMinusOneSecond, promNumber } from './promql.ts';

describe('PromQL text', () => {
  test('a range one second short of the window, for subqueries that read window/step steps', () => {
    assert.equal(promDurationMinusOneSecond(5), '4m59s');
    assert.equal(promDurationMinusOneSecond(60), '59m59s');
    assert.equal(promDurationMinusOneSecond(1440), '23h59m59s');
    assert.equal(promDurationMinusOneSecond(28 * 1440), '27d23h59m59s');
  });

  test('numbers lose binary floating-point noise', () => {
    assert.equal(promNumber((0.02 * 30 * 1440) / 60), '14.4');
    assert.equal(promNumber(1 - 0.999), '0.001');
    assert.equal(promNumber(3600), '3600');
  });

  test('bucket bounds are written the way Go writes them', () => {
    // strconv.FormatFloat(v, 'g', -1, 64): exponent form below 1e-4 and from 1e6.
    assert.equal(goFloat(1), '1');
    assert.equal(goFloat(0.25), '0.25');
    assert.equal(goFloat(0.0001), '0.0001');
    assert.equal(goFloat(0.00001), '1e-05');
    assert.equal(goFloat(100000), '100000');
    assert.equal(goFloat(2500000), '2.5e+06');
    assert.equal(goFloat(Number.POSITIVE_INFINITY), '+Inf');
  });

  test('le matches every spelling exporters use for a bound', () => {
    assert.deepEqual(leVariants(1), ['1', '1.0']);
    assert.deepEqual(leVariants(0.25), ['0.25']);
    assert.deepEqual(leVariants(0.00001), ['1e-05', '0.00001']);
    assert.deepEqual(leVariants(2500000), ['2.5e+06', '2500000', '2500000.0']);
    assert.deepEqual(leMatcher(1), { name: 'le', op: '=~', value: '1|1\\.0' });
    assert.equal(leMatcher(2500000).value, '2\\.5e\\+06|2500000|2500000\\.0');
  });

  test('the le regex matches the spellings and not a neighbouring bound', () => {
    const re = new RegExp(`^(?:${leMatcher(1).value})$`);
    assert.ok(re.test('1') && re.test('1.0'));
    assert.ok(!re.test('10') && !re.test('1.05') && !re.test('1x0'));
  });
});
