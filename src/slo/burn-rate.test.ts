import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  burnRate,
  confidenceZ,
  errorBudgetRatio,
  normalQuantile,
  wilsonLowerBound,
  wilsonUpperBound,
} from './burn-rate.ts';
import { assertClose } from './test-support.ts';

describe('error budget ratio', () => {
  test('decimal objectives give decimal budgets: 99.9% leaves exactly 0.001', () => {
    assert.equal(errorBudgetRatio(0.999), 0.001);
    assert.equal(errorBudgetRatio(0.99999), 0.00001);
    assert.equal(errorBudgetRatio(0.9), 0.1);
  });
});

describe('burn rate', () => {
  test('a window without traffic burns nothing', () => {
    assert.equal(burnRate(0, 0, 0.001), 0);
  });

  test('an error ratio equal to the budget burns at rate 1', () => {
    assertClose(burnRate(1, 1000, 0.001), 1);
  });

  test('a 90% SLO can burn at most 10x, even when every request fails', () => {
    // SRE Workbook: with e = 0.1, a 100% error ratio is a burn rate of 1 / 0.1 = 10.
    assertClose(burnRate(500, 500, errorBudgetRatio(0.9)), 10);
  });

  test('a 99.999% SLO burns at 14.4 with an error ratio of only 0.0144%', () => {
    assertClose(burnRate(144, 1_000_000, errorBudgetRatio(0.99999)), 14.4);
  });
});

describe('Wilson score bound', () => {
  test('the normal quantile of 0.975 is 1.959964', () => {
    assertClose(normalQuantile(0.975), 1.959963985, 1e-8);
    assertClose(normalQuantile(0.025), -1.959963985, 1e-8);
    assertClose(normalQuantile(0.5), 0, 1e-12);
    assertClose(normalQuantile(0.001), -3.090232306, 1e-8);
    assertClose(confidenceZ(0.95), 1.959963985, 1e-8);
  });

  test('0 failures in 10 has a 95% upper bound of 0.2775', () => {
    // Wilson (1927); the textbook interval for 0/10 at 95% is [0, 0.2775].
    assertClose(wilsonUpperBound(0, 10, confidenceZ(0.95)), 0.2775, 1e-3);
  });

  test('5 failures in 10 has a 95% upper bound of 0.7634', () => {
    // Textbook Wilson interval for 5/10 at 95%: [0.2366, 0.7634].
    assertClose(wilsonUpperBound(5, 10, confidenceZ(0.95)), 0.7634, 1e-3);
    assertClose(wilsonLowerBound(5, 10, confidenceZ(0.95)), 0.2366, 1e-3);
    assert.equal(wilsonLowerBound(0, 10, confidenceZ(0.95)), 0);
  });

  test('the bound tightens towards the observed ratio as traffic grows', () => {
    const z = confidenceZ(0.95);
    const small = wilsonUpperBound(10, 1000, z);
    const large = wilsonUpperBound(10_000, 1_000_000, z);
    assert.ok(small > large && large > 0.01);
    assertClose(large, 0.01, 0.03);
  });

  test('no traffic gives a bound of 0, never NaN', () => {
    assert.equal(wilsonUpperBound(0, 0, 1.96), 0);
  });
});
