/**
 * Protocol Buffers wire format, the parts OTLP needs: varints, fixed 32/64-bit values and
 * length-delimited fields (https://protobuf.dev/programming-guides/encoding/). Groups
 * (wire types 3 and 4) are refused: proto3 never emits them.
 *
 * The reader checks every length against the end of its enclosing message and throws a
 * `WireError` carrying a byte offset; the decoders catch it at their boundary, so nothing
 * escapes to callers. Every read consumes at least one byte, so no input can loop forever.
 */

import type { IssueCode, WireInt64 } from './model.ts';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** A malformed-input failure inside the protobuf reader, located by byte offset. */
export class WireError extends Error {
  readonly code: IssueCode;
  readonly offset: number;
  constructor(code: IssueCode, message: string, offset: number) {
    super(message);
    this.name = 'WireError';
    this.code = code;
    this.offset = offset;
  }
}

const TWO_POW_32 = 4_294_967_296;
/** Largest high word for which hi * 2^32 + lo stays a safe integer: 2^21 - 1. */
const SAFE_HIGH_WORD = 0x1f_ffff;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Sequential reader over one protobuf message. */
export class ProtoReader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;
  /** Low and high 32 bits of the last 64-bit varint read by `varint64`. */
  lo = 0;
  hi = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Reads a tag; returns `fieldNumber << 3 | wireType` as the unsigned varint it is. */
  tag(end: number): number {
    const start = this.pos;
    const b = this.buf[this.pos];
    if (b !== undefined && b < 0x80 && this.pos < end) {
      this.pos++;
      if (b >>> 3 === 0) throw new WireError('protobuf.field-number', 'field number 0 is not allowed', start);
      return b;
    }
    this.varint64(end);
    if (this.pos - start > 5 || this.hi !== 0) {
      throw new WireError('protobuf.varint', 'a tag longer than 5 bytes', start);
    }
    const tag = this.lo;
    if (tag >>> 3 === 0) throw new WireError('protobuf.field-number', 'field number 0 is not allowed', start);
    return tag;
  }

  /** Reads a varint of up to 64 bits into `lo`/`hi`. */
  varint64(end: number): void {
    const buf = this.buf;
    let pos = this.pos;
    const start = pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    // Bytes 1-4 fill bits 0-27 of lo.
    for (; shift < 28; shift += 7) {
      if (pos >= end) throw truncated('varint', start);
      const b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = 0;
        return;
      }
    }
    // Byte 5 straddles: 4 bits to lo, 3 bits to hi.
    if (pos >= end) throw truncated('varint', start);
    let b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      // Bytes 6-10 fill hi from bit 3; the 10th byte may only carry bit 63.
      for (shift = 3; ; shift += 7) {
        if (pos >= end) throw truncated('varint', start);
        b = buf[pos++]!;
        if (shift === 31) {
          if (b > 1) throw new WireError('protobuf.varint', 'a varint longer than 64 bits', start);
          hi |= b << 31;
          break;
        }
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** A varint truncated to 32 bits (uint32, enum, bool and length semantics). */
  uint32(end: number): number {
    const b = this.buf[this.pos];
    if (b !== undefined && b < 0x80 && this.pos < end) {
      this.pos++;
      return b;
    }
    this.varint64(end);
    return this.lo;
  }

  /** A signed 32-bit varint (enums are int32; negative ones arrive as 10-byte varints). */
  int32(end: number): number {
    return this.uint32(end) | 0;
  }

  /** An int64 varint (two's complement), canonical `WireInt64`. */
  int64(end: number): WireInt64 {
    this.varint64(end);
    return toInt64(this.lo, this.hi);
  }

  /** A length prefix; returns the end offset of the field's bytes, checked against `end`. */
  length(end: number): number {
    const start = this.pos;
    this.varint64(end);
    if (this.hi !== 0 || this.lo > end - this.pos) {
      throw new WireError(
        'protobuf.length',
        `a length of ${this.hi === 0 ? this.lo : 'over 2^32'} bytes runs past the end of its message (${end - this.pos} bytes left)`,
        start,
      );
    }
    return this.pos + this.lo;
  }

  private need(bytes: number, end: number, what: string): number {
    const at = this.pos;
    if (end - at < bytes) throw truncated(what, at);
    this.pos = at + bytes;
    return at;
  }

  /** A little-endian double. */
  double(end: number): number {
    return this.view.getFloat64(this.need(8, end, 'double'), true);
  }

  /** A fixed64 (unsigned), canonical `WireInt64`. */
  fixed64(end: number): WireInt64 {
    const at = this.need(8, end, 'fixed64');
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    if (hi <= SAFE_HIGH_WORD) return hi * TWO_POW_32 + lo;
    return this.view.getBigUint64(at, true);
  }

  /** An sfixed64 (two's complement), canonical `WireInt64`. */
  sfixed64(end: number): WireInt64 {
    const at = this.need(8, end, 'sfixed64');
    return toInt64(this.view.getUint32(at, true), this.view.getUint32(at + 4, true));
  }

  /** A length-delimited UTF-8 string; invalid sequences become U+FFFD (never a failure). */
  string(end: number): string {
    const stop = this.length(end);
    const start = this.pos;
    this.pos = stop;
    return decodeUtf8(this.buf, start, stop);
  }

  /** Length-delimited bytes, copied (so the result does not pin the request body). */
  bytes(end: number): Uint8Array {
    const stop = this.length(end);
    const out = this.buf.slice(this.pos, stop);
    this.pos = stop;
    return out;
  }

  /** Skips a field of `wireType` whose tag was just read at `tagOffset`. */
  skip(wireType: number, end: number, tagOffset: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64(end);
        return;
      case WIRE_I64:
        this.need(8, end, 'fixed64');
        return;
      case WIRE_LEN:
        this.pos = this.length(end);
        return;
      case WIRE_I32:
        this.need(4, end, 'fixed32');
        return;
      default:
        throw new WireError(
          'protobuf.wire-type',
          wireType === 3 || wireType === 4
            ? 'groups (wire types 3 and 4) are not used by proto3 and are not accepted'
            : `wire type ${wireType} does not exist`,
          tagOffset,
        );
    }
  }
}

