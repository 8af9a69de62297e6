/**
 * A bounded byte-slice → string cache. Label names and values repeat across every
 * remote-write request (`job`, `instance`, `le`, metric names), so a long-lived interner
 * turns most label decodes into a hash and a byte compare, with no allocation.
 */

import { decodeUtf8 } from './wire.ts';

/** Keys longer than this are decoded directly: long values rarely repeat. */
const SLOT_BYTES = 64;

/**
 * Two-way set-associative cache from UTF-8 bytes to the decoded string. Keys live in one
 * flat arena (slot i at i × 64) next to their hashes in a typed array, so a hit costs a
 * hash, a typed-array probe and a byte compare, without chasing per-key objects. Memory
 * is fixed (about 70 bytes per slot plus the strings): a new key evicts the less recently
 * used of its two slots, so a flood of unique values (high cardinality, hostile input)
 * cannot grow it, and two hot keys that collide do not evict each other.
 * @example const interner = new LabelInterner(); visitWriteRequest(body, visitor, { interner })
 */
export class LabelInterner {
  private readonly pairMask: number;
  private readonly hashes: Int32Array;
  private readonly lengths: Uint8Array;
  private readonly arena: Uint8Array;
  private readonly strings: string[];
  /** Per pair of slots: which of the two (0 or 1) was used last. */
  private readonly recent: Uint8Array;
  private readonly arenaView: DataView;
  /** The buffer last interned from, and a view on it for 4-byte reads. */
  private viewed: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));

  /** `slots` is rounded up to a power of two (at least 2). */
  constructor(slots = 1 << 15) {
    let size = 2;
    while (size < slots) size *= 2;
    this.pairMask = size / 2 - 1;
    this.hashes = new Int32Array(size);
    this.lengths = new Uint8Array(size);
    this.arena = new Uint8Array(size * SLOT_BYTES);
    this.arenaView = new DataView(this.arena.buffer);
    this.strings = new Array<string>(size).fill('');
    this.recent = new Uint8Array(size / 2);
  }

  /** The string for the (already UTF-8-validated) bytes `buf[start, end)`. */
  intern(buf: Uint8Array, start: number, end: number): string {
    const len = end - start;
    if (len === 0) return '';
    if (len > SLOT_BYTES) return decodeUtf8(buf, start, end);
    if (buf !== this.viewed) {
      this.viewed = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const view = this.view;
    // Four bytes per step (multiply, then rotate so high bits feed the next multiply),
    // then the tail bytewise, then a final avalanche. Never 0: 0 marks an empty slot.
    let h = len;
    let i = start;
    for (; i + 4 <= end; i += 4) {
      h = Math.imul(h ^ view.getUint32(i, true), 0x9e3779b1);
      h = (h << 15) | (h >>> 17);
    }
    for (; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = (h ^ (h >>> 13)) | 1;
    const pair = h & this.pairMask;
    const first = pair * 2;
    for (let way = 0; way < 2; way++) {
      const slot = first + way;
      if (this.hashes[slot] === h && this.lengths[slot] === len && this.sameBytes(slot, view, start, len)) {
        this.recent[pair] = way;
        return this.strings[slot]!;
      }
    }
    const way = this.recent[pair] === 0 ? 1 : 0;
    const slot = first + way;
    const s = decodeUtf8(buf, start, end);
    this.hashes[slot] = h;
    this.lengths[slot] = len;
    this.arena.set(buf.subarray(start, end), slot * SLOT_BYTES);
    this.strings[slot] = s;
    this.recent[pair] = way;
    return s;
  }

  private sameBytes(slot: number, view: DataView, start: number, len: number): boolean {
    const arena = this.arenaView;
    const base = slot * SLOT_BYTES;
    let i = 0;
    for (; i + 4 <= len; i += 4)
      if (arena.getUint32(base + i, true) !== view.getUint32(start + i, true)) return false;
    for (; i < len; i++) if (arena.getUint8(base + i) !== view.getUint8(start + i)) return false;
    return true;
  }
}
