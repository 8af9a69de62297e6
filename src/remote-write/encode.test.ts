import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeWriteRequest } from './decode.ts';
import { encodeWriteRequest, encodeWriteRequestV2 } from './encode.ts';
import { toHex, unwrap } from './test-support.ts';

const up = { name: '__name__', value: 'up' };

describe('encoders', () => {
  test('v2 interns each string once, "" first, in order of first use', () => {
    // symbols (field 4): "" | "__name__" | "up" | "job" | "a" | "b"
    //   22 00 | 22 08 5f5f6e616d655f5f | 22 02 7570 | 22 03 6a6f62 | 22 01 61 | 22 01 62
    // timeseries (field 5), labels_refs packed (0a 04): [1,2,3,4] then [1,2,3,5].
    const bytes = encodeWriteRequestV2({
      timeseries: [
        { labels: [up, { name: 'job', value: 'a' }] },
        { labels: [up, { name: 'job', value: 'b' }] },
      ],
    });
    assert.equal(
      toHex(bytes),
      '2200' +
        '22085f5f6e616d655f5f' +
        '22027570' +
        '22036a6f62' +
        '220161' +
        '220162' +
        '2a06 0a04 01020304'.replace(/ /g, '') +
        '2a06 0a04 01020305'.replace(/ /g, ''),
    );
  });

  test('negative zero survives (its sign bit makes the double non-default)', () => {
    const bytes = encodeWriteRequest({
      timeseries: [{ labels: [up], samples: [{ value: -0, timestampMs: 1 }] }],
    });
    assert.ok(Object.is(unwrap(decodeWriteRequest(bytes)).timeseries[0]?.samples[0]?.value, -0));
  });

  test('labels are written in the order given (the caller sorts)', () => {
    const labels = [{ name: 'job', value: 'a' }, up];
    const [s] = unwrap(
      decodeWriteRequest(encodeWriteRequest({ timeseries: [{ labels }] }), { allowUnsortedLabels: true }),
    ).timeseries;
    assert.deepEqual(s?.labels, [up, { name: 'job', value: 'a' }]);
    assert.equal(decodeWriteRequest(encodeWriteRequest({ timeseries: [{ labels }] })).ok, false);
  });

  test('a long series needs a multi-byte length prefix and still decodes', () => {
    // 300 labels of 71 bytes (2 + 7 name + 62 value): 21,300 bytes is above 2^14, so the
    // series length takes a 3-byte varint (the body is shifted to make room).
    const labels = Array.from({ length: 300 }, (_, i) => ({
      name: `l${String(i).padStart(4, '0')}`,
      value: 'v'.repeat(60),
    }));
    const [s] = unwrap(decodeWriteRequest(encodeWriteRequest({ timeseries: [{ labels }] }))).timeseries;
    assert.equal(s?.labels.length, 300);
  });

  test('fractional timestamps and negative counts are caller bugs: RangeError', () => {
    assert.throws(
      () => encodeWriteRequest({ timeseries: [{ labels: [up], samples: [{ value: 1, timestampMs: 1.5 }] }] }),
      RangeError,
    );
    const histogram = unwrap(
      decodeWriteRequest(
        encodeWriteRequest({
          timeseries: [
            {
              labels: [up],
              histograms: [
                {
                  count: 1,
                  countIsFloat: false,
                  sum: 0,
                  schema: 0,
                  zeroThreshold: 0,
                  zeroCount: 0,
                  zeroCountIsFloat: false,
                  negativeSpans: [],
                  negativeDeltas: [],
                  negativeCounts: [],
                  positiveSpans: [],
                  positiveDeltas: [],
                  positiveCounts: [],
                  resetHint: 'unknown',
                  timestampMs: 0,
                  customValues: [],
                },
              ],
            },
          ],
        }),
      ),
    ).timeseries[0]!.histograms[0]!;
    assert.throws(
      () => encodeWriteRequest({ timeseries: [{ labels: [up], histograms: [{ ...histogram, count: -1 }] }] }),
      RangeError,
    );
  });
});
