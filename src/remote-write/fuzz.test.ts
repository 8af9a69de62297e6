/**
 * Seeded fuzzers: random mutations and truncations of valid payloads must decode to
 * either a result or well-formed issues: never a throw, an out-of-bounds read or a hang.
 * Defaults keep the file under about 15 s; FUZZ_RUNS=20000 (and FUZZ_SEED) go further.
 */

import assert from 'node:assert/strict';
import { isUtf8 as nodeIsUtf8 } from 'node:buffer';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type DecodeResult,
  decodeWriteRequest,
  type SeriesView,
  visitWriteRequest,
  visitWriteRequestV2,
} from './decode.ts';
import { encodeWriteRequest, encodeWriteRequestV2 } from './encode.ts';
import { snappyCompress, snappyDecodedLength, snappyDecompress } from './snappy.ts';
import {
  assertWellFormedIssues,
  byUtf8,
  metadataArb,
  runs,
  SEED,
  seriesArb,
  seriesV2Arb,
  unwrap,
} from './test-support.ts';
import type { Label, Sample } from './types.ts';
import { isUtf8, WireReader } from './wire.ts';

/** Generous per-input bound: inputs are a few KiB, so anything near it is a hang. */
const MAX_MS_PER_INPUT = 1000;

type Mutation = { kind: number; pos: number; byte: number; len: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.record(
  {
    kind: fc.integer({ min: 0, max: 6 }),
    pos: fc.nat(),
    byte: fc.constantFrom(0x00, 0x01, 0x02, 0x07, 0x0a, 0x12, 0x7f, 0x80, 0xff, 0xc0, 0xed, 0xfe),
    len: fc.integer({ min: 1, max: 24 }),
  },
  { noNullPrototype: true },
);

/** Applies byte flips, truncations, insertions, deletions and duplications. */
function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = [...input];
  for (const m of mutations) {
    const p = b.length === 0 ? 0 : m.pos % (b.length + 1);
    switch (m.kind) {
      case 0: // overwrite one byte
        if (p < b.length) b[p] = m.byte;
        break;
      case 1: // flip one bit
        if (p < b.length) b[p] = b[p]! ^ (1 << (m.len % 8));
        break;
      case 2: // truncate
        b = b.slice(0, p);
        break;
      case 3: // insert bytes
        b.splice(p, 0, ...Array.from({ length: m.len }, (_, i) => (m.byte + i * 37) & 0xff));
        break;
      case 4: // delete bytes
        b.splice(p, m.len);
        break;
      case 5: // duplicate a slice in place
        b.splice(p, 0, ...b.slice(p, p + m.len));
        break;
      default: // a varint continuation run, to provoke overlong varints
        b.splice(p, 0, ...Array.from({ length: m.len }, () => 0x80 | m.byte));
    }
  }
  return Uint8Array.from(b);
}

/** Reads everything a visitor can ask for, and checks the label rules hold for it. */
function exhaust(s: SeriesView, allowEmptyValues = false): void {
  const labels = s.labels();
  for (let i = 1; i < labels.length; i++) {
    assert.ok(byUtf8(labels[i - 1]!.name, labels[i]!.name) < 0, 'delivered labels are sorted and unique');
  }
  for (const l of labels) {
    assert.ok(l.name !== '' && (allowEmptyValues || l.value !== ''), 'delivered labels are non-empty');
  }
  s.samples();
  s.histograms();
  s.exemplars();
  s.metadata();
  void s.label('job');
  void s.metricName;
}

function decodeBoth(bytes: Uint8Array): DecodeResult[] {
  const results: DecodeResult[] = [];
  for (const visit of [visitWriteRequest, visitWriteRequestV2]) {
    let delivered = 0;
    const started = performance.now();
    const result = visit(bytes, {
      onSeries: (s) => {
        delivered++;
        exhaust(s);
      },
      onMetadata: () => {},
    });
    assert.ok(performance.now() - started < MAX_MS_PER_INPUT, 'decode finished in bounded time');
    const stats = result.ok ? result.value : result.stats;
    assert.equal(stats.acceptedSeries, delivered);
    if (!result.ok) assertWellFormedIssues(result.issues, bytes.length);
    results.push(result);
  }
  return results;
}

