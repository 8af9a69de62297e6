/**
 * Snappy block format (google/snappy format_description.txt), the compression remote
 * write mandates ("The block format MUST be used - the framed format MUST NOT be used").
 *
 * A block is a varint of the uncompressed length followed by elements whose tag byte's
 * low two bits say: 00 literal, 01 copy with 1-byte offset, 10 copy with 2-byte offset,
 * 11 copy with 4-byte offset.
 */

import type { RemoteWriteIssue, RemoteWriteIssueCode, Result } from './types.ts';

const TAG_LITERAL = 0;
const TAG_COPY1 = 1;
const TAG_COPY2 = 2;
/** format_description.txt §1: the uncompressed length is at most 2^32 - 1. */
const MAX_BLOCK_LENGTH = 0xffffffff;

function snappyIssue(code: RemoteWriteIssueCode, offset: number, message: string): Result<never> {
  const issue: RemoteWriteIssue = { code, offset, message: `snappy: ${message}`, path: [] };
  return { ok: false, issues: [issue] };
}

/**
 * Reads the uncompressed length a snappy block declares, without decompressing it.
 * Returns the length and the size of the varint preamble.
 */
export function snappyDecodedLength(input: Uint8Array): Result<{ length: number; preambleBytes: number }> {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) return snappyIssue('snappy.preamble', 0, 'input ends inside the length preamble');
    const b = input[i]!;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) {
      if (length > MAX_BLOCK_LENGTH) {
        return snappyIssue('snappy.preamble', 0, `declared length ${length} is above 2^32-1`);
      }
      return { ok: true, value: { length, preambleBytes: i + 1 } };
    }
  }
  return snappyIssue('snappy.preamble', 0, 'length preamble is longer than 5 bytes');
}

/**
 * Decompresses one snappy block. The declared length is checked against
 * `maxOutputBytes` before anything is allocated; every literal and copy is bounds-checked,
 * so hostile input yields an issue with the byte offset of the bad element, never a
 * throw, an out-of-bounds read or a hang.
 *
 * With `into` at least as long as the declared length, the block is decompressed into it
 * and the result is a view of its start, valid until `into` is written again; nothing is
 * allocated. Every byte of the view is written (the block must fill its declared length),
 * so nothing of an earlier use shows through.
 * @example snappyDecompress(body, 32 << 20)
 */
