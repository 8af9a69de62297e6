import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Sha256, sha256Hex } from './sha256.ts';

describe('sha256', () => {
  test('FIPS 180-4 examples and the padding edges', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(
      sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    // A million 'a's, fed in uneven pieces.
    const hash = new Sha256();
    for (let fed = 0; fed < 1_000_000; fed += 777) hash.update('a'.repeat(Math.min(777, 1_000_000 - fed)));
    assert.equal(hash.hex(), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
    // 55, 56 and 64 bytes: the length fits in the last block, just does not, and a whole block.
    for (const length of [55, 56, 63, 64, 65, 119, 120, 128]) {
      const text = 'x'.repeat(length);
      assert.equal(sha256Hex(text), createHash('sha256').update(text).digest('hex'), `length ${length}`);
    }
  });

  test('agrees with node:crypto on any text and bytes, however they are split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 300 })), {
          maxLength: 8,
        }),
        (pieces) => {
          const ours = new Sha256();
          const theirs = createHash('sha256');
          for (const piece of pieces) {
            ours.update(piece);
            theirs.update(piece);
          }
          assert.equal(ours.hex(), theirs.digest('hex'));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a finished hasher refuses more input', () => {
    const hash = new Sha256().update('a');
    hash.hex();
    assert.throws(() => hash.update('b'), /update after hex/);
    assert.throws(() => hash.hex(), /hex called twice/);
  });
});
