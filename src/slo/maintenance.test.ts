import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  clipRanges,
  expandMaintenance,
  type MinuteRange,
  mergeRanges,
  overlapMinutes,
  sumExcluding,
} from './maintenance.ts';
import { minuteOf, seriesOf, steady, unwrap } from './test-support.ts';

describe('expandMaintenance', () => {
  const day = minuteOf('2026-06-01T00:00:00Z');

  test('a one-off window is clipped to the range', () => {
    const got = unwrap(
      expandMaintenance([{ kind: 'once', startMinute: day - 10, endMinute: day + 20 }], day, day + 1440),
    );
    assert.deepEqual(got, [{ fromMinute: day, toMinute: day + 20 }]);
  });

  test('a nightly cron window of one hour excludes 02:00-03:00 each night', () => {
    const got = unwrap(
      expandMaintenance(
        [{ kind: 'recurring', cron: '0 2 * * *', durationMinutes: 60, timeZone: 'UTC' }],
        day,
        day + 3 * 1440,
      ),
    );
    assert.deepEqual(got, [
      { fromMinute: day + 120, toMinute: day + 180 },
      { fromMinute: day + 1440 + 120, toMinute: day + 1440 + 180 },
      { fromMinute: day + 2880 + 120, toMinute: day + 2880 + 180 },
    ]);
  });

  test('a window that started before the range still excludes its overlap', () => {
    const got = unwrap(
      expandMaintenance(
        [{ kind: 'recurring', cron: '0 2 * * *', durationMinutes: 60, timeZone: 'UTC' }],
        day + 150,
        day + 600,
      ),
    );
    assert.deepEqual(got, [{ fromMinute: day + 150, toMinute: day + 180 }]);
  });

  test('recurring windows follow their own time zone', () => {
    // 02:00 in Berlin in June (CEST, UTC+2) is 00:00 UTC.
    const got = unwrap(
      expandMaintenance(
        [{ kind: 'recurring', cron: '0 2 * * *', durationMinutes: 30, timeZone: 'Europe/Berlin' }],
        day,
        day + 1440,
      ),
    );
    assert.deepEqual(got, [{ fromMinute: day, toMinute: day + 30 }]);
  });

  test('overlapping and touching windows merge into one range', () => {
    const got = unwrap(
      expandMaintenance(
        [
          { kind: 'once', startMinute: day + 10, endMinute: day + 20 },
          { kind: 'once', startMinute: day + 15, endMinute: day + 30 },
          { kind: 'once', startMinute: day + 30, endMinute: day + 40 },
        ],
        day,
        day + 100,
      ),
    );
    assert.deepEqual(got, [{ fromMinute: day + 10, toMinute: day + 40 }]);
  });

  test('an invalid cron or time zone is answered with issues', () => {
    const r = expandMaintenance(
      [
        { kind: 'recurring', cron: '0 25 * * *', durationMinutes: 60, timeZone: 'UTC' },
        { kind: 'recurring', cron: '0 2 * * *', durationMinutes: 0, timeZone: 'Mars/Olympus' },
        { kind: 'once', startMinute: 10, endMinute: 5 },
      ],
      0,
      100,
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.path]),
      [
        ['invalid_cron', [0, 'cron', 'hour']],
        ['invalid_value', [1, 'durationMinutes']],
        ['invalid_time_zone', [1, 'timeZone']],
        ['invalid_value', [2, 'endMinute']],
      ],
    );
  });
});

describe('range arithmetic', () => {
  const ranges: MinuteRange[] = [
    { fromMinute: 10, toMinute: 20 },
    { fromMinute: 30, toMinute: 40 },
  ];

  test('overlap counts only the covered minutes of the window', () => {
    assert.equal(overlapMinutes(ranges, 15, 35), 10);
    assert.equal(overlapMinutes(ranges, 0, 100), 20);
    assert.equal(overlapMinutes(ranges, 20, 30), 0);
  });

  test('clipping keeps the parts inside the window', () => {
    assert.deepEqual(clipRanges(ranges, 15, 35), [
      { fromMinute: 15, toMinute: 20 },
      { fromMinute: 30, toMinute: 35 },
    ]);
  });

  test('merging drops empty ranges and sorts', () => {
    assert.deepEqual(
      mergeRanges([
        { fromMinute: 5, toMinute: 5 },
        { fromMinute: 8, toMinute: 9 },
        { fromMinute: 1, toMinute: 3 },
      ]),
      [
        { fromMinute: 1, toMinute: 3 },
        { fromMinute: 8, toMinute: 9 },
      ],
    );
  });

  test('sums without excluded minutes equal brute force over the included minutes', () => {
    const rangeArb = fc
      .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 20 }))
      .map(([from, len]) => ({ fromMinute: from, toMinute: from + len }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(50), fc.nat(50)), { minLength: 100, maxLength: 100 }),
        fc.array(rangeArb, { maxLength: 6 }),
        fc.integer({ min: -10, max: 110 }),
        fc.integer({ min: -10, max: 110 }),
        (counts, raw, from, to) => {
          const buckets = counts.map(([bad, good], minute) => ({ minute, good, total: good + bad }));
          const excluded = mergeRanges(raw);
          let good = 0;
          let total = 0;
          for (const b of buckets) {
            if (b.minute < from || b.minute >= to) continue;
            if (excluded.some((r) => b.minute >= r.fromMinute && b.minute < r.toMinute)) continue;
            good += b.good;
            total += b.total;
          }
          assert.deepEqual(sumExcluding(seriesOf(buckets), from, to, excluded), { good, total });
        },
      ),
    );
  });

  test('a fully excluded window sums to zero', () => {
    const s = seriesOf(steady(0, 100, 5, 10));
    assert.deepEqual(sumExcluding(s, 10, 20, [{ fromMinute: 0, toMinute: 50 }]), { good: 0, total: 0 });
  });
});
