import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMinutes, encodeMinutes, encodeMinutesTransient, MINUTES_PER_HOUR } from './minute-blob.ts';

function hour(fill: (i: number) => [good: number, total: number]) {
  const good = new Float64Array(MINUTES_PER_HOUR);
  const total = new Float64Array(MINUTES_PER_HOUR);
  for (let i = 0; i < MINUTES_PER_HOUR; i++) [good[i], total[i]] = fill(i);
  return { good, total };
}

function roundTrip(h: { good: Float64Array; total: Float64Array }) {
  const blob = encodeMinutes(h.good, h.total);
  const good = new Float64Array(MINUTES_PER_HOUR);
  const total = new Float64Array(MINUTES_PER_HOUR);
  decodeMinutes(blob, good, total);
  assert.deepEqual([...good], [...h.good]);
  assert.deepEqual([...total], [...h.total]);
  return blob.length;
}

describe('minute blobs', () => {
  test('an hour without traffic is the 3-byte header alone', () => {
    assert.equal(roundTrip(hour(() => [0, 0])), 3);
  });

  test('an hour of up to 65,535 requests a minute without errors takes 2 bytes per minute', () => {
    // 3 header bytes + 60 x 2 bytes of totals; bad counts are all 0 and take none.
    assert.equal(roundTrip(hour((i) => [1000 + i * 900, 1000 + i * 900])), 123);
  });

  test('a few errors add one byte per minute for the bad counts', () => {
    // 3 + 60 x 2 (totals) + 60 x 1 (bad below 256) = 183.
    assert.equal(roundTrip(hour((i) => [4000 - (i % 5), 4000])), 183);
  });

  test('apdex halves are stored doubled and come back exact', () => {
    // Totals up to 200 doubled fit a byte: 3 + 60 + 60 = 123.
    assert.equal(roundTrip(hour((i) => [i + 0.5, 2 * i + 1])), 123);
  });

  test('counts above 2^32 and arbitrary fractions fall back to float64', () => {
    // Totals need float64 (3 + 480); bad = i still fits a byte (60).
    assert.equal(roundTrip(hour((i) => [2 ** 40 + i, 2 ** 40 + 2 * i])), 3 + 60 * 8 + 60);
    // good = 0.1 x total is no multiple of 0.5: good is stored as float64 rather than bad.
    assert.equal(roundTrip(hour((i) => [0.1 * i, i])), 3 + 60 + 60 * 8);
  });

  test('a blob whose length does not match its header is refused', () => {
    const blob = encodeMinutes(hour(() => [1, 2]).good, hour(() => [1, 2]).total);
    assert.throws(
      () => decodeMinutes(blob.subarray(0, blob.length - 1), new Float64Array(60), new Float64Array(60)),
      /corrupt minute blob/,
    );
    assert.throws(
      () => decodeMinutes(new Uint8Array(1), new Float64Array(60), new Float64Array(60)),
      /corrupt/,
    );
  });
});

test('the transient encoding has the bytes of the fresh one, for every width', () => {
  const hours = [
    hour(() => [0, 0]),
    hour((i) => [i, i]),
    hour((i) => [i * 300, i * 1000]),
    hour((i) => [i * 0.5, i * 100_000]),
    hour((i) => [i / 3, i]),
    hour((i) => [2 ** 40 + i, 2 ** 41]),
  ];
  for (const h of hours) {
    const fresh = encodeMinutes(h.good, h.total);
    assert.deepEqual([...encodeMinutesTransient(h.good, h.total)], [...fresh]);
  }
});
