import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type DecodeOptions,
  decodeWriteRequest,
  decodeWriteRequestV2,
  type SeriesView,
  visitWriteRequest,
  visitWriteRequestV2,
} from './decode.ts';
import { encodeWriteRequest, encodeWriteRequestV2 } from './encode.ts';
import { hex, issuesOf, toHex, unwrap } from './test-support.ts';
import type { Histogram } from './types.ts';

// A minimal protobuf writer for building test payloads by hand, independent of encode.ts.
const enc = new TextEncoder();
function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}
function varint(value: bigint | number): number[] {
  // Two's complement over 64 bits for negatives, as protobuf int64 does.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
function ld(field: number, body: Uint8Array | number[]): Uint8Array {
  return cat(varint((field << 3) | 2), varint(body.length), body);
}
const str = (s: string) => enc.encode(s);
const label = (name: string, value: string) => ld(1, cat(ld(1, str(name)), ld(2, str(value))));
function f64(value: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, value, true);
  return [...b];
}
/** A v1 Sample with the given 8 value bytes (little-endian) and timestamp. */
const sampleBytes = (valueLE: number[], ts: bigint | number) =>
  ld(2, cat([0x09], valueLE, [0x10], varint(ts)));
const sample = (value: number, ts: number) => sampleBytes(f64(value), ts);
const series = (...parts: Uint8Array[]) => ld(1, cat(...parts));
const up = label('__name__', 'up');

function collect(body: Uint8Array, options: DecodeOptions = {}, version: 1 | 2 = 1) {
  const seen: { labels: string; samples: string }[] = [];
  const visit = version === 1 ? visitWriteRequest : visitWriteRequestV2;
  const result = visit(
    body,
    {
      onSeries: (s) =>
        seen.push({
          labels: s
            .labels()
            .map((l) => `${l.name}=${l.value}`)
            .join(','),
          samples: s
            .samples()
            .map((x) => `${x.value}@${x.timestampMs}`)
            .join(','),
        }),
    },
    options,
  );
  return { result, seen };
}

describe('v1 WriteRequest golden bytes', () => {
  // up{} 1 @ 1000, worked out by hand:
  //   0a 1e                       WriteRequest.timeseries (field 1, wire type 2), 30 bytes
  //     0a 0e                     TimeSeries.labels (1, LEN), 14 bytes
  //       0a 08 5f5f6e616d655f5f  Label.name "__name__"
  //       12 02 7570              Label.value (2, LEN) "up"
  //     12 0c                     TimeSeries.samples (2, LEN), 12 bytes
  //       09 000000000000f03f     Sample.value (1, I64): 1.0 is 0x3FF0000000000000, little-endian
  //       10 e807                 Sample.timestamp (2, VARINT): 1000 = 0b111_1101000 → e8 07
  const golden = hex('0a1e 0a0e 0a08 5f5f6e616d655f5f 1202 7570 120c 09 000000000000f03f 10 e807');
  const request = {
    timeseries: [
      {
        labels: [{ name: '__name__', value: 'up' }],
        samples: [{ value: 1, timestampMs: 1000, stale: false }],
        exemplars: [],
        histograms: [],
      },
    ],
    metadata: [],
  };

  test('decodes to one series up=1 at 1000 ms', () => {
    assert.deepEqual(unwrap(decodeWriteRequest(golden)), request);
  });

  test('the encoder writes exactly these bytes', () => {
    assert.equal(toHex(encodeWriteRequest(request)), toHex(golden));
  });

  test('metadata: MetricMetadata{COUNTER, "up", help "h", unit "s"}', () => {
    // 1a 0c: WriteRequest.metadata (3, LEN). 08 01: type = COUNTER (1). 12 02 7570:
    // metric_family_name (2). 22 01 68: help (4). 2a 01 73: unit (5).
    const bytes = hex('1a0c 0801 1202 7570 2201 68 2a01 73');
    const metadata = [{ type: 'counter' as const, metricFamilyName: 'up', help: 'h', unit: 's' }];
    assert.deepEqual(unwrap(decodeWriteRequest(bytes)), { timeseries: [], metadata });
    assert.equal(toHex(encodeWriteRequest({ timeseries: [], metadata })), toHex(bytes));
  });

  test('a native histogram: zigzag schema, spans and deltas', () => {
    // Histogram body (28 bytes):
    //   08 05              count_int (1) = 5
    //   19 ...2940         sum (3, I64) = 12.5 = 0x4029000000000000
    //   20 06              schema (4, sint32) = 3 → zigzag 6
    //   30 00              zero_count_int (6) = 0 (a oneof member, so written)
    //   5a 04 0803 1002    positive_spans (11, LEN): offset sint32 -2 → 3, length 2
    //   62 02 04 02        positive_deltas (12, packed sint64): 2 → 4, 1 → 2
    //   78 e807            timestamp (15) = 1000
    // The series: label __name__="h" (0a 0d ...), then histograms (4, LEN) = 22 1c.
    const bytes = hex(
      '0a2d 0a0d 0a08 5f5f6e616d655f5f 1201 68 221c 0805 19 0000000000002940 2006 3000 5a04 0803 1002 6202 0402 78e807',
    );
    const histogram: Histogram = {
      count: 5,
      countIsFloat: false,
      sum: 12.5,
      schema: 3,
      zeroThreshold: 0,
      zeroCount: 0,
      zeroCountIsFloat: false,
      negativeSpans: [],
      negativeDeltas: [],
      negativeCounts: [],
      positiveSpans: [{ offset: -2, length: 2 }],
      positiveDeltas: [2, 1],
      positiveCounts: [],
      resetHint: 'unknown',
      timestampMs: 1000,
      customValues: [],
    };
    const decoded = unwrap(decodeWriteRequest(bytes));
    assert.deepEqual(decoded.timeseries[0]?.histograms, [histogram]);
    const labels = [{ name: '__name__', value: 'h' }];
    assert.equal(
      toHex(encodeWriteRequest({ timeseries: [{ labels, histograms: [histogram] }] })),
      toHex(bytes),
    );
  });
});

