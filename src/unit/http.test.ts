import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawSeriesKey } from '../ingest/index.ts';
import { encodeWriteRequest, snappyCompress, visitRemoteWriteBody } from '../remote-write/index.ts';
import { feedSeries } from './http.ts';

test('feedSeries hands the reducer the series key rawSeriesKey gives, and every sample', () => {
  const series = [
    { __name__: 'http_requests_total', code: '200', job: 'api', route: '/a' },
    { __name__: 'http_requests_total', code: '500', job: 'api', route: '/ä\u{1F600}' },
    { __name__: 'up', job: 'api' },
  ];
  const body = snappyCompress(
    encodeWriteRequest({
      timeseries: series.map((labels, i) => ({
        labels: Object.entries(labels)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, value]) => ({ name, value })),
        samples: [
          { timestampMs: 1_000 * (i + 1), value: i },
          { timestampMs: 2_000 * (i + 1), value: i + 0.5 },
        ],
      })),
    }),
  );
  const seen: { labels: Record<string, string>; samples: unknown[]; key: string | undefined }[] = [];
  const reducer = {
    series(
      labels: Readonly<Record<string, string>>,
      samples: readonly { timestampMs: number; value: number; stale?: boolean }[],
      key?: string,
    ) {
      seen.push({ labels: { ...labels }, samples: samples.map((s) => ({ ...s })), key });
      return true;
    },
  };
  const result = visitRemoteWriteBody(
    body,
    { contentType: 'application/x-protobuf', contentEncoding: 'snappy' },
    { onSeries: (view) => feedSeries(reducer, view) },
    { maxDecompressedBytes: 1 << 20 },
  );
  assert.ok(result.ok);
  assert.deepEqual(
    seen.map((s) => s.labels),
    series,
  );
  for (const s of seen) assert.equal(s.key, rawSeriesKey(s.labels));
  assert.deepEqual(seen[2]!.samples, [
    { timestampMs: 3_000, value: 2, stale: false },
    { timestampMs: 6_000, value: 2.5, stale: false },
  ]);
});
