import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeWriteRequest, decodeWriteRequestV2, visitWriteRequest } from './decode.ts';
import { encodeWriteRequest, encodeWriteRequestV2 } from './encode.ts';
import { LabelInterner } from './intern.ts';
import { snappyCompress, snappyDecompress } from './snappy.ts';
import { metadataArb, runs, SEED, seriesArb, seriesV2Arb, unwrap } from './test-support.ts';

// deepStrictEqual compares with SameValue: NaN equals NaN and -0 differs from +0, so these
// properties also prove that NaN payloads (stale or not) and negative zero survive.

describe('encode → decode identity (fast-check)', () => {
  test('v1: random series with samples, exemplars, native histograms, and metadata', () => {
    fc.assert(
      fc.property(
        fc.array(seriesArb, { maxLength: 6 }),
        fc.array(metadataArb, { maxLength: 3 }),
        (timeseries, metadata) => {
          const decoded = unwrap(decodeWriteRequest(encodeWriteRequest({ timeseries, metadata })));
          assert.deepStrictEqual(decoded, { timeseries, metadata });
        },
      ),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  test('v2: random series with symbols, metadata and created timestamps', () => {
    fc.assert(
      fc.property(fc.array(seriesV2Arb, { maxLength: 6 }), (timeseries) => {
        const decoded = unwrap(decodeWriteRequestV2(encodeWriteRequestV2({ timeseries })));
        assert.deepStrictEqual(decoded, { timeseries });
      }),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  test('through snappy: compress(encode) → decompress → decode is the identity', () => {
    fc.assert(
      fc.property(fc.array(seriesArb, { maxLength: 20 }), (timeseries) => {
        const body = snappyCompress(encodeWriteRequest({ timeseries }));
        const protobuf = unwrap(snappyDecompress(body, 1 << 24));
        assert.deepStrictEqual(unwrap(decodeWriteRequest(protobuf)).timeseries, timeseries);
      }),
      { seed: SEED, numRuns: runs(100) },
    );
  });

  test('a shared interner gives the same strings across many requests', () => {
    const interner = new LabelInterner(64); // tiny, so slots are evicted and reused
    fc.assert(
      fc.property(fc.array(seriesArb, { maxLength: 10 }), (timeseries) => {
        const decoded = unwrap(decodeWriteRequest(encodeWriteRequest({ timeseries }), { interner }));
        assert.deepStrictEqual(decoded.timeseries, timeseries);
      }),
      { seed: SEED, numRuns: runs(200) },
    );
  });

  test('the streaming view and the plain decode agree sample by sample', () => {
    fc.assert(
      fc.property(fc.array(seriesArb, { maxLength: 6 }), (timeseries) => {
        const seen: unknown[] = [];
        visitWriteRequest(encodeWriteRequest({ timeseries }), {
          onSeries: (s) => {
            const samples = [];
            for (let i = 0; i < s.sampleCount; i++) {
              samples.push({
                value: s.sampleValue(i),
                timestampMs: s.sampleTimestampMs(i),
                stale: s.sampleIsStale(i),
              });
            }
            const labels = [];
            for (let i = 0; i < s.labelCount; i++)
              labels.push({ name: s.labelName(i), value: s.labelValue(i) });
            seen.push({ labels, samples });
          },
        });
        assert.deepStrictEqual(
          seen,
          timeseries.map((t) => ({ labels: t.labels, samples: t.samples })),
        );
      }),
      { seed: SEED, numRuns: runs(200) },
    );
  });
});
