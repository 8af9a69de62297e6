import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createPrefixSeries,
  createPrefixSeriesFromDense,
  type MinuteCounts,
  PrefixSeries,
  sumSeries,
} from './prefix-series.ts';
import { bruteSum, opaque, seriesOf, unwrap } from './test-support.ts';

const bucket = fc
  .record({
    minute: fc.integer({ min: 1000, max: 1200 }),
    total: fc.integer({ min: 0, max: 1000 }),
    bad: fc.nat(1000),
  })
  .map(({ minute, total, bad }): MinuteCounts => ({ minute, total, good: total - Math.min(bad, total) }));
const buckets = fc.array(bucket, { maxLength: 80 });
const window = fc.tuple(fc.integer({ min: 950, max: 1250 }), fc.integer({ min: 950, max: 1250 }));

describe('prefix series', () => {
  test('any window sum equals the brute-force sum of its minutes', () => {
    fc.assert(
      fc.property(buckets, window, (list, [from, to]) => {
        const s = seriesOf(list);
        const expected = to > from ? bruteSum(list, from, to) : { good: 0, total: 0 };
        assert.deepEqual(s.sum(from, to), expected);
      }),
    );
  });

  test('window sums do not depend on the order buckets arrived in', () => {
    const distinct = fc.uniqueArray(bucket, { selector: (b) => b.minute, maxLength: 60 });
    fc.assert(
      fc.property(distinct, fc.infiniteStream(fc.nat()), window, (list, stream, [from, to]) => {
        const keys = [...stream.take(list.length)];
        const shuffled = list
          .map((b, i) => ({ b, k: keys[i]! }))
          .sort((x, y) => x.k - y.k)
          .map((x) => x.b);
        assert.deepEqual(seriesOf(shuffled).sum(from, to), seriesOf(list).sum(from, to));
      }),
    );
  });

  test('a minute recorded twice keeps the last value, not the sum', () => {
    const s = seriesOf([
      { minute: 10, good: 1, total: 5 },
      { minute: 11, good: 2, total: 2 },
      { minute: 10, good: 4, total: 4 },
    ]);
    assert.deepEqual(s.sum(10, 11), { good: 4, total: 4 });
    assert.deepEqual(s.sum(0, 100), { good: 6, total: 6 });
  });

  test('windows outside the recorded range, empty or reversed sum to zero', () => {
    const s = seriesOf([{ minute: 100, good: 3, total: 4 }]);
    assert.deepEqual(s.sum(0, 100), { good: 0, total: 0 });
    assert.deepEqual(s.sum(101, 200), { good: 0, total: 0 });
    assert.deepEqual(s.sum(100, 100), { good: 0, total: 0 });
    assert.deepEqual(s.sum(200, 0), { good: 0, total: 0 });
    assert.deepEqual(unwrap(createPrefixSeries([])).sum(-5, 5), { good: 0, total: 0 });
  });

  test('apdex half counts stay exact', () => {
    // Hand calculation: 0.5 + 1.5 + 2.5 = 4.5 good of 9 total.
    const s = seriesOf([
      { minute: 1, good: 0.5, total: 1 },
      { minute: 2, good: 1.5, total: 3 },
      { minute: 3, good: 2.5, total: 5 },
    ]);
    assert.deepEqual(s.sum(1, 4), { good: 4.5, total: 9 });
    assert.deepEqual(s.sum(2, 3), { good: 1.5, total: 3 });
  });

  test('forEachMinute visits minutes with counts in ascending order', () => {
    const s = seriesOf([
      { minute: 7, good: 1, total: 2 },
      { minute: 3, good: 0, total: 1 },
      { minute: 5, good: 0, total: 0 },
    ]);
    const seen: number[][] = [];
    s.forEachMinute(0, 10, (m, g, t) => seen.push([m, g, t]));
    assert.deepEqual(seen, [
      [3, 0, 1],
      [7, 1, 2],
    ]);
    const clipped: number[] = [];
    s.forEachMinute(4, 7, (m) => clipped.push(m));
    assert.deepEqual(clipped, []);
  });

  test('invalid buckets are answered with issues naming the bucket and field', () => {
    const r = createPrefixSeries([
      { minute: 1, good: 5, total: 4 },
      { minute: 2.5, good: 0, total: 0 },
      { minute: 3, good: Number.NaN, total: 1 },
      { minute: 4, good: 0, total: -1 },
    ]);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.issues.map((i) => i.path),
      [
        [0, 'good'],
        [1, 'minute'],
        [2, 'good'],
        [3, 'total'],
      ],
    );
  });

  test('inputs spanning more than the limit are refused, not allocated', () => {
    const r = createPrefixSeries(
      [
        { minute: 0, good: 1, total: 1 },
        { minute: 1_000_000, good: 1, total: 1 },
      ],
      { maxSpanMinutes: 1000 },
    );
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.issues[0]!.code, 'too_large');
  });

  test('a dense series indexes minutes from its start', () => {
    const s = unwrap(createPrefixSeriesFromDense(50, [1, 2, 3], [1, 4, 3]));
    assert.deepEqual(s.sum(51, 53), { good: 5, total: 7 });
    assert.equal(createPrefixSeriesFromDense(50, [2], [1]).ok, false);
    assert.equal(createPrefixSeriesFromDense(50, [1, 2], [1]).ok, false);
  });

  test('summed series add counts before dividing, for prefix and other series alike', () => {
    fc.assert(
      fc.property(
        fc.array(buckets, { minLength: 1, maxLength: 4 }),
        window,
        fc.boolean(),
        (lists, [from, to], lazy) => {
          const parts = lists.map((l) => (lazy ? opaque(seriesOf(l)) : seriesOf(l)));
          const sum = sumSeries(parts);
          const expected = { good: 0, total: 0 };
          for (const l of lists) {
            const s = to > from ? bruteSum(l, from, to) : { good: 0, total: 0 };
            expected.good += s.good;
            expected.total += s.total;
          }
          assert.deepEqual(sum.sum(from, to), expected);
        },
      ),
    );
  });

  test('aggregating 99/100 and 1/10 gives 100/110, not the mean of the two ratios', () => {
    // Hand calculation: (99 + 1) / (100 + 10) = 0.909; the mean of ratios would be 0.545.
    const a = seriesOf([{ minute: 1, good: 99, total: 100 }]);
    const b = seriesOf([{ minute: 1, good: 1, total: 10 }]);
    assert.deepEqual(sumSeries([a, b]).sum(0, 2), { good: 100, total: 110 });
  });

  test('summing nearby prefix series materialises one prefix series', () => {
    const a = seriesOf([{ minute: 10, good: 1, total: 2 }]);
    const b = seriesOf([{ minute: 12, good: 3, total: 3 }]);
    const sum = sumSeries([a, b]);
    assert.ok(sum instanceof PrefixSeries);
    assert.deepEqual(sum.sum(11, 13), { good: 3, total: 3 });
    assert.deepEqual(sum.sum(0, 100), { good: 4, total: 5 });
  });

  test('summed series visit merged minutes in order', () => {
    const a = seriesOf([{ minute: 5, good: 1, total: 1 }]);
    const b = seriesOf([
      { minute: 2, good: 0, total: 3 },
      { minute: 5, good: 2, total: 2 },
    ]);
    const seen: number[][] = [];
    sumSeries([opaque(a), b]).forEachMinute(0, 10, (m, g, t) => seen.push([m, g, t]));
    assert.deepEqual(seen, [
      [2, 0, 3],
      [5, 3, 3],
    ]);
  });
});