describe('v2 Request golden bytes', () => {
  //   22 00                       Request.symbols (field 4, LEN) ""  (tag 4<<3|2 = 0x22)
  //   22 08 5f5f6e616d655f5f      symbols[1] "__name__"
  //   22 02 7570                  symbols[2] "up"
  //   2a 12                       Request.timeseries (5, LEN), 18 bytes (tag 5<<3|2 = 0x2a)
  //     0a 02 01 02               labels_refs (1), packed: [1, 2] → __name__="up"
  //     12 0c 09 ...f03f 10 e807  samples, as in v1
  const golden = hex('2200 2208 5f5f6e616d655f5f 2202 7570 2a12 0a02 0102 120c 09 000000000000f03f 10 e807');
  const request = {
    timeseries: [
      {
        labels: [{ name: '__name__', value: 'up' }],
        samples: [{ value: 1, timestampMs: 1000, stale: false }],
        exemplars: [],
        histograms: [],
        metadata: { type: 'unknown' as const, help: '', unit: '' },
        createdTimestampMs: 0,
      },
    ],
  };

  test('decodes to one series up=1 at 1000 ms', () => {
    assert.deepEqual(unwrap(decodeWriteRequestV2(golden)), request);
  });

  test('the encoder writes exactly these bytes', () => {
    assert.equal(toHex(encodeWriteRequestV2(request)), toHex(golden));
  });

  test('metadata refs and created_timestamp are resolved', () => {
    // Symbols "", "__name__", "up", "Requests.", "1". Series: labels_refs [1,2], sample,
    // metadata (5, LEN) 2a 06: type COUNTER 08 01, help_ref 18 03, unit_ref 20 04;
    // created_timestamp (6, VARINT) 30 e807 = 1000.
    const bytes = hex(
      '2200 2208 5f5f6e616d655f5f 2202 7570 2209 52657175657374732e 2201 31' +
        '2a1d 0a02 0102 120c 09 000000000000f03f 10 e807 2a06 0801 1803 2004 30 e807',
    );
    const [s] = unwrap(decodeWriteRequestV2(bytes)).timeseries;
    assert.deepEqual(s?.metadata, { type: 'counter', help: 'Requests.', unit: '1' });
    assert.equal(s?.createdTimestampMs, 1000);
  });
});

