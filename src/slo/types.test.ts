import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertClose } from './test-support.ts';
import { alertFactor, DEFAULT_ALERT_TIERS } from './types.ts';

describe('alert factors', () => {
  test('the Workbook tiers fire at 14.4, 6, 3 and 1 over a 30d period', () => {
    // SLO-MATH.md table, column "f at 30d".
    const got = DEFAULT_ALERT_TIERS.map((t) => alertFactor(t, 30 * 1440));
    [14.4, 6, 3, 1].forEach((f, i) => {
      assertClose(got[i], f);
    });
  });

  test('the same tiers fire at 13.44, 5.6, 2.8 and 0.9333 over a 28d period', () => {
    // SLO-MATH.md table, column "f at 28d".
    const got = DEFAULT_ALERT_TIERS.map((t) => alertFactor(t, 28 * 1440));
    [13.44, 5.6, 2.8, 0.9333].forEach((f, i) => {
      assertClose(got[i], f, 1e-4);
    });
  });

  test('an explicit factor overrides the derived one', () => {
    assert.equal(alertFactor({ ...DEFAULT_ALERT_TIERS[0]!, factor: 10 }, 30 * 1440), 10);
  });

  test('the default tiers follow the Workbook windows and for durations', () => {
    assert.deepEqual(
      DEFAULT_ALERT_TIERS.map((t) => [
        t.severity,
        t.budgetShare,
        t.longMinutes,
        t.shortMinutes,
        t.forMinutes,
      ]),
      [
        ['page', 0.02, 60, 5, 2],
        ['page', 0.05, 360, 30, 15],
        ['ticket', 0.1, 1440, 120, 60],
        ['ticket', 0.1, 4320, 360, 60],
      ],
    );
    // Short windows are a twelfth of the long ones.
    for (const t of DEFAULT_ALERT_TIERS) assert.equal(t.shortMinutes * 12, t.longMinutes);
    assert.ok(Object.isFrozen(DEFAULT_ALERT_TIERS[0]));
  });
});
