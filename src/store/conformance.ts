/**
 * The `CountStore` conformance suite: every backend runs it (ARCHITECTURE.md, principle 2),
 * so SQLite, PostgreSQL and the in-memory reference answer every question the same way.
 * Test-only: import it from a backend's `*.test.ts`, not from production code.
 *
 * @example describeCountStoreConformance('sqlite', async (options) => unwrap(openSqliteCountStore({ path: ':memory:', ...options })))
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { CountSeries } from '../slo/index.ts';
import type { CountStore, CountWrite, DenseWrite, RetentionPolicy, SeriesKey } from './types.ts';

/** Creates a fresh, empty store; the suite closes it. */
export type MakeCountStore = (options: { retention?: RetentionPolicy }) => Promise<CountStore>;

/** 2026-11-01T00:00Z as an epoch minute: hour-aligned, so offsets below read as clock times. */
const T0 = Date.UTC(2026, 10, 1) / 60_000;
const HOUR = 60;
const DAY = 1440;

const API: SeriesKey = { sli: 'checkout/requests', labels: { route: '/api' } };
const WEB: SeriesKey = { sli: 'checkout/requests', labels: { route: '/web' } };

function at(key: SeriesKey, minute: number, good: number, total: number): CountWrite {
  return { sli: key.sli, labels: key.labels, minute, good, total };
}

function collect(series: CountSeries, from: number, to: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  series.forEachMinute(from, to, (minute, good, total) => out.push([minute, good, total]));
  return out;
}

async function ok<T>(result: Promise<{ ok: true; value: T } | { ok: false; issues: unknown[] }>): Promise<T> {
  const r = await result;
  if (!r.ok) assert.fail(`expected ok, got ${JSON.stringify(r.issues)}`);
  return r.value;
}

/** Brute-force window sums over the final value of each bucket: the specification. */
class Oracle {
  readonly buckets = new Map<string, Map<number, [number, number]>>();

  apply(w: CountWrite, additive: boolean): void {
    const key = JSON.stringify([w.sli, Object.entries(w.labels).sort()]);
    let series = this.buckets.get(key);
    if (series === undefined) {
      series = new Map();
      this.buckets.set(key, series);
    }
    const before = series.get(w.minute);
    series.set(
      w.minute,
      additive && before !== undefined ? [before[0] + w.good, before[1] + w.total] : [w.good, w.total],
    );
  }

  sum(keys: readonly SeriesKey[], from: number, to: number): { good: number; total: number } {
    let good = 0;
    let total = 0;
    for (const k of keys) {
      const series = this.buckets.get(JSON.stringify([k.sli, Object.entries(k.labels).sort()]));
      for (const [minute, [g, t]] of series ?? []) {
        if (minute >= from && minute < to) {
          good += g;
          total += t;
        }
      }
    }
    return { good, total };
  }
}

// Property-test inputs: three series of two SLIs, minutes over three days (so windows cross
// hours and days), counts in halves (apdex) so every sum is exact.
const KEYS: readonly SeriesKey[] = [API, WEB, { sli: 'search/latency', labels: {} }];
const writeArb = fc
  .record({
    series: fc.integer({ min: 0, max: KEYS.length - 1 }),
    minute: fc.integer({ min: 0, max: 3 * DAY - 1 }),
    totalHalves: fc.integer({ min: 0, max: 200_000 }),
    goodShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ series, minute, totalHalves, goodShare }): CountWrite => {
    const key = KEYS[series]!;
    const total = totalHalves / 2;
    const good = Math.floor(totalHalves * goodShare) / 2;
    return at(key, T0 + minute, good, total);
  });
const windowArb = fc
  .tuple(fc.integer({ min: -90, max: 3 * DAY + 90 }), fc.integer({ min: 0, max: 3 * DAY + 180 }))
  .map(([from, length]) => [T0 + from, T0 + from + length] as const);