describe('stale markers (spec: NaN 0x7ff0000000000002)', () => {
  const one = (valueLE: string) => {
    const body = series(up, sampleBytes([...hex(valueLE)], 1000));
    return unwrap(decodeWriteRequest(body)).timeseries[0]!.samples[0]!;
  };

  test('the stale bit pattern is flagged stale, with value NaN', () => {
    const s = one('0200000000 00f07f');
    assert.equal(s.stale, true);
    assert.ok(Number.isNaN(s.value));
  });

  test("Prometheus's ordinary NaN 0x7ff8000000000001 is a value, not a stale marker", () => {
    const s = one('0100000000 00f87f');
    assert.equal(s.stale, false);
    assert.ok(Number.isNaN(s.value));
  });

  test('a neighbouring NaN payload 0x7ff0000000000003 is not stale', () => {
    assert.equal(one('0300000000 00f07f').stale, false);
  });

  test('the view flags it too, without allocating samples', () => {
    let flags: boolean[] = [];
    visitWriteRequest(series(up, sampleBytes([...hex('0200000000 00f07f')], 1), sample(Number.NaN, 2)), {
      onSeries: (s) => {
        flags = [s.sampleIsStale(0), s.sampleIsStale(1)];
      },
    });
    assert.deepEqual(flags, [true, false]);
  });

  test('the encoder writes the exact stale bits, and NaN as 0x7ff8000000000001', () => {
    const bytes = encodeWriteRequest({
      timeseries: [
        {
          labels: [{ name: '__name__', value: 'up' }],
          samples: [
            { value: 0, timestampMs: 1, stale: true },
            { value: Number.NaN, timestampMs: 1 },
          ],
        },
      ],
    });
    const h = toHex(bytes);
    assert.ok(h.includes('09020000000000f07f'), h);
    assert.ok(h.includes('09010000000000f87f'), h);
  });
});

describe('int64 timestamps', () => {
  const tsOf = (ts: bigint) => decodeWriteRequest(series(up, sample(1, 0), sampleBytes(f64(1), ts)));
  const accepted: [string, bigint, number][] = [
    ['zero', 0n, 0],
    ['-1 (a 10-byte varint)', -1n, -1],
    ['2^53-1, the largest safe integer', 2n ** 53n - 1n, Number.MAX_SAFE_INTEGER],
    ['-(2^53-1)', -(2n ** 53n - 1n), Number.MIN_SAFE_INTEGER],
    ['a real epoch-milliseconds value', 1_732_000_000_123n, 1_732_000_000_123],
  ];
  for (const [name, value, expected] of accepted) {
    test(`${name} decodes exactly`, () => {
      assert.equal(unwrap(tsOf(value)).timeseries[0]?.samples[1]?.timestampMs, expected);
    });
  }
  for (const [name, value] of [
    ['2^53', 2n ** 53n],
    ['-2^53', -(2n ** 53n)],
    ['2^63-1', 2n ** 63n - 1n],
    ['-2^63', -(2n ** 63n)],
  ] as const) {
    test(`${name} is rejected as proto.int-range`, () => {
      const [issue] = issuesOf(tsOf(value));
      assert.equal(issue?.code, 'proto.int-range');
      assert.deepEqual(issue?.path, ['timeseries', 0]);
    });
  }

  test('an 11-byte varint is proto.varint, located at its first byte', () => {
    const body = series(up, ld(2, cat([0x10], [...hex('ffffffffffffffffffff01')])));
    const [issue] = issuesOf(decodeWriteRequest(body));
    assert.equal(issue?.code, 'proto.varint');
    // 2 (series tag + length) + 16 (label field: 2 + 10 name + 4 value) + 2 (sample tag +
    // length) + 1 (timestamp tag) = 21.
    assert.equal(issue?.offset, 21);
  });

  test('a 10-byte varint carrying more than 64 bits is proto.varint', () => {
    const body = series(up, ld(2, cat([0x10], [...hex('ffffffffffffffffff02')])));
    assert.equal(issuesOf(decodeWriteRequest(body))[0]?.code, 'proto.varint');
  });
});

