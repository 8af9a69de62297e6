import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cronMatches, cronMatchesDay, cronOccurrences, parseCron } from './cron.ts';
import { minuteOf, unwrap } from './test-support.ts';

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('parseCron', () => {
  test('steps, ranges and weekday names expand to the listed values', () => {
    const c = unwrap(parseCron('*/15 9-17 * * mon-fri'));
    assert.deepEqual(c.minutes, [0, 15, 30, 45]);
    assert.deepEqual(c.hours, range(9, 17));
    assert.deepEqual(c.daysOfMonth, range(1, 31));
    assert.deepEqual(c.months, range(1, 12));
    assert.deepEqual(c.daysOfWeek, [1, 2, 3, 4, 5]);
  });

  test('lists, stepped ranges and month names combine', () => {
    const c = unwrap(parseCron('0,30 */6 1-10/3 JAN,jul *'));
    assert.deepEqual(c.minutes, [0, 30]);
    assert.deepEqual(c.hours, [0, 6, 12, 18]);
    assert.deepEqual(c.daysOfMonth, [1, 4, 7, 10]);
    assert.deepEqual(c.months, [1, 7]);
  });

  test('a value with a step runs to the end of the field (cronie "5/20")', () => {
    assert.deepEqual(unwrap(parseCron('5/20 * * * *')).minutes, [5, 25, 45]);
  });

  test('7 is Sunday, like 0', () => {
    assert.deepEqual(unwrap(parseCron('0 0 * * 7')).daysOfWeek, [0]);
    assert.deepEqual(unwrap(parseCron('0 0 * * 5-7')).daysOfWeek, [0, 5, 6]);
    assert.deepEqual(unwrap(parseCron('0 0 * * *')).daysOfWeek, range(0, 6));
  });

  test('macros expand to their five fields', () => {
    const daily = unwrap(parseCron('@daily'));
    assert.deepEqual([daily.minutes, daily.hours], [[0], [0]]);
    assert.deepEqual(unwrap(parseCron('@weekly')).daysOfWeek, [0]);
  });

  test('invalid expressions are returned as issues, never thrown', () => {
    const cases: [string, (string | number)[]][] = [
      ['60 * * * *', ['minute']],
      ['* 24 * * *', ['hour']],
      ['* * 0 * *', ['dayOfMonth']],
      ['* * * 13 *', ['month']],
      ['* * * * 8', ['dayOfWeek']],
      ['*/0 * * * *', ['minute']],
      ['5-1 * * * *', ['minute']],
      ['foo * * * *', ['minute']],
      ['1,,2 * * * *', ['minute']],
      ['* * * * * *', []],
      ['* * *', []],
      ['', []],
      ['@reboot', []],
    ];
    for (const [expression, path] of cases) {
      const r = parseCron(expression);
      assert.equal(r.ok, false, expression);
      if (!r.ok) {
        assert.equal(r.issues[0]!.code, 'invalid_cron', expression);
        assert.deepEqual(r.issues[0]!.path, path, expression);
      }
    }
  });
});

describe('cron matching', () => {
  // March 2026: the 6th and the 13th are Fridays, the 14th a Saturday.
  test('with both day fields restricted, a day matching either one matches (Vixie OR rule)', () => {
    const c = unwrap(parseCron('0 0 13 * 5'));
    assert.equal(cronMatchesDay(c, 3, 6, 5), true);
    assert.equal(cronMatchesDay(c, 3, 13, 5), true);
    assert.equal(cronMatchesDay(c, 3, 14, 6), false);
  });

  test('a day field starting with * makes the day fields AND together', () => {
    const c = unwrap(parseCron('0 0 */2 * 5'));
    // */2 over 1-31 is the odd days: Friday 13th matches, Friday 6th does not.
    assert.equal(cronMatchesDay(c, 3, 13, 5), true);
    assert.equal(cronMatchesDay(c, 3, 6, 5), false);
    assert.equal(cronMatchesDay(c, 3, 15, 0), false);
  });

  test('minute, hour and month must all match', () => {
    const c = unwrap(parseCron('30 2 * 3 *'));
    assert.equal(cronMatches(c, { month: 3, day: 1, weekday: 0, hour: 2, minute: 30 }), true);
    assert.equal(cronMatches(c, { month: 3, day: 1, weekday: 0, hour: 2, minute: 31 }), false);
    assert.equal(cronMatches(c, { month: 4, day: 1, weekday: 3, hour: 2, minute: 30 }), false);
  });
});

