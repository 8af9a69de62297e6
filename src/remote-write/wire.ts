/**
 * Protocol Buffers wire format, read and written by hand (protobuf.dev/programming-guides/encoding).
 * Internal to this folder: the decoders and encoders are the public surface.
 *
 * The reader never throws and never reads past the `end` it is given: every primitive
 * returns a sentinel and records the first failure, which the caller turns into an issue.
 */

import type { RemoteWriteIssueCode } from './types.ts';

/** Wire types (encoding spec, "Message Structure"). Groups (3, 4) are not used by proto3. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const TWO_POW_32 = 4294967296;

/** Cursor over one protobuf buffer. Sub-messages are read by passing their own `end`. */
export class WireReader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;
  /** Low and high 32 bits (unsigned) of the last varint read. */
  lo = 0;
  hi = 0;
  /** Wire type of the last tag read. */
  wireType = 0;
  /** The first failure, or '' while all is well. */
  failCode: RemoteWriteIssueCode | '' = '';
  failMessage = '';
  failOffset = 0;
  /**
   * The first semantic problem of the current series (bad timestamp range, out-of-range
   * ref, ...): the wire format is intact, so reading goes on, but the series is rejected.
   */
  noteCode: RemoteWriteIssueCode | '' = '';
  noteMessage = '';
  noteOffset = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Records a failure and returns -1 so callers can `return r.fail(...)`. */
  fail(code: RemoteWriteIssueCode, offset: number, message: string): -1 {
    if (this.failCode === '') {
      this.failCode = code;
      this.failOffset = offset;
      this.failMessage = message;
    }
    return -1;
  }

  /** Records a semantic problem of the current series (only the first one is kept). */
  note(code: RemoteWriteIssueCode, offset: number, message: string): void {
    if (this.noteCode === '') {
      this.noteCode = code;
      this.noteOffset = offset;
      this.noteMessage = message;
    }
  }

  clearNote(): void {
    this.noteCode = '';
  }

  /** Records a failure and returns false, for boolean-returning readers. */
  failed(code: RemoteWriteIssueCode, offset: number, message: string): false {
    this.fail(code, offset, message);
    return false;
  }

  /**
   * Reads an unsigned varint of up to 10 bytes before `end`. Returns its value as a number
   * (exact below 2^53) and leaves the two 32-bit halves in `lo`/`hi`; -1 on failure.
   */
  varint(end: number): number {
    const pos = this.pos;
    if (pos < end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        this.lo = b;
        this.hi = 0;
        return b;
      }
    }
    // The value is formed here, not returned by `varintSlow`: a double (a timestamp) returned
    // from an out-of-line call is boxed, one heap number per sample, while the inlined
    // arithmetic stays unboxed when the caller only tests the sign (and reads `int64()`).
    return this.varintSlow(end) < 0 ? -1 : this.hi * TWO_POW_32 + this.lo;
  }

  /**
   * The multi-byte (or failing) case of `varint`, kept out of line so `varint` inlines.
   * Leaves the value in `lo`/`hi`; returns the new position, or -1 on failure.
   */
  private varintSlow(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= end) return this.fail('proto.truncated', pos, 'message ends where a varint should start');
    let b = buf[pos++]!;
    const start = pos - 1;
    let lo = b & 0x7f;
    let hi = 0;
    // Bytes 1-3 fill bits 7-27 of lo; byte 4 straddles lo (bits 28-31) and hi (bits 0-2);
    // bytes 5-9 fill the rest of hi. Byte 9 may only carry bit 63.
    for (let i = 1; ; i++) {
      if (pos >= end) return this.fail('proto.truncated', start, 'message ends inside a varint');
      b = buf[pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x7f) << 28;
        hi = (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        if (i === 9 && b > 1) return this.fail('proto.varint', start, 'varint overflows 64 bits');
        break;
      }
      if (i === 9) return this.fail('proto.varint', start, 'varint is longer than 10 bytes');
    }
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return pos;
  }

  /** The last varint as a two's-complement int64, or NaN when outside ±(2^53-1). */
  int64(): number {
    const hi = this.hi;
    if (hi < 0x200000) return hi * TWO_POW_32 + this.lo;
    if (hi >= 0x80000000) {
      const nlo = (~this.lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      if (nhi < 0x200000) return -(nhi * TWO_POW_32 + nlo);
    }
    return Number.NaN;
  }

  /** The last varint as a uint64, or NaN when above 2^53-1. */
  uint64(): number {
    return this.hi < 0x200000 ? this.hi * TWO_POW_32 + this.lo : Number.NaN;
  }

  /** The last varint as a zigzag sint64, or NaN when outside ±(2^53-1). */
  sint64(): number {
    const lo = ((this.lo >>> 1) | ((this.hi & 1) << 31)) >>> 0;
    const hi = this.hi >>> 1;
    if (hi >= 0x200000) return Number.NaN;
    const magnitude = hi * TWO_POW_32 + lo;
    if ((this.lo & 1) === 0) return magnitude;
    // -(magnitude + 1) must stay within -(2^53-1).
    return magnitude + 1 > Number.MAX_SAFE_INTEGER ? Number.NaN : -(magnitude + 1);
  }

  /** The last varint as a zigzag sint32 (the low 32 bits, as protobuf truncates). */
  sint32(): number {
    return (this.lo >>> 1) ^ -(this.lo & 1);
  }

  /** The last varint as an int32 (enums): the low 32 bits, signed. */
  int32(): number {
    return this.lo | 0;
  }

  /** Reads a field tag; returns the field number (wire type in `wireType`), or -1. */
  tag(end: number): number {
    const pos = this.pos;
    if (pos < end) {
      const b = this.buf[pos]!;
      // One-byte tags (field numbers 1-15) are the norm.
      if (b < 0x80 && b >= 8) {
        this.pos = pos + 1;
        this.wireType = b & 7;
        return b >>> 3;
      }
    }
    return this.tagSlow(end);
  }

  private tagSlow(end: number): number {
    const at = this.pos;
    const t = this.varint(end);
    if (t < 0) return -1;
    // Field numbers are 1..2^29-1, so a valid tag fits in 32 bits.
    if (this.hi !== 0 || t >>> 3 === 0) {
      return this.fail('proto.field-number', at, `invalid field number in tag ${t}`);
    }
    this.wireType = t & 7;
    return t >>> 3;
  }

  /** Reads a length prefix and checks it fits before `end`; returns the sub-message end, or -1. */
  lengthEnd(end: number): number {
    const pos = this.pos;
    if (pos < end) {
      const len = this.buf[pos]!;
      if (len < 0x80 && len < end - pos) {
        this.pos = pos + 1;
        return pos + 1 + len;
      }
    }
    return this.lengthEndSlow(end);
  }

  private lengthEndSlow(end: number): number {
    const at = this.pos;
    const len = this.varint(end);
    if (len < 0) return -1;
    if (len > end - this.pos) {
      return this.fail('proto.length', at, `length ${len} runs past the end of the enclosing message`);
    }
    return this.pos + len;
  }

  /** Skips a field of the current `wireType`; false on failure. */
  skip(end: number): boolean {
    const at = this.pos;
    switch (this.wireType) {
      case WIRE_VARINT:
        return this.varint(end) >= 0;
      case WIRE_FIXED64:
        if (end - at < 8) return this.failed('proto.truncated', at, 'message ends inside a 64-bit field');
        this.pos = at + 8;
        return true;
      case WIRE_LEN: {
        const subEnd = this.lengthEnd(end);
        if (subEnd < 0) return false;
        this.pos = subEnd;
        return true;
      }
      case WIRE_FIXED32:
        if (end - at < 4) return this.failed('proto.truncated', at, 'message ends inside a 32-bit field');
        this.pos = at + 4;
        return true;
      default:
        return this.failed('proto.wire-type', at, `unsupported wire type ${this.wireType}`);
    }
  }

  /** Fails with `proto.wire-type` unless the current wire type is `expected`. */
  expect(expected: number, field: string, at: number): boolean {
    if (this.wireType === expected) return true;
    return this.failed(
      'proto.wire-type',
      at,
      `${field} has wire type ${this.wireType}, expected ${expected}`,
    );
  }
}

