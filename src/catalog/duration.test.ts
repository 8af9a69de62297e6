import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../../test/support/fuzz.ts';
import { formatMinutes, parseDurationMinutes } from './index.ts';

function minutes(text: string): number {
  const result = parseDurationMinutes(text);
  if (!result.ok) assert.fail(`"${text}" was rejected: ${result.issues[0]?.message}`);
  return result.value;
}

function rejection(text: string): string {
  const result = parseDurationMinutes(text);
  if (result.ok) assert.fail(`"${text}" was accepted as ${result.value} minutes`);
  return result.issues[0]!.message;
}

/** Minutes per unit: 1 w = 7 d, 1 d = 24 h, 1 h = 60 m. */
const UNITS = [
  ['w', 7 * 24 * 60],
  ['d', 24 * 60],
  ['h', 60],
  ['m', 1],
] as const;

describe('parsing durations', () => {
  test('each unit counts minutes: 5m, 1h, 28d, 4w', () => {
    assert.equal(minutes('5m'), 5);
    assert.equal(minutes('1h'), 60);
    assert.equal(minutes('28d'), 40_320); // 28 x 1,440
    assert.equal(minutes('4w'), 40_320); // 4 x 10,080: the same window as 28d
  });

  test('sums are written from the largest unit down: 1h30m is 90, 1d12h is 2,160', () => {
    assert.equal(minutes('1h30m'), 90);
    assert.equal(minutes('1d12h'), 2_160);
    assert.equal(minutes('1w2d3h4m'), 13_144); // 10,080 + 2,880 + 180 + 4
  });

  test('leading zeros and counts beyond the next unit are allowed: 090m, 36h', () => {
    assert.equal(minutes('090m'), 90);
    assert.equal(minutes('36h'), 2_160);
  });

  test('units out of order are rejected with the right spelling', () => {
    assert.match(rejection('12h1d'), /out of order \(write 1d12h, not 12h1d\)/);
    assert.match(rejection('30m1h'), /repeats a unit or lists units out of order/);
  });

  test('a repeated unit is rejected', () => {
    assert.match(rejection('1h1h'), /repeats a unit/);
  });

  test('seconds are below the one-minute resolution and rejected', () => {
    assert.match(rejection('90s'), /seconds are below Sextant's one-minute resolution/);
    assert.match(rejection('1m30s'), /not a duration/);
  });

  test('zero is not a duration', () => {
    assert.match(rejection('0m'), /is zero/);
    assert.match(rejection('0d0h'), /is zero/);
  });

  test('other spellings are rejected', () => {
    for (const text of [
      '',
      '5',
      'm',
      '1.5h',
      '-5m',
      '+5m',
      ' 5m',
      '5m ',
      '5 m',
      '5M',
      '1y',
      '1ms',
      'P1D',
      '1h-30m',
      '٥m',
    ])
      assert.match(rejection(text), /is not a duration/, JSON.stringify(text));
  });

  test('formatMinutes writes days, hours and minutes', () => {
    assert.equal(formatMinutes(90), '1h30m');
    assert.equal(formatMinutes(40_320), '28d');
    assert.equal(formatMinutes(1_441), '1d1m');
    assert.equal(formatMinutes(0), '0m');
  });

  test('a count too large to hold in minutes exactly is rejected', () => {
    rejection(`${'9'.repeat(400)}d`);
    rejection('9007199254740993m');
  });
});

/** A duration written from the largest unit down, with the minutes it means. */
const written = fc
  .tuple(...UNITS.map(() => fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined })))
  .map((counts) => {
    let text = '';
    let total = 0;
    counts.forEach((count, index) => {
      if (count === undefined) return;
      const [unit, size] = UNITS[index]!;
      text += `${count}${unit}`;
      total += count * size;
    });
    return { text, total };
  });

describe('duration properties', () => {
  test('a sum of units in order means the sum of their minutes', () => {
    fc.assert(
      fc.property(
        written.filter((d) => d.total > 0),
        ({ text, total }) => {
          assert.deepEqual(parseDurationMinutes(text), { ok: true, value: total });
        },
      ),
      fuzzParameters(1000),
    );
  });

  test('units in any other order are rejected', () => {
    const unordered = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('w', 'd', 'h', 'm')), {
        minLength: 2,
        maxLength: 5,
      })
      .filter((parts) =>
        parts.some(([, unit], i) => i > 0 && 'wdhm'.indexOf(unit) <= 'wdhm'.indexOf(parts[i - 1]![1])),
      );
    fc.assert(
      fc.property(unordered, (parts) => {
        const text = parts.map(([count, unit]) => `${count}${unit}`).join('');
        assert.equal(parseDurationMinutes(text).ok, false, text);
      }),
      fuzzParameters(1000),
    );
  });

  test('formatMinutes writes text that parses back to the same minutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (n) => {
        assert.deepEqual(parseDurationMinutes(formatMinutes(n)), { ok: true, value: n });
      }),
      fuzzParameters(1000),
    );
  });

  test('random text never throws, and what it accepts is a positive whole number of minutes', () => {
    const durationish = fc
      .array(fc.constantFrom('1', '0', '7', '99', 'w', 'd', 'h', 'm', 's', ' ', '.', '-', 'x'), {
        maxLength: 12,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(durationish, fc.string({ unit: 'binary', maxLength: 20 })), (text) => {
        const result = parseDurationMinutes(text);
        if (result.ok)
          assert.ok(Number.isSafeInteger(result.value) && result.value > 0, `${text}: ${result.value}`);
        else assert.ok(result.issues.length === 1 && result.issues[0]!.message.includes(`"${text}"`));
      }),
      fuzzParameters(2000),
    );
  });
});