describe('decoder fuzzing (seeded)', () => {
  test('mutated v1 payloads decode or fail with well-formed issues, never throw', () => {
    fc.assert(
      fc.property(
        fc.array(seriesArb, { minLength: 1, maxLength: 4 }),
        fc.array(metadataArb, { maxLength: 2 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 5 }),
        (timeseries, metadata, mutations) => {
          decodeBoth(mutate(encodeWriteRequest({ timeseries, metadata }), mutations));
        },
      ),
      { seed: SEED, numRuns: runs(400) },
    );
  });

  test('mutated v2 payloads decode or fail with well-formed issues, never throw', () => {
    fc.assert(
      fc.property(
        fc.array(seriesV2Arb, { minLength: 1, maxLength: 4 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 5 }),
        (timeseries, mutations) => {
          decodeBoth(mutate(encodeWriteRequestV2({ timeseries }), mutations));
        },
      ),
      { seed: SEED, numRuns: runs(400) },
    );
  });

  test('random bytes decode or fail with well-formed issues, never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        decodeBoth(bytes);
      }),
      { seed: SEED, numRuns: runs(1000) },
    );
  });

  test('whatever a mutated payload decodes to re-encodes to the same decode (v1 and v2)', () => {
    fc.assert(
      fc.property(
        fc.array(seriesV2Arb, { minLength: 1, maxLength: 3 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (timeseries, mutations) => {
          const bytes = mutate(encodeWriteRequestV2({ timeseries }), mutations);
          const first: unknown[] = [];
          const result = visitWriteRequestV2(bytes, {
            onSeries: (s) =>
              first.push({
                labels: s.labels(),
                samples: s.samples(),
                histograms: s.histograms(),
                exemplars: s.exemplars(),
                metadata: s.metadata(),
                createdTimestampMs: s.createdTimestampMs,
              }),
          });
          if (!result.ok) return;
          const again: unknown[] = [];
          const reencoded = encodeWriteRequestV2({
            timeseries: first as Parameters<typeof encodeWriteRequestV2>[0]['timeseries'],
          });
          visitWriteRequestV2(reencoded, {
            onSeries: (s) =>
              again.push({
                labels: s.labels(),
                samples: s.samples(),
                histograms: s.histograms(),
                exemplars: s.exemplars(),
                metadata: s.metadata(),
                createdTimestampMs: s.createdTimestampMs,
              }),
          });
          assert.deepStrictEqual(again, first);
        },
      ),
      { seed: SEED, numRuns: runs(300) },
    );
  });
});

/** Deterministic choices for the non-canonical encoder (mulberry32). */
function chooser(seed: number): () => boolean {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % 3 === 0;
  };
}

/**
 * A second, deliberately unusual v1 encoder: fields in random order, padded (overlong)
 * length varints, unknown fields sprinkled in, labels and samples interleaved. Every
 * choice is legal protobuf, so the decoder must read it exactly like the canonical form.
 */
function encodeOddly(
  timeseries: readonly { labels: Label[]; samples: Sample[] }[],
  seed: number,
): Uint8Array {
  const pick = chooser(seed);
  const varint = (value: bigint | number, pad = false): number[] => {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    if (pad && out.length < 4) {
      out[out.length - 1]! |= 0x80;
      out.push(0x00); // a redundant zero group: same value, one byte longer
    }
    return out;
  };
  const ld = (field: number, body: number[]) => [
    ...varint((field << 3) | 2),
    ...varint(body.length, pick()),
    ...body,
  ];
  const unknown = () =>
    pick() ? [...varint((19 << 3) | 0), ...varint(12345)] : pick() ? ld(20, [1, 2, 3]) : [];
  const shuffle = (parts: number[][]) => (pick() ? parts.reverse() : parts);
  const text = (s: string) => [...new TextEncoder().encode(s)];
  const f64 = (s: Sample): number[] => {
    const b = new Uint8Array(8);
    const view = new DataView(b.buffer);
    if (s.stale) {
      view.setUint32(0, 2, true);
      view.setUint32(4, 0x7ff00000, true);
    } else view.setFloat64(0, s.value, true);
    return [...b];
  };
  const out: number[] = [];
  for (const ts of timeseries) {
    const labels = ts.labels.map((l) =>
      ld(1, shuffle([ld(1, text(l.name)), ld(2, text(l.value)), unknown()]).flat()),
    );
    const samples = ts.samples.map((s) =>
      ld(2, shuffle([[0x09, ...f64(s)], [0x10, ...varint(s.timestampMs)], unknown()]).flat()),
    );
    // Interleave labels and samples, keeping each list's own order.
    const body: number[] = [];
    let i = 0;
    let j = 0;
    while (i < labels.length || j < samples.length) {
      if (j >= samples.length || (i < labels.length && pick())) body.push(...labels[i++]!);
      else body.push(...samples[j++]!);
      body.push(...unknown());
    }
    out.push(...unknown(), ...ld(1, body));
  }
  return Uint8Array.from(out);
}

