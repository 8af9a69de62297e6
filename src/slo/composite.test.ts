import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { journeySeries, weightedAvailability } from './composite.ts';
import { evaluateSlo } from './evaluate.ts';
import { assertClose, bruteSum, definition, opaque, seriesOf, steady, unwrap } from './test-support.ts';

describe('journeys', () => {
  test('a journey divides summed counts instead of averaging part ratios', () => {
    // Login 90/100 and checkout 1/10: (90 + 1) / (100 + 10) = 0.827; the mean of ratios would be 0.5.
    const login = seriesOf([{ minute: 0, good: 90, total: 100 }]);
    const checkout = seriesOf([{ minute: 0, good: 1, total: 10 }]);
    const j = unwrap(
      journeySeries([
        { series: login, weight: 1 },
        { series: checkout, weight: 1 },
      ]),
    );
    assert.deepEqual(j.sum(0, 1), { good: 91, total: 110 });
  });

  test('weights scale both good and total of their part', () => {
    // 1 * (90, 100) + 3 * (1, 10) = (93, 130).
    const j = unwrap(
      journeySeries([
        { series: seriesOf([{ minute: 0, good: 90, total: 100 }]), weight: 1 },
        { series: seriesOf([{ minute: 0, good: 1, total: 10 }]), weight: 3 },
      ]),
    );
    assert.deepEqual(j.sum(0, 1), { good: 93, total: 130 });
  });

  test('a journey equals the recomputation from its raw parts for any window', () => {
    const part = fc.array(
      fc
        .record({ minute: fc.integer({ min: 0, max: 50 }), total: fc.nat(100), bad: fc.nat(100) })
        .map((b) => ({
          minute: b.minute,
          total: b.total,
          good: b.total - Math.min(b.bad, b.total),
        })),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(part, fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -5, max: 55 }),
        fc.integer({ min: -5, max: 55 }),
        (parts, from, to) => {
          fc.pre(parts.some(([, w]) => w > 0));
          const j = unwrap(
            journeySeries(parts.map(([b, weight]) => ({ series: opaque(seriesOf(b)), weight }))),
          );
          let good = 0;
          let total = 0;
          for (const [b, w] of parts) {
            const s = to > from ? bruteSum(b, from, to) : { good: 0, total: 0 };
            good += w * s.good;
            total += w * s.total;
          }
          assert.deepEqual(j.sum(from, to), { good, total });
        },
      ),
    );
  });

  test('evaluateSlo works on a journey unchanged', () => {
    const at = Date.parse('2026-05-15T12:00:00Z');
    const a = at / 60_000;
    // Per minute: 999/1000 + 1998/2000 -> 2997/3000, error ratio 0.001 -> burn 1 at 99.9%.
    const j = unwrap(
      journeySeries([
        { series: seriesOf(steady(a - 1440, a, 999, 1000)), weight: 1 },
        { series: seriesOf(steady(a - 1440, a, 1998, 2000)), weight: 1 },
      ]),
    );
    const s = unwrap(evaluateSlo(definition({ window: { kind: 'rolling', minutes: 1440 } }), j, at));
    assertClose(s.sliRatio, 0.999);
    assertClose(s.burnRate1h, 1);
  });

  test('negative, non-finite or all-zero weights and empty journeys are answered with issues', () => {
    const s = seriesOf([]);
    for (const parts of [
      [],
      [{ series: s, weight: -1 }],
      [{ series: s, weight: Number.POSITIVE_INFINITY }],
      [{ series: s, weight: 0 }],
    ]) {
      assert.equal(journeySeries(parts).ok, false);
    }
  });
});

describe('weighted availability', () => {
  // Four one-minute slices.
  const web = {
    name: 'web',
    weight: 2,
    slos: [
      {
        // Slice 1 misses 0.9 (0.8).
        objectiveRatio: 0.9,
        series: seriesOf([
          { minute: 0, good: 10, total: 10 },
          { minute: 1, good: 8, total: 10 },
          { minute: 2, good: 10, total: 10 },
        ]),
      },
      {
        // Slice 2 misses 0.99 (0.5); slice 3 has no traffic anywhere and counts as met.
        objectiveRatio: 0.99,
        series: seriesOf([
          { minute: 0, good: 100, total: 100 },
          { minute: 2, good: 1, total: 2 },
        ]),
      },
    ],
  };
  const api = {
    name: 'api',
    weight: 1,
    slos: [{ objectiveRatio: 0.999, series: seriesOf([{ minute: 0, good: 0, total: 1 }]) }],
  };

  test('a service is available in a slice only when every one of its SLOs is met', () => {
    const r = unwrap(weightedAvailability([web, api], 0, 4, 1));
    assert.deepEqual(
      r.services.map((s) => [s.name, s.availableSlices, s.slices]),
      [
        ['web', 2, 4],
        ['api', 3, 4],
      ],
    );
  });

  test('availability weighs services: (2*2 + 1*3) / (2*4 + 1*4) = 7/12', () => {
    assertClose(unwrap(weightedAvailability([web, api], 0, 4, 1)).ratio, 7 / 12);
  });

  test('no slices or zero total weight give null, not NaN', () => {
    assert.equal(unwrap(weightedAvailability([web], 5, 5, 1)).ratio, null);
    assert.equal(unwrap(weightedAvailability([{ ...web, weight: 0 }], 0, 4, 1)).ratio, null);
    assert.equal(unwrap(weightedAvailability([], 0, 4, 1)).ratio, null);
  });

  test('invalid slice lengths and weights are answered with issues', () => {
    assert.equal(weightedAvailability([web], 0, 4, 0).ok, false);
    assert.equal(weightedAvailability([{ ...web, weight: -2 }], 0, 4, 1).ok, false);
    assert.equal(weightedAvailability([web], 4, 0, 1).ok, false);
  });
});