describe('wire-format tolerance', () => {
  test('unknown fields of every wire type are skipped at every level', () => {
    // Field 15 as varint (78 01), fixed64 (79 + 8), length-delimited (7a 01 00) and
    // fixed32 (7d + 4), placed in the request, the series, the label and the sample.
    const unknown = [...hex('7801 79 0102030405060708 7a01 00 7d 01020304')];
    const lbl = ld(1, cat(unknown, ld(1, str('__name__')), unknown, ld(2, str('up'))));
    const smp = ld(2, cat(unknown, [0x09], f64(2), unknown, [0x10], varint(5)));
    const body = cat(unknown, ld(1, cat(unknown, lbl, unknown, smp)), unknown);
    assert.deepEqual(unwrap(decodeWriteRequest(body)).timeseries[0]?.samples, [
      { value: 2, timestampMs: 5, stale: false },
    ]);
  });

  test('field order is free: samples before labels, timestamp before value', () => {
    const smp = ld(2, cat([0x10], varint(7), [0x09], f64(3)));
    const { seen } = collect(ld(1, cat(smp, up)));
    assert.deepEqual(seen, [{ labels: '__name__=up', samples: '3@7' }]);
  });

  test('a repeated scalar field keeps the last value (proto3 merge)', () => {
    const smp = ld(2, cat([0x09], f64(1), [0x09], f64(9), [0x10], varint(1)));
    assert.deepEqual(collect(series(up, smp)).seen[0]?.samples, '9@1');
  });

  test('v2: symbols may follow the series that reference them', () => {
    const ts = ld(5, cat(ld(1, [1, 2]), sample(4, 4)));
    const body = cat(ts, ld(4, []), ld(4, str('__name__')), ld(4, str('up')));
    assert.deepEqual(collect(body, {}, 2).seen, [{ labels: '__name__=up', samples: '4@4' }]);
  });

  test('v2: labels_refs may be unpacked (one varint per ref)', () => {
    const ts = ld(5, cat([0x08, 1, 0x08, 2], sample(4, 4)));
    const body = cat(ld(4, []), ld(4, str('__name__')), ld(4, str('up')), ts);
    assert.deepEqual(collect(body, {}, 2).seen, [{ labels: '__name__=up', samples: '4@4' }]);
  });

  test('a series with 40 labels and 40 samples is read whole', () => {
    const names = Array.from({ length: 40 }, (_, i) => `l${String(i).padStart(2, '0')}`);
    const body = series(up, ...names.map((n) => label(n, 'v')), ...names.map((_, i) => sample(i, i)));
    const [s] = unwrap(decodeWriteRequest(body)).timeseries;
    assert.equal(s?.labels.length, 41);
    assert.equal(s?.samples.length, 40);
    assert.deepEqual(s?.samples[39], { value: 39, timestampMs: 39, stale: false });
  });

  test('unpacked repeated doubles (wire type 1) read like packed ones', () => {
    // Histogram.custom_values (16): unpacked tag 81 01, packed tag 82 01.
    const unpacked = cat([0x81, 0x01], f64(1.5), [0x81, 0x01], f64(2.5));
    const packed = cat([0x82, 0x01, 16], f64(1.5), f64(2.5));
    for (const body of [unpacked, packed]) {
      const [s] = unwrap(decodeWriteRequest(series(up, ld(4, body)))).timeseries;
      assert.deepEqual(s?.histograms[0]?.customValues, [1.5, 2.5]);
    }
  });

  test('empty packed fields are valid and contribute nothing', () => {
    // Histogram positive_deltas (12) and custom_values (16) with length 0.
    const [s] = unwrap(
      decodeWriteRequest(series(up, ld(4, cat([0x62, 0x00], [0x82, 0x01, 0x00])))),
    ).timeseries;
    assert.deepEqual([s?.histograms[0]?.positiveDeltas, s?.histograms[0]?.customValues], [[], []]);
    const v2 = cat(
      ld(4, []),
      ld(4, str('__name__')),
      ld(4, str('up')),
      ld(5, cat(ld(1, [1, 2]), ld(1, []), sample(1, 1))),
    );
    assert.equal(collect(v2, {}, 2).seen.length, 1);
  });

  test('an unpacked repeated field whose value is missing is proto.truncated', () => {
    // Histogram negative_deltas (9) as a varint tag (48) at the very end of the message.
    assert.equal(issuesOf(decodeWriteRequest(series(up, ld(4, [0x48]))))[0]?.code, 'proto.truncated');
    const v2 = cat(
      ld(4, []),
      ld(4, str('__name__')),
      ld(4, str('up')),
      ld(5, cat(ld(1, [1, 2]), sample(1, 1), [0x08])),
    );
    assert.equal(issuesOf(collect(v2, {}, 2).result)[0]?.code, 'proto.truncated');
  });

  test('a v1 payload read as v2 is empty, as the reserved fields 1-3 intend (spec 2.0)', () => {
    const { result, seen } = collect(series(up, sample(1, 1)), {}, 2);
    assert.equal(result.ok, true);
    assert.deepEqual(seen, []);
  });

  test('an empty body is a valid empty request in both versions', () => {
    assert.deepEqual(unwrap(decodeWriteRequest(new Uint8Array(0))), { timeseries: [], metadata: [] });
    assert.deepEqual(unwrap(decodeWriteRequestV2(new Uint8Array(0))), { timeseries: [] });
  });
});

