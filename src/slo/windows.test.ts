import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { minuteOf } from './test-support.ts';
import { localToEpochMs, zoneOffsetMs } from './time-zone.ts';
import { resolveWindow } from './windows.ts';

const HOUR = 60;
const DAY = 24 * HOUR;

describe('rolling windows', () => {
  test('a 28d rolling window is the 40,320 whole minutes before the evaluation minute', () => {
    const atMs = Date.parse('2026-03-15T12:00:42.500Z');
    const w = resolveWindow({ kind: 'rolling', minutes: 28 * DAY }, atMs);
    const at = minuteOf('2026-03-15T12:00:00Z');
    assert.deepEqual(w, {
      fromMinute: at - 40_320,
      toMinute: at,
      periodFromMinute: at - 40_320,
      periodToMinute: at,
    });
  });
});

describe('calendar windows', () => {
  const berlinMonth = { kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' } as const;

  test('Europe/Berlin March 2026 has 31*24-1 hours because clocks spring forward on the 29th', () => {
    const w = resolveWindow(berlinMonth, Date.parse('2026-03-15T12:00:00Z'));
    // 1 March 00:00 CET (UTC+1) is 28 Feb 23:00 UTC; 1 April 00:00 CEST (UTC+2) is 31 March 22:00 UTC.
    assert.equal(w.periodFromMinute, minuteOf('2026-02-28T23:00:00Z'));
    assert.equal(w.periodToMinute, minuteOf('2026-03-31T22:00:00Z'));
    assert.equal(w.periodToMinute - w.periodFromMinute, (31 * 24 - 1) * HOUR);
  });

  test('mid-period the window runs from the period start to the evaluation minute', () => {
    const w = resolveWindow(berlinMonth, Date.parse('2026-03-15T12:00:30Z'));
    assert.equal(w.fromMinute, w.periodFromMinute);
    assert.equal(w.toMinute, minuteOf('2026-03-15T12:00:00Z'));
  });

  test('America/New_York November 2026 is one hour longer because clocks fall back on the 1st', () => {
    const w = resolveWindow(
      { kind: 'calendar', unit: 'month', timeZone: 'America/New_York' },
      Date.parse('2026-11-20T00:00:00Z'),
    );
    // 1 Nov 00:00 EDT (UTC-4) is 04:00 UTC; 1 Dec 00:00 EST (UTC-5) is 05:00 UTC.
    assert.equal(w.periodFromMinute, minuteOf('2026-11-01T04:00:00Z'));
    assert.equal(w.periodToMinute, minuteOf('2026-12-01T05:00:00Z'));
    assert.equal(w.periodToMinute - w.periodFromMinute, (30 * 24 + 1) * HOUR);
  });

  test('February 2028 in UTC has 29 days (leap year)', () => {
    const w = resolveWindow(
      { kind: 'calendar', unit: 'month', timeZone: 'UTC' },
      Date.parse('2028-02-10T00:00:00Z'),
    );
    assert.equal(w.periodToMinute - w.periodFromMinute, 29 * DAY);
  });

  test('a Berlin quarter turns over at local midnight, not UTC midnight', () => {
    const quarter = { kind: 'calendar', unit: 'quarter', timeZone: 'Europe/Berlin' } as const;
    // 31 March 21:59 UTC is 23:59 CEST: still Q1, which started 1 Jan 00:00 CET = 31 Dec 23:00 UTC.
    const q1 = resolveWindow(quarter, Date.parse('2026-03-31T21:59:00Z'));
    assert.equal(q1.periodFromMinute, minuteOf('2025-12-31T23:00:00Z'));
    assert.equal(q1.periodToMinute, minuteOf('2026-03-31T22:00:00Z'));
    // Q1 2026: 31 + 28 + 31 = 90 days, minus the spring-forward hour.
    assert.equal(q1.periodToMinute - q1.periodFromMinute, (90 * 24 - 1) * HOUR);
    const q2 = resolveWindow(quarter, Date.parse('2026-03-31T22:00:00Z'));
    assert.equal(q2.periodFromMinute, minuteOf('2026-03-31T22:00:00Z'));
    assert.equal(q2.fromMinute, q2.toMinute);
    // Q2: 30 + 31 + 30 = 91 days, no clock change.
    assert.equal(q2.periodToMinute - q2.periodFromMinute, 91 * DAY);
  });

  test('the fourth quarter ends at the next year', () => {
    const w = resolveWindow(
      { kind: 'calendar', unit: 'quarter', timeZone: 'Asia/Tokyo' },
      Date.parse('2026-12-31T14:59:00Z'),
    );
    // Tokyo is UTC+9 without DST: 1 Oct 00:00 JST is 30 Sep 15:00 UTC, 1 Jan 00:00 JST is 31 Dec 15:00 UTC.
    assert.equal(w.periodFromMinute, minuteOf('2026-09-30T15:00:00Z'));
    assert.equal(w.periodToMinute, minuteOf('2026-12-31T15:00:00Z'));
    assert.equal(w.periodToMinute - w.periodFromMinute, 92 * DAY);
  });

  test('consecutive periods share their boundary', () => {
    const march = resolveWindow(berlinMonth, Date.parse('2026-03-31T21:59:59Z'));
    const april = resolveWindow(berlinMonth, Date.parse('2026-03-31T22:00:00Z'));
    assert.equal(march.periodToMinute, april.periodFromMinute);
    assert.equal(march.toMinute, march.periodToMinute - 1);
  });
});

describe('wall-clock conversion', () => {
  test('a skipped wall time moves forward by the gap (02:30 becomes 03:30 CEST)', () => {
    const t = localToEpochMs('Europe/Berlin', Date.UTC(2026, 2, 29, 2, 30));
    assert.equal(t, Date.parse('2026-03-29T01:30:00Z'));
  });

  test('a repeated wall time takes its earlier instant', () => {
    const t = localToEpochMs('Europe/Berlin', Date.UTC(2026, 9, 25, 2, 30));
    assert.equal(t, Date.parse('2026-10-25T00:30:00Z'));
  });

  test('offsets follow the zone rules', () => {
    assert.equal(zoneOffsetMs('Europe/Berlin', Date.parse('2026-01-15T00:00:00Z')), 3_600_000);
    assert.equal(zoneOffsetMs('Europe/Berlin', Date.parse('2026-07-15T00:00:00Z')), 7_200_000);
    assert.equal(zoneOffsetMs('Asia/Kathmandu', Date.parse('2026-07-15T00:00:00Z')), (5 * 60 + 45) * 60_000);
  });
});