describe('differential: unusual but legal encodings', () => {
  test('decode the same as the canonical encoding (field order, padded varints, unknown fields)', () => {
    fc.assert(
      fc.property(fc.array(seriesArb, { maxLength: 4 }), fc.integer(), (timeseries, seed) => {
        const plain = timeseries.map((t) => ({ labels: t.labels, samples: t.samples }));
        const odd = unwrap(decodeWriteRequest(encodeOddly(plain, seed))).timeseries;
        assert.deepStrictEqual(
          odd.map((t) => ({ labels: t.labels, samples: t.samples })),
          plain,
        );
      }),
      { seed: SEED, numRuns: runs(500) },
    );
  });
});

describe('differential: label rules against an independent oracle', () => {
  // Small alphabets, so duplicates, disorder and empties are common. '#BAD#' marks a value
  // whose five bytes are overwritten with invalid UTF-8 after encoding.
  const BAD = '#BAD#';
  const labelArb = fc.record(
    {
      name: fc.constantFrom('', 'a', 'b', 'job', '__name__', 'é', 'z', '😀'),
      value: fc.constantFrom('', 'x', 'y', 'é', '\u0000', BAD),
    },
    { noNullPrototype: true },
  );
  const requestArb = fc.array(fc.array(labelArb, { maxLength: 5 }), { minLength: 1, maxLength: 6 });

  function corrupt(bytes: Uint8Array): Uint8Array {
    const marker = new TextEncoder().encode(BAD);
    const out = bytes.slice();
    for (let i = 0; i + marker.length <= out.length; i++) {
      if (marker.every((m, k) => out[i + k] === m)) out.set([0xff, 0xc0, 0x80, 0xed, 0xa0], i);
    }
    return out;
  }

  function oracle(labels: Label[], lenient: boolean): boolean {
    if (labels.length === 0) return false;
    if (labels.some((l) => l.name === '' || l.value === BAD || (!lenient && l.value === ''))) return false;
    const names = lenient ? [...labels.map((l) => l.name)].sort(byUtf8) : labels.map((l) => l.name);
    return names.every((n, i) => i === 0 || byUtf8(names[i - 1]!, n) < 0);
  }

  for (const lenient of [false, true]) {
    test(`v1, ${lenient ? 'lenient' : 'strict'}: exactly the series the oracle calls valid are delivered`, () => {
      fc.assert(
        fc.property(requestArb, (request) => {
          const timeseries = request.map((labels, i) => ({
            labels,
            samples: [{ value: i, timestampMs: i }],
          }));
          const delivered: number[] = [];
          const result = visitWriteRequest(
            corrupt(encodeWriteRequest({ timeseries })),
            {
              onSeries: (s) => {
                delivered.push(s.sampleValue(0));
                exhaust(s, lenient);
              },
            },
            { allowUnsortedLabels: lenient, allowEmptyLabelValues: lenient },
          );
          const valid = request.flatMap((labels, i) => (oracle(labels, lenient) ? [i] : []));
          assert.deepEqual(delivered, valid);
          assert.equal(result.ok, valid.length === request.length);
          assert.equal(result.ok ? 0 : result.stats.invalidSeries, request.length - valid.length);
        }),
        { seed: SEED, numRuns: runs(1000) },
      );
    });
  }

  test('v2: an invalid symbol fails the request; otherwise the oracle decides per series', () => {
    fc.assert(
      fc.property(requestArb, (request) => {
        const timeseries = request.map((labels, i) => ({ labels, samples: [{ value: i, timestampMs: i }] }));
        const delivered: number[] = [];
        const result = visitWriteRequestV2(corrupt(encodeWriteRequestV2({ timeseries })), {
          onSeries: (s) => {
            delivered.push(s.sampleValue(0));
            exhaust(s);
          },
        });
        if (request.some((labels) => labels.some((l) => l.value === BAD))) {
          assert.equal(result.ok ? '' : result.issues[0]?.code, 'utf8.invalid');
          assert.deepEqual(delivered, []);
          return;
        }
        const valid = request.flatMap((labels, i) => (oracle(labels, false) ? [i] : []));
        assert.deepEqual(delivered, valid);
      }),
      { seed: SEED, numRuns: runs(1000) },
    );
  });
});