describe('wire-format errors stop decoding and say where', () => {
  const fatal = (body: Uint8Array, version: 1 | 2 = 1) => issuesOf(collect(body, {}, version).result);

  test('a tag with its length missing is proto.truncated at the end', () => {
    assert.deepEqual(fatal(hex('0a'))[0], {
      code: 'proto.truncated',
      offset: 1,
      message: 'message ends where a varint should start',
      path: [],
    });
  });

  test('a length past the end of the buffer is proto.length at the length byte', () => {
    const [issue] = fatal(hex('0a05 00'));
    assert.equal(issue?.code, 'proto.length');
    assert.equal(issue?.offset, 1);
  });

  test('a length past the end of the enclosing message is proto.length', () => {
    // The series says 4 bytes; its label claims 9.
    assert.equal(fatal(hex('0a04 0a09 0a00'))[0]?.code, 'proto.length');
  });

  test('a known field with the wrong wire type is proto.wire-type (Label.name as varint)', () => {
    const [issue] = fatal(series(ld(1, [0x08, 0x01])));
    assert.equal(issue?.code, 'proto.wire-type');
    assert.deepEqual(issue?.path, ['timeseries', 0]);
    assert.equal(issue?.offset, 4);
  });

  test('Sample.value sent as a varint is proto.wire-type', () => {
    assert.equal(fatal(series(up, ld(2, [0x08, 0x01])))[0]?.code, 'proto.wire-type');
  });

  test('group wire types (3, 4), absent from proto3, are proto.wire-type', () => {
    assert.equal(fatal(hex('7b 7c'))[0]?.code, 'proto.wire-type');
  });

  test('field number 0 is proto.field-number', () => {
    assert.equal(fatal(hex('0200'))[0]?.code, 'proto.field-number');
  });

  test('a packed double list that is not a multiple of 8 bytes is proto.length', () => {
    const histogram = ld(4, ld(16, [1, 2, 3]));
    assert.equal(fatal(series(up, histogram))[0]?.code, 'proto.length');
  });

  test('series before the broken one were delivered; nothing after it is', () => {
    const { result, seen } = collect(cat(series(up, sample(1, 1)), hex('0a05 00'), series(up, sample(2, 2))));
    assert.equal(result.ok, false);
    assert.equal(seen.length, 1);
    assert.equal(result.ok ? 0 : result.stats.acceptedSeries, 1);
  });
});

