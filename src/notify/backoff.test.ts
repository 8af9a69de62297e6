import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALERTMANAGER_BACKOFF, backoffDelayMs, parseRetryAfterMs, WEBHOOK_BACKOFF } from './index.ts';

describe('backoffDelayMs', () => {
  test('Alertmanager waits double each time from 1 s and stays at 5 minutes', () => {
    const waits = Array.from({ length: 12 }, (_, i) => backoffDelayMs(i + 1, ALERTMANAGER_BACKOFF, 0) / 1000);
    assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
  });

  test('webhooks wait 5 s doubling to 10 minutes', () => {
    const waits = Array.from({ length: 9 }, (_, i) => backoffDelayMs(i + 1, WEBHOOK_BACKOFF, 0) / 1000);
    assert.deepEqual(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600]);
  });

  test('jitter takes at most a fifth off, never adds, and never exceeds the cap', () => {
    assert.equal(backoffDelayMs(3, ALERTMANAGER_BACKOFF, 0.5), 3600);
    assert.equal(backoffDelayMs(3, ALERTMANAGER_BACKOFF, 0.999_999), 3200);
    assert.equal(backoffDelayMs(40, ALERTMANAGER_BACKOFF, 0), 300_000);
    assert.equal(backoffDelayMs(40, ALERTMANAGER_BACKOFF, 0.5), 270_000);
  });

  test('a thousand failures do not overflow the wait', () => {
    assert.equal(backoffDelayMs(1000, ALERTMANAGER_BACKOFF, 0), 300_000);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.UTC(2026, 10, 1, 10, 0, 0);

  test('seconds are taken as they are', () => {
    assert.equal(parseRetryAfterMs('120', now), 120_000);
    assert.equal(parseRetryAfterMs(' 0 ', now), 0);
  });

  test('an HTTP-date is a wait from now, and a past date means now', () => {
    assert.equal(parseRetryAfterMs('Sun, 01 Nov 2026 10:02:30 GMT', now), 150_000);
    assert.equal(parseRetryAfterMs('Sunday, 01-Nov-26 10:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfterMs('Sun, 01 Nov 2026 09:00:00 GMT', now), 0);
  });

  test('absent, negative or unreadable values are ignored', () => {
    assert.equal(parseRetryAfterMs(null, now), null);
    assert.equal(parseRetryAfterMs('-5', now), null);
    assert.equal(parseRetryAfterMs('1.5', now), null);
    assert.equal(parseRetryAfterMs('soon', now), null);
    assert.equal(parseRetryAfterMs('2026-11-01T10:05:00Z', now), null);
  });
});
