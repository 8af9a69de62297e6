import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apdexCounts } from './apdex.ts';
import { unwrap } from './test-support.ts';

describe('apdex counts', () => {
  test('tolerated requests count half: 80 satisfied and 10 tolerated of 100 is 85 good', () => {
    // Apdex = (satisfied + tolerated / 2) / total = (80 + 10 / 2) / 100 = 0.85.
    assert.deepEqual(unwrap(apdexCounts(7, { satisfied: 80, tolerated: 90, total: 100 })), {
      minute: 7,
      good: 85,
      total: 100,
    });
  });

  test('without a tolerated bucket only satisfied requests are good', () => {
    assert.deepEqual(unwrap(apdexCounts(7, { satisfied: 80, total: 100 })), {
      minute: 7,
      good: 80,
      total: 100,
    });
  });

  test('non-cumulative buckets are answered with issues', () => {
    assert.equal(apdexCounts(7, { satisfied: 90, tolerated: 80, total: 100 }).ok, false);
    assert.equal(apdexCounts(7, { satisfied: 80, tolerated: 110, total: 100 }).ok, false);
    assert.equal(apdexCounts(7, { satisfied: -1, total: 100 }).ok, false);
  });
});
