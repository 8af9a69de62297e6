import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  snappyCompress,
  snappyDecodedLength,
  snappyDecompress,
  snappyMaxCompressedLength,
} from './snappy.ts';
import { hex, issuesOf, runs, SEED, unwrap } from './test-support.ts';

const MB = 1 << 20;
const ascii = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('snappy block decoding (golden bytes from format_description.txt)', () => {
  test('the spec example "xababab" is a literal "xab" then a copy of 4 at offset 2', () => {
    // 07: 7 bytes uncompressed. 08: literal, (3-1)<<2. 01 02: 1-byte-offset copy,
    // (4-4)<<2 | 01, offset 2.
    assert.equal(ascii(unwrap(snappyDecompress(hex('07 | 08 78 61 62 | 01 02'), MB))), 'xababab');
  });

  test('a length of 2097150 is stored as FE FF 7F (spec example)', () => {
    assert.deepEqual(unwrap(snappyDecodedLength(hex('fe ff 7f'))), { length: 2097150, preambleBytes: 3 });
  });

  test('a 2-byte-offset copy repeats earlier output', () => {
    // 0C: 12 bytes. 0C: literal of 4. 1E = (8-1)<<2 | 10: copy 8, offset 04 00 (LE).
    assert.equal(ascii(unwrap(snappyDecompress(hex('0c | 0c 61 62 63 64 | 1e 04 00'), MB))), 'abcdabcdabcd');
  });

  test('a 4-byte-offset copy reads a 32-bit little-endian offset', () => {
    // 0F = (4-1)<<2 | 11: copy 4, offset 04 00 00 00.
    assert.equal(
      ascii(unwrap(snappyDecompress(hex('08 | 0c 61 62 63 64 | 0f 04 00 00 00'), MB))),
      'abcdabcd',
    );
  });

  test('a literal longer than 60 bytes stores len-1 after the tag', () => {
    // 64: 100 bytes. F0 = 60<<2: one length byte follows, 63 = 99 = len-1.
    const out = unwrap(snappyDecompress(hex(`64 f0 63 ${'7a'.repeat(100)}`), MB));
    assert.equal(ascii(out), 'z'.repeat(100));
  });

  test('a 1-byte-offset copy keeps offset bits 8-10 in the top of the tag', () => {
    // 311 = B7 02. Literal of 300: F4 = 61<<2, then 299 = 2B 01. Copy of 11 at offset 291
    // (0x123): tag (1<<5) | (7<<2) | 01 = 3D, low offset byte 23.
    const literal = Array.from({ length: 300 }, (_, i) => (i % 251).toString(16).padStart(2, '0')).join('');
    const out = unwrap(snappyDecompress(hex(`b7 02 | f4 2b 01 ${literal} | 3d 23`), MB));
    assert.equal(out.length, 311);
    assert.deepEqual([...out.subarray(300)], [...out.subarray(9, 20)]);
  });

  test('an overlapping copy (offset < length) repeats a run', () => {
    // 0A: 10 bytes. 00: literal of 1 "a". 15 = (9-4)<<2 | 01: copy 9 at offset 1.
    assert.equal(ascii(unwrap(snappyDecompress(hex('0a | 00 61 | 15 01'), MB))), 'a'.repeat(10));
  });

  test('an empty block is the single byte 00', () => {
    assert.equal(unwrap(snappyDecompress(hex('00'), MB)).length, 0);
    assert.deepEqual([...snappyCompress(new Uint8Array(0))], [0]);
  });
});