describe('label rules (spec "Labels": sorted, unique, non-empty, UTF-8)', () => {
  const job = label('job', 'api');
  const first = (body: Uint8Array, options: DecodeOptions = {}) => issuesOf(collect(body, options).result)[0];

  test('unsorted names reject the series; the valid series around it are still delivered', () => {
    const { result, seen } = collect(
      cat(series(up, sample(1, 1)), series(job, up, sample(2, 2)), series(up, sample(3, 3))),
    );
    const [issue] = issuesOf(result);
    assert.equal(issue?.code, 'labels.unsorted');
    assert.deepEqual(issue?.path, ['timeseries', 1]);
    assert.deepEqual(
      seen.map((s) => s.samples),
      ['1@1', '3@3'],
    );
    assert.equal(result.ok ? -1 : result.stats.invalidSeries, 1);
  });

  test('allowUnsortedLabels delivers the labels sorted', () => {
    const { result, seen } = collect(series(job, up, sample(1, 1)), { allowUnsortedLabels: true });
    assert.equal(result.ok, true);
    assert.equal(seen[0]?.labels, '__name__=up,job=api');
  });

  test('a repeated name is labels.duplicate, also when unsorted labels are allowed', () => {
    assert.equal(first(series(up, job, label('job', 'x'), sample(1, 1)))?.code, 'labels.duplicate');
    const lenient = series(job, up, label('job', 'x'));
    assert.equal(first(lenient, { allowUnsortedLabels: true })?.code, 'labels.duplicate');
  });

  test('an empty name is labels.empty-name', () => {
    assert.equal(first(series(label('', 'x'), up))?.code, 'labels.empty-name');
  });

  test('an empty value is labels.empty-value unless allowEmptyLabelValues', () => {
    const body = series(up, label('job', ''), sample(1, 1));
    assert.equal(first(body)?.code, 'labels.empty-value');
    assert.equal(collect(body, { allowEmptyLabelValues: true }).result.ok, true);
  });

  test('a series without labels is series.no-labels', () => {
    assert.equal(first(series(sample(1, 1)))?.code, 'series.no-labels');
  });

  for (const [name, bytes] of [
    ['a stray continuation byte', 'ff'],
    ['an overlong encoding of NUL (c0 80)', 'c080'],
    ['a UTF-16 surrogate (ed a0 80)', 'eda080'],
    ['a truncated 3-byte sequence (e2 82)', 'e282'],
    ['a code point above U+10FFFF (f4 90 80 80)', 'f4908080'],
  ]) {
    test(`${name} in a label value is utf8.invalid`, () => {
      const bad = ld(1, cat(ld(1, str('job')), ld(2, [...hex(bytes ?? '')])));
      assert.equal(first(series(up, bad))?.code, 'utf8.invalid');
    });
  }

  test('multi-byte UTF-8 and a leading BOM are decoded exactly', () => {
    const body = series(up, label('city', '\uFEFFZürich 日本 😀'), sample(1, 1));
    assert.equal(collect(body).seen[0]?.labels, '__name__=up,city=\uFEFFZürich 日本 😀');
  });

  test('maxIssues bounds the list while stats count every invalid series', () => {
    const bad = series(job, up, sample(1, 1));
    const { result } = collect(cat(...Array.from({ length: 30 }, () => bad)), { maxIssues: 5 });
    assert.equal(issuesOf(result).length, 5);
    assert.equal(result.ok ? 0 : result.stats.invalidSeries, 30);
  });
});