describe('snappy fuzzing (seeded)', () => {
  const check = (input: Uint8Array) => {
    const result = snappyDecompress(input, 1 << 20);
    if (result.ok) {
      const declared = snappyDecodedLength(input);
      assert.ok(declared.ok && declared.value.length === result.value.length);
    } else {
      assertWellFormedIssues(result.issues, input.length);
    }
  };

  test('random bytes decompress or fail with an offset, never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), check), { seed: SEED, numRuns: runs(2000) });
  });

  test('mutated compressed payloads decompress or fail with an offset, never throw', () => {
    fc.assert(
      fc.property(
        fc.array(seriesArb, { minLength: 1, maxLength: 4 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        (timeseries, mutations) =>
          check(mutate(snappyCompress(encodeWriteRequest({ timeseries })), mutations)),
      ),
      { seed: SEED, numRuns: runs(500) },
    );
  });
});

describe('primitives against independent oracles', () => {
  test("isUtf8 agrees with Node's buffer.isUtf8 (simdutf) on random and near-UTF-8 bytes", () => {
    const nearUtf8 = fc
      .tuple(fc.string({ unit: 'binary', maxLength: 20 }), fc.array(mutationArb, { maxLength: 2 }))
      .map(([s, m]) => mutate(new TextEncoder().encode(s), m));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 16 }), nearUtf8), (bytes) => {
        assert.equal(isUtf8(bytes, 0, bytes.length), nodeIsUtf8(bytes));
      }),
      { seed: SEED, numRuns: runs(3000) },
    );
  });

  test('varint, int64 and sint64 decoding agree with a BigInt reference', () => {
    const reference = (bytes: Uint8Array): bigint | 'error' => {
      let v = 0n;
      for (let i = 0; i < bytes.length; i++) {
        const b = BigInt(bytes[i]!);
        if (i === 9 && (b & 0x80n || b > 1n)) return 'error';
        v |= (b & 0x7fn) << BigInt(7 * i);
        if (!(b & 0x80n)) return v;
      }
      return 'error';
    };
    const toSafe = (n: bigint) => (n >= -(2n ** 53n - 1n) && n <= 2n ** 53n - 1n ? Number(n) : Number.NaN);
    const varintish = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 11 }).map((a) => {
      // Mostly continuation bytes, so long varints are common.
      return Uint8Array.from(a.map((b, i) => (i < a.length - 1 ? b | 0x80 : b)));
    });
    fc.assert(
      fc.property(fc.oneof(varintish, fc.uint8Array({ minLength: 1, maxLength: 11 })), (bytes) => {
        const r = new WireReader(bytes);
        const got = r.varint(bytes.length);
        const want = reference(bytes);
        if (want === 'error') {
          assert.equal(got, -1);
          return;
        }
        assert.ok(got >= 0);
        assert.equal(r.int64(), toSafe(BigInt.asIntN(64, want)));
        assert.equal(r.uint64(), toSafe(want));
        assert.equal(r.sint64(), toSafe((want >> 1n) ^ -(want & 1n)));
      }),
      { seed: SEED, numRuns: runs(5000) },
    );
  });
});