describe('snappy block decoding rejects malformed input with the offset of the culprit', () => {
  const cases: [string, string, string, number][] = [
    ['a truncated length preamble', '80', 'snappy.preamble', 0],
    ['a preamble of 2^32 (above the 2^32-1 maximum)', '80 80 80 80 10', 'snappy.preamble', 0],
    ['a preamble longer than 5 bytes', '80 80 80 80 80 01', 'snappy.preamble', 0],
    ['a literal longer than the input', '05 | 10 68 65', 'snappy.truncated', 1],
    ['a literal whose length bytes are cut off', '64 | f4 63', 'snappy.truncated', 1],
    ['a copy before any output', '04 | 01 01', 'snappy.bad-copy', 1],
    ['a copy with offset 0', '08 | 0c 61 62 63 64 | 01 00', 'snappy.bad-copy', 6],
    ['a copy reaching before the output start', '08 | 0c 61 62 63 64 | 01 05', 'snappy.bad-copy', 6],
    ['a copy cut off inside its offset', '08 | 0c 61 62 63 64 | 1e 04', 'snappy.truncated', 6],
    ['a copy past the declared length', '05 | 0c 61 62 63 64 | 01 04', 'snappy.overflow', 6],
    ['a literal past the declared length', '02 | 0c 61 62 63 64', 'snappy.overflow', 1],
    ['a block shorter than declared', '0a | 0c 61 62 63 64', 'snappy.short', 6],
  ];
  for (const [name, bytes, code, offset] of cases) {
    test(`${name} is ${code} at byte ${offset}`, () => {
      const [issue] = issuesOf(snappyDecompress(hex(bytes), MB));
      assert.equal(issue?.code, code);
      assert.equal(issue?.offset, offset);
    });
  }

  test('a declared length above the limit is rejected before the output is allocated', () => {
    // FF FF FF FF 0F declares 2^32-1 bytes; with a 1 MiB limit nothing may be allocated.
    const before = process.memoryUsage().arrayBuffers;
    const [issue] = issuesOf(snappyDecompress(hex('ff ff ff ff 0f 00 61'), MB));
    assert.equal(issue?.code, 'snappy.too-large');
    assert.match(issue?.message ?? '', /4294967295.*1048576/);
    assert.ok(process.memoryUsage().arrayBuffers - before < MB);
  });

  test('the limit is inclusive: exactly maxOutputBytes decodes', () => {
    assert.equal(unwrap(snappyDecompress(hex('04 | 0c 61 62 63 64'), 4)).length, 4);
    assert.equal(issuesOf(snappyDecompress(hex('04 | 0c 61 62 63 64'), 3))[0]?.code, 'snappy.too-large');
  });

  test('a block decompressed into a long enough buffer is a view of its start', () => {
    const into = new Uint8Array(16).fill(0x7a);
    const out = unwrap(snappyDecompress(hex('07 | 08 78 61 62 | 01 02'), MB, into));
    assert.equal(ascii(out), 'xababab');
    assert.equal(out.buffer, into.buffer);
    assert.equal(into[7], 0x7a, 'bytes past the declared length are left alone');
  });

  test('a buffer shorter than the declared length is not used', () => {
    const into = new Uint8Array(3);
    const out = unwrap(snappyDecompress(hex('07 | 08 78 61 62 | 01 02'), MB, into));
    assert.equal(ascii(out), 'xababab');
    assert.notEqual(out.buffer, into.buffer);
  });
});

describe('snappy compression', () => {
  const roundTrip = (input: Uint8Array) => {
    const compressed = snappyCompress(input);
    assert.ok(compressed.length <= snappyMaxCompressedLength(input.length));
    assert.deepEqual(unwrap(snappyDecompress(compressed, input.length)), input);
    return compressed;
  };

  test('an input under 17 bytes becomes one literal', () => {
    // 05: 5 bytes. 10 = (5-1)<<2: literal, then "hello".
    assert.deepEqual(
      [...snappyCompress(new TextEncoder().encode('hello'))],
      [...hex('05 10 68 65 6c 6c 6f')],
    );
  });

  test('random bytes survive compress → decompress (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (input) => {
        roundTrip(input);
      }),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  test('highly repetitive buffers survive compress → decompress and shrink (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 150_000 }),
        (pattern, length) => {
          const input = new Uint8Array(length);
          for (let i = 0; i < length; i++) input[i] = pattern[i % pattern.length]!;
          const compressed = roundTrip(input);
          // A repeating pattern costs at most the pattern, then about 3 bytes per 64.
          if (length > 1000) assert.ok(compressed.length < length / 8, `${compressed.length} of ${length}`);
        },
      ),
      { seed: SEED, numRuns: runs(60) },
    );
  });

  test('runs and mixed content across 64 KiB block boundaries survive (fast-check)', () => {
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 70_000 }))
        .map(([b, n]) => new Uint8Array(n).fill(b)),
    );
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 8 }), (chunks) => {
        roundTrip(Uint8Array.from(chunks.flatMap((c) => [...c])));
      }),
      { seed: SEED, numRuns: runs(40) },
    );
  });

  test('sizes around the 64 KiB block size round-trip', () => {
    for (const n of [65535, 65536, 65537, 131072, 131073]) {
      const input = new Uint8Array(n);
      for (let i = 0; i < n; i++) input[i] = ((i * 7919) % 251) ^ (i >> 9);
      roundTrip(input);
    }
  });

  test('a megabyte of zeros compresses to about 3 bytes per 64', () => {
    const compressed = snappyCompress(new Uint8Array(MB));
    // 16 blocks of 65536: a 1-byte literal, then copies of 64 (3 bytes each) ≈ 3,072 per block.
    assert.ok(compressed.length < 16 * 3100, `${compressed.length}`);
    assert.equal(unwrap(snappyDecompress(compressed, MB)).length, MB);
  });
});