describe('cronOccurrences', () => {
  test('Sundays at 02:00 in Berlin during March 2026, the last one moved past the skipped hour', () => {
    const c = unwrap(parseCron('0 2 * * sun'));
    const got = cronOccurrences(
      c,
      'Europe/Berlin',
      minuteOf('2026-03-01T00:00:00Z'),
      minuteOf('2026-04-01T00:00:00Z'),
    );
    // 02:00 CET = 01:00 UTC; on 29 March 02:00 does not exist and becomes 03:00 CEST = 01:00 UTC.
    assert.deepEqual(got, [
      minuteOf('2026-03-01T01:00:00Z'),
      minuteOf('2026-03-08T01:00:00Z'),
      minuteOf('2026-03-15T01:00:00Z'),
      minuteOf('2026-03-22T01:00:00Z'),
      minuteOf('2026-03-29T01:00:00Z'),
    ]);
  });

  test('a start in the repeated hour when clocks fall back fires once', () => {
    const c = unwrap(parseCron('30 2 * * *'));
    const got = cronOccurrences(
      c,
      'Europe/Berlin',
      minuteOf('2026-10-24T00:00:00Z'),
      minuteOf('2026-10-27T00:00:00Z'),
    );
    // 24th 02:30 CEST = 00:30 UTC; 25th first 02:30 (CEST) = 00:30 UTC; 26th 02:30 CET = 01:30 UTC.
    assert.deepEqual(got, [
      minuteOf('2026-10-24T00:30:00Z'),
      minuteOf('2026-10-25T00:30:00Z'),
      minuteOf('2026-10-26T01:30:00Z'),
    ]);
  });

  test('the range is half-open', () => {
    const c = unwrap(parseCron('0 * * * *'));
    const from = minuteOf('2026-01-01T00:00:00Z');
    assert.deepEqual(cronOccurrences(c, 'UTC', from, from + 120), [from, from + 60]);
    assert.deepEqual(cronOccurrences(c, 'UTC', from + 1, from + 60), []);
  });

  test('the first of each month at 09:00 New York time', () => {
    const c = unwrap(parseCron('0 9 1 * *'));
    const got = cronOccurrences(
      c,
      'America/New_York',
      minuteOf('2026-01-01T00:00:00Z'),
      minuteOf('2026-08-01T00:00:00Z'),
    );
    // EST (UTC-5) until 8 March, EDT (UTC-4) after.
    assert.deepEqual(got, [
      minuteOf('2026-01-01T14:00:00Z'),
      minuteOf('2026-02-01T14:00:00Z'),
      minuteOf('2026-03-01T14:00:00Z'),
      minuteOf('2026-04-01T13:00:00Z'),
      minuteOf('2026-05-01T13:00:00Z'),
      minuteOf('2026-06-01T13:00:00Z'),
      minuteOf('2026-07-01T13:00:00Z'),
    ]);
  });

  test('every minute of a day where clocks spring forward yields 23 hours of starts', () => {
    const c = unwrap(parseCron('* * * * *'));
    // 29 March 2026 in Berlin runs from 28 Mar 23:00 UTC to 29 Mar 22:00 UTC: 23 hours.
    const got = cronOccurrences(
      c,
      'Europe/Berlin',
      minuteOf('2026-03-28T23:00:00Z'),
      minuteOf('2026-03-29T22:00:00Z'),
    );
    assert.equal(got.length, 23 * 60);
    assert.equal(new Set(got).size, got.length);
  });
});
