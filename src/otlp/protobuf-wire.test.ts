import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtoReader, ProtoWriter, toInt64, WireError } from './protobuf-wire.ts';

function reader(...bytes: number[]): ProtoReader {
  return new ProtoReader(Uint8Array.from(bytes));
}

function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (thrown) {
    if (thrown instanceof WireError) return thrown;
    throw thrown;
  }
  assert.fail('expected a WireError');
}

describe('varints', () => {
  test('300 is the two bytes ac 02 (protobuf encoding guide example)', () => {
    const r = reader(0xac, 0x02);
    assert.equal(r.uint32(2), 300);
    assert.equal(r.pos, 2);
  });

  test('-1 as int64 is ten bytes ending in 01 and decodes back to -1', () => {
    const r = reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    assert.equal(r.int64(10), -1);
  });

  test('2^63 - 1 as int64 is a bigint, since a double cannot hold it', () => {
    // 0x7fff_ffff_ffff_ffff: nine bytes of 0xff then 0x7f (63 one-bits, 7 per byte).
    const r = reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
    assert.equal(r.int64(9), 2n ** 63n - 1n);
  });

  test('a varint cut off by the end of the message is truncated, with its start offset', () => {
    const r = reader(0x08, 0x96);
    r.pos = 1;
    const error = wireError(() => r.uint32(2));
    assert.equal(error.code, 'protobuf.truncated');
    assert.equal(error.offset, 1);
  });

  test('an 11-byte varint is refused', () => {
    const r = reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    assert.equal(wireError(() => r.varint64(11)).code, 'protobuf.varint');
  });

  test('a varint may not read past the end of its enclosing message, even if the buffer goes on', () => {
    const r = reader(0x96, 0x01);
    assert.equal(wireError(() => r.uint32(1)).code, 'protobuf.truncated');
  });
});

describe('tags and lengths', () => {
  test('field number 0 is refused', () => {
    assert.equal(wireError(() => reader(0x02, 0x00).tag(2)).code, 'protobuf.field-number');
  });

  test('a length past the end of the message is refused with the offset of the length', () => {
    const r = reader(0x0a, 0x05, 0x61);
    r.pos = 1;
    const error = wireError(() => r.length(3));
    assert.equal(error.code, 'protobuf.length');
    assert.equal(error.offset, 1);
  });

  test('groups (wire type 3) cannot be skipped', () => {
    assert.equal(wireError(() => reader(0x0b).skip(3, 1, 0)).code, 'protobuf.wire-type');
  });
});

describe('64-bit values', () => {
  test('toInt64 keeps safe integers as numbers and the rest as bigints', () => {
    assert.equal(toInt64(0xffff_ffff, 0x1f_ffff), 2 ** 53 - 1);
    assert.equal(toInt64(0, 0x20_0000), 2n ** 53n);
    assert.equal(toInt64(1, 0xffe0_0000), -(2 ** 53) + 1);
    assert.equal(toInt64(0, 0xffe0_0000), -(2n ** 53n));
  });

  test('the writer and reader agree on fixed64, sfixed64 and int64 at the edges', () => {
    const values = [0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n];
    for (const value of values) {
      const w = new ProtoWriter();
      w.int64(1, value);
      w.fixed64(2, value);
      const bytes = w.finish();
      const r = new ProtoReader(bytes);
      r.tag(bytes.length);
      assert.equal(r.int64(bytes.length), value, `int64 ${value}`);
      r.tag(bytes.length);
      assert.equal(r.sfixed64(bytes.length), value, `sfixed64 ${value}`);
    }
  });

  test('a nested message of 200 bytes gets a 2-byte length and its content moves into place', () => {
    const w = new ProtoWriter();
    const mark = w.beginMessage(1);
    w.bytes(1, new Uint8Array(197)); // 1 tag + 2 length + 197 = 200 bytes
    w.endMessage(mark);
    const bytes = w.finish();
    // tag 0a, length 200 = 0xc8 0x01, then the inner field's tag 0a and length 197 = 0xc5 0x01.
    assert.deepEqual([...bytes.subarray(0, 6)], [0x0a, 0xc8, 0x01, 0x0a, 0xc5, 0x01]);
    assert.equal(bytes.length, 203);
  });
});
