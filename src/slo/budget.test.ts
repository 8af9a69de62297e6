import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { occurrencesBudget, ratioTimeslicesBudget, summarizeSlices, timeslicesBudget } from './budget.ts';
import { errorBudgetRatio } from './burn-rate.ts';
import { assertClose, seriesOf } from './test-support.ts';

describe('occurrences budget', () => {
  test('a million requests at 99.9% allow 1,000 bad ones; 250 bad use a quarter', () => {
    const b = occurrencesBudget(250, 1_000_000, errorBudgetRatio(0.999));
    assertClose(b.total, 1000);
    assert.equal(b.consumed, 250);
    assertClose(b.remaining, 750);
    assertClose(b.consumedRatio, 0.25);
    assertClose(b.remainingRatio, 0.75);
  });

  test('an overspent budget reports below zero instead of clamping', () => {
    const b = occurrencesBudget(1500, 1_000_000, errorBudgetRatio(0.999));
    assertClose(b.remainingRatio, -0.5);
    assertClose(b.remaining, -500);
  });

  test('no traffic consumes nothing and leaves the whole budget', () => {
    assert.deepEqual(occurrencesBudget(0, 0, 0.001), {
      total: 0,
      consumed: 0,
      remaining: 0,
      consumedRatio: 0,
      remainingRatio: 1,
    });
  });
});

describe('timeslices budget', () => {
  test('a 28d SLO at 99.9% has 40.32 minutes of budget', () => {
    // 28 * 1440 = 40,320 minutes; 0.1% of that is 40.32.
    assertClose(timeslicesBudget(0, 28 * 1440, errorBudgetRatio(0.999)).total, 40.32);
  });

  test('a 30d SLO at 99.9% has 43.2 minutes of budget', () => {
    assertClose(timeslicesBudget(0, 30 * 1440, errorBudgetRatio(0.999)).total, 43.2);
  });

  test('a 30d SLO at 99.999% has 25.92 seconds of budget', () => {
    // SRE Workbook: five nines leave about 26 seconds a month; 43,200 min * 0.00001 = 0.432 min.
    assertClose(timeslicesBudget(0, 30 * 1440, errorBudgetRatio(0.99999)).total * 60, 25.92);
  });

  test('bad slices consume their minutes: 20 bad minutes of 40.32 is 49.6%', () => {
    const b = timeslicesBudget(20, 28 * 1440, errorBudgetRatio(0.999));
    assertClose(b.consumedRatio, 20 / 40.32);
    assertClose(b.remaining, 20.32);
  });
});

describe('slices', () => {
  // Minutes 0-9, sliced by 5: slice A = minutes 0-4, slice B = minutes 5-9.
  const series = seriesOf([
    { minute: 0, good: 99, total: 100 },
    { minute: 1, good: 100, total: 100 },
    { minute: 5, good: 90, total: 100 },
    { minute: 6, good: 100, total: 100 },
  ]);

  test('a slice is good when its ratio reaches the slice target', () => {
    // A: 199/200 = 0.995 >= 0.99 good; B: 190/200 = 0.95 < 0.99 bad.
    const s = summarizeSlices(series, 0, 10, [], 5, 0.99, 'good');
    assert.deepEqual(
      [s.slices, s.goodSlices, s.badSlices, s.emptySlices, s.goodMinutes, s.badMinutes],
      [2, 1, 1, 0, 5, 5],
    );
  });

  test('a ratio exactly on the slice target is good', () => {
    const s = summarizeSlices(seriesOf([{ minute: 0, good: 99, total: 100 }]), 0, 1, [], 1, 0.99, 'bad');
    assert.equal(s.goodSlices, 1);
  });

  test('slices without traffic count as configured', () => {
    // Minutes 10-19 have no data: two empty slices.
    const asGood = summarizeSlices(series, 10, 20, [], 5, 0.99, 'good');
    const asBad = summarizeSlices(series, 10, 20, [], 5, 0.99, 'bad');
    assert.deepEqual([asGood.emptySlices, asGood.goodSlices, asGood.badSlices], [2, 2, 0]);
    assert.deepEqual([asBad.emptySlices, asBad.goodSlices, asBad.badSlices], [2, 0, 2]);
  });

  test('excluded minutes leave their slice, and a fully excluded slice is not counted', () => {
    // Excluding minutes 5-9 removes slice B; excluding 0 leaves A with 4 minutes (100/100).
    const s = summarizeSlices(
      series,
      0,
      10,
      [
        { fromMinute: 0, toMinute: 1 },
        { fromMinute: 5, toMinute: 10 },
      ],
      5,
      1,
      'good',
    );
    assert.deepEqual([s.slices, s.goodSlices, s.goodMinutes, s.badMinutes], [1, 1, 4, 0]);
  });

  test('the mean slice ratio ignores slices without traffic', () => {
    // A = 0.995, B = 0.95, minutes 10-14 empty: mean (0.995 + 0.95) / 2 = 0.9725.
    const s = summarizeSlices(series, 0, 15, [], 5, 1, 'good');
    assertClose(s.meanRatio, 0.9725);
    assert.equal(summarizeSlices(series, 10, 20, [], 5, 1, 'good').meanRatio, null);
  });

  test('ratioTimeslices consumes (1 - mean) / e of its budget', () => {
    // mean 0.9725 at a 95% objective: (1 - 0.9725) / 0.05 = 0.55.
    const b = ratioTimeslicesBudget(0.9725, 15, 15, errorBudgetRatio(0.95));
    assertClose(b.consumedRatio, 0.55);
    assertClose(b.total, 0.75);
    assert.equal(ratioTimeslicesBudget(null, 15, 15, 0.05).consumedRatio, 0);
  });
});