// Writes interleaved with reads: minutes over 12 hours, so writes keep landing in the hours
// earlier reads looked at (appends after the newest hour, late corrections before it, dense
// rewrites across hours).
const SPAN = 12 * HOUR;
const countsArb = fc
  .tuple(fc.integer({ min: 0, max: 400 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([totalHalves, share]) => [Math.floor(totalHalves * share) / 2, totalHalves / 2] as const);
type Op = { kind: 'put' | 'add'; writes: CountWrite[] } | { kind: 'dense'; write: DenseWrite };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom<'put' | 'add'>('put', 'add'),
    writes: fc.array(
      fc
        .tuple(fc.integer({ min: 0, max: KEYS.length - 1 }), fc.integer({ min: 0, max: SPAN - 1 }), countsArb)
        .map(([series, minute, [good, total]]) => at(KEYS[series]!, T0 + minute, good, total)),
      { minLength: 1, maxLength: 10 },
    ),
  }),
  fc
    .tuple(
      fc.integer({ min: 0, max: KEYS.length - 1 }),
      fc.integer({ min: 0, max: SPAN - 1 }),
      fc.array(countsArb, { maxLength: 150 }),
    )
    .map(
      ([series, start, counts]): Op => ({
        kind: 'dense',
        write: {
          ...KEYS[series]!,
          startMinute: T0 + start,
          good: counts.map(([good]) => good),
          total: counts.map(([, total]) => total),
        },
      }),
    ),
);
/** The windows of a status (5m .. 6h, 12h, and all of the span), ending at its instant. */
const STATUS_MINUTES = [5, 30, 60, 90, 120, 360, 720, SPAN + 1];

/** Splits `writes` into consecutive batches at the given cut points. */
function batches<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let start = 0;
  for (const p of points) {
    if (p > start) out.push(items.slice(start, p));
    start = Math.max(start, p);
  }
  if (start < items.length) out.push(items.slice(start));
  return out;
}

