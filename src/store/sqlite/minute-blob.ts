/**
 * The 60 minute buckets of one series-hour as a compact blob.
 *
 * Layout (little-endian): `[flags, totalCode, secondCode, total[60], second[60]]`.
 * - `second` is `bad = total - good` when flag bit 0 is set, which it is whenever both
 *   arrays are integers or halves (then the subtraction is exact); otherwise `good` as
 *   float64. Bad counts are mostly 0, so they usually take 0 or 1 byte a minute.
 * - A code is a width (0: every value is 0 and no bytes follow; 1, 2, 4: unsigned
 *   integers; 8: float64) plus bit 0x80 when values are halves stored doubled (apdex).
 *
 * A typical hour (totals below 65,536 per minute, no errors) is 3 + 120 = 123 bytes,
 * about 2 bytes per series-minute; 4,000 requests/min with some errors is 183 bytes.
 */

export const MINUTES_PER_HOUR = 60;
const HALVES = 0x80;
const FLAG_SECOND_IS_BAD = 1;

/** The largest value, and whether every value is an integer or a multiple of 0.5. */
function analyze(values: Float64Array): { max: number; integral: boolean; halves: boolean } {
  let max = 0;
  let integral = true;
  let halves = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > max) max = v;
    if (integral && !Number.isInteger(v)) integral = false;
    if (!integral && !Number.isInteger(v * 2)) {
      halves = false;
      break;
    }
  }
  return { max, integral, halves };
}

/** Smallest code that stores every value of `values` exactly. */
function codeFor(values: Float64Array): number {
  const { max, integral, halves } = analyze(values);
  if (max === 0) return 0;
  if (!halves) return 8;
  const scaled = integral ? max : max * 2;
  const width = scaled <= 0xff ? 1 : scaled <= 0xffff ? 2 : scaled <= 0xffffffff ? 4 : 8;
  if (width === 8) return 8;
  return integral ? width : width | HALVES;
}

function widthOf(code: number): number {
  return code & 0x0f;
}

function write(view: DataView, offset: number, code: number, values: Float64Array): number {
  const width = widthOf(code);
  const scale = code & HALVES ? 2 : 1;
  for (let i = 0; i < MINUTES_PER_HOUR; i++) {
    const v = values[i]! * scale;
    const at = offset + i * width;
    if (width === 1) view.setUint8(at, v);
    else if (width === 2) view.setUint16(at, v, true);
    else if (width === 4) view.setUint32(at, v, true);
    else if (width === 8) view.setFloat64(at, v, true);
  }
  return offset + width * MINUTES_PER_HOUR;
}

function read(view: DataView, offset: number, code: number, out: Float64Array): number {
  const width = widthOf(code);
  const scale = code & HALVES ? 0.5 : 1;
  // One loop per width: the width test stays out of the per-minute loop (reads of a cold
  // status decode about 7 blobs per series).
  if (width === 0) out.fill(0);
  else if (width === 1) for (let i = 0; i < MINUTES_PER_HOUR; i++) out[i] = view.getUint8(offset + i) * scale;
  else if (width === 2)
    for (let i = 0; i < MINUTES_PER_HOUR; i++) out[i] = view.getUint16(offset + 2 * i, true) * scale;
  else if (width === 4)
    for (let i = 0; i < MINUTES_PER_HOUR; i++) out[i] = view.getUint32(offset + 4 * i, true) * scale;
  else for (let i = 0; i < MINUTES_PER_HOUR; i++) out[i] = view.getFloat64(offset + 8 * i, true) * scale;
  return offset + width * MINUTES_PER_HOUR;
}

/** Encodes 60 minutes of good/total (index = minute within the hour). */
export function encodeMinutes(good: Float64Array, total: Float64Array): Uint8Array {
  return encodeMinutesTransient(good, total).slice();
}

/** Scratch of `encodeMinutesTransient`: `bad`, and the largest blob with a view per size. */
const scratchBad = new Float64Array(MINUTES_PER_HOUR);
const scratchBlob = new ArrayBuffer(3 + MINUTES_PER_HOUR * 16);
const scratchView = new DataView(scratchBlob);
/** By the sum of the two widths (0 to 16): the blob's bytes. */
const scratchBlobs = Array.from(
  { length: 17 },
  (_, widths) => new Uint8Array(scratchBlob, 0, 3 + MINUTES_PER_HOUR * widths),
);

/**
 * `encodeMinutes` into a buffer the next call overwrites, for a writer that binds the blob
 * to a statement at once (binding copies it): every bucket a batch writes encodes its hour,
 * and a fresh blob, its off-heap buffer and a view on it were a tenth of the unit's
 * allocations under load.
 */
export function encodeMinutesTransient(good: Float64Array, total: Float64Array): Uint8Array {
  const bad = scratchBad;
  for (let i = 0; i < MINUTES_PER_HOUR; i++) bad[i] = total[i]! - good[i]!;
  // `bad` is exact when both arrays are integers or halves: then `good = total - bad` is too.
  const complement = analyze(total).halves && analyze(good).halves;
  const totalCode = codeFor(total);
  const second = complement ? bad : good;
  const secondCode = complement ? codeFor(bad) : codeFor(good) === 0 ? 0 : 8;
  const bytes = scratchBlobs[widthOf(totalCode) + widthOf(secondCode)]!;
  const view = scratchView;
  bytes[0] = complement ? FLAG_SECOND_IS_BAD : 0;
  bytes[1] = totalCode;
  bytes[2] = secondCode;
  const offset = write(view, 3, totalCode, total);
  write(view, offset, secondCode, second);
  return bytes;
}

/** Decodes a blob into `good` and `total` (60 entries each). Throws on a corrupt blob. */
export function decodeMinutes(blob: Uint8Array, good: Float64Array, total: Float64Array): void {
  if (blob.length < 3) throw new Error('corrupt minute blob: shorter than its header');
  const flags = blob[0]!;
  const totalCode = blob[1]!;
  const secondCode = blob[2]!;
  const expected = 3 + MINUTES_PER_HOUR * (widthOf(totalCode) + widthOf(secondCode));
  if (blob.length !== expected || flags > FLAG_SECOND_IS_BAD) {
    throw new Error(`corrupt minute blob: ${blob.length} bytes, header says ${expected}`);
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const offset = read(view, 3, totalCode, total);
  read(view, offset, secondCode, good);
  if (flags & FLAG_SECOND_IS_BAD) {
    for (let i = 0; i < MINUTES_PER_HOUR; i++) good[i] = total[i]! - good[i]!;
  }
}