export function snappyDecompress(
  input: Uint8Array,
  maxOutputBytes: number,
  into?: Uint8Array,
): Result<Uint8Array> {
  const header = snappyDecodedLength(input);
  if (!header.ok) return header;
  const outLen = header.value.length;
  if (outLen > maxOutputBytes) {
    return snappyIssue(
      'snappy.too-large',
      0,
      `declared uncompressed length ${outLen} bytes is above the limit of ${maxOutputBytes}`,
    );
  }
  const out = into !== undefined && into.length >= outLen ? into.subarray(0, outLen) : new Uint8Array(outLen);
  const view = new DataView(out.buffer, out.byteOffset, outLen);
  const n = input.length;
  let s = header.value.preambleBytes;
  let d = 0;
  while (s < n) {
    const at = s;
    const tag = input[s++]!;
    const kind = tag & 3;
    let len: number;
    if (kind === TAG_LITERAL) {
      len = tag >>> 2;
      if (len >= 60) {
        // 60..63: (len-1) follows in 1..4 little-endian bytes.
        const extra = len - 59;
        if (n - s < extra) return snappyIssue('snappy.truncated', at, 'input ends inside a literal length');
        len = input[s]!;
        if (extra > 1) len |= input[s + 1]! << 8;
        if (extra > 2) len |= input[s + 2]! << 16;
        if (extra > 3) len = (len | (input[s + 3]! << 24)) >>> 0;
        s += extra;
      }
      len += 1;
      if (len > n - s)
        return snappyIssue('snappy.truncated', at, `literal of ${len} bytes runs past the input`);
      if (len > outLen - d) {
        return snappyIssue('snappy.overflow', at, `literal of ${len} bytes overflows the declared length`);
      }
      // Byte by byte below 64: `subarray` allocates a view per literal, and label values
      // make most literals of a remote-write body this short (a fifth of the unit's
      // allocation under load was these views).
      if (len < 64) {
        for (let k = 0; k < len; k++) out[d + k] = input[s + k]!;
      } else {
        out.set(input.subarray(s, s + len), d);
      }
      s += len;
      d += len;
      continue;
    }
    let offset: number;
    if (kind === TAG_COPY1) {
      if (s >= n) return snappyIssue('snappy.truncated', at, 'input ends inside a copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | input[s++]!;
    } else if (kind === TAG_COPY2) {
      if (n - s < 2) return snappyIssue('snappy.truncated', at, 'input ends inside a copy');
      len = 1 + (tag >>> 2);
      offset = input[s]! | (input[s + 1]! << 8);
      s += 2;
    } else {
      if (n - s < 4) return snappyIssue('snappy.truncated', at, 'input ends inside a copy');
      len = 1 + (tag >>> 2);
      offset = (input[s]! | (input[s + 1]! << 8) | (input[s + 2]! << 16) | (input[s + 3]! << 24)) >>> 0;
      s += 4;
    }
    if (offset === 0 || offset > d) {
      return snappyIssue('snappy.bad-copy', at, `copy offset ${offset} at output position ${d} is invalid`);
    }
    if (len > outLen - d) {
      return snappyIssue('snappy.overflow', at, `copy of ${len} bytes overflows the declared length`);
    }
    const from = d - offset;
    if (len >= 64 && offset >= len) {
      out.copyWithin(d, from, from + len);
    } else if (offset >= 4) {
      // Four bytes per step. Also right when the copy overlaps its source (offset < len):
      // each step reads bytes at least 4 back, which earlier steps have already written.
      let k = 0;
      for (; k + 4 <= len; k += 4) view.setUint32(d + k, view.getUint32(from + k, true), true);
      for (; k < len; k++) out[d + k] = out[from + k]!;
    } else {
      // Offsets 1-3 repeat a short run (RLE): byte by byte, forwards.
      for (let k = 0; k < len; k++) out[d + k] = out[from + k]!;
    }
    d += len;
  }
  if (d !== outLen) {
    return snappyIssue('snappy.short', n, `block produced ${d} bytes, declared ${outLen}`);
  }
  return { ok: true, value: out };
}

/** Worst-case compressed size of `n` bytes (same bound as the reference implementation). */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

// The compressor works on 64 KiB blocks, as the reference one does, so every copy offset
// fits in two bytes and the hash table can hold absolute positions without aging.
const BLOCK_BYTES = 65536;
const HASH_BITS = 14;
/** Blocks shorter than this are not worth searching: they become one literal. */
const MIN_BLOCK_TO_COMPRESS = 17;
/** Matching stops this far from the block end so 4-byte loads stay in bounds. */
const INPUT_MARGIN = 15;

function load32(src: Uint8Array, p: number): number {
  return src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
}

function hash32(x: number): number {
  return Math.imul(x, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

function emitLiteral(out: Uint8Array, d: number, src: Uint8Array, from: number, to: number): number {
  const n = to - from - 1;
  if (n < 60) {
    out[d++] = n << 2;
  } else if (n < 0x100) {
    out[d++] = 60 << 2;
    out[d++] = n;
  } else if (n < 0x10000) {
    out[d++] = 61 << 2;
    out[d++] = n & 0xff;
    out[d++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[d++] = 62 << 2;
    out[d++] = n & 0xff;
    out[d++] = (n >>> 8) & 0xff;
    out[d++] = n >>> 16;
  } else {
    out[d++] = 63 << 2;
    out[d++] = n & 0xff;
    out[d++] = (n >>> 8) & 0xff;
    out[d++] = (n >>> 16) & 0xff;
    out[d++] = n >>> 24;
  }
  const len = to - from;
  if (len < 16) {
    for (let k = 0; k < len; k++) out[d + k] = src[from + k]!;
  } else {
    out.set(src.subarray(from, to), d);
  }
  return d + len;
}

/** Emits copies for a match of `length` bytes at `offset` (< 65536). */
function emitCopy(out: Uint8Array, d: number, offset: number, length: number): number {
  let len = length;
  // A 2-byte-offset copy holds at most 64 bytes. Splitting 68+ into 64s, then 60, keeps the
  // last piece at least 4 bytes long so it can use the short form when it fits.
  while (len >= 68) {
    out[d++] = (63 << 2) | TAG_COPY2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
    len -= 64;
  }
  if (len > 64) {
    out[d++] = (59 << 2) | TAG_COPY2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
    len -= 60;
  }
  if (len >= 12 || offset >= 2048) {
    out[d++] = ((len - 1) << 2) | TAG_COPY2;
    out[d++] = offset & 0xff;
    out[d++] = offset >>> 8;
  } else {
    // 1-byte-offset copy: length 4..11 in bits 2-4, offset bits 8-10 in bits 5-7.
    out[d++] = ((offset >>> 8) << 5) | ((len - 4) << 2) | TAG_COPY1;
    out[d++] = offset & 0xff;
  }
  return d;
}

function compressBlock(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  d0: number,
  table: Int32Array,
): number {
  let d = d0;
  if (end - start < MIN_BLOCK_TO_COMPRESS) return emitLiteral(out, d, src, start, end);
  // Any stale entry is harmless: a candidate is only used after its 4 bytes are compared.
  table.fill(start);
  const sLimit = end - INPUT_MARGIN;
  let nextEmit = start;
  let s = start + 1;
  let nextHash = hash32(load32(src, s));
  for (;;) {
    // Search for a 4-byte match, stepping further the longer nothing matches so
    // incompressible input is skipped quickly (the reference "skip" heuristic).
    let skip = 32;
    let nextS = s;
    let candidate = 0;
    do {
      s = nextS;
      const step = skip >>> 5;
      nextS = s + step;
      skip += step;
      if (nextS > sLimit) {
        if (nextEmit < end) d = emitLiteral(out, d, src, nextEmit, end);
        return d;
      }
      candidate = table[nextHash]!;
      table[nextHash] = s;
      nextHash = hash32(load32(src, nextS));
    } while (load32(src, s) !== load32(src, candidate));
    d = emitLiteral(out, d, src, nextEmit, s);
    // Emit copies for as long as the byte right after a match starts another one.
    for (;;) {
      const base = s;
      let i = candidate + 4;
      s += 4;
      while (s < end && src[i] === src[s]) {
        i++;
        s++;
      }
      d = emitCopy(out, d, base - candidate, s - base);
      nextEmit = s;
      if (s >= sLimit) {
        if (nextEmit < end) d = emitLiteral(out, d, src, nextEmit, end);
        return d;
      }
      table[hash32(load32(src, s - 1))] = s - 1;
      const h = hash32(load32(src, s));
      candidate = table[h]!;
      table[h] = s;
      if (load32(src, s) !== load32(src, candidate)) {
        s++;
        nextHash = hash32(load32(src, s));
        break;
      }
    }
  }
}

/**
 * Compresses `input` as one snappy block (greedy LZ77 with a 16K-entry hash table over
 * 64 KiB blocks). Output is valid for any snappy decoder.
 * @example snappyCompress(encodeWriteRequest(request))
 */
export function snappyCompress(input: Uint8Array): Uint8Array {
  if (input.length > MAX_BLOCK_LENGTH) throw new RangeError('snappy: input is above 2^32-1 bytes');
  const out = new Uint8Array(snappyMaxCompressedLength(input.length));
  let d = 0;
  let n = input.length;
  while (n >= 0x80) {
    out[d++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[d++] = n;
  const table = new Int32Array(1 << HASH_BITS);
  for (let start = 0; start < input.length; start += BLOCK_BYTES) {
    const end = Math.min(start + BLOCK_BYTES, input.length);
    d = compressBlock(input, start, end, out, d, table);
  }
  return out.slice(0, d);
}