/** Registers the conformance tests of one backend under `describe(name)`. */
export function describeCountStoreConformance(name: string, makeStore: MakeCountStore): void {
  const withStore = async (
    work: (store: CountStore) => Promise<void>,
    options: { retention?: RetentionPolicy } = {},
  ) => {
    const store = await makeStore(options);
    try {
      await work(store);
    } finally {
      await store.close();
    }
  };

  describe(`CountStore conformance: ${name}`, () => {
    describe('window sums', () => {
      test('a window sums good and total of every minute in [from, to) and nothing outside', () =>
        withStore(async (store) => {
          // Minutes 10:00..10:09 with good = 90 + i, total = 100: [10:02, 10:05) is minutes 2, 3, 4:
          // good 92 + 93 + 94 = 279, total 300.
          const writes = Array.from({ length: 10 }, (_, i) => at(API, T0 + 10 * HOUR + i, 90 + i, 100));
          await ok(store.put(writes));
          const series = (await store.reader()).series(API);
          assert.deepEqual(series.sum(T0 + 10 * HOUR + 2, T0 + 10 * HOUR + 5), { good: 279, total: 300 });
          // All ten: good 90 + ... + 99 = 945, total 1,000.
          assert.deepEqual(series.sum(T0, T0 + DAY), { good: 945, total: 1000 });
          assert.deepEqual(series.sum(T0 + 10 * HOUR + 10, T0 + DAY), { good: 0, total: 0 });
          assert.deepEqual(series.sum(T0 + 10 * HOUR + 5, T0 + 10 * HOUR + 5), { good: 0, total: 0 });
          assert.deepEqual(series.sum(T0 + 10 * HOUR + 5, T0 + 10 * HOUR + 2), { good: 0, total: 0 });
        }));

      test('a quarter-long window is exact: one bucket per day for 92 days sums to 92 buckets', () =>
        withStore(async (store) => {
          // Each day at 12:34 good 999, total 1,000; Nov..Jan is 30 + 31 + 31 = 92 days:
          // good 91,908, total 92,000. Shift by one minute to drop the first bucket.
          await ok(store.put(Array.from({ length: 92 }, (_, d) => at(API, T0 + d * DAY + 754, 999, 1000))));
          const series = (await store.reader()).series(API);
          assert.deepEqual(series.sum(T0, T0 + 92 * DAY), { good: 91_908, total: 92_000 });
          assert.deepEqual(series.sum(T0 + 755, T0 + 92 * DAY), { good: 90_909, total: 91_000 });
        }));

      test('minutes on both sides of an hour boundary are counted once each', () =>
        withStore(async (store) => {
          await ok(store.put([at(API, T0 + 59, 1, 2), at(API, T0 + 60, 3, 4), at(API, T0 + 119, 5, 6)]));
          const series = (await store.reader()).series(API);
          assert.deepEqual(series.sum(T0 + 59, T0 + 60), { good: 1, total: 2 });
          assert.deepEqual(series.sum(T0 + 60, T0 + 61), { good: 3, total: 4 });
          assert.deepEqual(series.sum(T0 + 59, T0 + 120), { good: 9, total: 12 });
          assert.deepEqual(series.sum(T0 + 61, T0 + 119), { good: 0, total: 0 });
        }));

      test('half counts from apdex (tolerated requests) are kept exactly', () =>
        withStore(async (store) => {
          // 7 satisfied + 3 tolerated / 2 = 8.5 of 10; twice: 17 of 20.
          await ok(store.put([at(API, T0, 8.5, 10), at(API, T0 + 1, 8.5, 10)]));
          assert.deepEqual((await store.reader()).series(API).sum(T0, T0 + 2), { good: 17, total: 20 });
        }));
    });

    describe('writes', () => {
      test('writing the same bucket again with the same value changes nothing', () =>
        withStore(async (store) => {
          const writes = [at(API, T0, 99, 100), at(API, T0 + 1, 98, 100)];
          await ok(store.put(writes));
          const again = await ok(store.put(writes));
          assert.equal(again.createdSeries, 0);
          assert.deepEqual((await store.reader()).series(API).sum(T0, T0 + 2), { good: 197, total: 200 });
          assert.equal((await store.listSeries()).length, 1);
        }));

      test('a second write of a bucket replaces the first: the last write wins, also within a batch', () =>
        withStore(async (store) => {
          await ok(store.put([at(API, T0, 10, 100)]));
          await ok(store.put([at(API, T0, 90, 100)]));
          const series = (await store.reader()).series(API);
          assert.deepEqual(series.sum(T0, T0 + 1), { good: 90, total: 100 });
          await ok(store.put([at(API, T0, 1, 5), at(API, T0, 4, 5)]));
          assert.deepEqual(series.sum(T0, T0 + 1), { good: 4, total: 5 });
        }));

      test('a late bucket in an older hour corrects every window that contains it', () =>
        withStore(async (store) => {
          // Six hours of one bucket each (good 50, total 60), then a late bucket at 01:30 (good 0, total 10).
          await ok(store.put(Array.from({ length: 6 }, (_, h) => at(API, T0 + h * HOUR, 50, 60))));
          const reader = await store.reader();
          const series = reader.series(API);
          assert.deepEqual(series.sum(T0, T0 + 6 * HOUR), { good: 300, total: 360 });
          await ok(store.put([at(API, T0 + 90, 0, 10)]));
          assert.deepEqual(series.sum(T0, T0 + 6 * HOUR), { good: 300, total: 370 });
          assert.deepEqual(series.sum(T0 + 90, T0 + 91), { good: 0, total: 10 });
          assert.deepEqual(series.sum(T0 + 2 * HOUR, T0 + 6 * HOUR), { good: 200, total: 240 });
          // A correction of the late bucket replaces it everywhere.
          await ok(store.put([at(API, T0 + 90, 10, 10)]));
          assert.deepEqual(series.sum(T0, T0 + 6 * HOUR), { good: 310, total: 370 });
        }));

      test('buckets written newest first sum the same as written oldest first', () =>
        withStore(async (store) => {
          // 48 hours, one bucket each, written backwards: 48 x (1 of 2).
          for (let h = 47; h >= 0; h--) await ok(store.put([at(API, T0 + h * HOUR + 7, 1, 2)]));
          const series = (await store.reader()).series(API);
          assert.deepEqual(series.sum(T0, T0 + 2 * DAY), { good: 48, total: 96 });
          assert.deepEqual(series.sum(T0 + DAY, T0 + 2 * DAY), { good: 24, total: 48 });
        }));

      test('add accumulates deltas into a bucket', () =>
        withStore(async (store) => {
          await ok(store.add([at(API, T0, 5, 6)]));
          await ok(store.add([at(API, T0, 5, 6), at(API, T0, 0, 1)]));
          assert.deepEqual((await store.reader()).series(API).sum(T0, T0 + 1), { good: 10, total: 13 });
        }));

      test('an invalid batch writes nothing and names every problem with its place', () =>
        withStore(async (store) => {
          await ok(store.put([at(API, T0, 1, 1)]));
          const result = await store.put([
            at(API, T0, 0, 1),
            at(API, T0 + 1, -1, 1),
            at(API, T0 + 2, Number.NaN, 1),
            at(API, T0 + 3, 5, 4),
            at(API, T0 + 4.5, 1, 1),
            at(API, T0 + 5, 1, Number.POSITIVE_INFINITY),
            at({ sli: '', labels: {} }, T0, 1, 1),
            { sli: 'x/y', labels: { code: 500 as unknown as string }, minute: T0, good: 1, total: 1 },
          ]);
          assert.equal(result.ok, false);
          if (result.ok) return;
          const places = result.issues.map((i) => `${i.code} ${i.path.join('.')}`).sort();
          assert.deepEqual(places, [
            'invalid_value 1.good',
            'invalid_value 2.good',
            'invalid_value 3.good',
            'invalid_value 4.minute',
            'invalid_value 5.total',
            'invalid_value 6.sli',
            'invalid_value 7.labels.code',
          ]);
          assert.match(
            result.issues.find((i) => i.path[0] === 3)!.message,
            /good \(5\) must not exceed total \(4\)/,
          );
          // The valid first write of the batch was not applied either.
          assert.deepEqual((await store.reader()).series(API).sum(T0, T0 + 10), { good: 1, total: 1 });
          assert.equal((await store.listSeries()).length, 1);
        }));

      test('a dense write sets every minute of its range, 0/0 minutes clearing earlier buckets', () =>
        withStore(async (store) => {
          await ok(store.put([at(API, T0 + 61, 7, 7), at(API, T0 + 200, 1, 1)]));
          // Minutes 00:59..01:02 set to 1/2, 0/0, 3/4, 5/6: minute 01:00's old 7/7 is cleared.
          await ok(
            store.putDense([
              { ...API, startMinute: T0 + 59, good: [1, 0, 3, 5], total: [2, 0, 4, 6] },
              { ...WEB, startMinute: T0 + 10, good: [], total: [] },
            ]),
          );
          const series = (await store.reader()).series(API);
          assert.deepEqual(series.sum(T0, T0 + 63), { good: 9, total: 12 });
          assert.deepEqual(series.sum(T0, T0 + 300), { good: 10, total: 13 });
          assert.deepEqual(collect(series, T0, T0 + 300), [
            [T0 + 59, 1, 2],
            [T0 + 61, 3, 4],
            [T0 + 62, 5, 6],
            [T0 + 200, 1, 1],
          ]);
        }));

      test('a dense write of mismatched or invalid arrays writes nothing', () =>
        withStore(async (store) => {
          const result = await store.putDense([
            { ...API, startMinute: T0, good: [1, 2], total: [1, 2] },
            { ...WEB, startMinute: T0, good: [1], total: [1, 2] },
            { ...WEB, startMinute: T0, good: [3], total: [2] },
          ]);
          assert.equal(result.ok, false);
          if (result.ok) return;
          assert.deepEqual(result.issues.map((i) => i.path.join('.')).sort(), ['1.good', '2.0.good']);
          assert.deepEqual(await store.listSeries(), []);
        }));
    });

    describe('series', () => {
      test('label order does not change the identity; other label values are other series', () =>
        withStore(async (store) => {
          await ok(store.put([{ sli: 'a/b', labels: { x: '1', y: '2' }, minute: T0, good: 1, total: 1 }]));
          await ok(
            store.put([{ sli: 'a/b', labels: { y: '2', x: '1' }, minute: T0 + 1, good: 1, total: 1 }]),
          );
          await ok(store.put([{ sli: 'a/b', labels: { x: '1', y: '3' }, minute: T0, good: 1, total: 1 }]));
          const list = await store.listSeries();
          assert.equal(list.length, 2);
          assert.ok(list.every((s) => Number.isSafeInteger(s.id)));
          assert.notEqual(list[0]!.id, list[1]!.id);
          assert.deepEqual(list[0]!.labels, { x: '1', y: '2' });
          const reader = await store.reader();
          assert.deepEqual(reader.series({ sli: 'a/b', labels: { y: '2', x: '1' } }).sum(T0, T0 + 2), {
            good: 2,
            total: 2,
          });
        }));

      test('an SLI series sums the counts of every label value, so its ratio is weighted by traffic', () =>
        withStore(async (store) => {
          // /api 999 of 1,000 and /web 0 of 10: SLI = 999 / 1,010 (not the mean of 99.9 % and 0 %).
          await ok(
            store.put([
              at(API, T0, 999, 1000),
              at(WEB, T0, 0, 10),
              at({ sli: 'other/x', labels: {} }, T0, 5, 5),
            ]),
          );
          const reader = await store.reader();
          assert.deepEqual(reader.sliSeries('checkout/requests').sum(T0, T0 + 1), { good: 999, total: 1010 });
          assert.deepEqual(
            (await store.listSeries('checkout/requests')).map((s) => s.labels.route),
            ['/api', '/web'],
          );
        }));

      test('a series or SLI never written reads as zeros and visits nothing', () =>
        withStore(async (store) => {
          const reader = await store.reader();
          assert.deepEqual(reader.series(API).sum(T0, T0 + DAY), { good: 0, total: 0 });
          assert.deepEqual(reader.sliSeries('nope/nothing').sum(T0, T0 + DAY), { good: 0, total: 0 });
          assert.deepEqual(collect(reader.series(API), T0, T0 + DAY), []);
        }));

      test('a reader sees writes made after it was created, of existing and of new series', () =>
        withStore(async (store) => {
          await ok(store.put([at(API, T0, 1, 1)]));
          const reader = await store.reader();
          const api = reader.series(API);
          const web = reader.series(WEB);
          await ok(store.put([at(API, T0 + 1, 1, 1), at(WEB, T0, 2, 2)]));
          assert.deepEqual(api.sum(T0, T0 + 2), { good: 2, total: 2 });
          assert.deepEqual(web.sum(T0, T0 + 2), { good: 2, total: 2 });
        }));

      test('a write between the reads of one series and the next is seen by the next', () =>
        withStore(async (store) => {
          // Five series of one bucket each (i + 1 of 10 at 00:30): reading the first two is how
          // a status of many series starts; then series 3 is corrected to 0 of 10.
          const fleet = Array.from({ length: 5 }, (_, i) => ({
            sli: 'fleet/requests',
            labels: { route: `r${i}` },
          }));
          await ok(store.put(fleet.map((key, i) => at(key, T0 + 30, i + 1, 10))));
          const reader = await store.reader();
          const window = (i: number) => reader.series(fleet[i]!).sum(T0, T0 + HOUR);
          assert.deepEqual(
            [window(0), window(1)],
            [
              { good: 1, total: 10 },
              { good: 2, total: 10 },
            ],
          );
          await ok(store.put([at(fleet[3]!, T0 + 30, 0, 10)]));
          assert.deepEqual(
            [window(2), window(3), window(4)],
            [
              { good: 3, total: 10 },
              { good: 0, total: 10 },
              { good: 5, total: 10 },
            ],
          );
        }));

      test('forEachMinute visits minutes with counts, ascending, within [from, to)', () =>
        withStore(async (store) => {
          await ok(
            store.put([
              at(API, T0 + 130, 1, 1),
              at(API, T0 + 5, 2, 3),
              at(API, T0 + 6, 0, 0),
              at(API, T0 + 60, 0, 4),
            ]),
          );
          const series = (await store.reader()).series(API);
          assert.deepEqual(collect(series, T0, T0 + 131), [
            [T0 + 5, 2, 3],
            [T0 + 60, 0, 4],
            [T0 + 130, 1, 1],
          ]);
          assert.deepEqual(collect(series, T0 + 6, T0 + 130), [[T0 + 60, 0, 4]]);
        }));
    });

    describe('retention', () => {
      // Minute buckets kept 2 hours, hours kept 4 hours: at 10:00, minutes from 08:00 are
      // exact, 06:00-08:00 is hourly, before 06:00 is gone.
      const retention = { minuteRetentionMinutes: 2 * HOUR, hourRetentionMinutes: 4 * HOUR };
      const tenHours = Array.from({ length: 10 * HOUR }, (_, m) => at(API, T0 + m, 1, 2));

      test('old minutes fold into hours, older hours are dropped, and the watermarks say where', () =>
        withStore(
          async (store) => {
            await ok(store.put(tenHours));
            const report = await ok(store.applyRetention(T0 + 10 * HOUR));
            assert.equal(report.minuteResolutionFromMinute, T0 + 8 * HOUR);
            assert.equal(report.retainedFromMinute, T0 + 6 * HOUR);
            assert.ok(report.compactedHours > 0 && report.droppedHours > 0);
            const reader = await store.reader();
            assert.deepEqual(reader.resolution, {
              minuteResolutionFromMinute: T0 + 8 * HOUR,
              retainedFromMinute: T0 + 6 * HOUR,
            });
            const series = reader.series(API);
            // Only 06:00-10:00 is left: 240 minutes of 1 good of 2.
            assert.deepEqual(series.sum(T0, T0 + 10 * HOUR), { good: 240, total: 480 });
            // 08:30 is exact: 90 minutes.
            assert.deepEqual(series.sum(T0 + 8 * HOUR + 30, T0 + 10 * HOUR), { good: 90, total: 180 });
            // 06:30 is in the hourly zone and rounds down to 06:00: 240 minutes, not 210.
            assert.deepEqual(series.sum(T0 + 6 * HOUR + 30, T0 + 10 * HOUR), { good: 240, total: 480 });
            // Both ends in 07:xx round to 07:00: an empty window.
            assert.deepEqual(series.sum(T0 + 7 * HOUR + 10, T0 + 7 * HOUR + 50), { good: 0, total: 0 });
            // A folded hour is visited once, at its first minute, with the hour's counts.
            assert.deepEqual(collect(series, T0 + 6 * HOUR, T0 + 8 * HOUR), [
              [T0 + 6 * HOUR, 60, 120],
              [T0 + 7 * HOUR, 60, 120],
            ]);
          },
          { retention },
        ));

      test('writes before the minute watermark are refused; later ones are accepted', () =>
        withStore(
          async (store) => {
            await ok(store.put(tenHours));
            await ok(store.applyRetention(T0 + 10 * HOUR));
            const refused = await store.put([at(API, T0 + 7 * HOUR, 2, 2)]);
            assert.equal(refused.ok, false);
            if (!refused.ok)
              assert.deepEqual(
                refused.issues.map((i) => i.code),
                ['outside_retention'],
              );
            await ok(store.put([at(API, T0 + 8 * HOUR, 2, 2)]));
            assert.deepEqual((await store.reader()).series(API).sum(T0 + 8 * HOUR, T0 + 8 * HOUR + 1), {
              good: 2,
              total: 2,
            });
          },
          { retention },
        ));

      test('every series of a fleet counts only what retention kept, read one after another', () =>
        withStore(
          async (store) => {
            // Six series, series i with i + 1 good of 2i + 2 every minute for ten hours.
            const fleet = Array.from({ length: 6 }, (_, i) => ({
              sli: 'fleet/requests',
              labels: { route: `r${i}` },
            }));
            await ok(
              store.put(fleet.flatMap((key, i) => tenHours.map((w) => at(key, w.minute, i + 1, 2 * i + 2)))),
            );
            await ok(store.applyRetention(T0 + 10 * HOUR));
            const reader = await store.reader();
            // Kept: 06:00-10:00, 240 minutes; 08:30 is exact, 150 minutes before 11:00.
            for (const [i, key] of fleet.entries()) {
              assert.deepEqual(reader.series(key).sum(T0, T0 + 11 * HOUR), {
                good: 240 * (i + 1),
                total: 480 * (i + 1),
              });
            }
            for (const [i, key] of fleet.entries()) {
              assert.deepEqual(reader.series(key).sum(T0 + 8 * HOUR + 30, T0 + 11 * HOUR), {
                good: 90 * (i + 1),
                total: 180 * (i + 1),
              });
            }
            assert.deepEqual(reader.sliSeries('fleet/requests').sum(T0, T0 + 11 * HOUR), {
              good: 240 * 21,
              total: 480 * 21,
            });
          },
          { retention },
        ));

      test('watermarks never move backwards', () =>
        withStore(
          async (store) => {
            await ok(store.put(tenHours));
            await ok(store.applyRetention(T0 + 10 * HOUR));
            const earlier = await ok(store.applyRetention(T0 + 5 * HOUR));
            assert.equal(earlier.minuteResolutionFromMinute, T0 + 8 * HOUR);
            assert.equal(earlier.retainedFromMinute, T0 + 6 * HOUR);
            assert.deepEqual((await store.reader()).series(API).sum(T0, T0 + 10 * HOUR), {
              good: 240,
              total: 480,
            });
          },
          { retention },
        ));
    });

    describe('properties', () => {
      test('window sums equal brute-force sums over random writes with duplicates and late corrections', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(writeArb, { minLength: 1, maxLength: 120 }),
            fc.array(fc.nat(), { maxLength: 6 }),
            fc.array(fc.tuple(fc.nat({ max: 119 }), fc.option(writeArb)), { maxLength: 40 }),
            fc.array(windowArb, { minLength: 1, maxLength: 12 }),
            async (writes, cuts, rewrites, windows) => {
              // After the first writes come duplicates (`null`: the same write again) and late
              // corrections (the same bucket with other counts), all in batches; the sums are
              // checked after every batch through one reader made before any write.
              const all = [
                ...writes,
                ...rewrites
                  .filter(([i]) => i < writes.length)
                  .map(([i, other]) =>
                    other === null ? writes[i]! : { ...writes[i]!, good: other.good, total: other.total },
                  ),
              ];
              const oracle = new Oracle();
              const store = await makeStore({});
              try {
                const reader = await store.reader();
                for (const batch of batches(all, cuts)) {
                  await ok(store.put(batch));
                  for (const w of batch) oracle.apply(w, false);
                  for (const [from, to] of windows) {
                    for (const key of KEYS) {
                      assert.deepEqual(reader.series(key).sum(from, to), oracle.sum([key], from, to));
                    }
                    assert.deepEqual(
                      reader.sliSeries(API.sli).sum(from, to),
                      oracle.sum([API, WEB], from, to),
                    );
                  }
                }
              } finally {
                await store.close();
              }
            },
          ),
          { numRuns: 60 },
        );
      });

      test('sums do not depend on write order when every bucket ends with the same value', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(writeArb, { minLength: 1, maxLength: 80 }),
            fc.array(fc.tuple(fc.nat(), writeArb), { maxLength: 40 }),
            fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
            fc.array(windowArb, { minLength: 1, maxLength: 8 }),
            async (finals, overwritten, random, windows) => {
              // Each bucket gets earlier values first (other counts, in a random order), then
              // its final value; the final values also go in a random order. The oracle only
              // sees the finals.
              const shuffle = <T>(items: readonly T[]) =>
                items
                  .map((item) => ({ item, r: random.next().value as number }))
                  .sort((a, b) => a.r - b.r)
                  .map((x) => x.item);
              const unique = [
                ...new Map(finals.map((w) => [`${w.sli}|${w.labels.route}|${w.minute}`, w])).values(),
              ];
              const earlier = overwritten.map(([i, counts]) => ({
                ...unique[i % unique.length]!,
                good: counts.good,
                total: counts.total,
              }));
              const oracle = new Oracle();
              for (const w of unique) oracle.apply(w, false);
              const store = await makeStore({});
              try {
                await ok(store.put(shuffle(earlier)));
                for (const w of shuffle(unique)) await ok(store.put([w]));
                const reader = await store.reader();
                for (const [from, to] of windows) {
                  for (const key of KEYS) {
                    assert.deepEqual(reader.series(key).sum(from, to), oracle.sum([key], from, to));
                  }
                }
              } finally {
                await store.close();
              }
            },
          ),
          { numRuns: 40 },
        );
      });

      test('additions commute: any order of add gives the same sums', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(writeArb, { minLength: 1, maxLength: 80 }),
            fc.array(fc.nat(), { maxLength: 5 }),
            fc.array(windowArb, { minLength: 1, maxLength: 8 }),
            async (writes, cuts, windows) => {
              const oracle = new Oracle();
              for (const w of writes) oracle.apply(w, true);
              const store = await makeStore({});
              try {
                for (const batch of batches([...writes].reverse(), cuts)) await ok(store.add(batch));
                const reader = await store.reader();
                for (const [from, to] of windows) {
                  for (const key of KEYS) {
                    assert.deepEqual(reader.series(key).sum(from, to), oracle.sum([key], from, to));
                  }
                }
              } finally {
                await store.close();
              }
            },
          ),
          { numRuns: 40 },
        );
      });

      test('reads between writes of every kind, through one reader, equal brute-force sums', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(opArb, { minLength: 1, maxLength: 12 }),
            fc.array(fc.tuple(fc.integer({ min: -60, max: SPAN }), fc.nat({ max: SPAN })), { maxLength: 4 }),
            async (ops, extra) => {
              // After each write a status one minute after the newest minute written so far
              // (its windows end there), plus a few other windows, read through the reader
              // made before the first write: what it cached must follow every write.
              const oracle = new Oracle();
              const store = await makeStore({});
              try {
                const reader = await store.reader();
                let newest = T0;
                for (const op of ops) {
                  if (op.kind === 'dense') {
                    const w = op.write;
                    await ok(store.putDense([w]));
                    for (let i = 0; i < w.good.length; i++)
                      oracle.apply(at(w, w.startMinute + i, w.good[i]!, w.total[i]!), false);
                    if (w.good.length > 0) newest = Math.max(newest, w.startMinute + w.good.length - 1);
                  } else {
                    await ok(op.kind === 'put' ? store.put(op.writes) : store.add(op.writes));
                    for (const w of op.writes) {
                      oracle.apply(w, op.kind === 'add');
                      newest = Math.max(newest, w.minute);
                    }
                  }
                  const now = newest + 1;
                  const windows = [
                    ...STATUS_MINUTES.map((minutes) => [now - minutes, now] as const),
                    ...extra.map(([from, length]) => [T0 + from, T0 + from + length] as const),
                  ];
                  for (const [from, to] of windows) {
                    for (const key of KEYS) {
                      assert.deepEqual(reader.series(key).sum(from, to), oracle.sum([key], from, to));
                    }
                    assert.deepEqual(
                      reader.sliSeries(API.sli).sum(from, to),
                      oracle.sum([API, WEB], from, to),
                    );
                  }
                }
              } finally {
                await store.close();
              }
            },
          ),
          { numRuns: 60 },
        );
      });

      test('a dense write reads back the same as its minutes written one by one', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: 2 * DAY }),
            fc.array(fc.tuple(fc.nat({ max: 50 }), fc.nat({ max: 50 })), { minLength: 1, maxLength: 400 }),
            fc.array(writeArb, { maxLength: 30 }),
            fc.array(windowArb, { minLength: 1, maxLength: 8 }),
            async (offset, pairs, before, windows) => {
              const good = pairs.map(([a, b]) => Math.min(a, b));
              const total = pairs.map(([a, b]) => Math.max(a, b));
              const startMinute = T0 + offset;
              const oracle = new Oracle();
              for (const w of before) oracle.apply(w, false);
              for (let i = 0; i < pairs.length; i++)
                oracle.apply(at(API, startMinute + i, good[i]!, total[i]!), false);
              const store = await makeStore({});
              try {
                await ok(store.put(before));
                await ok(store.putDense([{ ...API, startMinute, good, total }]));
                const reader = await store.reader();
                for (const [from, to] of windows) {
                  assert.deepEqual(reader.series(API).sum(from, to), oracle.sum([API], from, to));
                }
              } finally {
                await store.close();
              }
            },
          ),
          { numRuns: 40 },
        );
      });
    });
  });
}