function truncated(what: string, at: number): WireError {
  return new WireError('protobuf.truncated', `the body ends inside a ${what}`, at);
}

/** Two's-complement 64-bit value from its 32-bit halves, canonical `WireInt64`. */
export function toInt64(lo: number, hi: number): WireInt64 {
  const signedHi = hi | 0;
  // |value| <= 2^53 - 1 exactly when hi is in [-2^21, 2^21 - 1], excluding -2^53 itself.
  if (signedHi >= -0x20_0000 && signedHi <= SAFE_HIGH_WORD) {
    const value = signedHi * TWO_POW_32 + lo;
    if (Number.isSafeInteger(value)) return value;
  }
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
}

/** Decodes UTF-8, with a fast path for short ASCII strings (attribute keys and values). */
export function decodeUtf8(buf: Uint8Array, start: number, stop: number): string {
  const length = stop - start;
  if (length === 0) return '';
  if (length <= 24) {
    let out = '';
    for (let i = start; i < stop; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return utf8.decode(buf.subarray(start, stop));
      out += String.fromCharCode(c);
    }
    return out;
  }
  return utf8.decode(buf.subarray(start, stop));
}

// ---------------------------------------------------------------------------------------
// Writer

/**
 * Appends protobuf fields to a growing buffer. Nested messages reserve a 5-byte length
 * slot, then shift their content down once its length is known (`beginMessage`/`endMessage`).
 */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Writes an unsigned varint of up to 64 bits given as `lo`/`hi` words. */
  private varintWords(lo: number, hi: number): void {
    this.ensure(10);
    let l = lo >>> 0;
    let h = hi >>> 0;
    while (h !== 0 || l > 0x7f) {
      this.buf[this.pos++] = (l & 0x7f) | 0x80;
      l = ((l >>> 7) | (h << 25)) >>> 0;
      h >>>= 7;
    }
    this.buf[this.pos++] = l;
  }

  private tag(field: number, wireType: number): void {
    this.varintWords(((field << 3) | wireType) >>> 0, 0);
  }

  /** An unsigned 32-bit varint field (uint32, bool, enum >= 0). */
  uint32(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varintWords(value >>> 0, 0);
  }

  /** An int32 varint field (negative values take 10 bytes, as protobuf specifies). */
  int32(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varintWords(value | 0, value < 0 ? 0xffff_ffff : 0);
  }

  /** An int64 varint field. */
  int64(field: number, value: WireInt64): void {
    const [lo, hi] = words(value);
    this.tag(field, WIRE_VARINT);
    this.varintWords(lo, hi);
  }

  /** A double field. */
  double(field: number, value: number): void {
    this.tag(field, WIRE_I64);
    this.rawDouble(value);
  }

  /** A double without a tag (packed repeated). */
  rawDouble(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A fixed64 / sfixed64 field. */
  fixed64(field: number, value: WireInt64): void {
    this.tag(field, WIRE_I64);
    this.rawFixed64(value);
  }

  /** A fixed64 without a tag (packed repeated). */
  rawFixed64(value: WireInt64): void {
    const [lo, hi] = words(value);
    this.ensure(8);
    this.view.setUint32(this.pos, lo, true);
    this.view.setUint32(this.pos + 4, hi, true);
    this.pos += 8;
  }

  /** A string field. */
  string(field: number, value: string): void {
    this.bytes(field, utf8Encoder.encode(value));
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varintWords(value.length, 0);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** Starts a length-delimited field; pass the returned mark to `endMessage`. */
  beginMessage(field: number): number {
    this.tag(field, WIRE_LEN);
    this.ensure(5);
    this.pos += 5;
    return this.pos;
  }

  /** Ends the field begun at `mark`: writes its length and moves the content into place. */
  endMessage(mark: number): void {
    const length = this.pos - mark;
    const slot = mark - 5;
    let sizeBytes = 1;
    for (let rest = length >>> 7; rest !== 0; rest >>>= 7) sizeBytes++;
    let at = slot;
    let rest = length;
    while (rest > 0x7f) {
      this.buf[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.buf[at++] = rest;
    if (sizeBytes < 5) this.buf.copyWithin(slot + sizeBytes, mark, this.pos);
    this.pos -= 5 - sizeBytes;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Low and high 32-bit words of a 64-bit two's-complement integer. */
function words(value: WireInt64): [number, number] {
  if (typeof value === 'bigint') {
    const u = BigInt.asUintN(64, value);
    return [Number(u & 0xffff_ffffn), Number(u >> 32n)];
  }
  if (value >= 0) return [(value % TWO_POW_32) >>> 0, Math.floor(value / TWO_POW_32) >>> 0];
  // Negative safe integer: two's complement of the magnitude.
  const magnitude = -value;
  let lo = (magnitude % TWO_POW_32) >>> 0;
  let hi = Math.floor(magnitude / TWO_POW_32) >>> 0;
  lo = (~lo + 1) >>> 0;
  hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  return [lo, hi];
}