/** True when the stored double at `pos` has the stale-marker bits 0x7ff0000000000002. */
export function isStaleBits(view: DataView, pos: number): boolean {
  return view.getUint32(pos, true) === 2 && view.getUint32(pos + 4, true) === 0x7ff00000;
}

/** Whether every byte of `[start, end)` is ASCII, four bytes per step (a fast proof of UTF-8). */
export function isAscii(view: DataView, start: number, end: number): boolean {
  let bits = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) bits |= view.getUint32(i, true);
  for (; i < end; i++) bits |= view.getUint8(i);
  return (bits & 0x80808080) === 0;
}

/**
 * Whether `buf[start, end)` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). ASCII, the common case for labels, costs one compare per byte.
 */
export function isUtf8(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b < 0xc2) return false;
    if (b < 0xe0) {
      if (i + 2 > end || (buf[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    if (b < 0xf0) {
      if (i + 3 > end) return false;
      const b1 = buf[i + 1]!;
      if ((b1 & 0xc0) !== 0x80 || (buf[i + 2]! & 0xc0) !== 0x80) return false;
      if (b === 0xe0 && b1 < 0xa0) return false; // overlong
      if (b === 0xed && b1 >= 0xa0) return false; // UTF-16 surrogate
      i += 3;
      continue;
    }
    if (b < 0xf5) {
      if (i + 4 > end) return false;
      const b1 = buf[i + 1]!;
      if ((b1 & 0xc0) !== 0x80 || (buf[i + 2]! & 0xc0) !== 0x80 || (buf[i + 3]! & 0xc0) !== 0x80)
        return false;
      if (b === 0xf0 && b1 < 0x90) return false; // overlong
      if (b === 0xf4 && b1 >= 0x90) return false; // above U+10FFFF
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

/** Byte-wise comparison of two ranges of `buf` (UTF-8 byte order is code point order). */
export function compareRanges(buf: Uint8Array, a0: number, a1: number, b0: number, b1: number): number {
  const la = a1 - a0;
  const lb = b1 - b0;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const d = buf[a0 + i]! - buf[b0 + i]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/** Whether `buf[start, end)` equals `bytes`. */
export function rangeEquals(buf: Uint8Array, start: number, end: number, bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (end - start !== n) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== bytes[i]) return false;
  return true;
}

// ignoreBOM keeps a leading U+FEFF in a label value instead of silently dropping it.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Decodes validated UTF-8; short ASCII strings skip the TextDecoder call. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len <= 16) {
    let s = '';
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return utf8Decoder.decode(buf.subarray(start, end));
}

const utf8Encoder = new TextEncoder();

/** Growable protobuf writer. Length prefixes are patched in after the body is written. */
export class WireWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(initialBytes = 1024) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Writes an unsigned varint of a non-negative integer below 2^53. */
  uvarint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value < 0x80000000) {
      let u = value;
      while (u >= 0x80) {
        buf[this.pos++] = (u & 0x7f) | 0x80;
        u >>>= 7;
      }
      buf[this.pos++] = u;
      return;
    }
    let v = value;
    while (v >= 0x80) {
      buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }

  /** Writes an int64 varint: negative values take 10 bytes in two's complement. */
  int64(value: number): void {
    if (value >= 0) {
      this.uvarint(value);
      return;
    }
    // Two's complement of |value| over 64 bits, as two 32-bit halves.
    const magnitude = -value;
    let lo = magnitude % TWO_POW_32;
    let hi = Math.floor(magnitude / TWO_POW_32);
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    this.varint64(lo, hi);
  }

  /** Writes a zigzag sint64 (2n for n >= 0, -2n-1 below), in 32-bit halves to stay exact. */
  sint64(value: number): void {
    const magnitude = Math.abs(value);
    const mlo = magnitude % TWO_POW_32;
    let hi = Math.floor(magnitude / TWO_POW_32) * 2 + (mlo >= 0x80000000 ? 1 : 0);
    let lo = (mlo * 2) % TWO_POW_32;
    if (value < 0) {
      if (lo === 0) {
        lo = TWO_POW_32 - 1;
        hi -= 1;
      } else lo -= 1;
    }
    this.varint64(lo, hi);
  }

  /** Writes a 64-bit varint given as unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let l = lo >>> 0;
    let h = hi >>> 0;
    while (h !== 0 || l >= 0x80) {
      buf[this.pos++] = (l & 0x7f) | 0x80;
      l = ((l >>> 7) | (h << 25)) >>> 0;
      h >>>= 7;
    }
    buf[this.pos++] = l;
  }

  tag(field: number, wireType: number): void {
    this.uvarint(field * 8 + wireType);
  }

  /** Writes a double; NaN is written with the bits Prometheus uses for an ordinary NaN. */
  double(value: number): void {
    this.ensure(8);
    if (Number.isNaN(value)) {
      // Prometheus writes math.NaN(), 0x7ff8000000000001 (Go); JavaScript has no NaN payloads.
      this.rawDouble(0x00000001, 0x7ff80000);
      return;
    }
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Writes the eight bytes of a double given as its low and high 32 bits. */
  rawDouble(lo: number, hi: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, lo, true);
    this.view.setUint32(this.pos + 4, hi, true);
    this.pos += 8;
  }

  /** Writes a string's UTF-8 bytes (no length); ASCII is copied without TextEncoder. */
  stringBytes(s: string): void {
    const n = s.length;
    this.ensure(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        const { written } = utf8Encoder.encodeInto(s.slice(i), buf.subarray(p));
        this.pos = p + written;
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** Writes a length-delimited string field. */
  stringField(field: number, s: string): void {
    this.tag(field, WIRE_LEN);
    const mark = this.begin();
    this.stringBytes(s);
    this.end(mark);
  }

  /** Reserves one byte for a length prefix; returns the mark to pass to `end`. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Patches the length prefix reserved by `begin`, shifting the body if it needs more bytes. */
  end(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    let size = 1;
    for (let v = len; v >= 0x80; v = Math.floor(v / 128)) size++;
    this.ensure(size - 1);
    this.buf.copyWithin(mark + size, mark + 1, this.pos);
    this.pos += size - 1;
    let v = len;
    let p = mark;
    while (v >= 0x80) {
      this.buf[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[p] = v;
  }

  /** The bytes written so far (a copy, so the writer's buffer can be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
