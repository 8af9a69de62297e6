import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SeriesView } from './decode.ts';
import { encodeWriteRequest, encodeWriteRequestV2 } from './encode.ts';
import { REMOTE_WRITE_V2_CONTENT_TYPE, remoteWriteMessageOf, visitRemoteWriteBody } from './protocol.ts';
import { snappyCompress } from './snappy.ts';
import { issuesOf, unwrap } from './test-support.ts';

describe('content negotiation (spec 2.0 "Content-Type")', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['application/x-protobuf', 'v1'],
    ['application/x-protobuf;proto=prometheus.WriteRequest', 'v1'],
    ['application/x-protobuf;proto=io.prometheus.write.v2.Request', 'v2'],
    ['Application/X-Protobuf; proto="io.prometheus.write.v2.Request"', 'v2'],
    [undefined, 'v1'],
    ['', 'v1'],
    ['application/json', undefined],
    ['application/x-protobuf;proto=io.prometheus.write.v3.Request', undefined],
  ];
  for (const [header, message] of cases) {
    test(`${JSON.stringify(header)} selects ${message ?? 'nothing (415)'}`, () => {
      assert.equal(remoteWriteMessageOf(header), message);
    });
  }
});

describe('visitRemoteWriteBody', () => {
  const labels = [{ name: '__name__', value: 'up' }];
  const samples = [{ value: 1, timestampMs: 1000 }];
  const limits = { maxDecompressedBytes: 1 << 20 };

  test('a v1 body with the 1.0 headers is decompressed and decoded', () => {
    const body = snappyCompress(encodeWriteRequest({ timeseries: [{ labels, samples }] }));
    let metric = '';
    const result = visitRemoteWriteBody(
      body,
      { contentType: 'application/x-protobuf', contentEncoding: 'snappy' },
      {
        onSeries: (s) => {
          metric = s.metricName;
        },
      },
      limits,
    );
    assert.equal(unwrap(result).acceptedSamples, 1);
    assert.equal(result.message, 'v1');
    assert.equal(metric, 'up');
  });

  test('bodies decoded one after another each read their own samples (the buffer is reused)', () => {
    const seen: string[] = [];
    for (const [name, value] of [
      ['a_long_metric_name_first', 1],
      ['b', 2],
    ] as const) {
      const body = snappyCompress(
        encodeWriteRequest({
          timeseries: [{ labels: [{ name: '__name__', value: name }], samples: [{ value, timestampMs: 1 }] }],
        }),
      );
      const visitor = { onSeries: (s: SeriesView) => seen.push(`${s.metricName}=${s.sampleValue(0)}`) };
      unwrap(visitRemoteWriteBody(body, {}, visitor, limits));
    }
    assert.deepEqual(seen, ['a_long_metric_name_first=1', 'b=2']);
  });

  test('a visitor may decode another body while it is handed a series', () => {
    const outer = snappyCompress(encodeWriteRequest({ timeseries: [{ labels, samples }] }));
    const inner = snappyCompress(
      encodeWriteRequest({
        timeseries: [
          { labels: [{ name: '__name__', value: 'inner' }], samples: [{ value: 7, timestampMs: 1 }] },
        ],
      }),
    );
    const seen: string[] = [];
    const visitor = {
      onSeries: (s: SeriesView) => {
        const before = `${s.metricName}=${s.sampleValue(0)}`;
        unwrap(
          visitRemoteWriteBody(
            inner,
            {},
            { onSeries: (t) => seen.push(`${t.metricName}=${t.sampleValue(0)}`) },
            limits,
          ),
        );
        seen.push(before, `${s.metricName}=${s.sampleValue(0)}`);
      },
    };
    unwrap(visitRemoteWriteBody(outer, {}, visitor, limits));
    assert.deepEqual(seen, ['inner=7', 'up=1', 'up=1']);
  });

  test('a v2 body is read with the v2 schema when the Content-Type says so', () => {
    const body = snappyCompress(encodeWriteRequestV2({ timeseries: [{ labels, samples }] }));
    const result = visitRemoteWriteBody(body, { contentType: REMOTE_WRITE_V2_CONTENT_TYPE }, {}, limits);
    assert.equal(unwrap(result).acceptedSeries, 1);
    assert.equal(result.message, 'v2');
  });

  test('an unknown Content-Type or Content-Encoding is a request.* issue (415)', () => {
    const body = snappyCompress(new Uint8Array(0));
    assert.equal(
      issuesOf(visitRemoteWriteBody(body, { contentType: 'text/plain' }, {}, limits))[0]?.code,
      'request.content-type',
    );
    assert.equal(
      issuesOf(visitRemoteWriteBody(body, { contentEncoding: 'gzip' }, {}, limits))[0]?.code,
      'request.content-encoding',
    );
  });

  test('a body that decompresses above the limit is rejected', () => {
    const body = snappyCompress(new Uint8Array(4096));
    const result = visitRemoteWriteBody(body, {}, {}, { maxDecompressedBytes: 1024 });
    assert.equal(issuesOf(result)[0]?.code, 'snappy.too-large');
  });
});
