import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isValidTimeZone, localDateTime, localToEpochMs, zoneOffsetMs } from './time-zone.ts';

// 'Etc/GMT' is UTC by another name that still goes through Intl: the UTC shortcut must agree with it.
const instant = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) });

describe('UTC without Intl', () => {
  test('UTC and Etc/UTC read the same wall clock as Intl does for Etc/GMT', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom('UTC', 'Etc/UTC'), (ms, zone) => {
        assert.deepEqual(localDateTime(zone, ms), localDateTime('Etc/GMT', ms));
        assert.equal(zoneOffsetMs(zone, ms), 0);
        assert.equal(localToEpochMs(zone, ms), localToEpochMs('Etc/GMT', ms));
      }),
    );
  });

  test('UTC is valid, a misspelt zone is not', () => {
    assert.equal(isValidTimeZone('UTC'), true);
    assert.equal(isValidTimeZone('Etc/UTC'), true);
    assert.equal(isValidTimeZone('Europe/Berlin'), true);
    assert.equal(isValidTimeZone('Europe/Berlni'), false);
  });
});