describe('v2 symbol rules', () => {
  const symbols = cat(ld(4, []), ld(4, str('__name__')), ld(4, str('up')));
  const first = (body: Uint8Array) => issuesOf(collect(body, {}, 2).result)[0];

  test('a first symbol other than "" is symbols.first-not-empty', () => {
    const body = cat(ld(4, str('__name__')), ld(4, str('up')), ld(5, cat(ld(1, [0, 1]), sample(1, 1))));
    assert.equal(first(body)?.code, 'symbols.first-not-empty');
  });

  test('a reference past the table is symbols.ref-out-of-range for that series only', () => {
    const body = cat(
      symbols,
      ld(5, cat(ld(1, [1, 7]), sample(1, 1))),
      ld(5, cat(ld(1, [1, 2]), sample(2, 2))),
    );
    const { result, seen } = collect(body, {}, 2);
    assert.equal(issuesOf(result)[0]?.code, 'symbols.ref-out-of-range');
    assert.equal(seen.length, 1);
  });

  test('an odd number of label refs is symbols.odd-refs', () => {
    assert.equal(first(cat(symbols, ld(5, cat(ld(1, [1, 2, 1]), sample(1, 1)))))?.code, 'symbols.odd-refs');
  });

  test('a metadata unit_ref past the table is symbols.ref-out-of-range', () => {
    const body = cat(symbols, ld(5, cat(ld(1, [1, 2]), sample(1, 1), ld(5, [0x20, 9]))));
    assert.equal(first(body)?.code, 'symbols.ref-out-of-range');
  });

  test('an invalid UTF-8 symbol rejects the request', () => {
    assert.equal(first(cat(ld(4, []), ld(4, [0xc0, 0x80])))?.code, 'utf8.invalid');
  });

  test('samples and histograms in one series is series.samples-and-histograms', () => {
    const body = cat(symbols, ld(5, cat(ld(1, [1, 2]), sample(1, 1), ld(3, [0x08, 0x01]))));
    assert.equal(first(body)?.code, 'series.samples-and-histograms');
  });
});

describe('filtering by metric name', () => {
  const names = ['a_total', 'b_total', 'c_total'];
  const v1 = encodeWriteRequest({
    timeseries: names.flatMap((n) =>
      ['x', 'y'].map((job) => ({
        labels: [
          { name: '__name__', value: n },
          { name: 'job', value: job },
        ],
        samples: [{ value: 1, timestampMs: 1 }],
      })),
    ),
  });

  test('only accepted series reach the visitor; skipped ones are counted', () => {
    const asked: string[] = [];
    const { result, seen } = collect(v1, {
      acceptMetricName: (n) => {
        asked.push(n);
        return n === 'b_total';
      },
    });
    assert.deepEqual(asked, ['a_total', 'a_total', 'b_total', 'b_total', 'c_total', 'c_total']);
    assert.deepEqual(
      seen.map((s) => s.labels),
      ['__name__=b_total,job=x', '__name__=b_total,job=y'],
    );
    const stats = unwrap(result);
    assert.equal(stats.acceptedSeries, 2);
    assert.equal(stats.skippedSeries, 4);
    assert.equal(stats.series, 6);
  });

  test('v2 asks once per distinct name symbol', () => {
    const v2 = encodeWriteRequestV2(unwrap(decodeWriteRequest(v1)));
    const asked: string[] = [];
    collect(
      v2,
      {
        acceptMetricName: (n) => {
          asked.push(n);
          return true;
        },
      },
      2,
    );
    assert.deepEqual(asked, names);
  });

  test('a series without __name__ is offered as ""', () => {
    const asked: string[] = [];
    collect(series(label('job', 'x'), sample(1, 1)), {
      acceptMetricName: (n) => {
        asked.push(n);
        return false;
      },
    });
    assert.deepEqual(asked, ['']);
  });
});

describe('SeriesView', () => {
  const body = series(up, label('job', 'api'), sample(5, 50), sample(6, 60));
  const read = <T>(f: (s: SeriesView) => T): T => {
    let out: T | undefined;
    visitWriteRequest(body, {
      onSeries: (s) => {
        out = f(s);
      },
    });
    return out as T;
  };

  test('answers label lookups, counts and samples by index', () => {
    assert.deepEqual(
      read((s) => [
        s.metricName,
        s.label('job'),
        s.label('missing'),
        s.labelCount,
        s.sampleCount,
        s.sampleValue(1),
      ]),
      ['up', 'api', undefined, 2, 2, 6],
    );
    assert.equal(
      read((s) => s.sampleTimestampMs(0)),
      50,
    );
  });

  test('an index outside the series throws RangeError (a caller bug, not bad input)', () => {
    assert.throws(() => read((s) => s.labelName(2)), RangeError);
    assert.throws(() => read((s) => s.sampleValue(-1)), RangeError);
  });
});
